// Back-pressure for connections that feed themselves or each other: a client that publishes a
// burst to its own subscription (nats.js's "buffers don't clobber" program, and request/reply
// services that answer themselves), and two clients that publish to each other's subscription,
// both in a loop, get every message, in order and intact, and are not cut as slow consumers
// (the server stops reading a connection whose own outbound is over the threshold until it
// drains). A client that never reads is still cut, not waited for forever. Runs against
// tsnats and, when installed, Debian's nats-server.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { connect, createInbox } from "@nats-io/transport-node";
import { serverKinds, startServer } from "./helpers/servers.js";

const N = 256000;
const SIZE = 1024;
/** Far beyond the seconds this takes: only a deadlock reaches it. */
const HANG_MS = 90000;

/** Payload bytes of message seq: its number, then a pattern that depends on it. */
function fill(p, seq) {
  p.writeUInt32BE(seq, 0);
  for (let k = 4; k < SIZE; k++) p[k] = (seq + k) & 0xff;
}

/** The first difference between a received payload and message seq's, or null. */
function payloadError(data, seq) {
  if (data.length !== SIZE) return `message ${seq} has ${data.length} bytes`;
  const got = (data[0] << 24 >>> 0) + (data[1] << 16) + (data[2] << 8) + data[3];
  if (got !== seq) return `expected message ${seq}, got ${got}`;
  for (let k = 4; k < SIZE; k++) {
    if (data[k] !== ((seq + k) & 0xff)) return `payload of message ${seq} differs at byte ${k}`;
  }
  return null;
}

/**
 * Publish N messages to subject in a plain loop, without awaiting. Each has a payload of its
 * own: the client keeps a reference until it writes it out.
 */
function publishAll(nc, subject) {
  for (let seq = 0; seq < N; seq++) {
    const payload = Buffer.allocUnsafe(SIZE);
    fill(payload, seq);
    nc.publish(subject, payload);
  }
}

/**
 * Iterate sub, checking each message. The returned state counts the messages so far and keeps
 * the first error; its done promise settles when the subscription or the connection ends.
 */
function check(nc, sub) {
  const state = { next: 0, error: null, done: null };
  const reading = (async () => {
    for await (const m of sub) {
      state.error ??= payloadError(m.data, state.next);
      state.next++;
    }
  })();
  // a connection the server closed ends the wait too (nothing more can arrive on it)
  state.done = Promise.race([reading, nc.closed()]);
  return state;
}

/** promise, or a rejection after ms (a hang guard: a deadlock fails instead of never ending). */
function within(promise, ms, what) {
  let t;
  const guard = new Promise((_, reject) => {
    t = setTimeout(() => reject(new Error(`${what()} after ${ms} ms`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(t));
}

function slowConsumerLines(srv) {
  return srv.output().match(/.*Slow Consumer.*/g)?.join("\n") ?? "";
}

for (const kind of serverKinds()) {
  describe(`self-feeding clients [${kind}]`, () => {
    it(`a nats.js client publishing ${N} x 1 KB to its own subscription gets all of them`, async () => {
      const srv = await startServer(kind);
      const nc = await connect({ servers: srv.hostport, reconnect: false });
      try {
        const subject = createInbox();
        const sub = nc.subscribe(subject, { max: N });
        const r = check(nc, sub);
        publishAll(nc, subject);
        await within(r.done, HANG_MS, () => `stuck at ${r.next} of ${N}`);
        const { next, error } = r;
        assert.equal(error, null);
        assert.equal(next, N, `got ${next} of ${N}; server said:\n${slowConsumerLines(srv)}`);
        assert.equal(nc.isClosed(), false, "the connection is still open");
        await nc.flush();
        assert.equal(slowConsumerLines(srv), "", "no slow consumer");
      } finally {
        await nc.close().catch(() => {});
        await srv.stop();
      }
    });

    it(`two nats.js clients publishing ${N} x 1 KB each to the other's subscription get all of them`, async () => {
      const srv = await startServer(kind);
      const a = await connect({ servers: srv.hostport, name: "a", reconnect: false });
      const b = await connect({ servers: srv.hostport, name: "b", reconnect: false });
      try {
        const x = createInbox();
        const y = createInbox();
        const subA = a.subscribe(x, { max: N });
        const subB = b.subscribe(y, { max: N });
        await Promise.all([a.flush(), b.flush()]);
        const ra = check(a, subA);
        const rb = check(b, subB);
        publishAll(a, y);
        publishAll(b, x);
        // either one closed: the other waits for messages that cannot come
        await within(Promise.race([Promise.all([ra.done, rb.done]), a.closed(), b.closed()]), HANG_MS, () => `stuck at ${ra.next} and ${rb.next} of ${N}`);
        assert.equal(ra.error, null);
        assert.equal(rb.error, null);
        assert.equal(ra.next, N, `a got ${ra.next} of ${N}; server said:\n${slowConsumerLines(srv)}`);
        assert.equal(rb.next, N, `b got ${rb.next} of ${N}; server said:\n${slowConsumerLines(srv)}`);
        assert.equal(a.isClosed(), false, "a is still open");
        assert.equal(b.isClosed(), false, "b is still open");
        await Promise.all([a.flush(), b.flush()]);
        assert.equal(slowConsumerLines(srv), "", "no slow consumer");
      } finally {
        await a.close().catch(() => {});
        await b.close().catch(() => {});
        await srv.stop();
      }
    });
  });
}
