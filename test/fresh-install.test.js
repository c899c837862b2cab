// "npm install tsnats" in a fresh project gives a running NATS server in three lines: the
// package is packed with npm pack, installed into an empty temporary project (its
// dependencies from the npm cache or registry, as CI's npm ci gets them), and a three-line
// script there starts a server that a raw client PINGs. The script then stops the server
// and its process must exit on its own (nothing left open). The installed bins run too:
// `npx tsnats --help`, and `npx tsnats sub`/`pub` round a message through the installed
// tsnats-server.
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

  it("the installed bins: npx tsnats --help, and a pub/sub round trip through the installed tsnats-server", {
    timeout: 90_000,
  }, async () => {
    assert.ok(existsSync(path.join(proj, "node_modules", "tsnats")), "the install step must have passed");
    const npx = process.platform === "win32" ? "npx.cmd" : "npx";
    const help = await run(npx, ["--no-install", "tsnats", "--help"], proj, 30_000);
    assert.equal(help.code, 0, `npx tsnats --help failed:\n${help.out}`);
    assert.match(help.out, /^Usage: tsnats /m);
    for (const verb of ["pub", "sub", "request", "reply", "rtt", "bench", "server"]) {
      assert.match(help.out, new RegExp(`^  ${verb}\\b`, "m"), `--help lists ${verb}`);
    }
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    delete env.NODE_OPTIONS;
    // the server runs through its bin link (not npx), so the handle here is the server process itself
    const srv = spawn(path.join(proj, "node_modules", ".bin", "tsnats-server"), ["-a", "127.0.0.1", "-p", "-1"], {
      cwd: proj,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(srv);
    const sub = { out: "" };
    try {
      let log = "";
      const port = await new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`tsnats-server did not listen within 20 s:\n${log}`)), 20_000);
        srv.stderr.on("data", (d) => {
          log += d;
          const m = /Listening for client connections on [^\s]*:(\d+)/.exec(log);
          if (m) {
            clearTimeout(t);
            resolve(Number(m[1]));
          }
        });
        srv.once("exit", (code) => {
          clearTimeout(t);
          reject(new Error(`tsnats-server exited (${code}):\n${log}`));
        });
      });
      const url = `nats://127.0.0.1:${port}`;
      sub.p = spawn(npx, ["--no-install", "tsnats", "-s", url, "sub", "fresh.x", "--count", "1"], {
        cwd: proj,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      children.add(sub.p);
      sub.p.stdout.on("data", (d) => (sub.out += d));
      sub.p.stderr.on("data", (d) => (sub.out += d));
      const subExit = new Promise((resolve) => sub.p.once("exit", (code) => resolve(code)));
      await new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`tsnats sub did not subscribe within 20 s:\n${sub.out}`)), 20_000);
        const check = () => {
          if (/Subscribing on fresh\.x/.test(sub.out)) {
            clearTimeout(t);
            resolve();
          }
        };
        sub.p.stderr.on("data", check);
        subExit.then((code) => {
          clearTimeout(t);
          reject(new Error(`tsnats sub exited (${code}) before subscribing:\n${sub.out}`));
        });
      });
      const pub = await run(
        npx,
        ["--no-install", "tsnats", "-s", url, "pub", "fresh.x", "from the tarball"],
        proj,
        30_000,
      );
      assert.equal(pub.code, 0, `tsnats pub failed:\n${pub.out}`);
      assert.equal(await subExit, 0, `tsnats sub failed:\n${sub.out}`);
      assert.match(sub.out, /\[#1\] Received on "fresh\.x"\nfrom the tarball\n/);
    } finally {
      if (sub.p && sub.p.exitCode === null) sub.p.kill("SIGKILL");
      if (srv.exitCode === null) {
        const gone = new Promise((resolve) => srv.once("exit", resolve));
        srv.kill("SIGTERM");
        await gone;
      }
    }
  });
});
