// Guards for hot-path optimizations that had none of their own (see docs/performance.md):
// - the parser's subject-string reuse (a publisher repeating a subject gets the previous string
//   back) must never hand out a stale subject: same-length subjects that differ in one byte,
//   the 64-byte cache boundary, and subjects split across reads;
// - output batching: a connection's messages from one read are written with a few socket writes
//   (one flush per connection per event-loop turn, 64 KB slabs), not one write per message;
// - fan-out from one shared payload range: every subscriber of a fan-out (plain, wildcard and
//   queue) gets exactly the bytes published, for payloads of many sizes, against both servers.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { Parser } from "../dist/protocol/parser.js";
import { Server, Logger, MemorySink } from "../dist/server/index.js";
import { serverKinds, startServer } from "./helpers/servers.js";

/** The subjects of every PUB a parser reports, for the given input chunks. */
function subjectsOf(chunks) {
  const seen = [];
  const p = new Parser({
    onMsgArgs: (q) => (seen.push(q.subject), true),
    onMsgPayload: () => true,
    onOp: () => true,
    onParseError: (kind) => seen.push(`error ${kind}`),
  });
  for (const c of chunks) p.parse(Buffer.from(c, "latin1"));
  return seen;
}

describe("parser: subject string reuse", () => {
  const long64 = "s".repeat(62) + ".a"; // exactly 64 bytes: the largest subject kept for reuse
  const long65 = "s".repeat(63) + ".a";
  const subjects = [
    "foo.bar",
    "foo.bar", // repeat: reused
    "foo.baz", // same length, last byte differs
    "goo.baz", // same length, first byte differs
    "goo.bAz", // same length, middle byte differs (case)
    "goo.bAz",
    "a",
    "b",
    "b",
    long64,
    long64.replace(/a$/, "b"),
    long64,
    long65,
    long65.replace(/a$/, "b"),
    long65,
    "x\xe9y.z", // a non-ASCII byte, latin1 throughout
    "x\xe8y.z",
    "foo.bar",
  ];
  const stream = subjects.map((s, i) => `PUB ${s} ${i % 3}\r\n${"p".repeat(i % 3)}\r\n`).join("");

  it("whole input: every PUB reports its own subject", () => {
    assert.deepEqual(subjectsOf([stream]), subjects);
  });

  it("one byte at a time, and split at every point: the same subjects", () => {
    assert.deepEqual(subjectsOf(stream.split("")), subjects);
    for (let i = 1; i < stream.length; i++) {
      assert.deepEqual(subjectsOf([stream.slice(0, i), stream.slice(i)]), subjects, `split at ${i}`);
    }
  });

  it("reuse survives other operations between PUBs", () => {
    const s = "PUB q.r 0\r\n\r\nSUB q.s 1\r\nPING\r\nPUB q.s 0\r\n\r\nPUB q.r 0\r\n\r\n";
    assert.deepEqual(subjectsOf([s]), ["q.r", "q.s", "q.r"]);
  });
});

describe("output batching (in-process server)", () => {
  it("10,000 messages from one publisher reach a subscriber in a few socket writes", async (t) => {
    const srv = new Server({ host: "127.0.0.1", port: -1 }, { logger: new Logger(new MemorySink()) });
    const writes = new Map(); // cid -> socket.write calls
    srv.on("client:connect", (c) => {
      const sock = c.socket;
      const orig = sock.write;
      writes.set(c.cid, 0);
      sock.write = function (...args) {
        writes.set(c.cid, writes.get(c.cid) + 1);
        return orig.apply(this, args);
      };
    });
    await srv.start();
    const socks = [];
    try {
      const open = () =>
        new Promise((resolve, reject) => {
          const s = net.connect(srv.port, "127.0.0.1", () => resolve(s));
          s.once("error", reject);
          socks.push(s);
        });
      const sub = await open();
      let got = "";
      sub.on("data", (d) => (got += d.toString("latin1")));
      sub.write('CONNECT {"verbose":false,"pedantic":false}\r\nSUB batch 1\r\nPING\r\n');
      await waitFor(() => got.includes("PONG\r\n"), "subscriber PONG");
      const subCid = Math.max(...writes.keys());
      const before = writes.get(subCid);
      const pub = await open();
      const N = 10000;
      pub.write('CONNECT {"verbose":false,"pedantic":false}\r\n' + "PUB batch 5\r\nhello\r\n".repeat(N) + "PING\r\n");
      const frame = "MSG batch 1 5\r\nhello\r\n";
      await waitFor(() => got.length >= got.indexOf("PONG\r\n") + 6 + N * frame.length, "all messages");
      const text = got.slice(got.indexOf("PONG\r\n") + 6);
      assert.equal(text, frame.repeat(N));
      const used = writes.get(subCid) - before;
      t.diagnostic(`${used} socket writes for ${N} messages`);
      // 220 KB of MSG frames: a handful of 64 KB slabs and one flush per read of the publisher
      assert.ok(used >= 1 && used <= 40, `the subscriber's 10,000 messages took ${used} socket writes`);
    } finally {
      for (const s of socks) s.destroy();
      await srv.shutdown();
    }
  });
});

async function waitFor(pred, what, ms = 10000) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function payload(seq, size) {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (seq * 131 + i * 17) & 0xff;
  return b;
}

/** Counts and checks MSG frames (subject fan.<seq>) on one connection. */
function checker(sock, sid) {
  const st = { buf: Buffer.alloc(0), msgs: new Map(), error: null, pong: 0 };
  sock.on("data", (d) => {
    st.buf = st.buf.length ? Buffer.concat([st.buf, d]) : d;
    for (;;) {
      const nl = st.buf.indexOf("\r\n");
      if (nl < 0) return;
      const line = st.buf.toString("latin1", 0, nl);
      if (line === "PONG" || line.startsWith("INFO ")) {
        if (line === "PONG") st.pong++;
        st.buf = st.buf.subarray(nl + 2);
        continue;
      }
      const m = /^MSG fan\.(\d+) (\d+) (\d+)$/.exec(line);
      if (!m) {
        st.error ??= `unexpected ${JSON.stringify(line.slice(0, 60))}`;
        return;
      }
      const size = Number(m[3]);
      if (st.buf.length < nl + 2 + size + 2) return;
      const seq = Number(m[1]);
      if (m[2] !== sid) st.error ??= `sid ${m[2]}`;
      if (!st.buf.subarray(nl + 2, nl + 2 + size).equals(payload(seq, size))) st.error ??= `payload of ${seq} differs`;
      st.msgs.set(seq, (st.msgs.get(seq) ?? 0) + 1);
      st.buf = st.buf.subarray(nl + 2 + size + 2);
    }
  });
  return st;
}

for (const kind of serverKinds()) {
  describe(`fan-out of one payload [${kind}]`, () => {
    it("5 plain/wildcard subscribers and a queue group of 3 get exactly the published bytes", async () => {
      const srv = await startServer(kind);
      const socks = [];
      try {
        const open = () =>
          new Promise((resolve, reject) => {
            const s = net.connect(srv.port, "127.0.0.1", () => resolve(s));
            s.once("error", reject);
            socks.push(s);
          });
        const subs = [];
        const specs = [
          ["fan.*", "1"],
          ["fan.>", "2"],
          [">", "3"],
          ["fan.*", "4"],
          ["fan.*", "5"],
        ];
        for (const [subj, sid] of specs) {
          const s = await open();
          const st = checker(s, sid);
          s.write(`CONNECT {"verbose":false,"pedantic":false}\r\nSUB ${subj} ${sid}\r\nPING\r\n`);
          subs.push(st);
        }
        const queue = [];
        for (let q = 0; q < 3; q++) {
          const s = await open();
          const st = checker(s, "9");
          s.write(`CONNECT {"verbose":false,"pedantic":false}\r\nSUB fan.* workers 9\r\nPING\r\n`);
          queue.push(st);
        }
        await waitFor(() => [...subs, ...queue].every((st) => st.pong === 1), "subscriptions");
        const pub = await open();
        pub.on("data", () => {});
        const N = 3000;
        const parts = [Buffer.from('CONNECT {"verbose":false,"pedantic":false}\r\n')];
        for (let seq = 0; seq < N; seq++) {
          const size = seq % 7 === 0 ? 4000 + (seq % 300) : seq % 200; // small ones and a few past 2 KB
          const p = payload(seq, size);
          parts.push(Buffer.from(`PUB fan.${seq} ${size}\r\n`), p, Buffer.from("\r\n"));
        }
        pub.write(Buffer.concat(parts));
        const all = [...subs, ...queue];
        await waitFor(
          () => subs.every((st) => st.msgs.size === N || st.error) && queue.reduce((n, st) => n + st.msgs.size, 0) >= N,
          "every delivery",
          20000,
        );
        for (const st of all) assert.equal(st.error, null);
        for (const st of subs) {
          assert.equal(st.msgs.size, N);
          assert.ok(
            [...st.msgs.values()].every((n) => n === 1),
            "each message once",
          );
        }
        const perSeq = new Map();
        for (const st of queue) for (const [seq, n] of st.msgs) perSeq.set(seq, (perSeq.get(seq) ?? 0) + n);
        assert.equal(perSeq.size, N);
        assert.ok(
          [...perSeq.values()].every((n) => n === 1),
          "each message to exactly one queue member",
        );
      } finally {
        for (const s of socks) s.destroy();
        await srv.stop();
      }
    });
  });
}
