// Fast-producer stall (back-pressure), the guard of a hot-path optimization: a publisher that
// outruns a subscriber which pauses its reads for less than the stall limit is paused by the
// server (it cannot hand over the whole burst while the subscriber sleeps) instead of the
// subscriber being cut as a slow consumer; the server's memory stays bounded near max_pending
// rather than growing with the burst; the publisher is resumed when the subscriber catches up,
// and every message arrives intact and in order. Runs against tsnats and, when installed,
// Debian's nats-server (which stalls producers the same way).
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { serverKinds, startServer } from "./helpers/servers.js";
import { writeUntilPong } from "./helpers/raw.js";

const dir = mkdtempSync(path.join(tmpdir(), "tsnats-stall-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const SIZE = 32 * 1024;
const N = 4800; // 150 MB in all: far more than max_pending and every socket buffer on the way
const MAX_PENDING = 8 * 1024 * 1024;

function frame(seq) {
  const p = Buffer.alloc(SIZE, seq & 0xff);
  p.writeUInt32BE(seq, 0);
  return Buffer.concat([Buffer.from(`PUB stall.x ${SIZE}\r\n`), p, Buffer.from("\r\n")]);
}

function procStatus(pid, field) {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

/** Reads MSG frames for stall.x and checks sequence numbers and contents. */
class Reader {
  constructor() {
    this.chunks = [];
    this.len = 0;
    this.next = 0;
    this.error = null;
    this.pongs = 0;
  }
  push(d) {
    this.chunks.push(d);
    this.len += d.length;
    if (this.len < 64 * 1024 && this.next < N - 1) return; // parse in batches
    let buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    let off = 0;
    for (;;) {
      const nl = buf.indexOf("\r\n", off);
      if (nl < 0) break;
      const line = buf.toString("latin1", off, nl);
      if (line === "PONG" || line === "PING" || line.startsWith("INFO ")) {
        if (line === "PONG") this.pongs++;
        off = nl + 2;
        continue;
      }
      const m = /^MSG stall\.x 1 (\d+)$/.exec(line);
      if (m === null) {
        this.error ??= `unexpected line ${JSON.stringify(line.slice(0, 80))}`;
        break;
      }
      if (buf.length < nl + 2 + SIZE + 2) break;
      const body = buf.subarray(nl + 2, nl + 2 + SIZE);
      const seq = body.readUInt32BE(0);
      if (seq !== this.next) this.error ??= `expected message ${this.next}, got ${seq}`;
      else if (body[SIZE - 1] !== (seq & 0xff) || body[SIZE >> 1] !== (seq & 0xff))
        this.error ??= `payload of ${seq} differs`;
      this.next = seq + 1;
      off = nl + 2 + SIZE + 2;
    }
    buf = buf.subarray(off);
    this.chunks = buf.length > 0 ? [buf] : [];
    this.len = buf.length;
  }
}

for (const kind of serverKinds()) {
  describe(`fast-producer stall [${kind}]`, () => {
    it(`a publisher bursting ${(N * SIZE) / 2 ** 20} MB at a reader that pauses 300 ms at a time is paused, not the reader cut`, async (t) => {
      const conf = path.join(dir, `stall-${kind}.conf`);
      writeFileSync(conf, `max_pending: ${MAX_PENDING}\nmax_payload: ${SIZE * 2}\n`);
      const srv = await startServer(kind, ["-c", conf]);
      let sub;
      let pub;
      try {
        sub = await connect(srv.port);
        const reader = new Reader();
        sub.on("data", (d) => reader.push(d));
        const subReady = writeUntilPong(sub, 'CONNECT {"verbose":false,"pedantic":false}\r\nSUB stall.x 1\r\n');
        pub = await connect(srv.port);
        let pubClosed = false;
        pub.on("close", () => (pubClosed = true));
        pub.on("data", () => {});
        await Promise.all([subReady, writeUntilPong(pub, 'CONNECT {"verbose":false,"pedantic":false}\r\n')]);
        const rssBefore = procStatus(srv.pid, "VmRSS");

        // the publisher writes as fast as its socket takes the bytes
        let handed = 0; // messages the publisher's socket has taken (written through or drained)
        const publishing = (async () => {
          for (let seq = 0; seq < N; seq++) {
            const ok = pub.write(frame(seq));
            if (!ok) await new Promise((r) => pub.once("drain", r));
            handed = seq + 1;
          }
        })();

        // the reader sleeps 300 ms (below the 500 ms stall limit), reads 100 ms, and so on
        let handedAtFirstPauseEnd = -1;
        let rssPeakSample = 0;
        for (let cycle = 0; cycle < 60 && reader.next < N && reader.error === null; cycle++) {
          sub.pause();
          for (let k = 0; k < 6; k++) {
            await new Promise((r) => setTimeout(r, 50));
            rssPeakSample = Math.max(rssPeakSample, procStatus(srv.pid, "VmRSS"));
          }
          if (cycle === 0) handedAtFirstPauseEnd = handed;
          sub.resume();
          await new Promise((r) => setTimeout(r, 100));
        }
        sub.resume();
        const deadline = Date.now() + 20000;
        while (reader.next < N && reader.error === null && !sub.destroyed && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
        }
        await publishing;

        assert.equal(reader.error, null);
        assert.equal(
          reader.next,
          N,
          `every message arrived (got ${reader.next}); server said:\n${srv.output().slice(-600)}`,
        );
        assert.ok(!/Slow Consumer/.test(srv.output()), `no slow consumer:\n${srv.output().slice(-600)}`);
        assert.equal(pubClosed, false, "the publisher was not disconnected");
        // back-pressure reached the publisher: while the reader slept, the server stopped taking
        // its bytes, so it could hand over only part of the burst (socket buffers and max_pending)
        assert.ok(
          handedAtFirstPauseEnd >= 0 && handedAtFirstPauseEnd < N / 2,
          `publisher handed over ${handedAtFirstPauseEnd} of ${N} messages during the first pause`,
        );
        // and the server's memory stayed bounded: under half of the 150 MB burst (about 40 MB is usual)
        const growth = rssPeakSample - rssBefore;
        t.diagnostic(
          `server RSS growth ${(growth / 2 ** 20).toFixed(1)} MB; ${handedAtFirstPauseEnd} of ${N} messages handed over during the first pause`,
        );
        assert.ok(growth < 75 * 2 ** 20, `server RSS grew by ${(growth / 2 ** 20).toFixed(1)} MB during the burst`);
      } finally {
        sub?.destroy();
        pub?.destroy();
        await srv.stop();
      }
    });
  });
}
