// The tsnats client's bytes on the wire, against a stand-in server that records every line:
// the restore order after a reconnect (SUBs in order with the remaining max, then the buffered
// PUBs in order), confirming PINGs and the exact `unconfirmed` count when a socket dies before
// they are answered, INFO connect_urls growing the pool, and noRandomize.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { performance } from "node:perf_hooks";
import { connect, errors } from "../dist/client/index.js";
import { waitUntil } from "./helpers/wait.js";

/**
 * A scripted server. Each connection gets INFO, then its lines are recorded in
 * conns[i].lines; the handshake PING is answered; later PINGs only when `answerPings`.
 */
async function fakeServer({ info = {}, answerPings = true } = {}) {
  const conns = [];
  const srv = net.createServer((s) => {
    const c = { socket: s, lines: [], buf: "", pings: 0 };
    conns.push(c);
    s.write(
      `INFO ${JSON.stringify({ server_id: "FAKE", version: "2.10.0", proto: 1, headers: true, max_payload: 1048576, ...info })}\r\n`,
    );
    s.on("error", () => {});
    s.on("data", (d) => {
      c.buf += d.toString("latin1");
      let i;
      while ((i = c.buf.indexOf("\r\n")) >= 0) {
        const line = c.buf.slice(0, i);
        c.buf = c.buf.slice(i + 2);
        c.lines.push(line);
        if (line === "PING") {
          c.pings++;
          if (c.pings === 1 || srv.answerPings) s.write("PONG\r\n");
        }
      }
    });
  });
  srv.answerPings = answerPings;
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const port = srv.address().port;
  return {
    srv,
    conns,
    port,
    /** Stop accepting (open connections stay), and accept again on the same port. */
    pause: () => srv.close(),
    resume: () => new Promise((r) => srv.listen(port, "127.0.0.1", r)),
    url: `127.0.0.1:${srv.address().port}`,
    close: () =>
      new Promise((r) => {
        for (const c of conns) c.socket.destroy();
        if (srv.listening) srv.close(() => r());
        else r();
      }),
  };
}

function recordStatus(nc) {
  const events = [];
  (async () => {
    for await (const s of nc.status()) events.push(s);
  })();
  return events;
}

/** Lines that are protocol operations other than the handshake and pings. */
const ops = (lines) => lines.filter((l) => /^(SUB|UNSUB|PUB|HPUB) /.test(l) || /^[a-z0-9]+$/.test(l));

describe("tsnats client on the wire", () => {
  it("after a reconnect: SUBs in their order with the remaining max, then the buffer in order", async () => {
    const fs = await fakeServer();
    const nc = await connect({ servers: fs.url, reconnectTimeWait: 50, reconnectJitter: 0, maxReconnectAttempts: -1 });
    const events = recordStatus(nc);
    try {
      nc.subscribe("a.one");
      const two = nc.subscribe("a.two", { max: 10 });
      nc.subscribe("a.three", { queue: "q" });
      await nc.flush();
      // the server delivers 4 messages to "a.two"
      for (let i = 0; i < 4; i++) fs.conns[0].socket.write(`MSG a.two ${two.getID()} 1\r\n${i}\r\n`);
      await waitUntil(() => two.getReceived() === 4, "4 messages on a.two");
      fs.pause();
      fs.conns[0].socket.destroy();
      await waitUntil(() => events.some((e) => e.type === "disconnect"), "the disconnect");
      nc.publish("p.x", "m1");
      nc.publish("p.x", "m2", { reply: "r.1" });
      nc.publish("p.y", "m3");
      await fs.resume();
      await waitUntil(() => events.some((e) => e.type === "reconnect"), "the reconnect");
      await nc.flush();
      const after = ops(fs.conns[1].lines);
      assert.deepEqual(after, [
        `SUB a.one 1`,
        `SUB a.two 2`,
        `UNSUB 2 6`,
        `SUB a.three q 3`,
        `PUB p.x 2`,
        `m1`,
        `PUB p.x r.1 2`,
        `m2`,
        `PUB p.y 2`,
        `m3`,
      ]);
      // CONNECT comes first, then the handshake PING
      assert.match(fs.conns[1].lines[0], /^CONNECT \{/);
      assert.equal(fs.conns[1].lines[1], "PING");
    } finally {
      await nc.close();
      await fs.close();
    }
  });

  it("confirming PINGs: a socket that dies before its PONG reports exactly what was written as unconfirmed", async () => {
    const fs = await fakeServer({ answerPings: false });
    const nc = await connect({ servers: fs.url, reconnectTimeWait: 50, reconnectJitter: 0, maxReconnectAttempts: -1 });
    const events = recordStatus(nc);
    try {
      for (let i = 0; i < 7; i++) nc.publish("u.x", "abc");
      await waitUntil(
        () => fs.conns[0].lines.filter((l) => l.startsWith("PUB ")).length === 7 && fs.conns[0].pings === 2,
        "7 PUBs and a confirming PING",
      );
      // the confirming PING follows the PUBs it confirms
      assert.equal(fs.conns[0].lines.at(-1), "PING");
      fs.conns[0].socket.destroy();
      await waitUntil(() => events.some((e) => e.type === "disconnect"), "the disconnect");
      assert.deepEqual(events.find((e) => e.type === "disconnect").unconfirmed, { msgs: 7, bytes: 21 });
      // answered PINGs confirm: nothing unconfirmed at the next loss
      fs.srv.answerPings = true;
      await waitUntil(() => events.some((e) => e.type === "reconnect"), "the reconnect");
      for (let i = 0; i < 3; i++) nc.publish("u.x", "abcd");
      await nc.flush();
      fs.conns[1].socket.destroy();
      await waitUntil(() => events.filter((e) => e.type === "disconnect").length === 2, "the second disconnect");
      assert.deepEqual(events.filter((e) => e.type === "disconnect")[1].unconfirmed, { msgs: 0, bytes: 0 });
    } finally {
      await nc.close();
      await fs.close();
    }
  });

  it("a flush() whose PING died with the socket rejects; one made while disconnected waits for the reconnect", async () => {
    const fs = await fakeServer({ answerPings: false });
    const nc = await connect({ servers: fs.url, reconnectTimeWait: 50, reconnectJitter: 0, maxReconnectAttempts: -1 });
    const events = recordStatus(nc);
    try {
      nc.publish("f.x", "1");
      const lost = nc.flush();
      await waitUntil(() => fs.conns[0].pings >= 2, "the flush PING");
      fs.conns[0].socket.destroy();
      await assert.rejects(lost, (e) => e instanceof errors.RequestError && e.message === "connection disconnected");
      fs.srv.answerPings = true;
      const later = nc.flush();
      await later;
      assert.ok(events.some((e) => e.type === "reconnect"));
    } finally {
      await nc.close();
      await fs.close();
    }
  });

  it("garbage from the server: an error status, the connection is dropped and made again", async () => {
    const fs = await fakeServer();
    const nc = await connect({ servers: fs.url, reconnectTimeWait: 50, reconnectJitter: 0, maxReconnectAttempts: -1 });
    const events = recordStatus(nc);
    try {
      const got = [];
      nc.subscribe("g.x", { callback: (_e, m) => got.push(m.string()) });
      await nc.flush();
      fs.conns[0].socket.write("MSG g.x 1 3\r\nabc\r\nWHAT IS THIS\r\nMSG g.x 1 3\r\ndef\r\n");
      await waitUntil(() => events.some((e) => e.type === "reconnect"), "the reconnect");
      assert.deepEqual(got, ["abc"], "what came before the garbage is delivered, nothing after it");
      const err = events.find((e) => e.type === "error");
      assert.equal(err.error.name, "ProtocolError");
      assert.deepEqual(events.map((e) => e.type).slice(0, 2), ["error", "disconnect"]);
      // a bad MSG line, too
      fs.conns[1].socket.write("MSG g.x 1 notasize\r\n");
      await waitUntil(() => events.filter((e) => e.type === "reconnect").length === 2, "the second reconnect");
      assert.equal(nc.state, "CONNECTED");
    } finally {
      await nc.close();
      await fs.close();
    }
  });

  it("without noRandomize the pool is shuffled: the order differs between connections", async () => {
    const fs = await fakeServer();
    const others = ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "127.0.0.1:4"];
    const orders = new Set();
    try {
      for (let i = 0; i < 8; i++) {
        const nc = await connect({ servers: [fs.url, ...others], reconnect: false });
        orders.add(
          nc
            .getServers()
            .map((x) => x.listen)
            .join(","),
        );
        await nc.close();
      }
      // 8 draws of 120 orders all alike would be a 1 in 10^14 event
      assert.ok(orders.size > 1, `orders seen: ${[...orders].join(" | ")}`);
    } finally {
      await fs.close();
    }
  });

  it("timeout: a server that never sends INFO fails the dial within the connect timeout", async () => {
    const silent = net.createServer((s) => s.on("error", () => {}));
    await new Promise((r) => silent.listen(0, "127.0.0.1", r));
    const socks = [];
    silent.on("connection", (s) => socks.push(s));
    try {
      const t0 = performance.now();
      await assert.rejects(
        connect({ servers: `127.0.0.1:${silent.address().port}`, timeout: 300 }),
        (e) => e instanceof errors.ConnectionError && /timeout/.test(e.message),
      );
      const dt = performance.now() - t0;
      assert.ok(dt >= 290 && dt < 2000, `failed after ${dt} ms`);
    } finally {
      for (const s of socks) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it("maxPendingMsgs/maxPendingBytes set the default limits of new subscriptions; timeout fails a quiet one", async () => {
    const fs = await fakeServer();
    const nc = await connect({ servers: fs.url, maxPendingMsgs: 5, maxPendingBytes: 1000, reconnect: false });
    try {
      assert.deepEqual(nc.subscribe("l.x").getPendingLimits(), { msgs: 5, bytes: 1000 });
      assert.deepEqual(nc.subscribe("l.y", { pendingMsgsLimit: 0 }).getPendingLimits(), { msgs: 0, bytes: 1000 });
      const quiet = nc.subscribe("l.q", { timeout: 50 });
      await assert.rejects(
        (async () => {
          for await (const _m of quiet);
        })(),
        (e) => e instanceof errors.TimeoutError,
      );
      assert.ok((await quiet.closed) instanceof errors.TimeoutError);
      let cbErr = null;
      nc.subscribe("l.c", { timeout: 50, callback: (err) => (cbErr = err) });
      await waitUntil(() => cbErr !== null, "the callback's timeout");
      assert.ok(cbErr instanceof errors.TimeoutError);
    } finally {
      await nc.close();
      await fs.close();
    }
  });

  it("INFO connect_urls add servers to the pool (update event); noRandomize keeps the given order", async () => {
    const fs = await fakeServer({ info: { connect_urls: ["127.0.0.1:1", "127.0.0.1:2"] } });
    const nc = await connect({ servers: [fs.url, "127.0.0.1:3", "127.0.0.1:4"], noRandomize: true, reconnect: false });
    const events = recordStatus(nc);
    try {
      assert.deepEqual(
        nc.getServers().map((s) => [s.listen, s.gossiped]),
        [
          [fs.url, false],
          ["127.0.0.1:3", false],
          ["127.0.0.1:4", false],
          ["127.0.0.1:1", true],
          ["127.0.0.1:2", true],
        ],
      );
      fs.conns[0].socket.write(
        `INFO ${JSON.stringify({ server_id: "FAKE", version: "2.10.0", proto: 1, max_payload: 1048576, connect_urls: ["127.0.0.1:2", "127.0.0.1:5"] })}\r\n`,
      );
      await waitUntil(() => events.some((e) => e.type === "update"), "the update event");
      const u = events.find((e) => e.type === "update");
      assert.deepEqual([u.added, u.deleted], [["127.0.0.1:5"], ["127.0.0.1:1"]]);
    } finally {
      await nc.close();
      await fs.close();
    }
  });
});
