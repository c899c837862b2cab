// The tsnats client across server restarts, against every server kind: the reconnect
// buffer (in order, nothing accepted lost silently), its limit, reconnect off, attempts
// exhausted, subscriptions and their remaining max restored, waitOnFirstConnect, and the
// state/status sequence of every transition.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect, errors } from "../dist/client/index.js";
import { freePort, serverKinds, startServer } from "./helpers/servers.js";
import { waitUntil } from "./helpers/wait.js";

/** Status events as they come, each with nc.state at the moment it was delivered. */
function recordStatus(nc) {
  const events = [];
  (async () => {
    for await (const s of nc.status()) events.push({ ...s, at: performance.now() });
  })();
  return events;
}

// every restartable server, stopped after the tests even when an assertion failed first
const started = new Set();
after(async () => {
  for (const h of started) await h.stop();
});

/** A server on a fixed port that can be killed and started again on that port. */
async function restartable(kind) {
  const port = await freePort();
  const args = ["-a", "127.0.0.1", "-p", String(port)];
  const h = {
    port,
    url: `nats://127.0.0.1:${port}`,
    srv: await startServer(kind, args, { noDefaults: true }),
    async kill() {
      await h.srv.stop("SIGKILL");
    },
    async start() {
      h.srv = await startServer(kind, args, { noDefaults: true });
    },
    stop: () => h.srv.stop(),
  };
  started.add(h);
  return h;
}

const dir = mkdtempSync(path.join(tmpdir(), "tsnats-client-reconnect-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

for (const kind of serverKinds()) {
  describe(`tsnats client reconnect [${kind}]`, () => {
    it("a steady publisher through a 3 s outage: everything published while disconnected arrives, in order", async () => {
      const s = await restartable(kind);
      const nc = await connect({
        servers: s.url,
        reconnectTimeWait: 250,
        reconnectJitter: 50,
        maxReconnectAttempts: -1,
      });
      const events = recordStatus(nc);
      // the subscription is on the publishing connection: after the reconnect it is
      // restored before the buffer is sent, so every buffered message must come back
      const got = [];
      nc.subscribe("steady.x", { callback: (_e, m) => got.push(Number(m.string())) });
      await nc.flush();
      const whileDown = [];
      let seq = 0;
      let stop = false;
      const publisher = (async () => {
        while (!stop) {
          const st = nc.state;
          nc.publish("steady.x", String(seq));
          if (st !== "CONNECTED") whileDown.push(seq);
          seq++;
          await sleep(1);
        }
      })();
      try {
        await sleep(300);
        await s.kill();
        await waitUntil(() => events.some((e) => e.type === "disconnect"), "the disconnect", 5000);
        await sleep(3000);
        await s.start();
        await waitUntil(() => events.some((e) => e.type === "reconnect"), "the reconnect", 10000);
        await sleep(200);
        stop = true;
        await publisher;
        await nc.flush();
        const last = seq - 1;
        await waitUntil(() => got.at(-1) === last, "the last message", 5000);
        assert.ok(whileDown.length > 1000, `published ${whileDown.length} messages during the outage`);
        // in order, no duplicates
        for (let i = 1; i < got.length; i++)
          assert.ok(got[i] > got[i - 1], `in order at ${i}: ${got[i - 1]} then ${got[i]}`);
        // every message published while disconnected arrived
        const have = new Set(got);
        const missingDown = whileDown.filter((n) => !have.has(n));
        assert.deepEqual(missingDown, [], "messages published during the outage that did not arrive");
        // the only possible gap: written to the socket that died, and reported as unconfirmed
        const disc = events.find((e) => e.type === "disconnect");
        const missing = [];
        for (let i = 0; i <= last; i++) if (!have.has(i)) missing.push(i);
        assert.ok(
          missing.length <= disc.unconfirmed.msgs,
          `${missing.length} lost <= ${disc.unconfirmed.msgs} reported unconfirmed`,
        );
        // the status stream: disconnect, attempts, reconnect, each with its state
        const seqTypes = events.filter((e) => ["disconnect", "reconnecting", "reconnect"].includes(e.type));
        assert.equal(seqTypes[0].type, "disconnect");
        assert.equal(seqTypes[0].state, "DISCONNECTED");
        assert.equal(seqTypes.at(-1).type, "reconnect");
        assert.equal(seqTypes.at(-1).state, "CONNECTED");
        const attempts = seqTypes.slice(1, -1);
        assert.ok(attempts.length >= 2, `several attempts during 3 s (${attempts.length})`);
        for (const a of attempts) {
          assert.equal(a.type, "reconnecting");
          assert.equal(a.state, "RECONNECTING");
          assert.equal(a.server, `127.0.0.1:${s.port}`);
        }
        assert.equal(nc.state, "CONNECTED");
      } finally {
        stop = true;
        await publisher;
        await nc.close();
        await s.stop();
      }
    });

    it("nc.state and status() agree at every moment: a lifecycle through an outage and a drain", async () => {
      const s = await restartable(kind);
      const nc = await connect({
        servers: s.url,
        reconnectTimeWait: 100,
        reconnectJitter: 0,
        maxReconnectAttempts: -1,
      });
      const events = [];
      // every event carries the state it moved to, and nc.state is that state when it is handed out
      // unless a later transition already happened (then a later event says so)
      (async () => {
        for await (const e of nc.status()) events.push({ type: e.type, state: e.state, now: nc.state });
      })();
      // nc.state sampled every millisecond, consecutive repeats folded
      const sampled = ["CONNECTED"];
      const sampler = setInterval(() => {
        if (sampled.at(-1) !== nc.state) sampled.push(nc.state);
      }, 1);
      try {
        assert.equal(nc.state, "CONNECTED");
        await s.kill();
        await waitUntil(() => events.filter((e) => e.type === "reconnecting").length >= 3, "3 attempts", 5000);
        await s.start();
        await waitUntil(() => events.some((e) => e.type === "reconnect"), "the reconnect", 10000);
        assert.equal(nc.state, "CONNECTED");
        const d = nc.drain();
        assert.equal(nc.state, "DRAINING_SUBS");
        await d;
        assert.equal(nc.state, "CLOSED");
        await waitUntil(() => events.some((e) => e.type === "close"), "the close event");
      } finally {
        clearInterval(sampler);
        if (!nc.isClosed()) await nc.close();
        await s.stop();
      }
      if (sampled.at(-1) !== nc.state) sampled.push(nc.state);
      const seq = events.map((e) => `${e.type}/${e.state}`).join(" ");
      assert.match(
        seq,
        /^disconnect\/DISCONNECTED (reconnecting\/RECONNECTING ){3,}reconnect\/CONNECTED drainingSubs\/DRAINING_SUBS drainingPubs\/DRAINING_PUBS close\/CLOSED$/,
      );
      const order = ["CONNECTED", ...events.map((e) => e.state)].filter((st, i, a) => i === 0 || st !== a[i - 1]);
      // every state nc.state was seen in, in the order of the events: none without its event
      let j = 0;
      for (const st of sampled) {
        while (j < order.length && order[j] !== st) j++;
        assert.ok(j < order.length, `nc.state went ${sampled.join(" → ")}; the events say ${order.join(" → ")}`);
      }
      assert.ok(sampled.includes("RECONNECTING"), sampled.join(" → "));
      // when an event is handed out, nc.state is its state or one that a later event announces
      for (let i = 0; i < events.length; i++) {
        const later = events.slice(i).map((e) => e.state);
        assert.ok(later.includes(events[i].now), `at ${events[i].type} nc.state was ${events[i].now}`);
      }
    });

    it("reconnect buffer full: publish throws ReconnectBufferFullError, nothing accepted before is lost", async () => {
      const s = await restartable(kind);
      const nc = await connect({
        servers: s.url,
        reconnectTimeWait: 100,
        maxReconnectAttempts: -1,
        reconnectBufSize: 4096,
      });
      const events = recordStatus(nc);
      const got = [];
      nc.subscribe("buf.x", { callback: (_e, m) => got.push(m.string()) });
      await nc.flush();
      try {
        await s.kill();
        await waitUntil(() => nc.state !== "CONNECTED", "the disconnect", 5000);
        const accepted = [];
        let err = null;
        for (let i = 0; i < 1000 && err === null; i++) {
          const body = `m${i}-${"x".repeat(50)}`;
          try {
            nc.publish("buf.x", body);
            accepted.push(body);
          } catch (e) {
            err = e;
          }
        }
        assert.ok(err instanceof errors.ReconnectBufferFullError, `typed error, got ${err}`);
        assert.equal(err.name, "ReconnectBufferFullError");
        assert.equal(err.limit, 4096);
        assert.ok(accepted.length > 10 && accepted.length < 100, `accepted ${accepted.length}`);
        // still full for a message that size: refused again, at once
        assert.throws(() => nc.publish("buf.x", `m-${"x".repeat(60)}`), { name: "ReconnectBufferFullError" });
        await s.start();
        await waitUntil(() => events.some((e) => e.type === "reconnect"), "the reconnect", 10000);
        await nc.flush();
        assert.deepEqual(got, accepted);
      } finally {
        await nc.close();
        await s.stop();
      }
    });

    it("reconnect off: publish throws at once after the disconnect", async () => {
      const s = await restartable(kind);
      const nc = await connect({ servers: s.url, reconnect: false });
      const events = recordStatus(nc);
      nc.publish("off.x", "before");
      await nc.flush();
      await s.kill();
      await waitUntil(() => events.some((e) => e.type === "disconnect"), "the disconnect", 5000);
      assert.equal(nc.state, "CLOSED");
      assert.throws(
        () => nc.publish("off.x", "after"),
        (e) => e instanceof errors.ClosedConnectionError,
      );
      await nc.closed();
      await waitUntil(() => events.some((e) => e.type === "close"), "the close event");
      assert.deepEqual(
        events.map((e) => [e.type, e.state]),
        [
          ["disconnect", "CLOSED"],
          ["close", "CLOSED"],
        ],
      );
      await s.stop();
    });

    it("attempts exhausted: CLOSED, publish throws, closed() reports what was discarded", async () => {
      const s = await restartable(kind);
      const nc = await connect({ servers: s.url, reconnectTimeWait: 50, reconnectJitter: 0, maxReconnectAttempts: 3 });
      const events = recordStatus(nc);
      await nc.flush();
      await s.kill();
      await waitUntil(() => nc.state !== "CONNECTED", "the disconnect", 5000);
      for (let i = 0; i < 5; i++) nc.publish("ex.x", "12345678");
      const err = await nc.closed();
      assert.ok(err instanceof errors.DataDiscardedError, `closed() gave ${err}`);
      assert.equal(err.msgs, 5);
      assert.equal(err.bytes, 40);
      assert.equal(nc.state, "CLOSED");
      assert.throws(() => nc.publish("ex.x", "late"), { name: "ClosedConnectionError" });
      await waitUntil(() => events.some((e) => e.type === "close"), "the close event");
      const types = events.map((e) => `${e.type}/${e.state}`);
      assert.deepEqual(types, [
        "disconnect/DISCONNECTED",
        "reconnecting/RECONNECTING",
        "reconnecting/RECONNECTING",
        "reconnecting/RECONNECTING",
        "close/CLOSED",
      ]);
      assert.deepEqual(events.at(-1).discarded, { msgs: 5, bytes: 40 });
      // attempts on the same server are reconnectTimeWait apart (jitter 0 here)
      const at = events.filter((e) => e.type === "reconnecting").map((e) => e.at);
      for (let i = 1; i < at.length; i++)
        assert.ok(at[i] - at[i - 1] >= 45, `attempt ${i + 1} came ${at[i] - at[i - 1]} ms after the one before`);
      await s.stop();
    });

    it("subscriptions come back in their order, with the remaining auto-unsubscribe max", async () => {
      const s = await restartable(kind);
      const nc = await connect({ servers: s.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
      const events = recordStatus(nc);
      const pub = async (subject, n) => {
        const p = await connect({ servers: s.url, reconnect: false });
        for (let i = 0; i < n; i++) p.publish(subject, String(i));
        await p.flush();
        await p.close();
      };
      const limited = [];
      const plain = [];
      const q = [];
      nc.subscribe("ra.x", { max: 5, callback: (_e, m) => limited.push(m.string()) });
      nc.subscribe("ra.x", { callback: (_e, m) => plain.push(m.string()) });
      nc.subscribe("ra.q", { queue: "g", callback: (_e, m) => q.push(m.string()) });
      await nc.flush();
      try {
        await pub("ra.x", 2);
        await nc.flush();
        assert.deepEqual(limited, ["0", "1"]);
        await s.kill();
        await waitUntil(() => events.some((e) => e.type === "disconnect"), "the disconnect", 5000);
        await s.start();
        await waitUntil(() => events.some((e) => e.type === "reconnect"), "the reconnect", 10000);
        await nc.flush();
        await pub("ra.x", 10);
        await pub("ra.q", 3);
        await nc.flush();
        assert.deepEqual(limited, ["0", "1", "0", "1", "2"], "3 more: 5 in all");
        assert.equal(plain.length, 12);
        assert.deepEqual(q, ["0", "1", "2"]);
      } finally {
        await nc.close();
        await s.stop();
      }
    });

    it("lame duck mode: an ldm status event, then the server closes the connection", async () => {
      const conf = path.join(dir, `ldm-${kind}.conf`);
      writeFileSync(conf, 'lame_duck_duration: "30s"\nlame_duck_grace_period: "300ms"\n');
      const srv = await startServer(kind, ["-c", conf]);
      const nc = await connect({ servers: srv.url, maxReconnectAttempts: 0 });
      const events = recordStatus(nc);
      try {
        await nc.flush();
        srv.proc.kill("SIGUSR2");
        await waitUntil(() => events.some((e) => e.type === "ldm"), "the ldm event", 5000);
        assert.equal(events.find((e) => e.type === "ldm").state, "CONNECTED");
        await nc.closed();
        await waitUntil(() => events.some((e) => e.type === "close"), "the close event", 5000);
        assert.deepEqual(
          events.map((e) => e.type).filter((t) => t !== "reconnecting"),
          ["ldm", "disconnect", "close"],
        );
      } finally {
        if (!nc.isClosed()) await nc.close();
        await srv.stop();
      }
    });

    it("reconnect(): a forced reconnect keeps subscriptions and the buffer", async () => {
      const srv = await startServer(kind);
      const nc = await connect({ servers: srv.url, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
      const events = recordStatus(nc);
      try {
        const got = [];
        nc.subscribe("fr.x", { callback: (_e, m) => got.push(m.string()) });
        await nc.flush();
        await nc.reconnect();
        nc.publish("fr.x", "during");
        await waitUntil(() => events.some((e) => e.type === "reconnect"), "the reconnect", 5000);
        await nc.flush();
        assert.deepEqual(got, ["during"]);
        assert.deepEqual(events.map((e) => e.type).slice(0, 2), ["forceReconnect", "disconnect"]);
      } finally {
        await nc.close();
        await srv.stop();
      }
    });

    it("drain() while disconnected: waits for the reconnect, sends the buffer, then closes", async () => {
      const s = await restartable(kind);
      const nc = await connect({
        servers: s.url,
        reconnectTimeWait: 100,
        reconnectJitter: 0,
        maxReconnectAttempts: -1,
      });
      const events = recordStatus(nc);
      const got = [];
      // restored before the buffer is sent, and drained only after the server answered it
      nc.subscribe("dd.x", { callback: (_e, m) => got.push(m.string()) });
      await nc.flush();
      try {
        await s.kill();
        await waitUntil(() => events.some((e) => e.type === "disconnect"), "the disconnect", 5000);
        nc.publish("dd.x", "buffered");
        const d = nc.drain();
        assert.equal(nc.state, "DRAINING_SUBS");
        await s.start();
        await d;
        assert.deepEqual(got, ["buffered"]);
        assert.equal(await nc.closed(), undefined);
        await waitUntil(() => events.some((e) => e.type === "close"), "the close event");
        const seq = events.map((e) => `${e.type}/${e.state}`).filter((x) => !x.startsWith("reconnecting/"));
        assert.deepEqual(seq, [
          "disconnect/DISCONNECTED",
          "drainingSubs/DRAINING_SUBS",
          "reconnect/DRAINING_SUBS",
          "drainingPubs/DRAINING_PUBS",
          "close/CLOSED",
        ]);
      } finally {
        if (!nc.isClosed()) await nc.close();
        await s.stop();
      }
    });

    it("waitOnFirstConnect: connect() keeps trying until the server is there", async () => {
      const port = await freePort();
      const p = connect({
        servers: `127.0.0.1:${port}`,
        waitOnFirstConnect: true,
        reconnectTimeWait: 100,
        maxReconnectAttempts: -1,
      });
      await sleep(400);
      const srv = await startServer(kind, ["-a", "127.0.0.1", "-p", String(port)], { noDefaults: true });
      try {
        const nc = await p;
        assert.equal(nc.state, "CONNECTED");
        await nc.close();
      } finally {
        await srv.stop();
      }
    });

    it("without waitOnFirstConnect, a failed first connect rejects with ConnectionError", async () => {
      const port = await freePort();
      await assert.rejects(
        connect({ servers: `127.0.0.1:${port}` }),
        (e) => e instanceof errors.ConnectionError && e.message.includes(String(port)),
      );
    });

    it("close() while disconnected reports the buffered messages it discards", async () => {
      const s = await restartable(kind);
      const nc = await connect({ servers: s.url, reconnectTimeWait: 5000, maxReconnectAttempts: -1 });
      await nc.flush();
      await s.kill();
      await waitUntil(() => nc.state !== "CONNECTED", "the disconnect", 5000);
      nc.publish("cl.x", "abc");
      nc.publish("cl.x", "de");
      const flushed = nc.flush();
      await nc.close();
      await assert.rejects(flushed, { name: "ClosedConnectionError" });
      const err = await nc.closed();
      assert.ok(err instanceof errors.DataDiscardedError);
      assert.deepEqual([err.msgs, err.bytes], [2, 5]);
      await s.stop();
    });
  });
}

describe("tsnats client failover in a nats-server cluster", {
  skip: serverKinds().includes("nats-server") ? false : "nats-server is not installed",
}, () => {
  it("learns the other server from INFO connect_urls and fails over to it, subscriptions and buffer intact", async () => {
    const [pa, pb, ca, cb] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const node = (port, cport, peer) =>
      startServer(
        "nats-server",
        [
          "-a",
          "127.0.0.1",
          "-p",
          String(port),
          "--cluster_name",
          "c1",
          "--cluster",
          `nats://127.0.0.1:${cport}`,
          "--routes",
          `nats://127.0.0.1:${peer}`,
        ],
        { noDefaults: true },
      );
    const a = await node(pa, ca, cb);
    const b = await node(pb, cb, ca);
    started.add({ stop: () => a.stop() });
    started.add({ stop: () => b.stop() });
    // only A is given; B must come from A's INFO
    const nc = await connect({ servers: `127.0.0.1:${pa}`, reconnectTimeWait: 100, maxReconnectAttempts: 5 });
    const events = recordStatus(nc);
    const got = [];
    nc.subscribe("fo.x", { callback: (_e, m) => got.push(m.string()) });
    try {
      await waitUntil(() => nc.getServers().some((s) => s.port === pb), "B in the pool", 10000);
      nc.publish("fo.x", "on A");
      await nc.flush();
      await a.stop("SIGKILL");
      await waitUntil(() => events.some((e) => e.type === "disconnect"), "the disconnect", 5000);
      nc.publish("fo.x", "buffered");
      await waitUntil(() => events.some((e) => e.type === "reconnect"), "the reconnect", 10000);
      assert.equal(nc.getServer(), `127.0.0.1:${pb}`);
      nc.publish("fo.x", "on B");
      await nc.flush();
      assert.deepEqual(got, ["on A", "buffered", "on B"]);
    } finally {
      await nc.close();
      await a.stop();
      await b.stop();
    }
  });
});
