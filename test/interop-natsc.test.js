// Interop with the official NATS C client (Debian's libnats): compile
// test/c/natsc_interop.c once, run it against every available server kind and
// require an "ok <check>" line for every check it is expected to report.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, serverKinds, startServer } from "./helpers/servers.js";
import { describeMissing, missing } from "../scripts/prereqs.mjs";

const SOURCE = path.join(ROOT, "test", "c", "natsc_interop.c");
const RUN_TIMEOUT_MS = 40_000; // the program has its own 25 s watchdog

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

/** Run a program; resolves {code, signal, stdout, stderr, timedOut}. */
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
  // never a skip: `npm test` installs these (as root) or names them before any test runs
  test("nats.c interop", () => assert.fail(describeMissing(absent, "test/interop-natsc.test.js")));
} else {
  describe("nats.c (libnats) interop", () => {
    let buildDir;
    let binary;

    before(() => {
      buildDir = mkdtempSync(path.join(tmpdir(), "tsnats-natsc-"));
      binary = path.join(buildDir, "natsc_interop");
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
      if (buildDir) rmSync(buildDir, { recursive: true, force: true });
    });

    for (const kind of serverKinds()) {
      test(`nats.c client against ${kind}`, async (t) => {
        const server = await startServer(kind);
        let result;
        try {
          result = await run(binary, [server.url], RUN_TIMEOUT_MS);
        } finally {
          await server.stop();
        }

        const lines = result.stdout.split("\n").map((l) => l.trim());
        const report =
          `nats.c output against ${kind} (exit ${result.code ?? result.signal}` +
          `${result.timedOut ? ", killed after timeout" : ""}):\n${result.stdout}` +
          (result.stderr ? `\nstderr:\n${result.stderr}` : "");
        if (result.code !== 0) t.diagnostic(report);

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
          assert.equal(result.timedOut, false, `the program was killed after ${RUN_TIMEOUT_MS} ms\n${report}`);
          assert.equal(result.code, 0, report);
        });
      });
    }
  });
}
