// scripts/prereqs.mjs, which `npm test` and `npm run bench` run first: with everything installed
// it goes on at once; with something missing it either prints the one install line and exits 1
// before any test runs, or (as root on Debian) runs apt-get update once and apt-get install -y
// with exactly the missing packages. apt-get is a stand-in here that records its calls.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "./helpers/servers.js";

const SCRIPT = path.join(ROOT, "scripts", "prereqs.mjs");
const ALL_MISSING = "apt-get install -y gcc golang-go chromium openssl bsdutils";

function run(args, env) {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, ...args], { cwd: ROOT, env, timeout: 30000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** serverKinds() of test/helpers/servers.js in a process with this environment. */
function serverKindsIn(env) {
  const code = `import("./test/helpers/servers.js").then((m) => console.log(m.serverKinds().join(",")));`;
  return new Promise((resolve) => {
    execFile(process.execPath, ["-e", code], { cwd: ROOT, env, timeout: 30000 }, (err, stdout, stderr) =>
      resolve({ code: err ? err.code : 0, stdout, stderr }),
    );
  });
}

describe("scripts/prereqs.mjs", () => {
  let dir;
  /** An environment whose PATH holds only `dir`: gcc, go, openssl and script are not found
   * (nats-server still is, in /usr/sbin, and the headers and nats.go sources are files). */
  let bare;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tsnats-prereqs-"));
    bare = { ...process.env, PATH: dir, CHROMIUM_PATH: path.join(dir, "chromium") };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("goes on at once when everything is installed", async () => {
    const r = await run(["test", "--no-build"], { ...process.env, TSNATS_PREREQS_INSTALL: "0" });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, "");
    assert.equal(
      r.stdout,
      "prereqs: everything npm test needs is installed (nats-server, libnats-dev, gcc, go, nats.go, chromium, openssl, script)\n",
    );
  });

  it("not root: names what is missing and the one install line, exit 1", async () => {
    const r = await run(["test", "--no-build"], { ...bare, TSNATS_PREREQS_INSTALL: "0" });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stdout, "");
    for (const name of ["gcc", "go", "chromium", "openssl", "script"])
      assert.match(r.stderr, new RegExp(`\\n  - ${name} \\(Debian package `));
    assert.doesNotMatch(r.stderr, /\n {2}- (nats-server|libnats-dev|nats\.go) /);
    assert.ok(r.stderr.endsWith(`run the command again:\n  ${ALL_MISSING}\n`), r.stderr);
  });

  it("npm run bench needs only nats-server and the load generator's toolchain", async () => {
    const r = await run(["bench", "--no-build"], { ...bare, TSNATS_PREREQS_INSTALL: "0" });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /^prereqs: npm run bench needs what is not installed:\n {2}- go \(Debian package golang-go\)/,
    );
    assert.ok(r.stderr.endsWith("\n  apt-get install -y golang-go\n"), r.stderr);
  });

  it("as root: apt-get update once, then apt-get install -y with the missing packages, then on", async () => {
    const log = path.join(dir, "apt.log");
    const chromium = path.join(dir, "chromium");
    // the stand-in apt-get records each call and, on install, provides the missing programs
    writeFileSync(
      path.join(dir, "apt-get"),
      `#!/bin/sh
echo "$DEBIAN_FRONTEND $*" >> '${log}'
if [ "$1" = install ]; then
  for p in gcc go openssl script '${chromium}'; do
    case "$p" in /*) f="$p" ;; *) f='${dir}'/"$p" ;; esac
    printf '#!/bin/sh\\n' > "$f"; /bin/chmod +x "$f"
  done
fi
`,
    );
    chmodSync(path.join(dir, "apt-get"), 0o755);
    const r = await run(["test", "--no-build"], { ...bare, TSNATS_PREREQS_INSTALL: "1" });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(readFileSync(log, "utf8").trim().split("\n"), [
      "noninteractive update -qq",
      "noninteractive install -y -qq gcc golang-go chromium openssl bsdutils",
    ]);
    assert.match(r.stdout, /^prereqs: installing gcc golang-go chromium openssl bsdutils for npm test/);
    assert.match(r.stdout, /everything npm test needs is installed/);
    for (const f of ["gcc", "go", "openssl", "script", "chromium"]) rmSync(path.join(dir, f));
    rmSync(log);
  });

  it("as root, when apt-get fails: exit 1 with the install line", async () => {
    writeFileSync(path.join(dir, "apt-get"), '#!/bin/sh\n[ "$1" = update ] || exit 100\n');
    chmodSync(path.join(dir, "apt-get"), 0o755);
    const r = await run(["test", "--no-build"], { ...bare, TSNATS_PREREQS_INSTALL: "1" });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /^prereqs: apt-get failed, and npm test still needs what is not installed:/);
    assert.ok(r.stderr.endsWith(`\n  ${ALL_MISSING}\n`), r.stderr);
    assert.ok(!existsSync(path.join(dir, "gcc")));
  });

  it("a missing oracle stops the tests that compare with it, with the install line", async () => {
    const env = { ...process.env, NATS_SERVER_BIN: path.join(dir, "nats-server") };
    const r = await serverKindsIn(env);
    assert.notEqual(r.code, 0, r.stdout);
    assert.equal(r.stdout, "", "no thinned list of server kinds");
    assert.match(
      r.stderr,
      /the tests against Debian's nats-server \(the oracle\) needs what is not installed:\n {2}- nats-server/,
    );
    assert.match(r.stderr, /\n {2}apt-get install -y nats-server\n/);
    // chosen on purpose, a run without the oracle is allowed
    assert.equal((await serverKindsIn({ ...env, TEST_SERVER_KINDS: "tsnats" })).stdout, "tsnats\n");
  });

  it("refuses an unknown command or option with exit 2", async () => {
    for (const args of [[], ["tests"], ["test", "--bogus"]]) {
      const r = await run(args, process.env);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /^usage: node scripts\/prereqs\.mjs test\|bench \[--no-build\]\n$/);
    }
  });
});
