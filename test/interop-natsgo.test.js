// Interop with the official Go client (nats.go): the shared natsbench tool, built from
// Debian's golang-go and golang-github-nats-io-go-nats-dev, runs pub/sub, queue groups and
// request/reply against each server and must report every message delivered exactly once.
// Skipped, saying why, when Go or the nats.go sources are missing (.ci/run installs them).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, serverKinds, startServer } from "./helpers/servers.js";

const BUILD = path.resolve(ROOT, "..", "shared", "tools", "natsbench", "build.sh");
const NATS_GO = "/usr/share/gocode/src/github.com/nats-io/nats.go/nats.go";

function missing() {
  if (!existsSync(BUILD)) return `no ${BUILD}`;
  try {
    execFileSync("sh", ["-c", "command -v go"], { stdio: "ignore" });
  } catch {
    return "no Go toolchain (apt-get install golang-go)";
  }
  if (!existsSync(NATS_GO)) return "no nats.go sources (apt-get install golang-github-nats-io-go-nats-dev)";
  return null;
}

const why = missing();

function run(bin, args) {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: 60000 }, (err, stdout, stderr) => {
      const json = stdout
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .pop();
      resolve({ code: err ? (err.code ?? 1) : 0, out: stdout + stderr, result: json ? JSON.parse(json) : null });
    });
  });
}

describe("nats.go interop (natsbench)", { skip: why ?? false }, () => {
  let dir;
  let bin;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tsnats-natsgo-"));
    bin = path.join(dir, "natsbench");
    // build.sh installs nothing when the packages are present
    execFileSync("bash", [BUILD, bin], { stdio: "ignore", timeout: 180000 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const kind of serverKinds()) {
    it(`pub/sub, fan-out, queue group and request/reply with nats.go against ${kind}`, async (t) => {
      const srv = await startServer(kind);
      try {
        const url = `nats://127.0.0.1:${srv.port}`;
        const cases = [
          ["pubsub", "--size", "128", "--msgs", "100000"],
          ["pubsub", "--size", "16", "--pub", "1", "--sub", "3", "--msgs", "50000"],
          ["queue", "--size", "64", "--pub", "1", "--sub", "3", "--msgs", "60000"],
          ["reqrep", "--size", "128", "--msgs", "1000", "--conc", "4", "--conc-msgs", "2000"],
        ];
        for (const args of cases) {
          const r = await run(bin, [...args, "--url", url, "--timeout", "5s"]);
          assert.equal(r.code, 0, `natsbench ${args.join(" ")} failed:\n${r.out}`);
          assert.ok(r.result?.ok, `natsbench ${args.join(" ")} reported a problem:\n${r.out}`);
          // the counts each mode reports must be there, and zero
          for (const k of args[0] === "reqrep" ? ["rr_failed"] : ["lost", "extra"]) {
            assert.equal(r.result[k], 0, `natsbench ${args.join(" ")}: ${k}`);
          }
          t.diagnostic(`${args[0]} ${args.slice(1).join(" ")}: ok`);
        }
      } finally {
        await srv.stop();
      }
    });
  }

});
