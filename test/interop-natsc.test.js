// Interop with the official NATS C client (Debian's libnats): compile
// test/c/natsc_interop.c once, run it against every available server kind and
// require an "ok <check>" line for every check it is expected to report.
import { test } from "node:test";
import { serverKinds, startServer } from "./helpers/servers.js";
import { describeNatsC, runChecks } from "./helpers/natsc.js";

// Every check the C program prints, in order. A check that silently goes
// missing (crash, early exit, renamed check) fails the test.
const CHECKS = [
  "connect",
  "status_connected",
  "server_info",
  "publish",
  "flush",
  "sync_subscribe",
  "binary_payload",
  "empty_payload",
  "async_subscribe",
  "wildcard_star",
  "wildcard_gt",
  "queue_group",
  "queue_distribution",
  "request_reply",
  "unsubscribe",
  "auto_unsubscribe",
  "headers",
  "no_responders",
  "close",
];

describeNatsC("nats.c (libnats) interop", "natsc_interop", "test/interop-natsc.test.js", (build) => {
  for (const kind of serverKinds()) {
    test(`nats.c client against ${kind}`, async (t) => {
      const server = await startServer(kind);
      await runChecks(t, { binary: build.binary, args: [server.url], server, checks: CHECKS, against: kind });
    });
  }
});
