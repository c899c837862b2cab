// write_deadline: a subscriber that stops reading is closed as a slow consumer once a write
// has been stuck for write_deadline, without an -ERR, and other clients are not affected.
// Runs against tsnats and, when installed, Debian's nats-server (the oracle).
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { serverKinds, startServer } from "./helpers/servers.js";
import { rawConnect } from "./helpers/raw.js";

const dir = mkdtempSync(path.join(tmpdir(), "tsnats-limits-"));
after(() => rmSync(dir, { recursive: true, force: true }));

for (const kind of serverKinds()) {
  describe(`limits [${kind}]`, () => {
    it("write_deadline closes a subscriber that stops reading; others keep going", async () => {
      const conf = path.join(dir, `wd-${kind}.conf`);
      writeFileSync(conf, 'write_deadline: "500ms"\nmax_pending: 512MB\n');
      const srv = await startServer(kind, ["-c", conf]);
      const conns = [];
      try {
        // the stuck subscriber: subscribes, then never reads again
        const { c: stuck } = await rawConnect(srv.port, { verbose: false, pedantic: false });
        conns.push(stuck);
        stuck.write("SUB big 1\r\n");
        await stuck.flush();
        stuck.sock.pause();
        // a healthy subscriber on another subject
        const { c: ok } = await rawConnect(srv.port, { verbose: false, pedantic: false });
        conns.push(ok);
        ok.write("SUB small 1\r\n");
        await ok.flush();
        const { c: pub } = await rawConnect(srv.port, { verbose: false, pedantic: false });
        conns.push(pub);
        await pub.flush();

        const payload = Buffer.alloc(64 * 1024, 0x61);
        const frame = Buffer.concat([Buffer.from(`PUB big ${payload.length}\r\n`), payload, Buffer.from("\r\n")]);
        const deadline = Date.now() + 15000;
        let closedAt = 0;
        // flood until the server gives up on the stuck subscriber (bounded in time)
        while (Date.now() < deadline) {
          for (let i = 0; i < 16; i++) pub.write(frame);
          await pub.flush(10000);
          if (/Slow Consumer Detected: WriteDeadline/.test(srv.output())) {
            closedAt = Date.now();
            break;
          }
        }
        assert.ok(closedAt > 0, `no write-deadline slow consumer within 15 s:\n${srv.output().slice(-2000)}`);
        assert.match(srv.output(), /Slow Consumer Detected: WriteDeadline of 500ms exceeded/);
        // the healthy subscriber still gets its messages
        pub.write("PUB small 2\r\nhi\r\n");
        await pub.flush();
        await ok.waitFor("MSG small 1 2\r\nhi\r\n", 5000);
        // the stuck one was closed without an -ERR: read what it had buffered
        stuck.sock.resume();
        assert.ok(await stuck.waitClosed(5000), "stuck subscriber is closed");
        assert.doesNotMatch(stuck.text(), /-ERR/);
      } finally {
        for (const c of conns) c.close();
        await srv.stop();
      }
    });
  });
}
