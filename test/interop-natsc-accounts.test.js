// Account isolation with the official NATS C client (Debian's libnats): compile
// test/c/accounts_isolation.c once and run it against Debian's nats-server and tsnats-server
// started from the same accounts config file, and against tsnats embedded with the same users
// as options (test/helpers/accounts.js). Every check must report "ok".
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "./helpers/servers.js";
import { ISOLATION, isolationTargets, startAccountsServer } from "./helpers/accounts.js";
import { describeMissing, missing } from "../scripts/prereqs.mjs";

const SOURCE = path.join(ROOT, "test", "c", "accounts_isolation.c");
const RUN_TIMEOUT_MS = 40_000; // the program has its own 25 s watchdog

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

function run(cmd, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

const absent = missing(["gcc", "libnats-dev"]);

if (absent.length > 0) {
  test("nats.c account isolation", () => assert.fail(describeMissing(absent, "test/interop-natsc-accounts.test.js")));
} else {
  describe("nats.c (libnats): account isolation", () => {
    let dir;
    let binary;

    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), "tsnats-natsc-acc-"));
      binary = path.join(dir, "accounts_isolation");
      try {
        execFileSync("gcc", ["-std=c11", "-Wall", "-Wextra", "-O1", "-o", binary, SOURCE, "-lnats", "-lpthread"], {
          stdio: ["ignore", "pipe", "pipe"],
          encoding: "utf8",
        });
      } catch (err) {
        throw new Error(`gcc failed to build ${SOURCE}:\n${err.stderr ?? err.message}`);
      }
    });

    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const target of isolationTargets()) {
      test(`nats.c isolation against ${target}`, async (t) => {
        const server = await startAccountsServer(target, ISOLATION, dir);
        let result;
        try {
          result = await run(binary, [server.hostport], RUN_TIMEOUT_MS);
        } finally {
          await server.stop();
        }
        const lines = result.stdout.split("\n").map((l) => l.trim());
        const report =
          `nats.c output against ${target} (exit ${result.code ?? result.signal}` +
          `${result.timedOut ? ", killed after timeout" : ""}):\n${result.stdout}` +
          (result.stderr ? `\nstderr:\n${result.stderr}` : "");
        for (const check of CHECKS) {
          await t.test(check, () => {
            const failed = lines.find((l) => l.startsWith(`FAIL ${check}:`));
            assert.ok(!failed, failed);
            assert.ok(lines.includes(`ok ${check}`), `no "ok ${check}" line\n${report}`);
          });
        }
        await t.test("every check reported and exit code 0", () => {
          const unknown = lines.filter(
            (l) => /^(ok|FAIL) /.test(l) && !CHECKS.includes(l.replace(/^(ok|FAIL) ([^:]+).*$/, "$2")),
          );
          assert.deepEqual(unknown, [], `lines for checks this test does not know about:\n${report}`);
          assert.equal(result.timedOut, false, report);
          assert.equal(result.code, 0, report);
        });
      });
    }
  });
}
