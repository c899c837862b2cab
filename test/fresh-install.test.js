// "npm install tsnats" in a fresh project gives a running NATS server in three lines: the
// package is packed with npm pack, installed into an empty temporary project (its
// dependencies from the npm cache or registry, as CI's npm ci gets them), and a three-line
// script there starts a server that a raw client PINGs. The script then stops the server
// and its process must exit on its own (nothing left open).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "./helpers/servers.js";
import { rawConnect } from "./helpers/raw.js";

const dir = mkdtempSync(path.join(tmpdir(), "tsnats-fresh-"));
const proj = path.join(dir, "project");
const children = new Set();
after(() => {
  for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** Run a command; resolve with {code, out}, reject after timeoutMs with what it printed. */
function run(cmd, args, cwd, timeoutMs) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, NO_COLOR: "1" };
    delete env.NODE_TEST_CONTEXT;
    delete env.NODE_OPTIONS;
    const p = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    children.add(p);
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    const t = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error(`${cmd} ${args.join(" ")} did not finish within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    p.once("error", (e) => {
      clearTimeout(t);
      reject(new Error(`could not run ${cmd}: ${e.message}`));
    });
    p.once("exit", (code, sig) => {
      clearTimeout(t);
      children.delete(p);
      resolve({ code: code ?? sig, out });
    });
  });
}

const npm = process.platform === "win32" ? "npm.cmd" : "npm";

describe("fresh project: npm install tsnats, three lines, a running server", () => {
  let tgz;

  before(async () => {
    assert.ok(existsSync(path.join(ROOT, "dist", "server", "embed.js")), "build first (npm run build)");
    // dist is already built by the test script: pack it as is
    const pack = await run(npm, ["pack", "--ignore-scripts", "--silent", "--pack-destination", dir], ROOT, 60_000);
    assert.equal(pack.code, 0, `npm pack failed:\n${pack.out}`);
    const name = pack.out.trim().split("\n").pop().trim();
    tgz = path.join(dir, name);
    assert.ok(existsSync(tgz), `npm pack did not write ${tgz}:\n${pack.out}`);
  });

  it("installs from the tarball into an empty project", { timeout: 180_000 }, async () => {
    mkdirSync(proj);
    writeFileSync(
      path.join(proj, "package.json"),
      JSON.stringify({ name: "fresh-app", version: "1.0.0", private: true, type: "module" }),
    );
    const inst = await run(
      npm,
      ["install", "--prefer-offline", "--no-audit", "--no-fund", "--fetch-retries=1", "--fetch-timeout=30000", tgz],
      proj,
      170_000,
    );
    assert.equal(
      inst.code,
      0,
      `npm install of the packed tarball failed (its dependencies come from the npm cache or ${process.env.npm_config_registry ?? "the npm registry"}; is it reachable?):\n${inst.out}`,
    );
    const pkg = JSON.parse(readFileSync(path.join(proj, "node_modules", "tsnats", "package.json"), "utf8"));
    assert.equal(pkg.name, "tsnats");
    assert.ok(
      existsSync(path.join(proj, "node_modules", "tsnats", "docs", "embedding.md")),
      "docs/embedding.md ships in the package",
    );
  });

  it("a three-line script runs a server a client can talk to, and exits once it is stopped", {
    timeout: 60_000,
  }, async () => {
    assert.ok(existsSync(path.join(proj, "node_modules", "tsnats")), "the install step must have passed");
    // the three lines of the README, then a way for this test to stop it: end of stdin
    const script = [
      'import { startServer } from "tsnats/server";',
      "const server = await startServer();",
      "console.log(server.url);",
      'process.stdin.on("data", () => {}).on("end", () => server.shutdown());',
    ].join("\n");
    writeFileSync(path.join(proj, "app.js"), script + "\n");
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    delete env.NODE_OPTIONS;
    const p = spawn(process.execPath, ["app.js"], { cwd: proj, env, stdio: ["pipe", "pipe", "pipe"] });
    children.add(p);
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    const exited = new Promise((resolve) => p.once("exit", (code, sig) => resolve(code ?? sig)));
    const url = await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no URL printed within 20 s:\n${out}`)), 20_000);
      const check = () => {
        const m = /nats:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[0]);
        }
      };
      p.stdout.on("data", check);
      exited.then((code) => {
        clearTimeout(t);
        reject(new Error(`the script exited (${code}) before printing a URL:\n${out}`));
      });
    });
    const port = Number(url.split(":")[2]);
    const { c, info } = await rawConnect(port, { verbose: false });
    assert.equal(typeof info.server_id, "string");
    assert.equal(await c.flush(), "", "PING answered by PONG");
    c.write("SUB hello 1\r\nPUB hello 2\r\nhi\r\n");
    assert.equal(await c.flush(), "MSG hello 1 2\r\nhi\r\n");
    c.close();
    p.stdin.end();
    let timer;
    const code = await Promise.race([
      exited,
      new Promise((r) => {
        timer = setTimeout(() => r("still running 10 s after shutdown"), 10_000);
      }),
    ]);
    clearTimeout(timer);
    assert.equal(code, 0, `the script did not exit cleanly after shutdown:\n${out}`);
  });
});
