// Account isolation with the official NATS C client (Debian's libnats): compile
// test/c/accounts_isolation.c once and run it against Debian's nats-server and tsnats-server
// started from the same accounts config file, and against tsnats embedded with the same users
// as options (test/helpers/accounts.js). Every check must report "ok".
import { test } from "node:test";
import { ISOLATION, isolationTargets, startAccountsServer } from "./helpers/accounts.js";
import { describeNatsC, runChecks } from "./helpers/natsc.js";

const CHECKS = [
  "connect",
  "same_subject",
  "wildcard_star",
  "wildcard_gt",
  "queue_group",
  "request_reply",
  "no_auth_user",
  "close",
];

describeNatsC(
  "nats.c (libnats): account isolation",
  "accounts_isolation",
  "test/interop-natsc-accounts.test.js",
  (build) => {
    for (const target of isolationTargets()) {
      test(`nats.c isolation against ${target}`, async (t) => {
        const server = await startAccountsServer(target, ISOLATION, build.dir);
        await runChecks(t, { binary: build.binary, args: [server.hostport], server, checks: CHECKS, against: target });
      });
    }
  },
);
