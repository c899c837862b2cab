// The package's entry points resolve, the advertised tsnats version is package.json's, and a
// Server runs in-process (no child process): start on a random port, serve PING, shut down.
// The allow_responses case uses the embedding API (startServer), as in-process tests should.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Server, Logger, MemorySink, TSNATS_VERSION, NATS_VERSION, startServer } from "tsnats/server";
import { Parser, isValidSubject } from "tsnats/protocol";
import { rawConnect } from "./helpers/raw.js";

test("tsnats_version matches package.json and the nats version is semver", () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  assert.equal(TSNATS_VERSION, pkg.version);
  assert.match(NATS_VERSION, /^\d+\.\d+\.\d+$/);
  assert.equal(typeof Parser, "function");
  assert.equal(isValidSubject("a.b"), true);
});

test("a Server runs in-process and shuts down cleanly", async () => {
  const sink = new MemorySink();
  const srv = new Server({ host: "127.0.0.1", port: -1 }, { logger: new Logger(sink, { time: false }) });
  await srv.start();
  try {
    assert.ok(srv.port > 0);
    const { c, info } = await rawConnect(srv.port, { verbose: false });
    assert.equal(info.tsnats_version, TSNATS_VERSION);
    assert.equal(info.port, srv.port);
    assert.equal(await c.flush(), "");
    c.close();
  } finally {
    await srv.shutdown();
  }
  assert.ok(sink.lines.some((l) => l.includes("Server is ready")));
  assert.ok(sink.lines.some((l) => l.includes("Server Exiting..")));
});

test("allow_responses: reply permissions of a responder that never answers are pruned", async () => {
  const emb = await startServer({
    authorization: {
      users: [
        {
          user: "svc",
          password: "s",
          permissions: { subscribe: { allow: ["svc.>"] }, allow_responses: { max: 1, expires: 50 } },
        },
        { user: "req", password: "r" },
      ],
    },
  });
  const srv = emb.server;
  try {
    const { c: svc } = await rawConnect(srv.port, { verbose: false, user: "svc", pass: "s" });
    svc.write("SUB svc.q 1\r\n");
    await svc.flush();
    const { c: req } = await rawConnect(srv.port, { verbose: false, user: "req", pass: "r" });
    let batch = "";
    for (let i = 0; i < 5000; i++) batch += `PUB svc.q reply.${i} 1\r\nx\r\n`;
    req.write(batch);
    await req.flush();
    await svc.flush(5000);
    const responder = [...srv.clients.values()].find((c) => c.user === "svc");
    // after the expiry, the next tracked reply prunes the map
    await new Promise((r) => setTimeout(r, 1100));
    req.write("PUB svc.q reply.last 1\r\nx\r\n");
    await req.flush();
    await svc.flush();
    assert.ok(responder.replies.size <= 1, `reply map holds ${responder.replies.size} entries`);
    // the fresh one can still be answered once
    svc.write("PUB reply.last 2\r\nok\r\n");
    assert.equal(await svc.flush(), "");
    svc.close();
    req.close();
  } finally {
    await emb.shutdown();
  }
});
