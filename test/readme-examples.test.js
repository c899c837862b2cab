// The README's client and CLI examples run as written: the JavaScript block of "Client library"
// (self-referencing the package as "tsnats" from the repository root), and the pub/sub lines of
// "The tsnats CLI" against each server kind, with NATS_URL naming the test server (the README's
// lines use the default server).
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "shell-quote";
import { ROOT, serverKinds, startServer } from "./helpers/servers.js";

const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
const CLI = path.join(ROOT, "dist", "cli", "tsnats.js");
const children = new Set();
after(() => {
  for (const p of children) p.kill("SIGKILL");
});

/** The first fenced block of the given language after a heading. */
function block(heading, lang) {
  const at = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(at >= 0, `README has a "${heading}" section`);
  const m = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(readme.slice(at));
  assert.ok(m, `README's "${heading}" section has a ${lang} block`);
  return m[1];
}

describe("README examples", () => {
  it('the "Client library" example runs and prints the time its service answered', () => {
    const code = block("Client library", "js");
    assert.match(code, /from "tsnats"/);
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", code], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 20000,
    });
    assert.match(out, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\n$/);
  });

  for (const kind of serverKinds()) {
    it(`the CLI's sub and pub lines work as written [${kind}]`, async () => {
      const lines = block("The `tsnats` CLI", "sh").split("\n");
      const argv = (prefix) => {
        const l = lines.find((x) => x.startsWith(prefix));
        assert.ok(l, `README's CLI block has a "${prefix}" line`);
        return parse(l.replace(/&\s*$/, "").replace(/#.*$/, "")).slice(1);
      };
      const subArgs = argv("tsnats sub ");
      const pubArgs = argv("tsnats pub ");
      const srv = await startServer(kind);
      try {
        const env = { ...process.env, NATS_URL: srv.url };
        const sub = spawn(process.execPath, [CLI, ...subArgs], { env, stdio: ["ignore", "pipe", "pipe"] });
        children.add(sub);
        let out = "";
        let err = "";
        sub.stdout.on("data", (d) => (out += d));
        const exited = new Promise((resolve) => sub.once("exit", resolve));
        await new Promise((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`tsnats sub did not subscribe:\n${err}`)), 10000);
          sub.stderr.on("data", (d) => {
            err += d;
            if (/Subscribing on /.test(err)) {
              clearTimeout(t);
              resolve();
            }
          });
        });
        const pub = execFileSync(process.execPath, [CLI, ...pubArgs], { env, encoding: "utf8", stdio: "pipe" });
        assert.equal(pub, "");
        const want = [1, 2, 3].map((n) => `Source: web\n\norder ${n}\n`);
        for (let i = 0; i < 100 && !want.every((w) => out.includes(w)); i++)
          await new Promise((r) => setTimeout(r, 50));
        sub.kill("SIGTERM");
        await exited;
        children.delete(sub);
        assert.equal(
          out,
          want.map((w, i) => `[#${i + 1}] Received on "orders.new"\n${w}\n\n`).join(""),
          `tsnats sub printed:\n${out}`,
        );
      } finally {
        await srv.stop();
      }
    });
  }
});
