// Clients reconnect on their own when a server dies and comes back on the same port, and
// their subscriptions work again (the server sees a fresh CONNECT and SUBs). Also lame duck:
// nats.js hears the ldm INFO. Runs against tsnats and, when installed, Debian's nats-server.
import { describe, it, after } from "node:test";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { freePort, serverKinds, startServer } from "./helpers/servers.js";
import { waitUntil } from "./helpers/wait.js";

const dir = mkdtempSync(path.join(tmpdir(), "tsnats-reconnect-"));
after(() => rmSync(dir, { recursive: true, force: true }));

for (const kind of serverKinds()) {
  describe(`reconnect [${kind}]`, () => {
    it("nats.js reconnects after the server restarts and its subscription works again", async () => {
      const port = await freePort();
      const args = ["-a", "127.0.0.1", "-p", String(port)];
      let srv = await startServer(kind, args, { noDefaults: true });
      const nc = await connect({
        servers: `127.0.0.1:${port}`,
        reconnectTimeWait: 50,
        maxReconnectAttempts: -1,
        pingInterval: 60000,
      });
      const statuses = [];
      (async () => {
        for await (const s of nc.status()) statuses.push(s.type);
      })();
      try {
        const got = [];
        nc.subscribe("re.x", { callback: (_e, m) => got.push(m.string()) });
        nc.publish("re.x", "before");
        await nc.flush();
        await waitUntil(() => got.includes("before"), "the first message");

        await srv.stop("SIGKILL");
        await waitUntil(() => statuses.includes("disconnect"), "a disconnect status", 5000);
        srv = await startServer(kind, args, { noDefaults: true });
        await waitUntil(() => statuses.includes("reconnect"), "a reconnect status", 10000);

        nc.publish("re.x", "after");
        await nc.flush();
        await waitUntil(() => got.includes("after"), "a message after the reconnect", 5000);
        assert.deepEqual(got, ["before", "after"]);
      } finally {
        await nc.close();
        await srv.stop();
      }
    });

    it("nats.js sees lame duck mode (ldm INFO), then the server closes it and exits", async () => {
      const conf = path.join(dir, `ldm-${kind}.conf`);
      writeFileSync(conf, 'lame_duck_duration: "30s"\nlame_duck_grace_period: "300ms"\n');
      const srv = await startServer(kind, ["-c", conf]);
      const nc = await connect({ servers: srv.url, maxReconnectAttempts: 0 });
      const statuses = [];
      (async () => {
        for await (const s of nc.status()) statuses.push(s.type);
      })();
      try {
        await nc.flush();
        srv.proc.kill("SIGUSR2");
        await waitUntil(() => statuses.includes("ldm"), "an ldm status", 5000);
        await waitUntil(() => statuses.includes("close"), "a close status", 10000);
        // the server dropped the connection (disconnect), and the one reconnect attempt allowed
        // found the listener closed (lame duck mode stops accepting): the client gave up
        assert.deepEqual(
          statuses.filter((s) => ["ldm", "disconnect", "reconnect", "close"].includes(s)),
          ["ldm", "disconnect", "close"],
        );
        const err = await nc.closed();
        assert.ok(err instanceof Error, `closed() resolved with ${err}`);
        assert.match(err.message, /connection refused/);
        const code = await srv.stop();
        assert.equal(code, 0, "the server exits after lame duck mode");
      } finally {
        if (!nc.isClosed()) await nc.close();
        await srv.stop();
      }
    });
  });
}
