// The official NATS C client (Debian's libnats) in tests: build a program of test/c/ once per
// suite, run it against a server and require an "ok <check>" line for every check it must report.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "./servers.js";
import { describeMissing, missing } from "../../scripts/prereqs.mjs";

/** How long a program may run; the programs have their own 25 s watchdog. */
const RUN_TIMEOUT_MS = 40_000;

/**
 * A suite around the C program test/c/<program>.c: built with gcc into a temporary directory
 * before its tests, the directory removed after them. `body(build)` declares the tests; by the
 * time they run, `build.binary` is the program and `build.dir` the directory (for config files).
 * Without gcc or libnats-dev the suite is one failing test naming what to install (never a skip:
 * `npm test` installs them or names them before any test runs).
 */
export function describeNatsC(title, program, testFile, body) {
  const absent = missing(["gcc", "libnats-dev"]);
  if (absent.length > 0) {
    test(title, () => assert.fail(describeMissing(absent, testFile)));
    return;
  }
  describe(title, () => {
    const build = { dir: "", binary: "" };
    before(() => {
      build.dir = mkdtempSync(path.join(tmpdir(), `tsnats-${program}-`));
      build.binary = compileC(program, build.dir);
    });
    after(() => {
      if (build.dir) rmSync(build.dir, { recursive: true, force: true });
    });
    body(build);
  });
}

/** Compile test/c/<program>.c against libnats into `dir`; the path of the binary. */
function compileC(program, dir) {
  const source = path.join(ROOT, "test", "c", `${program}.c`);
  const binary = path.join(dir, program);
  try {
    execFileSync("gcc", ["-std=c11", "-Wall", "-Wextra", "-O1", "-o", binary, source, "-lnats", "-lpthread"], {
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
    });
  } catch (err) {
    throw new Error(`gcc failed to build ${source}:\n${err.stderr ?? err.message}`);
  }
  return binary;
}

/** Run a program, killed after `timeoutMs`; resolves {code, signal, stdout, stderr, timedOut}. */
function runProgram(cmd, args, timeoutMs = RUN_TIMEOUT_MS) {
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

/**
 * Run `binary` with `args` against `server`, stop the server (whatever the run did), and check
 * the output: one subtest per expected check (no "FAIL <check>:" line, an "ok <check>" line),
 * then one for the whole run: no line for a check not in `checks`, not killed, exit code 0. A
 * check that silently goes missing (crash, early exit, renamed check) fails. `against` names
 * the server.
 */
export async function runChecks(t, { binary, args, server, checks, against }) {
  let result;
  try {
    result = await runProgram(binary, args);
  } finally {
    await server.stop();
  }
  const lines = result.stdout.split("\n").map((l) => l.trim());
  const report =
    `nats.c output against ${against} (exit ${result.code ?? result.signal}` +
    `${result.timedOut ? ", killed after timeout" : ""}):\n${result.stdout}` +
    (result.stderr ? `\nstderr:\n${result.stderr}` : "");
  if (result.code !== 0) t.diagnostic(report);

  for (const check of checks) {
    await t.test(check, () => {
      const failed = lines.find((l) => l.startsWith(`FAIL ${check}:`));
      assert.ok(!failed, failed);
      assert.ok(lines.includes(`ok ${check}`), `no "ok ${check}" line\n${report}`);
    });
  }

  await t.test("every check reported and exit code 0", () => {
    const unknown = lines.filter(
      (l) => /^(ok|FAIL) /.test(l) && !checks.includes(l.replace(/^(ok|FAIL) ([^:]+).*$/, "$2")),
    );
    assert.deepEqual(unknown, [], `lines for checks this test does not know about:\n${report}`);
    assert.equal(result.timedOut, false, `the program was killed after the timeout\n${report}`);
    assert.equal(result.code, 0, report);
  });
}
