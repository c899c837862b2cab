// Example: a vitest suite with an embedded tsnats server.
// Run from the repository root: npx vitest run --config examples/vitest/vitest.config.js
import { describe, it, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { startServer } from "tsnats/server";
import { connect } from "@nats-io/transport-node";

describe("orders service (vitest)", () => {
  let server; // the embedded NATS server
  let nc; // an official nats.js connection to it

  beforeAll(async () => {
    server = await startServer(); // 127.0.0.1, random port, silent
    nc = await connect({ servers: server.url });
    // The tsnats client (coming soon) will connect the same way:
    //   const tc = await tsnatsConnect({ servers: server.url });
  });

  afterAll(async () => {
    await nc?.close();
    await server?.shutdown();
  });

  it("delivers a published message to a subscriber", async () => {
    const sub = nc.subscribe("orders.created", { max: 1 });
    nc.publish("orders.created", "order-1");
    for await (const m of sub) assert.equal(m.string(), "order-1");
  });

  it("answers a request", async () => {
    nc.subscribe("orders.count", { callback: (_err, m) => m.respond("42") });
    const reply = await nc.request("orders.count", "", { timeout: 2000 });
    assert.equal(reply.string(), "42");
  });

  it("lets the test await server events instead of sleeping", async () => {
    const connected = server.once("client:connect");
    const other = await connect({ servers: server.url, name: "worker" });
    const [client] = await connected;
    assert.equal(server.stats().connections, 2);
    const closed = server.once("client:close", { filter: (c) => c.cid === client.cid });
    await other.close();
    const [, reason] = await closed;
    assert.equal(reason, "Client Closed");
  });
});
