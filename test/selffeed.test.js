// Back-pressure for connections that feed themselves or each other: a client that publishes a
// burst to its own subscription (nats.js's "buffers don't clobber" program, and request/reply
// services that answer themselves), and two clients that publish to each other's subscription,
// both in a loop, get every message, in order and intact, and are not cut as slow consumers
// (the server stops reading a connection whose own outbound is over the threshold until it
// drains). A client that never reads is still cut, not waited for forever. Runs against
// tsnats and, when installed, Debian's nats-server.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect, createInbox } from "@nats-io/transport-node";
import { serverKinds, startServer } from "./helpers/servers.js";

const dir = mkdtempSync(path.join(tmpdir(), "tsnats-selffeed-"));
after(() => rmSync(dir, { recursive: true, force: true }));

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
  const got = ((data[0] << 24) >>> 0) + (data[1] << 16) + (data[2] << 8) + data[3];
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

/** A raw connection that has sent CONNECT and SUB self.x 1. */
function rawSelfSub(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => {
      s.write('CONNECT {"verbose":false,"pedantic":false}\r\nSUB self.x 1\r\n');
      resolve(s);
    });
    s.once("error", reject);
  });
}

/** A PUB of message seq to self.x. */
function pubFrame(seq) {
  const p = Buffer.allocUnsafe(SIZE);
  fill(p, seq);
  return Buffer.concat([Buffer.from(`PUB self.x ${SIZE}\r\n`), p, Buffer.from("\r\n")]);
}

/** Publish n messages to self.x as fast as the socket takes them, until done or closed. */
async function rawPublish(s, n) {
  for (let seq = 0; seq < n && !s.destroyed; seq++) {
    if (!s.write(pubFrame(seq))) {
      await new Promise((r) => {
        s.once("drain", r);
        s.once("close", r);
      });
    }
  }
}

/** Parses the MSG frames for self.x and checks each; next counts those received in order. */
class MsgReader {
  constructor() {
    this.buf = Buffer.alloc(0);
    this.next = 0;
    this.error = null;
  }
  push(d) {
    const buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    let off = 0;
    for (;;) {
      const nl = buf.indexOf("\r\n", off);
      if (nl < 0) break;
      const line = buf.toString("latin1", off, nl);
      if (line === "PING" || line === "PONG" || line.startsWith("INFO ")) {
        off = nl + 2;
        continue;
      }
      if (line !== `MSG self.x 1 ${SIZE}`) {
        this.error ??= `unexpected line ${JSON.stringify(line.slice(0, 80))}`;
        off = buf.length;
        break;
      }
      if (buf.length < nl + 2 + SIZE + 2) break;
      this.error ??= payloadError(buf.subarray(nl + 2, nl + 2 + SIZE), this.next);
      this.next++;
      off = nl + 2 + SIZE + 2;
    }
    this.buf = buf.subarray(off);
  }
}

function slowConsumerLines(srv) {
  return (
    srv
      .output()
      .match(/.*Slow Consumer.*/g)
      ?.join("\n") ?? ""
  );
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
        await within(
          Promise.race([Promise.all([ra.done, rb.done]), a.closed(), b.closed()]),
          HANG_MS,
          () => `stuck at ${ra.next} and ${rb.next} of ${N}`,
        );
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

    const RAW_N = 64000; // 64 MB: far more than max_pending and every socket buffer on the way
    it(`a raw client publishing ${RAW_N} x 1 KB to its own subscription while it pauses reading 300 ms at a time gets all of them`, async () => {
      const conf = path.join(dir, `pausing-${kind}.conf`);
      writeFileSync(conf, "max_pending: 8MB\n");
      const srv = await startServer(kind, ["-c", conf]);
      let s;
      try {
        s = await rawSelfSub(srv.port);
        let closed = false;
        s.on("close", () => (closed = true));
        const reader = new MsgReader();
        s.on("data", (d) => reader.push(d));
        const publishing = rawPublish(s, RAW_N);
        const reading = (async () => {
          while (reader.next < RAW_N && reader.error === null && !closed) {
            s.pause();
            await new Promise((r) => setTimeout(r, 300));
            s.resume();
            await new Promise((r) => setTimeout(r, 100));
          }
        })();
        await within(Promise.all([publishing, reading]), HANG_MS, () => `stuck at ${reader.next} of ${RAW_N}`);
        assert.equal(reader.error, null);
        assert.equal(reader.next, RAW_N, `got ${reader.next} of ${RAW_N}; server said:\n${slowConsumerLines(srv)}`);
        assert.equal(closed, false, "the connection is still open");
        assert.equal(slowConsumerLines(srv), "", "no slow consumer");
      } finally {
        s?.destroy();
        await srv.stop();
      }
    });

    it("a raw client publishing to its own subscription that never reads is closed as a slow consumer", async (t) => {
      const conf = path.join(dir, `stuck-${kind}.conf`);
      writeFileSync(conf, 'max_pending: 1MB\nwrite_deadline: "1s"\n');
      const srv = await startServer(kind, ["-c", conf]);
      let s;
      try {
        s = await rawSelfSub(srv.port);
        s.pause(); // never reads: the kernel buffers fill, then the server's pending bytes grow
        const closed = new Promise((r) => s.once("close", r));
        s.on("error", () => {});
        // without limit: only the server closing the connection ends this
        const publishing = rawPublish(s, Infinity);
        await within(closed, HANG_MS, () => "the connection is still open");
        await publishing;
        await within(
          (async () => {
            while (slowConsumerLines(srv) === "") await new Promise((r) => setTimeout(r, 20));
          })(),
          HANG_MS,
          () => `no slow consumer logged:\n${srv.output().slice(-600)}`,
        );
        t.diagnostic(slowConsumerLines(srv).replace(/^.* - /, ""));
        assert.match(
          slowConsumerLines(srv),
          /Slow Consumer Detected: (MaxPending of 1048576 Exceeded|WriteDeadline of 1s exceeded)/,
        );
      } finally {
        s?.destroy();
        await srv.stop();
      }
    });
  });
}
