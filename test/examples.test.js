// The embedding examples in examples/ (node:test, vitest, jest) run as their users would run
// them, from the repository root, and pass with the expected number of tests. Each runner
// must also exit on its own (no --forceExit): a server left open would keep it alive.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { ROOT } from "./helpers/servers.js";

const bin = (name) => path.join(ROOT, "node_modules", ".bin", name);

/** Run a command from the repository root; resolve with its exit code and output. */
function run(cmd, args, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", CI: "1" };
    // a runner started by this test must not inherit node:test's child-process settings
    delete env.NODE_TEST_CONTEXT;
    delete env.NODE_OPTIONS;
    const p = spawn(cmd, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    const t = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error(`${path.basename(cmd)} ${args.join(" ")} did not exit within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    p.once("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
    p.once("exit", (code, sig) => {
      clearTimeout(t);
      resolve({ code: code ?? sig, out });
    });
  });
}

describe("embedding examples", () => {
  it("examples/node-test passes its 3 tests with node --test", async () => {
    const { code, out } = await run(process.execPath, ["--test", "--test-reporter=tap", "examples/node-test/"]);
    assert.equal(code, 0, out);
    assert.match(out, /^# tests 3$/m, out);
    assert.match(out, /^# pass 3$/m, out);
    assert.match(out, /^# fail 0$/m, out);
  });

  it("examples/vitest passes its 3 tests with vitest run", async () => {
    const { code, out } = await run(bin("vitest"), ["run", "--config", "examples/vitest/vitest.config.js"]);
    assert.equal(code, 0, out);
    assert.match(out, /Test Files\s+1 passed \(1\)/, out);
    assert.match(out, /Tests\s+3 passed \(3\)/, out);
  });

  it("examples/jest passes its 3 tests with jest (ES modules)", async () => {
    const { code, out } = await run(process.execPath, [
      "--experimental-vm-modules",
      path.join(ROOT, "node_modules", "jest", "bin", "jest.js"),
      "--config",
      "examples/jest/jest.config.js",
      "--detectOpenHandles",
    ]);
    assert.equal(code, 0, out);
    assert.match(out, /Test Suites:\s+1 passed, 1 total/, out);
    assert.match(out, /Tests:\s+3 passed, 3 total/, out);
    assert.doesNotMatch(out, /did not exit|open handle/i, out);
  });
});
