// Interop with the official Go client (nats.go): the project's load generator bench/loadgen,
// built from Debian's golang-go and golang-github-nats-io-go-nats-dev, runs pub/sub, queue groups
// and request/reply against each server and must report every message delivered exactly once,
// in order and intact. Missing Go or nats.go sources fail the file with the install line
// (`npm test` installs them as root, or names them, before any test runs).
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { serverKinds, startServer } from "./helpers/servers.js";
import { runLoadgen } from "./helpers/loadgen.js";
import { buildLoadgen } from "../bench/loadgen/build.mjs";

describe("nats.go interop (bench/loadgen)", () => {
  let bin;
  before(() => {
    // builds into bench/.cache only when the sources changed; throws naming what is missing
    bin = buildLoadgen();
  });

  for (const kind of serverKinds()) {
    it(`pub/sub, fan-out, queue group and request/reply with nats.go against ${kind}`, async (t) => {
      const srv = await startServer(kind);
      try {
        const url = `nats://127.0.0.1:${srv.port}`;
        const cases = [
          ["pubsub", "--size", "128", "--msgs", "100000"],
          ["pubsub", "--size", "16", "--pub", "1", "--sub", "3", "--msgs", "50000"],
          ["pubsub", "--size", "32", "--pub", "3", "--sub", "2", "--msgs", "30000"],
          ["queue", "--size", "64", "--pub", "1", "--sub", "3", "--msgs", "60000"],
          ["reqrep", "--size", "128", "--msgs", "1000", "--conc", "4", "--conc-msgs", "2000"],
        ];
        for (const args of cases) {
          const r = await runLoadgen(bin, [...args, "--url", url, "--timeout", "5s"]);
          assert.equal(r.code, 0, `loadgen ${args.join(" ")} failed:\n${r.out}`);
          assert.equal(r.result?.ok, true, `loadgen ${args.join(" ")} reported a problem:\n${r.out}`);
          if (args[0] === "reqrep") {
            assert.equal(r.result.lat_n, 1000);
            assert.equal(r.result.rr_ok, 2000);
            assert.equal(r.result.rr_failed, 0);
            assert.equal(r.result.bad_replies, 0);
            assert.equal(r.result.served, r.result.requests, "every request reached exactly one responder");
          } else {
            assert.equal(r.result.delivered, r.result.expected);
            for (const k of ["lost", "extra", "out_of_order", "corrupt"])
              assert.equal(r.result[k], 0, `${k}\n${r.out}`);
          }
          t.diagnostic(`${args[0]} ${args.slice(1).join(" ")}: ok`);
        }
      } finally {
        await srv.stop();
      }
    });
  }
});
