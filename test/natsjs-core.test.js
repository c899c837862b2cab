// Black-box tests of core NATS behaviour through the official nats.js v3 client
// (@nats-io/transport-node), run against every server kind from serverKinds().
import { describe, it, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect, headers, errors, createInbox } from "@nats-io/transport-node";
import { serverKinds, startServer } from "./helpers/servers.js";
import { waitUntil } from "./helpers/wait.js";
import { collect } from "./helpers/natsjs.js";

const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** Poll until pred() is true; rejects with a descriptive error after timeoutMs. */

/**
 * Flush every connection in order: publisher(s) first so the server has processed their PUBs,
 * then subscriber(s) so everything the server routed to them has arrived before the PONG.
 */
async function settle(...ncs) {
  for (const nc of ncs) await nc.flush();
}

const te = new TextEncoder();

const kinds = serverKinds();

for (const kind of kinds) {
  describe(`nats.js core [${kind}]`, () => {
    let srv;
    const conns = [];
    /** Connect to the server under test and remember the connection for cleanup. */
    async function conn(opts = {}) {
      const nc = await connect({ servers: srv.url, reconnect: false, ...opts });
      conns.push(nc);
      return nc;
    }

    before(async () => {
      srv = await startServer(kind);
    });

    // every test closes its connections, so no subscription leaks into the next test
    async function closeAll() {
      for (const nc of conns.splice(0)) {
        if (!nc.isClosed()) await nc.close().catch(() => {});
      }
    }
    afterEach(closeAll);

    after(async () => {
      await closeAll();
      if (srv) await srv.stop();
    });

    it("advertises headers and the default max_payload in INFO", async () => {
      const nc = await conn();
      assert.equal(nc.info.max_payload, DEFAULT_MAX_PAYLOAD);
      assert.equal(nc.info.headers, true);
      assert.equal(typeof nc.info.server_id, "string");
      assert.ok(nc.info.server_id.length > 0);
      await nc.close();
    });

    it("pub/sub delivers payload bytes, subject and reply exactly", async () => {
      const sub = await conn();
      const pub = await conn();
      const { msgs } = collect(sub, "ps.exact");
      await sub.flush();

      const binary = new Uint8Array(256);
      for (let i = 0; i < 256; i++) binary[i] = i;
      const withCrlf = te.encode("line1\r\nMSG ps.exact 1 5\r\nPING\r\n\r\n");
      const big = randomBytes(DEFAULT_MAX_PAYLOAD - 1);
      const payloads = [
        te.encode("hello world"),
        new Uint8Array(0),
        binary,
        withCrlf,
        te.encode("héllo ✓ ünïcode"),
        new Uint8Array(big.buffer, big.byteOffset, big.length),
      ];
      pub.publish("ps.exact", payloads[0]);
      pub.publish("ps.exact", payloads[1]);
      pub.publish("ps.exact", payloads[2], { reply: "my.reply.subject" });
      pub.publish("ps.exact", payloads[3]);
      pub.publish("ps.exact", payloads[4], { reply: "_INBOX.abc.def" });
      pub.publish("ps.exact", payloads[5]);
      // string payload through the client's encoder
      pub.publish("ps.exact", "string payload");
      // no payload argument at all
      pub.publish("ps.exact");
      await settle(pub, sub);
      await waitUntil(() => msgs.length >= 8, "8 messages");
      assert.equal(msgs.length, 8);

      for (let i = 0; i < payloads.length; i++) {
        assert.equal(msgs[i].subject, "ps.exact");
        assert.equal(msgs[i].data.length, payloads[i].length, `payload ${i} length`);
        assert.ok(Buffer.from(msgs[i].data).equals(Buffer.from(payloads[i])), `payload ${i} bytes`);
        assert.equal(msgs[i].headers, undefined, `payload ${i} has no headers`);
      }
      assert.equal(msgs[0].reply, "");
      assert.equal(msgs[1].reply, "");
      assert.equal(msgs[2].reply, "my.reply.subject");
      assert.equal(msgs[4].reply, "_INBOX.abc.def");
      assert.equal(msgs[6].string(), "string payload");
      assert.equal(msgs[7].data.length, 0);
    });

    it("delivers to a subscriber on the same connection (echo on by default)", async () => {
      const nc = await conn();
      const { msgs } = collect(nc, "ps.self");
      nc.publish("ps.self", "a");
      nc.publish("ps.self", "b");
      await nc.flush();
      await waitUntil(() => msgs.length >= 2, "2 messages");
      assert.deepEqual(
        msgs.map((m) => m.string()),
        ["a", "b"],
      );
    });

    it("preserves message order from one publisher", async () => {
      const sub = await conn();
      const pub = await conn();
      const { msgs } = collect(sub, "ps.order");
      await sub.flush();
      for (let i = 0; i < 1000; i++) pub.publish("ps.order", String(i));
      await settle(pub, sub);
      await waitUntil(() => msgs.length >= 1000, "1000 messages");
      assert.equal(msgs.length, 1000);
      for (const [i, m] of msgs.entries()) assert.equal(m.string(), String(i));
    });

    it("fans out to every plain subscriber, including two on one connection", async () => {
      const a = await conn();
      const b = await conn();
      const pub = await conn();
      const s1 = collect(a, "ps.fan");
      const s2 = collect(a, "ps.fan");
      const s3 = collect(b, "ps.fan");
      await settle(a, b);
      for (let i = 0; i < 10; i++) pub.publish("ps.fan", String(i));
      await settle(pub, a, b);
      for (const s of [s1, s2, s3]) {
        await waitUntil(() => s.msgs.length >= 10, "10 messages");
        assert.equal(s.msgs.length, 10);
      }
    });

    it("wildcards * and > match and do not over-match", async () => {
      const sub = await conn();
      const pub = await conn();
      const star = collect(sub, "wc.*");
      const starMid = collect(sub, "wc.*.c");
      const gt = collect(sub, "wc.>");
      const gtMid = collect(sub, "wc.a.>");
      const full = collect(sub, ">");
      const literal = collect(sub, "wc.a");
      await sub.flush();
      const subjects = ["wc.a", "wc.b", "wc.a.b", "wc.a.c", "wc.x.c", "wc.a.b.c", "wc", "wcx.a", "other.a", "a.wc.a"];
      for (const s of subjects) pub.publish(s, s);
      await settle(pub, sub);
      await waitUntil(() => full.msgs.length >= subjects.length, "all messages on >");
      await settle(pub, sub);
      const got = (c) => c.msgs.map((m) => m.subject).sort();
      assert.deepEqual(got(star), ["wc.a", "wc.b"]);
      assert.deepEqual(got(starMid), ["wc.a.c", "wc.x.c"]);
      assert.deepEqual(got(gt), ["wc.a", "wc.a.b", "wc.a.b.c", "wc.a.c", "wc.b", "wc.x.c"]);
      assert.deepEqual(got(gtMid), ["wc.a.b", "wc.a.b.c", "wc.a.c"]);
      assert.deepEqual(got(full), [...subjects].sort());
      assert.deepEqual(got(literal), ["wc.a"]);
      // the message subject is the published one, not the subscription's pattern
      for (const m of gt.msgs) assert.equal(m.string(), m.subject);
    });

    it("a message matching several subscriptions of one connection is delivered once per subscription", async () => {
      const sub = await conn();
      const pub = await conn();
      const a = collect(sub, "ov.x");
      const b = collect(sub, "ov.*");
      const c = collect(sub, "ov.>");
      await sub.flush();
      pub.publish("ov.x", "1");
      await settle(pub, sub);
      for (const s of [a, b, c]) {
        await waitUntil(() => s.msgs.length >= 1, "1 message");
        assert.equal(s.msgs.length, 1);
        assert.equal(s.msgs[0].subject, "ov.x");
      }
    });

    it("queue group: each message delivered exactly once across 3 members, plain subscribers get all", async () => {
      const members = [await conn(), await conn(), await conn()];
      const plainConn = await conn();
      const pub = await conn();
      const qs = members.map((nc) => collect(nc, "qg.work", { queue: "workers" }));
      // a different queue group on the same subject gets its own copy
      const other = collect(plainConn, "qg.work", { queue: "auditors" });
      const plain = collect(plainConn, "qg.work");
      const plainWild = collect(plainConn, "qg.*");
      await settle(...members, plainConn);
      const N = 300;
      for (let i = 0; i < N; i++) pub.publish("qg.work", String(i));
      await settle(pub, ...members, plainConn);
      const total = () => qs.reduce((n, q) => n + q.msgs.length, 0);
      await waitUntil(() => total() >= N && plain.msgs.length >= N, `${N} queue messages`);
      await settle(pub, ...members, plainConn);
      assert.equal(total(), N, "queue members together received each message once");
      const seen = new Set(qs.flatMap((q) => q.msgs.map((m) => m.string())));
      assert.equal(seen.size, N, "no duplicates, none missing");
      for (const [i, q] of qs.entries()) {
        assert.ok(q.msgs.length > 0, `member ${i} received some messages (got ${qs.map((x) => x.msgs.length)})`);
        assert.ok(q.msgs.length < N, `member ${i} did not receive everything (got ${qs.map((x) => x.msgs.length)})`);
      }
      assert.equal(other.msgs.length, N, "second queue group receives all");
      assert.equal(plain.msgs.length, N, "plain subscriber receives all");
      assert.equal(plainWild.msgs.length, N, "plain wildcard subscriber receives all");
    });

    it("queue group: after members unsubscribe the remaining member gets everything", async () => {
      const a = await conn();
      const b = await conn();
      const pub = await conn();
      const qa = collect(a, "qg2.x", { queue: "g" });
      const qb = collect(b, "qg2.x", { queue: "g" });
      await settle(a, b);
      qa.sub.unsubscribe();
      await a.flush();
      for (let i = 0; i < 50; i++) pub.publish("qg2.x", String(i));
      await settle(pub, a, b);
      await waitUntil(() => qb.msgs.length >= 50, "50 messages");
      assert.equal(qa.msgs.length, 0);
      assert.equal(qb.msgs.length, 50);
    });

    it("request/reply round trip with reply payload and subject", async () => {
      const svc = await conn();
      const cli = await conn();
      svc.subscribe("rr.echo", {
        callback: (err, m) => {
          if (err) return;
          m.respond(te.encode(`echo:${m.subject}:${m.string()}`));
        },
      });
      await svc.flush();
      const r = await cli.request("rr.echo", "ping", { timeout: 2000 });
      assert.equal(r.string(), "echo:rr.echo:ping");
      // the reply arrives on the requester's inbox
      assert.ok(r.subject.startsWith("_INBOX."), r.subject);

      // empty request payload, empty reply payload (non-503, no headers)
      svc.subscribe("rr.empty", { callback: (_e, m) => m.respond() });
      await svc.flush();
      const e = await cli.request("rr.empty", undefined, { timeout: 2000 });
      assert.equal(e.data.length, 0);

      // noMux request (dedicated inbox subscription)
      const r2 = await cli.request("rr.echo", "nomux", { timeout: 2000, noMux: true });
      assert.equal(r2.string(), "echo:rr.echo:nomux");
    });

    it("many concurrent requests each get their own reply", async () => {
      const svc = await conn();
      const cli = await conn();
      const cli2 = await conn();
      // two responders in a queue group, as a service would run
      for (const nc of [svc, cli2]) {
        nc.subscribe("rr.double", {
          queue: "svc",
          callback: (err, m) => {
            if (!err) m.respond(String(Number(m.string()) * 2));
          },
        });
      }
      await settle(svc, cli2);
      const N = 500;
      const replies = await Promise.all(
        Array.from({ length: N }, (_, i) => cli.request("rr.double", String(i), { timeout: 5000 })),
      );
      for (const [i, r] of replies.entries()) assert.equal(r.string(), String(i * 2));
    });

    it("request with no responders rejects with the no-responders error", async () => {
      const nc = await conn();
      const start = Date.now();
      await assert.rejects(nc.request("nobody.home", "x", { timeout: 3000 }), (err) => {
        assert.ok(err instanceof errors.RequestError, `RequestError, got ${err?.name}: ${err?.message}`);
        assert.equal(err.isNoResponders(), true);
        assert.ok(err.cause instanceof errors.NoRespondersError, `cause is NoRespondersError, got ${err.cause}`);
        assert.equal(err.cause.subject, "nobody.home");
        assert.match(err.message, /no responders/i);
        return true;
      });
      assert.ok(Date.now() - start < 2500, "no-responders is reported promptly, not as a timeout");

      // noMux path reports it too
      await assert.rejects(nc.request("nobody.home", "x", { timeout: 3000, noMux: true }), (err) => {
        assert.ok(err instanceof errors.RequestError, `RequestError, got ${err?.name}`);
        assert.equal(err.isNoResponders(), true);
        return true;
      });

      // the raw 503 status message as seen by a subscriber on its own inbox
      const inbox = createInbox();
      const { msgs } = collect(nc, inbox);
      nc.publish("nobody.home", "x", { reply: inbox });
      await nc.flush();
      await waitUntil(() => msgs.length >= 1, "503 status message");
      assert.equal(msgs[0].subject, inbox);
      assert.equal(msgs[0].data.length, 0);
      assert.ok(msgs[0].headers, "status message has headers");
      assert.equal(msgs[0].headers.code, 503);
      assert.equal(nc.isClosed(), false);
    });

    it("request times out (not no-responders) when a subscriber never replies", async () => {
      const svc = await conn();
      const cli = await conn();
      svc.subscribe("rr.silent", { callback: () => {} });
      await svc.flush();
      await assert.rejects(cli.request("rr.silent", "x", { timeout: 300 }), (err) => {
        assert.ok(err instanceof errors.TimeoutError, `TimeoutError, got ${err?.name}: ${err?.message}`);
        return true;
      });
    });

    it("headers are delivered intact, including multi-value headers", async () => {
      const sub = await conn();
      const pub = await conn();
      const { msgs } = collect(sub, "hdr.x");
      await sub.flush();

      const h = headers();
      h.set("X-Single", "one");
      h.append("X-Multi", "a");
      h.append("X-Multi", "b");
      h.append("X-Multi", "c c");
      h.set("lower-case-key", "Value With Spaces");
      h.set("X-Empty-Value", "");
      pub.publish("hdr.x", te.encode("body"), { headers: h });

      // headers with an empty body and a reply subject
      const h2 = headers();
      h2.set("Only", "headers");
      pub.publish("hdr.x", undefined, { headers: h2, reply: "hdr.reply" });

      // headers on a binary body
      const bin = new Uint8Array([0, 13, 10, 255, 0]);
      const h3 = headers();
      h3.set("Content-Type", "application/octet-stream");
      pub.publish("hdr.x", bin, { headers: h3 });

      // a message without headers after header messages
      pub.publish("hdr.x", "plain");

      await settle(pub, sub);
      await waitUntil(() => msgs.length >= 4, "4 messages");
      assert.equal(msgs.length, 4);

      const [m1, m2, m3, m4] = msgs;
      assert.equal(m1.string(), "body");
      assert.ok(m1.headers);
      assert.equal(m1.headers.get("X-Single"), "one");
      assert.deepEqual(m1.headers.values("X-Multi"), ["a", "b", "c c"]);
      assert.equal(m1.headers.get("lower-case-key"), "Value With Spaces");
      assert.equal(m1.headers.has("X-Empty-Value"), true);
      assert.equal(m1.headers.get("X-Empty-Value"), "");
      assert.equal(m1.headers.hasError, false);
      assert.equal(m1.headers.code, 0);
      assert.deepEqual(m1.headers.keys().sort(), ["X-Empty-Value", "X-Multi", "X-Single", "lower-case-key"].sort());

      assert.equal(m2.data.length, 0);
      assert.equal(m2.reply, "hdr.reply");
      assert.equal(m2.headers.get("Only"), "headers");

      assert.ok(Buffer.from(m3.data).equals(Buffer.from(bin)));
      assert.equal(m3.headers.get("Content-Type"), "application/octet-stream");

      assert.equal(m4.string(), "plain");
      assert.equal(m4.headers, undefined);
    });

    it("headers travel on requests and replies", async () => {
      const svc = await conn();
      const cli = await conn();
      svc.subscribe("hdr.svc", {
        callback: (err, m) => {
          if (err) return;
          const rh = headers();
          rh.set("Echo-Id", m.headers?.get("Req-Id") ?? "missing");
          for (const v of m.headers?.values("Tag") ?? []) rh.append("Tag", v);
          m.respond(m.data, { headers: rh });
        },
      });
      await svc.flush();
      const h = headers();
      h.set("Req-Id", "42");
      h.append("Tag", "x");
      h.append("Tag", "y");
      const r = await cli.request("hdr.svc", "payload", { headers: h, timeout: 2000 });
      assert.equal(r.string(), "payload");
      assert.equal(r.headers.get("Echo-Id"), "42");
      assert.deepEqual(r.headers.values("Tag"), ["x", "y"]);
    });

    it("auto-unsubscribe with {max: 5} delivers exactly 5 (server stops sending)", async () => {
      const sub = await conn();
      const pub = await conn();
      const before = sub.stats().inMsgs;
      const { sub: s, msgs } = collect(sub, "au.max", { max: 5 });
      await sub.flush();
      for (let i = 0; i < 20; i++) pub.publish("au.max", String(i));
      await settle(pub, sub);
      await waitUntil(() => msgs.length >= 5, "5 messages");
      await settle(pub, sub);
      assert.equal(msgs.length, 5);
      assert.deepEqual(
        msgs.map((m) => m.string()),
        ["0", "1", "2", "3", "4"],
      );
      assert.equal(s.isClosed(), true);
      // the client drops extras itself; inMsgs counts what actually came off the wire
      assert.equal(sub.stats().inMsgs - before, 5, "server sent exactly 5 MSGs");
    });

    it("sub.unsubscribe(n) after some messages stops at n in total", async () => {
      const sub = await conn();
      const pub = await conn();
      const before = sub.stats().inMsgs;
      const { sub: s, msgs } = collect(sub, "au.later");
      await sub.flush();
      pub.publish("au.later", "0");
      pub.publish("au.later", "1");
      await settle(pub, sub);
      await waitUntil(() => msgs.length >= 2, "2 messages");
      s.unsubscribe(5);
      await sub.flush();
      for (let i = 2; i < 20; i++) pub.publish("au.later", String(i));
      await settle(pub, sub);
      await waitUntil(() => msgs.length >= 5, "5 messages");
      await settle(pub, sub);
      assert.equal(msgs.length, 5);
      assert.deepEqual(
        msgs.map((m) => m.string()),
        ["0", "1", "2", "3", "4"],
      );
      assert.equal(sub.stats().inMsgs - before, 5, "server sent exactly 5 MSGs");
      assert.equal(s.isClosed(), true);
    });

    it("sub.unsubscribe(n) with n <= already received closes at once; plain unsubscribe stops delivery", async () => {
      const sub = await conn();
      const pub = await conn();
      const before = sub.stats().inMsgs;
      const a = collect(sub, "au.now");
      const b = collect(sub, "au.plain");
      await sub.flush();
      for (let i = 0; i < 3; i++) pub.publish("au.now", String(i));
      await settle(pub, sub);
      await waitUntil(() => a.msgs.length >= 3, "3 messages");
      a.sub.unsubscribe(2);
      b.sub.unsubscribe();
      await sub.flush();
      for (let i = 0; i < 10; i++) {
        pub.publish("au.now", "late");
        pub.publish("au.plain", "late");
      }
      await settle(pub, sub);
      assert.equal(a.msgs.length, 3);
      assert.equal(b.msgs.length, 0);
      assert.equal(sub.stats().inMsgs - before, 3, "no MSGs after UNSUB");
    });

    it("auto-unsubscribe on an async iterator ends the iteration after max messages", async () => {
      const sub = await conn();
      const pub = await conn();
      const s = sub.subscribe("au.iter", { max: 3 });
      await sub.flush();
      for (let i = 0; i < 10; i++) pub.publish("au.iter", String(i));
      await pub.flush();
      const got = [];
      for await (const m of s) got.push(m.string());
      assert.deepEqual(got, ["0", "1", "2"]);
    });

    it("draining a subscription delivers messages in flight, then closes it", async () => {
      const sub = await conn();
      const pub = await conn();
      const s = sub.subscribe("dr.sub");
      await sub.flush();
      const N = 200;
      for (let i = 0; i < N; i++) pub.publish("dr.sub", String(i));
      await pub.flush();
      const got = [];
      const done = (async () => {
        for await (const m of s) {
          got.push(m.string());
          // slow consumer: yield to the event loop now and then
          if (got.length % 50 === 0) await new Promise((r) => setTimeout(r, 5));
        }
      })();
      await s.drain();
      await done;
      assert.equal(got.length, N);
      for (const [i, v] of got.entries()) assert.equal(v, String(i));
      assert.equal(s.isClosed(), true);
      // nothing is delivered after the drain
      pub.publish("dr.sub", "late");
      await settle(pub, sub);
      assert.equal(got.length, N);
      assert.equal(sub.isClosed(), false);
    });

    it("draining a connection delivers messages in flight and closes it", async () => {
      const sub = await conn();
      const pub = await conn();
      const a = collect(sub, "dr.conn.a");
      const b = collect(sub, "dr.conn.b", { queue: "q" });
      await sub.flush();
      const N = 200;
      for (let i = 0; i < N; i++) {
        pub.publish("dr.conn.a", String(i));
        pub.publish("dr.conn.b", String(i));
      }
      await pub.flush();
      await sub.drain();
      assert.equal(sub.isClosed(), true);
      assert.equal(a.msgs.length, N);
      assert.equal(b.msgs.length, N);
      assert.equal(a.sub.isClosed(), true);
    });

    it("draining a publishing connection flushes its pending publishes", async () => {
      const sub = await conn();
      const pub = await conn();
      const { msgs } = collect(sub, "dr.pub");
      await sub.flush();
      const N = 1000;
      for (let i = 0; i < N; i++) pub.publish("dr.pub", String(i));
      await pub.drain();
      assert.equal(pub.isClosed(), true);
      await sub.flush();
      await waitUntil(() => msgs.length >= N, `${N} messages`);
      assert.equal(msgs.length, N);
    });

    it("noEcho connection does not receive its own messages but receives others'", async () => {
      const quiet = await conn({ noEcho: true });
      const other = await conn();
      const mine = collect(quiet, "echo.x");
      const theirs = collect(other, "echo.x");
      await settle(quiet, other);
      for (let i = 0; i < 5; i++) quiet.publish("echo.x", `self-${i}`);
      other.publish("echo.x", "from-other");
      await settle(quiet, other, quiet);
      await waitUntil(() => mine.msgs.length >= 1 && theirs.msgs.length >= 6, "messages");
      await settle(quiet, other, quiet);
      assert.deepEqual(
        mine.msgs.map((m) => m.string()),
        ["from-other"],
      );
      assert.equal(theirs.msgs.length, 6, "other connections still get the noEcho connection's messages");

      // a noEcho requester still gets replies from another connection
      other.subscribe("echo.svc", { callback: (_e, m) => m.respond("pong") });
      await other.flush();
      const r = await quiet.request("echo.svc", "ping", { timeout: 2000 });
      assert.equal(r.string(), "pong");
    });

    it("payload up to max_payload is accepted; larger fails on the client side", async () => {
      const sub = await conn();
      const pub = await conn();
      const max = pub.info.max_payload;
      assert.equal(max, DEFAULT_MAX_PAYLOAD);
      const { msgs } = collect(sub, "mp.x");
      await sub.flush();

      const exact = new Uint8Array(max).fill(7);
      pub.publish("mp.x", exact);
      assert.throws(
        () => pub.publish("mp.x", new Uint8Array(max + 1)),
        (err) => {
          assert.ok(err instanceof errors.InvalidArgumentError, `InvalidArgumentError, got ${err?.name}`);
          assert.match(err.message, /max_payload/);
          return true;
        },
      );
      // headers count toward the limit
      const h = headers();
      h.set("K", "v");
      assert.throws(() => pub.publish("mp.x", new Uint8Array(max), { headers: h }), /max_payload/);
      await assert.rejects(pub.request("mp.x", new Uint8Array(max + 1), { timeout: 1000 }), /max_payload/);

      // the connection is still usable and the exact-size message arrived intact
      pub.publish("mp.x", "after");
      await settle(pub, sub);
      await waitUntil(() => msgs.length >= 2, "2 messages");
      assert.equal(msgs.length, 2);
      assert.equal(msgs[0].data.length, max);
      assert.ok(msgs[0].data.every((b) => b === 7));
      assert.equal(msgs[1].string(), "after");
      assert.equal(pub.isClosed(), false);
    });

    it("subscriptions survive heavy traffic and flush round-trips are answered", async () => {
      const nc = await conn();
      const rtt = await nc.rtt();
      assert.ok(rtt >= 0);
      const { msgs } = collect(nc, "load.>");
      const payload = new Uint8Array(1024).fill(1);
      for (let i = 0; i < 5000; i++) nc.publish(`load.${i % 10}`, payload);
      await nc.flush();
      await waitUntil(() => msgs.length >= 5000, "5000 messages", 10000);
      assert.equal(msgs.length, 5000);
      assert.ok(msgs.every((m) => m.data.length === 1024));
      assert.equal(nc.stats().inMsgs >= 5000, true);
    });

    it("closing a connection removes its subscriptions (requests then get no-responders)", async () => {
      const svc = await conn();
      const cli = await conn();
      svc.subscribe("gone.svc", { callback: (_e, m) => m.respond("here") });
      await svc.flush();
      assert.equal((await cli.request("gone.svc", "", { timeout: 2000 })).string(), "here");
      await svc.close();
      // the server notices the close asynchronously; poll until the interest is gone
      let lastErr;
      const end = Date.now() + 3000;
      while (Date.now() < end) {
        try {
          await cli.request("gone.svc", "", { timeout: 500 });
        } catch (err) {
          lastErr = err;
          if (err instanceof errors.RequestError && err.isNoResponders()) break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(lastErr instanceof errors.RequestError && lastErr.isNoResponders(), `got ${lastErr}`);
    });
  });
}
