// The monitoring port over raw sockets: the HTTP edges where Node's and Go's servers differ
// by default (unknown methods, OPTIONS *, CONNECT, path escapes and raw bytes, header size,
// unread request bodies), and a burst of large /connz answers that must not stop the server
// from answering PINGs. Every case runs against tsnats and, when installed, nats-server.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { spawn } from "node:child_process";
import { freePort, serverKinds, startServer } from "./helpers/servers.js";
import { RawConn } from "./helpers/raw.js";
import { LazyArray, goJSON, goJSONParts } from "../dist/server/monitor/util.js";

/**
 * The complete HTTP responses at the start of `buf` (a latin1 string): status, lower-case
 * headers and body, with Content-Length or chunked bodies; `rest` is what follows them.
 */
function parseResponses(buf) {
  const out = [];
  let at = 0;
  for (;;) {
    const he = buf.indexOf("\r\n\r\n", at);
    if (he < 0) break;
    const lines = buf.slice(at, he).split("\r\n");
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(lines[0]);
    if (!m) throw new Error(`not a status line: ${JSON.stringify(lines[0])}`);
    const headers = {};
    for (const l of lines.slice(1)) {
      const c = l.indexOf(":");
      headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
    }
    let p = he + 4;
    let body = "";
    if (headers["transfer-encoding"] === "chunked") {
      let done = false;
      for (;;) {
        const le = buf.indexOf("\r\n", p);
        if (le < 0) break;
        const n = parseInt(buf.slice(p, le), 16);
        if (buf.length < le + 2 + n + 2) break;
        body += buf.slice(le + 2, le + 2 + n);
        p = le + 2 + n + 2;
        if (n === 0) {
          done = true;
          break;
        }
      }
      if (!done) break;
    } else if (headers["content-length"] !== undefined) {
      const n = Number(headers["content-length"]);
      if (buf.length < p + n) break;
      body = buf.slice(p, p + n);
      p += n;
    } else if (headers.connection === "close") {
      // a body up to the end of the connection (Go's own error answers)
      body = buf.slice(p);
      p = buf.length;
    }
    out.push({ status: Number(m[1]), headers, body });
    at = p;
  }
  return { responses: out, rest: buf.slice(at) };
}

/** Send raw bytes on a new connection; wait for `count` complete responses (or the close). */
async function exchange(port, bytes, count = 1, timeoutMs = 5000) {
  const c = await RawConn.connect(port);
  c.write(bytes);
  try {
    await c.waitFor((t) => parseResponses(t).responses.length >= count || c.closed, timeoutMs);
  } catch (e) {
    if (!c.closed) throw e;
  }
  const r = parseResponses(c.text());
  return { conn: c, ...r };
}

const HEALTH = '{"status":"ok"}';

/** A NATS publisher (argv[1]: port) sending a message every millisecond; says "ready" once connected. */
const PUBLISHER = `
const s = require("node:net").connect(Number(process.argv[1]), "127.0.0.1", () => {
  s.write('CONNECT {"verbose":false,"name":"publisher"}\\r\\nPING\\r\\n');
});
s.on("data", (d) => {
  if (!s.started && d.includes("PONG")) {
    s.started = true;
    process.stdout.write("ready\\n");
    setInterval(() => s.write("PUB probe.step 0\\r\\n\\r\\n"), 1);
  }
});
s.on("error", () => process.exit(1));
`;

describe("monitoring JSON built in pieces", () => {
  it("joins to exactly the text of the whole, for every kind of value", () => {
    const made = [];
    const lazy = new LazyArray(
      40,
      (i) => (made.push(i), { i, tags: ["a<b", "c&d"], nested: { deep: [1, { x: null }] } }),
    );
    const values = [
      {
        server_id: "X",
        now: "2026",
        empty: [],
        none: null,
        gone: undefined,
        fn: () => 1,
        list: [1, "two", { three: [3] }, undefined],
        obj: { a: { b: [] } },
        s: "\u2028 > <",
        lazy,
        lazyEmpty: new LazyArray(0, () => 1),
      },
      {},
      { only: [] },
      [1, 2, { a: 1 }],
      "text",
      42,
      null,
    ];
    for (const v of values) {
      for (const indent of [true, false]) {
        assert.equal([...goJSONParts(v, indent)].join(""), goJSON(v, indent), JSON.stringify(v));
        assert.deepEqual(JSON.parse([...goJSONParts(v, indent)].join("")), JSON.parse(JSON.stringify(v)));
      }
    }
    // a lazy array's elements are made a piece at a time, as they are written
    made.length = 0;
    const long = new LazyArray(100, (i) => (made.push(i), { i }));
    const parts = goJSONParts({ long }, true);
    parts.next();
    parts.next();
    parts.next();
    assert.ok(made.length > 0 && made.length < 100, `made ${made.length} of 100 for the first piece`);
    assert.deepEqual(made, [...made.keys()]);
    assert.equal([...parts].length > 1, true);
    assert.equal(made.length, 100);
  });
});

for (const kind of serverKinds()) {
  describe(`monitoring HTTP edges, as Go's net/http [${kind}]`, () => {
    let srv;
    let mport;
    before(async () => {
      mport = await freePort();
      srv = await startServer(kind, ["-m", String(mport)]);
    });
    after(async () => {
      await srv?.stop();
    });

    it("serves any method that is a token, unknown or lower-case, as nats-server's handlers ignore the method", async () => {
      for (const method of ["FOO", "get", "PROPFIND"]) {
        const { conn, responses } = await exchange(mport, `${method} /healthz HTTP/1.1\r\nHost: x\r\n\r\n`);
        conn.close();
        assert.equal(responses.length, 1, method);
        assert.equal(responses[0].status, 200, method);
        assert.equal(responses[0].body, HEALTH, method);
      }
    });

    it('answers "OPTIONS *" with an empty 200 and keeps the connection', async () => {
      const { conn, responses } = await exchange(
        mport,
        "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        2,
      );
      conn.close();
      assert.equal(responses.length, 2);
      assert.equal(responses[0].status, 200);
      assert.equal(responses[0].headers["content-length"], "0");
      assert.equal(responses[0].body, "");
      assert.equal(responses[1].body, HEALTH);
    });

    it("decodes path escapes to bytes: %ff and a raw non-ASCII byte are unknown paths (404), a bad escape is a 400 that closes", async () => {
      for (const p of ["/%ff", "/%FF%FE", "/\xff", "/varz\xe9"]) {
        const { conn, responses } = await exchange(
          mport,
          Buffer.from(`GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`, "latin1"),
        );
        conn.close();
        assert.equal(responses.length, 1, JSON.stringify(p));
        assert.equal(responses[0].status, 404, JSON.stringify(p));
        assert.equal(responses[0].body, "404 page not found\n", JSON.stringify(p));
      }
      const { conn, responses } = await exchange(mport, "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal(responses[0]?.status, 400);
      assert.equal(responses[0].body, "400 Bad Request");
      assert.ok(await conn.waitClosed(), "closed after the 400");
    });

    it("answers CONNECT by its path as it came (an authority matches nothing)", async () => {
      const cases = [
        ["CONNECT /healthz HTTP/1.1", 200, HEALTH],
        [`CONNECT 127.0.0.1:${mport} HTTP/1.1`, 404, "404 page not found\n"],
      ];
      for (const [line, status, body] of cases) {
        const { conn, responses } = await exchange(mport, `${line}\r\nHost: x\r\n\r\n`);
        conn.close();
        assert.equal(responses.length, 1, line);
        assert.equal(responses[0].status, status, line);
        assert.equal(responses[0].body, body, line);
      }
    });

    it("accepts request headers up to about 1 MB; beyond, Go's 431 and the connection closes", async () => {
      const req = (n) => `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(n)}\r\n\r\n`;
      const ok = await exchange(mport, req(1_000_000));
      ok.conn.close();
      assert.equal(ok.responses[0]?.status, 200);
      assert.equal(ok.responses[0].body, HEALTH);
      const big = await exchange(mport, req(1_100_000));
      assert.equal(big.responses[0]?.status, 431);
      assert.equal(big.responses[0].body, "431 Request Header Fields Too Large");
      assert.ok(await big.conn.waitClosed(), "closed after the 431");
    });

    it("reads a small unread request body before answering, then keeps the connection (one answer per request)", async () => {
      const c = await RawConn.connect(mport);
      c.write("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
      // the body is not complete: no answer may come yet (Go discards the body first)
      await assert.rejects(c.waitFor("HTTP/1.1", 300), /timed out/);
      c.write("defghij");
      c.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      await c.waitFor((t) => parseResponses(t).responses.length >= 2);
      const { responses, rest } = parseResponses(c.text());
      assert.deepEqual(
        responses.map((r) => [r.status, r.body]),
        [
          [200, HEALTH],
          [200, HEALTH],
        ],
      );
      assert.equal(rest, "");
      assert.equal(c.closed, false);
      c.close();
    });

    it("does not wait for an unread body of 256 KB or more: answers once and closes", async () => {
      const c = await RawConn.connect(mport);
      c.write("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 400000\r\n\r\nabc");
      assert.ok(await c.waitClosed(5000), "closed after the answer");
      const { responses, rest } = parseResponses(c.text());
      assert.equal(responses.length, 1);
      assert.equal(responses[0].status, 200);
      assert.equal(responses[0].body, HEALTH);
      assert.equal(rest, "", "nothing after the one answer");
    });
  });

  describe(`monitoring never stalls messaging [${kind}]`, () => {
    const CONNS = 100;
    const SUBS = 10;
    const PIPES = 2;
    const PER_PIPE = 60;
    let srv;
    let mport;
    const clients = [];
    before(async () => {
      mport = await freePort();
      srv = await startServer(kind, ["-m", String(mport)]);
      await Promise.all(
        Array.from({ length: CONNS }, async (_, i) => {
          const c = await RawConn.connect(srv.port);
          clients.push(c);
          let hello = 'CONNECT {"verbose":false,"name":"load"}\r\n';
          for (let k = 0; k < SUBS; k++) hello += `SUB burst.c${i}.s${k} ${k + 1}\r\n`;
          c.write(hello);
          await c.flush(10000);
        }),
      );
    });
    after(async () => {
      for (const c of clients) c.close();
      await srv?.stop();
    });

    it("keeps answering PINGs while a burst of large /connz?subs=detail answers is built, and every answer is whole", async () => {
      const probe = await RawConn.connect(srv.port);
      probe.write('CONNECT {"verbose":false,"name":"probe"}\r\n');
      await probe.flush();
      // a publisher in its own process, so the answers this process reads do not hold it up:
      // a message every millisecond or so, from before the burst to after it (its in_msgs
      // in an answer tells how far the server had read it when that answer was built)
      const publisher = spawn(process.execPath, ["-e", PUBLISHER, String(srv.port)], {
        stdio: ["pipe", "pipe", "inherit"],
      });
      const stopPublisher = async () => {
        if (publisher.exitCode !== null || publisher.signalCode !== null) return;
        const gone = new Promise((r) => publisher.once("exit", r));
        publisher.kill();
        await gone;
      };
      try {
        await new Promise((resolve, reject) => {
          publisher.stdout.once("data", resolve);
          publisher.once("exit", (code) => reject(new Error(`publisher exited (${code})`)));
        });
        await burst(probe);
      } finally {
        await stopPublisher();
      }
    });

    async function burst(probe) {
      // the requests are pipelined, each connection's in one write, so they reach the server
      // together; half of them identical, half each its own (sharing an answer covers few)
      const query = (i) => (i % 2 === 0 ? "subs=detail" : `subs=detail&offset=0&limit=${1000 + i}`);
      const socks = await Promise.all(
        Array.from(
          { length: PIPES },
          () =>
            new Promise((resolve, reject) => {
              const s = net.connect({ host: "127.0.0.1", port: mport }, () => resolve(s));
              s.once("error", reject);
            }),
        ),
      );
      let outstanding = PIPES;
      let pongsDuring = 0;
      let pinging = true;
      const answers = socks.map(
        (s, k) =>
          new Promise((resolve, reject) => {
            let buf = "";
            const got = [];
            s.on("data", (d) => {
              buf += d.toString("latin1");
              const { responses, rest } = parseResponses(buf);
              got.push(...responses);
              buf = rest;
              if (got.length === PER_PIPE) {
                outstanding--;
                s.destroy();
                resolve(got);
              }
            });
            s.on("error", reject);
            s.on("close", () => reject(new Error(`pipe ${k}: closed with ${got.length} answers, incomplete`)));
            let reqs = "";
            for (let i = 0; i < PER_PIPE; i++) reqs += `GET /connz?${query(i)} HTTP/1.1\r\nHost: x\r\n\r\n`;
            s.write(reqs);
          }),
      );
      // PING after PING, each after the previous PONG, until the last answer is whole
      const pinger = (async () => {
        while (pinging) {
          await probe.flush(30000);
          if (outstanding > 0) pongsDuring++;
        }
      })();
      const all = (await Promise.all(answers)).flat();
      pinging = false;
      await pinger;
      probe.close();
      const seen = new Set();
      for (const [i, r] of all.entries()) {
        assert.equal(r.status, 200, `answer ${i}`);
        const j = JSON.parse(Buffer.from(r.body, "latin1").toString("utf8"));
        assert.equal(j.num_connections, CONNS + 2, `answer ${i}`);
        const loads = j.connections.filter((c) => c.name === "load");
        assert.equal(loads.length, CONNS, `answer ${i}`);
        for (const c of loads) assert.equal(c.subscriptions_list_detail.length, SUBS, `answer ${i} cid ${c.cid}`);
        seen.add(j.connections.find((c) => c.name === "publisher").in_msgs);
      }
      // the server read the probe's messages between building answers, not only once they
      // were all built, and answered its PINGs meanwhile
      assert.ok(
        seen.size >= 6,
        `the publisher's in_msgs took only ${seen.size} value(s) over ${all.length} answers: ${[...seen]}`,
      );
      assert.ok(pongsDuring >= 1, "no PONG arrived while the answers were being written");
    }
  });
}
