// Data integrity under load: many messages of varied sizes, each with content derived from
// its sequence number, through a subscriber that keeps pausing its reads (so the server's
// outbound buffers go through both synchronous and backed-up writes, and producer stalls).
// Every byte of every message is checked, in order.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { serverKinds, startServer } from "./helpers/servers.js";
import { prng } from "./helpers/prng.js";
import { writeUntilPong } from "./helpers/raw.js";

const N = 60000;

function payloadFor(seq, size) {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (seq * 31 + i * 7) & 0xff;
  return b;
}

function sizeFor(seq) {
  return (seq * 2654435761) % 3000;
}

/** Parse MSG frames from a stream and check each against its expected content. */
class Checker {
  constructor() {
    this.buf = Buffer.alloc(0);
    this.next = 0;
    this.error = null;
  }
  push(chunk) {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const nl = this.buf.indexOf("\r\n");
      if (nl < 0) return;
      const line = this.buf.toString("latin1", 0, nl);
      if (line === "PING") {
        this.buf = this.buf.subarray(nl + 2);
        this.onPing?.();
        continue;
      }
      if (line === "PONG" || line === "+OK" || line.startsWith("INFO ")) {
        this.buf = this.buf.subarray(nl + 2);
        continue;
      }
      const m = /^MSG integ\.(\d+) 1 (\d+)$/.exec(line);
      if (m === null) {
        this.error ??= `unexpected line ${JSON.stringify(line.slice(0, 80))}`;
        return;
      }
      const size = Number(m[2]);
      if (this.buf.length < nl + 2 + size + 2) return;
      const seq = Number(m[1]);
      const body = this.buf.subarray(nl + 2, nl + 2 + size);
      if (seq !== this.next) this.error ??= `expected seq ${this.next}, got ${seq}`;
      else if (size !== sizeFor(seq) || !body.equals(payloadFor(seq, size))) this.error ??= `payload of ${seq} differs`;
      this.next = seq + 1;
      this.buf = this.buf.subarray(nl + 2 + size + 2);
    }
  }
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

for (const kind of serverKinds()) {
  describe(`integrity [${kind}]`, () => {
    it(`${N} messages of 0-3000 bytes arrive intact and in order through a stop-and-go reader`, async () => {
      const srv = await startServer(kind, process.env.INTEG_DEBUG ? ["-D"] : []);
      const rand = prng(42);
      let sub;
      let pub;
      try {
        sub = await connect(srv.port);
        const checker = new Checker();
        checker.onPing = () => sub.write("PONG\r\n");
        sub.on("data", (d) => checker.push(d));
        const subReady = writeUntilPong(sub, 'CONNECT {"verbose":false,"pedantic":false}\r\nSUB integ.* 1\r\n');
        pub = await connect(srv.port);
        pub.on("data", () => {});
        await Promise.all([subReady, writeUntilPong(pub, 'CONNECT {"verbose":false,"pedantic":false}\r\n')]);
        // the reader stops and starts while the publisher writes everything
        const stopGo = setInterval(() => {
          if (rand() < 0.4) sub.pause();
          else sub.resume();
        }, 3);
        for (let seq = 0; seq < N; seq++) {
          const p = payloadFor(seq, sizeFor(seq));
          const ok = pub.write(
            Buffer.concat([Buffer.from(`PUB integ.${seq} ${p.length}\r\n`), p, Buffer.from("\r\n")]),
          );
          if (!ok) await new Promise((r) => pub.once("drain", r));
        }
        clearInterval(stopGo);
        sub.resume();
        const deadline = Date.now() + 30000;
        while (checker.next < N && checker.error === null && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
        }
        if (process.env.INTEG_DEBUG)
          console.log(
            srv
              .output()
              .split("\n")
              .filter((l) => !l.includes("Client connection created"))
              .slice(-15)
              .join("\n"),
          );
        assert.equal(checker.error, null);
        assert.equal(checker.next, N, "every message arrived");
      } finally {
        sub?.destroy();
        pub?.destroy();
        await srv.stop();
      }
    });
  });
}
