// The tsnats client's publish path allocates nothing per message beyond the copy into its
// outbound buffer: a million publishes cause only a couple of minor GCs (from the socket
// writes of the batched chunks). The same measurement on nats.js, which allocates per
// message, shows the method detects allocation.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { PerformanceObserver } from "node:perf_hooks";
import * as tsnats from "../dist/client/index.js";
import * as natsjs from "@nats-io/transport-node";
import { serverKinds, startServer } from "./helpers/servers.js";

/** Minor and major GCs during `n` publishes of a 16-byte payload in one synchronous loop. */
async function gcsDuring(lib, url, n) {
  const nc = await lib.connect({ servers: url });
  const payload = new Uint8Array(16);
  for (let i = 0; i < 10000; i++) nc.publish("hot.x", payload); // warm up the code
  await nc.flush();
  const seen = [];
  const obs = new PerformanceObserver((l) => seen.push(...l.getEntries()));
  obs.observe({ entryTypes: ["gc"] });
  await new Promise((r) => setTimeout(r, 20));
  seen.length = 0;
  for (let i = 0; i < n; i++) nc.publish("hot.x", payload);
  await new Promise((r) => setTimeout(r, 20)); // entries are delivered asynchronously
  const count = seen.length;
  obs.disconnect();
  await nc.flush();
  await nc.close();
  return count;
}

describe("client publish hot path", () => {
  let srv;
  before(async () => {
    srv = await startServer(serverKinds()[0]);
  });
  after(() => srv.stop());

  it("a million publishes: at most a few GCs for tsnats, many for nats.js", async () => {
    const ours = await gcsDuring(tsnats, srv.url, 1_000_000);
    const theirs = await gcsDuring(natsjs, srv.url, 1_000_000);
    assert.ok(theirs >= 20, `the measurement sees nats.js's per-message allocation (${theirs} GCs)`);
    assert.ok(ours <= 6, `tsnats: ${ours} GCs during 1,000,000 publishes`);
  });
});
