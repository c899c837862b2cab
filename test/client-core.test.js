// The tsnats client library (dist/client) against every server kind: option defaults,
// pub/sub, headers, request/reply, no-responders, queue groups, auto-unsubscribe, pending
// limits (slow consumer with an exact dropped count), drain phases, and a nats.js-style
// program that runs unchanged with either client.
import { describe, it, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import * as tsnats from "../dist/client/index.js";
import * as natsjs from "@nats-io/transport-node";
import { ROOT, serverKinds, startServer } from "./helpers/servers.js";
import { waitUntil } from "./helpers/wait.js";

const { connect, headers, errors, createInbox, Empty, DEFAULTS } = tsnats;

/** Collect status events into an array as they come. */
function recordStatus(nc) {
  const events = [];
  (async () => {
    for await (const s of nc.status()) events.push(s);
  })();
  return events;
}

describe("client options", () => {
  it("has nats.c's defaults under nats.js's names", () => {
    assert.equal(DEFAULTS.maxReconnectAttempts, 60);
    assert.equal(DEFAULTS.timeout, 2000);
    assert.equal(DEFAULTS.reconnectTimeWait, 2000);
    assert.equal(DEFAULTS.reconnectJitter, 100);
    assert.equal(DEFAULTS.reconnectJitterTLS, 1000);
    assert.equal(DEFAULTS.pingInterval, 120000);
    assert.equal(DEFAULTS.maxPingOut, 2);
    assert.equal(DEFAULTS.ioBufSize, 32 * 1024);
    assert.equal(DEFAULTS.maxPendingMsgs, 65536);
    assert.equal(DEFAULTS.maxPendingBytes, 64 * 1024 * 1024);
    assert.equal(DEFAULTS.reconnectBufSize, 8 * 1024 * 1024);
    assert.equal(DEFAULTS.reconnect, true);
    for (const k of ["noRandomize", "noEcho", "verbose", "pedantic", "waitOnFirstConnect"])
      assert.equal(DEFAULTS[k], false, k);
    assert.deepEqual(DEFAULTS.servers, ["127.0.0.1:4222"]);
    assert.ok(Object.isFrozen(DEFAULTS) && Object.isFrozen(DEFAULTS.servers), "DEFAULTS cannot be changed");
  });

  it("connect() with nothing dials 127.0.0.1:4222 with the defaults", async (t) => {
    // a stand-in server on 4222 that speaks just enough protocol (INFO, then PONG for PING)
    const lines = [];
    const fake = net.createServer((s) => {
      s.write('INFO {"server_id":"FAKE","version":"2.10.0","proto":1,"headers":true,"max_payload":1048576}\r\n');
      s.on("data", (d) => {
        lines.push(...d.toString().split("\r\n").filter(Boolean));
        if (d.toString().includes("PING")) s.write("PONG\r\n");
      });
    });
    const ok = await new Promise((resolve) => {
      fake.once("error", () => resolve(false));
      fake.listen(4222, "127.0.0.1", () => resolve(true));
    });
    if (!ok) {
      t.skip("port 4222 is in use on this machine");
      return;
    }
    try {
      const nc = await connect();
      assert.equal(nc.getServer(), "127.0.0.1:4222");
      assert.equal(nc.state, "CONNECTED");
      const o = nc.options;
      assert.equal(o.maxReconnectAttempts, 60);
      assert.equal(o.reconnectTimeWait, 2000);
      assert.equal(o.pingInterval, 120000);
      const c = JSON.parse(lines.find((l) => l.startsWith("CONNECT ")).slice(8));
      assert.equal(c.verbose, false);
      assert.equal(c.pedantic, false);
      assert.equal(c.echo, true);
      assert.equal(c.headers, true);
      assert.equal(c.no_responders, true);
      assert.equal(c.protocol, 1);
      await nc.close();
    } finally {
      await new Promise((r) => fake.close(r));
    }
  });

  it('the package entry point "tsnats" is the client, with types', async () => {
    const viaPkg = await import("tsnats");
    assert.equal(viaPkg.connect, tsnats.connect);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
    assert.deepEqual(pkg.exports["."], { types: "./dist/client/index.d.ts", default: "./dist/client/index.js" });
    assert.ok(existsSync(path.join(ROOT, "dist", "client", "index.d.ts")));
  });

  it("examples/client/hello.mjs (the docs' example) runs and prints what it received", () => {
    const out = execFileSync(process.execPath, [path.join(ROOT, "examples", "client", "hello.mjs")], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 20000,
    });
    assert.equal(out, "greet.en: hello (from hello.mjs)\ngreet.fr: bonjour (from -)\ntime: 1970-01-01T00:00:00.000Z\n");
  });

  it("pingInterval/maxPingOut: unanswered PINGs make the connection stale", async () => {
    // a stand-in server that answers only the handshake PING
    let pings = 0;
    const fake = net.createServer((s) => {
      s.write('INFO {"server_id":"FAKE","version":"2.10.0","proto":1,"headers":true,"max_payload":1048576}\r\n');
      s.on("data", (d) => {
        const n = d.toString().split("PING").length - 1;
        if (n > 0 && pings === 0) s.write("PONG\r\n");
        pings += n;
      });
    });
    await new Promise((r) => fake.listen(0, "127.0.0.1", r));
    try {
      const nc = await connect({
        servers: `127.0.0.1:${fake.address().port}`,
        pingInterval: 40,
        maxPingOut: 2,
        reconnect: false,
      });
      const events = recordStatus(nc);
      await nc.closed();
      await waitUntil(() => events.some((e) => e.type === "close"), "the close event");
      assert.deepEqual(
        events.map((e) => `${e.type}/${e.state}`),
        [
          "ping/CONNECTED",
          "ping/CONNECTED",
          "ping/CONNECTED",
          "staleConnection/CONNECTED",
          "disconnect/CLOSED",
          "close/CLOSED",
        ],
      );
      // as nats.js: each tick reports the PINGs out, counting the one it is about to send
      assert.deepEqual(
        events.filter((e) => e.type === "ping").map((e) => e.pendingPings),
        [1, 2, 3],
      );
      assert.equal(pings, 1 + 2, "the handshake PING and maxPingOut interval PINGs");
    } finally {
      await new Promise((r) => fake.close(r));
    }
  });

  it("nats.js's helpers: nanos, millis, deferred, delay, syncIterator, nuid", async () => {
    for (const v of [0, 1, 1500, 123456789]) {
      assert.equal(tsnats.nanos(v), natsjs.nanos(v));
      assert.equal(tsnats.millis(v), natsjs.millis(v));
    }
    const d = tsnats.deferred();
    d.resolve(7);
    assert.equal(await d, 7);
    const dl = tsnats.delay(60000);
    dl.cancel();
    await dl;
    async function* three() {
      yield 1;
      yield 2;
      yield 3;
    }
    const it = tsnats.syncIterator(three());
    assert.deepEqual([await it.next(), await it.next(), await it.next(), await it.next()], [1, 2, 3, null]);
    assert.match(tsnats.nuid.next(), /^[0-9A-Za-z]{22}$/);
  });

  it("rejects bad option values with InvalidArgumentError", async () => {
    await assert.rejects(connect({ timeout: -1 }), { name: "InvalidArgumentError" });
    await assert.rejects(connect({ maxReconnectAttempts: -2 }), { name: "InvalidArgumentError" });
    await assert.rejects(connect({ servers: "ws://127.0.0.1:1" }), { name: "InvalidArgumentError" });
  });
});

for (const kind of serverKinds()) {
  describe(`tsnats client [${kind}]`, () => {
    let srv;
    const conns = [];
    async function conn(opts = {}) {
      const nc = await connect({ servers: srv.url, reconnect: false, ...opts });
      conns.push(nc);
      return nc;
    }
    before(async () => {
      srv = await startServer(kind);
    });
    afterEach(async () => {
      for (const nc of conns.splice(0)) if (!nc.isClosed()) await nc.close();
    });
    after(async () => {
      await srv.stop();
    });

    it("connect({servers}) alone: every default in effect (options, pending limits, echo)", async () => {
      const nc = await connect({ servers: srv.url });
      conns.push(nc);
      for (const [k, v] of Object.entries(DEFAULTS)) if (k !== "servers") assert.equal(nc.options[k], v, k);
      assert.deepEqual(nc.options.servers, [srv.url]);
      assert.equal(nc.options.tls, undefined);
      const sub = nc.subscribe("def.x", { max: 1 });
      assert.deepEqual(sub.getPendingLimits(), { msgs: 65536, bytes: 64 * 1024 * 1024 });
      nc.publish("def.x", "echo is on");
      for await (const m of sub) assert.equal(m.string(), "echo is on");
      assert.equal(nc.state, "CONNECTED");
    });

    it("copies the options it is given: later changes do not leak in", async () => {
      const opts = { servers: [srv.url], reconnect: false, name: "a", tls: undefined };
      const nc = await conn(opts);
      opts.name = "b";
      opts.servers.push("127.0.0.1:1");
      assert.equal(nc.options.name, "a");
      assert.deepEqual(nc.options.servers, [srv.url]);
      assert.equal(nc.getServers().length, 1);
    });

    it("publishes and receives through an iterator and a callback, with stats", async () => {
      const nc = await conn();
      const it1 = nc.subscribe("core.>");
      const got = [];
      nc.subscribe("core.cb", { callback: (err, m) => got.push([err, m.subject, m.string()]) });
      nc.publish("core.cb", "one");
      nc.publish("core.x", new Uint8Array([1, 2, 3]));
      nc.publish("core.empty");
      nc.publish("core.utf8.ü", "grüße");
      await nc.flush();
      assert.deepEqual(got, [[null, "core.cb", "one"]]);
      const seen = [];
      for await (const m of it1) {
        seen.push([m.subject, [...m.data], m.sid === it1.getID()]);
        if (seen.length === 4) break;
      }
      assert.deepEqual(seen, [
        ["core.cb", [...Buffer.from("one")], true],
        ["core.x", [1, 2, 3], true],
        ["core.empty", [], true],
        ["core.utf8.ü", [...Buffer.from("grüße")], true],
      ]);
      const st = nc.stats();
      assert.equal(st.outMsgs, 4);
      assert.equal(st.inMsgs, 5);
      assert.equal(st.outBytes, 3 + 3 + 0 + Buffer.byteLength("grüße"));
      assert.equal(it1.isClosed(), true, "breaking out of the loop unsubscribes");
    });

    it("large payloads (split across reads) arrive whole and intact", async () => {
      const nc = await conn();
      const sub = nc.subscribe("big.x", { max: 3 });
      const sizes = [1, 300 * 1024, nc.info.max_payload];
      const bodies = sizes.map((n, i) => Buffer.alloc(n, 65 + i));
      for (const b of bodies) nc.publish("big.x", b);
      let i = 0;
      for await (const m of sub) {
        assert.equal(m.data.length, sizes[i]);
        assert.ok(Buffer.from(m.data).equals(bodies[i]), `message ${i} intact`);
        i++;
      }
      assert.equal(i, 3);
    });

    it("sub.drain() delivers what was in flight, then closes; requests are refused while draining", async () => {
      const nc = await conn();
      const p = await conn();
      const got = [];
      const sub = nc.subscribe("sd.x", { callback: (_e, m) => got.push(Number(m.string())) });
      await nc.flush();
      for (let i = 0; i < 500; i++) p.publish("sd.x", String(i));
      await p.flush();
      await sub.drain();
      assert.equal(sub.isClosed(), true);
      assert.deepEqual(
        got,
        Array.from({ length: 500 }, (_, i) => i),
      );
      p.publish("sd.x", "late");
      await p.flush();
      await nc.flush();
      assert.equal(got.length, 500);
      const d = nc.drain();
      await assert.rejects(nc.request("sd.x", "", { timeout: 100 }), { name: "DrainingConnectionError" });
      await d;
    });

    it("sends and receives headers, and json()", async () => {
      const nc = await conn();
      const sub = nc.subscribe("hdr.x", { max: 1 });
      const h = headers();
      h.set("X-Trace", "abc");
      h.append("X-Trace", "def");
      h.set("Content-Type", "application/json");
      nc.publish("hdr.x", JSON.stringify({ a: 1 }), { headers: h });
      for await (const m of sub) {
        assert.deepEqual(m.headers.values("X-Trace"), ["abc", "def"]);
        assert.equal(m.headers.get("content-type", "insensitive"), "application/json");
        assert.deepEqual(m.json(), { a: 1 });
      }
      assert.throws(() => h.set("bad key", "v"), { name: "InvalidArgumentError" });
      assert.throws(() => h.set("k", "a\r\nb"), { name: "InvalidArgumentError" });
    });

    it("request/reply over one inbox, noMux, timeout and no responders", async () => {
      const nc = await conn();
      const svc = nc.subscribe("rr.echo", {
        callback: (_e, m) => {
          const rh = headers();
          rh.set("Seen", m.headers?.get("Req") ?? "");
          m.respond(`re:${m.string()}`, { headers: rh });
        },
      });
      const h = headers();
      h.set("Req", "1");
      const rs = await Promise.all([1, 2, 3].map((i) => nc.request("rr.echo", `q${i}`, { timeout: 2000, headers: h })));
      assert.deepEqual(
        rs.map((r) => r.string()),
        ["re:q1", "re:q2", "re:q3"],
      );
      assert.equal(rs[0].headers.get("Seen"), "1");
      // one multiplexed inbox: the three requests share a subscription
      assert.equal(new Set(rs.map((r) => r.subject.split(".").slice(0, 2).join("."))).size, 1);
      const nm = await nc.request("rr.echo", "nomux", { timeout: 2000, noMux: true });
      assert.equal(nm.string(), "re:nomux");
      await assert.rejects(nc.request("rr.none", "x", { timeout: 2000 }), (e) => {
        assert.ok(e instanceof errors.RequestError);
        assert.equal(e.isNoResponders(), true);
        assert.ok(e.cause instanceof errors.NoRespondersError);
        assert.equal(e.cause.name, "NoResponders");
        return true;
      });
      await assert.rejects(nc.request("rr.none", "x", { timeout: 2000, noMux: true }), (e) => e.isNoResponders());
      // a responder that never answers: TimeoutError
      nc.subscribe("rr.silent", { callback: () => {} });
      await assert.rejects(
        nc.request("rr.silent", "x", { timeout: 100 }),
        (e) => e instanceof errors.TimeoutError && e.name === "TimeoutError",
      );
      svc.unsubscribe();
    });

    it("requestMany: count and sentinel strategies", async () => {
      const nc = await conn();
      nc.subscribe("many.x", {
        callback: (_e, m) => {
          for (let i = 0; i < 3; i++) m.respond(`r${i}`);
          m.respond(Empty);
        },
      });
      const a = [];
      for await (const m of await nc.requestMany("many.x", "", { strategy: "count", maxMessages: 2, maxWait: 2000 }))
        a.push(m.string());
      assert.deepEqual(a, ["r0", "r1"]);
      const b = [];
      for await (const m of await nc.requestMany("many.x", "", { strategy: "sentinel", maxWait: 2000 }))
        b.push(m.string());
      assert.deepEqual(b, ["r0", "r1", "r2", ""], "the empty sentinel is yielded last, as nats.js does");
    });

    it("requestMany: timer waits out maxWait for every reply; stall ends when the replies stop", async () => {
      const nc = await conn();
      nc.subscribe("many.t", {
        callback: (_e, m) => {
          for (let i = 0; i < 3; i++) m.respond(`t${i}`);
        },
      });
      await nc.flush();
      let t0 = performance.now();
      const a = [];
      for await (const m of await nc.requestMany("many.t", "", { strategy: "timer", maxWait: 400 })) a.push(m.string());
      const timerTook = performance.now() - t0;
      assert.deepEqual(a, ["t0", "t1", "t2"]);
      assert.ok(timerTook >= 390, `timer ended after ${timerTook} ms, before maxWait`);
      t0 = performance.now();
      const b = [];
      for await (const m of await nc.requestMany("many.t", "", { strategy: "stall", stall: 100, maxWait: 10000 }))
        b.push(m.string());
      const stallTook = performance.now() - t0;
      assert.deepEqual(b, ["t0", "t1", "t2"]);
      assert.ok(stallTook >= 95 && stallTook < 9000, `stall ended after ${stallTook} ms`);
      // nobody listening: no responders, as with request()
      await assert.rejects(
        (async () => {
          for await (const _m of await nc.requestMany("many.none", "", { strategy: "timer", maxWait: 2000 })) {
          }
        })(),
        (e) => e instanceof errors.RequestError && e.isNoResponders(),
      );
    });

    it("queue groups split messages between members, each message once", async () => {
      const a = await conn();
      const b = await conn();
      const p = await conn();
      const ga = [];
      const gb = [];
      a.subscribe("qg.x", { queue: "workers", callback: (_e, m) => ga.push(Number(m.string())) });
      b.subscribe("qg.x", { queue: "workers", callback: (_e, m) => gb.push(Number(m.string())) });
      await a.flush();
      await b.flush();
      for (let i = 0; i < 200; i++) p.publish("qg.x", String(i));
      await p.flush();
      await a.flush();
      await b.flush();
      const all = [...ga, ...gb].sort((x, y) => x - y);
      assert.deepEqual(
        all,
        Array.from({ length: 200 }, (_, i) => i),
      );
      assert.ok(ga.length > 0 && gb.length > 0, `both members got messages (${ga.length}/${gb.length})`);
    });

    it("auto-unsubscribe: max and unsubscribe(max) stop after exactly that many", async () => {
      const nc = await conn();
      const s1 = nc.subscribe("au.x", { max: 3 });
      const s2 = nc.subscribe("au.x");
      s2.unsubscribe(2);
      assert.equal(s2.getMax(), 2);
      for (let i = 0; i < 10; i++) nc.publish("au.x", String(i));
      await nc.flush();
      const r1 = [];
      for await (const m of s1) r1.push(m.string());
      const r2 = [];
      for await (const m of s2) r2.push(m.string());
      assert.deepEqual(r1, ["0", "1", "2"]);
      assert.deepEqual(r2, ["0", "1"]);
      assert.equal(await s1.closed, undefined);
      assert.equal(s1.isClosed(), true);
      assert.equal(s1.getReceived(), 3);
      assert.equal(s1.getProcessed(), 3);
    });

    it("pending limits: a slow consumer event and an exact dropped count (messages and bytes)", async () => {
      const nc = await conn();
      const events = recordStatus(nc);
      const byMsgs = nc.subscribe("slow.m", { pendingMsgsLimit: 10 });
      const byBytes = nc.subscribe("slow.b", { pendingBytesLimit: 100 });
      assert.deepEqual(byMsgs.getPendingLimits(), { msgs: 10, bytes: DEFAULTS.maxPendingBytes });
      const payload = "x".repeat(30);
      for (let i = 0; i < 25; i++) nc.publish("slow.m", String(i));
      for (let i = 0; i < 7; i++) nc.publish("slow.b", payload);
      await nc.flush();
      assert.equal(byMsgs.getPending(), 10);
      assert.equal(byMsgs.getDropped(), 15);
      assert.equal(byBytes.getPending(), 3);
      assert.equal(byBytes.getPendingBytes(), 90);
      assert.equal(byBytes.getDropped(), 4);
      await waitUntil(() => events.filter((e) => e.type === "slowConsumer").length === 2, "two slowConsumer events");
      const ev = events.find((e) => e.type === "slowConsumer" && e.sub === byMsgs);
      assert.equal(ev.dropped, 1, "raised at the first drop of the episode");
      // the first 10 were kept, in order
      const kept = [];
      for await (const m of byMsgs) {
        kept.push(m.string());
        if (kept.length === 10) break;
      }
      assert.deepEqual(kept, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
      assert.equal(byMsgs.getProcessed(), 10);
      assert.equal(byMsgs.getReceived(), 25);
    });

    it("nats.js's slow option: a slowConsumer event when pending passes it, again once it came down", async () => {
      const nc = await conn();
      const events = recordStatus(nc);
      assert.throws(() => nc.subscribe("sl.x", { slow: 3, callback: () => {} }), { name: "InvalidOperationError" });
      const sub = nc.subscribe("sl.x", { slow: 3 });
      for (let i = 0; i < 6; i++) nc.publish("sl.x", String(i));
      await nc.flush();
      await waitUntil(() => events.some((e) => e.type === "slowConsumer"), "the slowConsumer event");
      assert.equal(events.filter((e) => e.type === "slowConsumer").length, 1);
      assert.equal(events[0].pending, 4);
      assert.equal(events[0].dropped, 0);
      const it = sub[Symbol.asyncIterator]();
      for (let i = 0; i < 6; i++) assert.equal((await it.next()).value.string(), String(i));
      // below the threshold again: the next excess is reported again
      for (let i = 0; i < 5; i++) nc.publish("sl.x", String(i));
      await nc.flush();
      await waitUntil(() => events.filter((e) => e.type === "slowConsumer").length === 2, "a second event");
      assert.equal(events.at(-1).sub, sub);
      assert.equal(events.at(-1).pending, 4);
    });

    it("drain: DRAINING_SUBS, DRAINING_PUBS, CLOSED, and no message lost in between", async () => {
      const nc = await conn();
      const p = await conn();
      const events = recordStatus(nc);
      const got = [];
      const sub = nc.subscribe("dr.x", { callback: (_e, m) => got.push(Number(m.string())) });
      await nc.flush();
      const N = 2000;
      for (let i = 0; i < N; i++) p.publish("dr.x", String(i));
      await p.flush();
      const states = [];
      const d = nc.drain();
      states.push(nc.state);
      assert.throws(() => nc.subscribe("dr.y"), { name: "DrainingConnectionError" });
      nc.publish("dr.pub", "allowed while draining subscriptions");
      await d;
      states.push(nc.state);
      assert.deepEqual(states, ["DRAINING_SUBS", "CLOSED"]);
      assert.deepEqual(
        got,
        Array.from({ length: N }, (_, i) => i),
      );
      assert.equal(sub.isClosed(), true);
      await waitUntil(() => events.some((e) => e.type === "close"), "the close event");
      assert.deepEqual(
        events.map((e) => [e.type, e.state]),
        [
          ["drainingSubs", "DRAINING_SUBS"],
          ["drainingPubs", "DRAINING_PUBS"],
          ["close", "CLOSED"],
        ],
      );
      assert.deepEqual(events.at(-1).discarded, { msgs: 0, bytes: 0 });
      assert.equal(await nc.closed(), undefined);
      assert.throws(() => nc.publish("dr.x"), { name: "ClosedConnectionError" });
      await assert.rejects(nc.flush(), { name: "ClosedConnectionError" });
      await assert.rejects(nc.drain(), { name: "ClosedConnectionError" });
    });

    it("noEcho: a connection does not get its own messages; verbose/pedantic connections work", async () => {
      const quiet = await conn({ noEcho: true, verbose: true, pedantic: true });
      const other = await conn();
      const own = [];
      const seen = [];
      quiet.subscribe("echo.x", { callback: (_e, m) => own.push(m.string()) });
      other.subscribe("echo.x", { callback: (_e, m) => seen.push(m.string()) });
      await quiet.flush();
      await other.flush();
      quiet.publish("echo.x", "from quiet");
      other.publish("echo.x", "from other");
      await quiet.flush();
      await other.flush();
      await quiet.flush();
      assert.deepEqual(own, ["from other"]);
      assert.deepEqual(seen.sort(), ["from other", "from quiet"]);
    });

    it("refuses bad subjects and oversized payloads with typed errors", async () => {
      const nc = await conn();
      assert.throws(() => nc.publish(""), { name: "InvalidSubjectError" });
      assert.throws(() => nc.publish("a b"), { name: "InvalidSubjectError" });
      assert.throws(() => nc.subscribe(""), { name: "InvalidSubjectError" });
      assert.throws(() => nc.publish("ok", "x", { reply: "bad reply" }), { name: "InvalidArgumentError" });
      assert.throws(() => nc.publish("ok", 42), { name: "InvalidArgumentError" });
      assert.throws(() => nc.publish("a\r\nPUB b 1"), { name: "InvalidSubjectError" });
      assert.throws(() => nc.publish("big", new Uint8Array(nc.info.max_payload + 1)), { name: "InvalidArgumentError" });
      await nc.flush();
      assert.equal(nc.state, "CONNECTED");
    });

    it("rtt(), getServer(), info, isClosed(), closed()", async () => {
      const nc = await conn();
      assert.equal(typeof (await nc.rtt()), "number");
      assert.equal(nc.getServer(), srv.hostport);
      assert.equal(nc.info.port, srv.port);
      assert.equal(nc.isClosed(), false);
      await nc.close();
      assert.equal(nc.isClosed(), true);
      assert.equal(nc.state, "CLOSED");
      assert.equal(await nc.closed(), undefined);
      await assert.rejects(nc.rtt(), { name: "ClosedConnectionError" });
    });

    it("runs a nats.js program unchanged but for the import", async () => {
      // written against @nats-io/transport-node; `lib` is either client module
      async function program(lib, url) {
        const nc = await lib.connect({ servers: url });
        const out = [];
        const inbox = lib.createInbox();
        const sub = nc.subscribe(`prog.m.>`, { max: 2 });
        const done = (async () => {
          for await (const m of sub) out.push(`${m.subject}:${m.string()}:${m.headers ? m.headers.get("K") : "-"}`);
        })();
        nc.subscribe("prog.svc", { queue: "q", callback: (_err, m) => m.respond(`ok ${m.string()}`) });
        nc.subscribe("prog.silent", { callback: () => {} });
        const h = lib.headers();
        h.set("K", "v");
        nc.publish("prog.m.a", "1");
        nc.publish("prog.m.b", "2", { headers: h });
        const r = await nc.request("prog.svc", "3", { timeout: 1000 });
        out.push(`reply:${r.string()}`);
        await done;
        try {
          await nc.request(inbox, lib.Empty, { timeout: 1000 });
        } catch (e) {
          out.push(`${e instanceof lib.errors.RequestError}:${e.isNoResponders()}`);
        }
        try {
          await nc.request("prog.silent", "", { timeout: 50, noMux: true });
        } catch (e) {
          out.push(e.name);
        }
        const s = nc.stats();
        out.push(`stats:${s.outMsgs}`);
        await nc.drain();
        out.push(`closed:${nc.isClosed()}:${await nc.closed()}`);
        return out;
      }
      const a = await program(natsjs, srv.url);
      const b = await program(tsnats, srv.url);
      assert.deepEqual(b, a);
      assert.ok(a.length >= 6);
    });

    it("behaves as nats.js: subscription timeouts, requestMany strategies, unsubscribe(max), counters", async () => {
      async function program(lib, url) {
        const nc = await lib.connect({ servers: url });
        const out = [];
        // a quiet subscription with a timeout: iterator and callback forms
        const quiet = nc.subscribe("beh.quiet", { timeout: 50 });
        try {
          for await (const _m of quiet) out.push("unexpected message");
        } catch (e) {
          out.push(`iter:${e.name}`);
        }
        out.push(`iter closed:${(await quiet.closed)?.name}:${quiet.isClosed()}`);
        const cbErr = await new Promise((resolve) => {
          nc.subscribe("beh.quiet2", { timeout: 50, callback: (err, m) => resolve(`${err?.name}:${typeof m}`) });
        });
        out.push(`cb:${cbErr}`);
        // a message in time cancels the timeout
        const busy = nc.subscribe("beh.busy", { timeout: 200, max: 1 });
        nc.publish("beh.busy", "in time");
        for await (const m of busy) out.push(`busy:${m.string()}`);
        // requestMany: each strategy
        nc.subscribe("beh.many", {
          callback: (_e, m) => {
            for (let i = 0; i < 3; i++) m.respond(`r${i}`);
            m.respond(lib.Empty);
          },
        });
        for (const o of [
          { strategy: "count", maxMessages: 2, maxWait: 2000 },
          { strategy: "sentinel", maxWait: 2000 },
          { strategy: "stall", stall: 100, maxWait: 5000 },
          { strategy: "timer", maxWait: 200 },
        ]) {
          const got = [];
          for await (const m of await nc.requestMany("beh.many", "", o)) got.push(m.string() || "(empty)");
          out.push(`${o.strategy}:${got.join(",")}`);
        }
        // unsubscribe(max) and the counters
        const sub = nc.subscribe("beh.n");
        sub.unsubscribe(3);
        for (let i = 0; i < 5; i++) nc.publish("beh.n", String(i));
        const seen = [];
        for await (const m of sub) seen.push(m.string());
        // (nats.js's getPending() and getMax() after the end are quirks not copied: 1 and undefined)
        out.push(`n:${seen.join(",")}:${sub.getReceived()}:${sub.getProcessed()}:${sub.isClosed()}`);
        await nc.drain();
        return out;
      }
      const a = await program(natsjs, srv.url);
      const b = await program(tsnats, srv.url);
      assert.deepEqual(b, a);
      assert.equal(a.length, 9);
    });
  });
}
