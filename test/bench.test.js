// The benchmark runner (`npm run bench`, bench/run.js): a very short run against both servers
// must print the Markdown table and write well-formed JSON and SVG whose figures agree with
// each other; missing prerequisites and bad options are refused with exit 2 and a clear message.
// The load generators are the project's own bench/loadgen (nats.go) and `tsnats bench`; the quick
// run uses both, and a TLS case (certificates made for the run, then removed). A missing
// nats-server, Go or nats.go fails the file with the install line, it never thins the run.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "./helpers/servers.js";
import { requirePrereqs } from "../scripts/prereqs.mjs";

const RUN = path.join(ROOT, "bench", "run.js");
requirePrereqs(["nats-server", "go", "nats.go"], "test/bench.test.js (npm run bench)");

function run(args, timeout = 60000, env = process.env) {
  return new Promise((resolve) => {
    execFile(process.execPath, [RUN, ...args], { cwd: ROOT, timeout, env }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe("npm run bench (bench/run.js)", () => {
  let dir;
  let res;
  let report;
  const CASES = ["pub-16B", "pubsub-1x1-128B", "tls-pubsub-1x1-128B"];
  const GENERATORS = ["loadgen", "tsnats"];
  const tlsDirs = () => readdirSync(tmpdir()).filter((f) => f.startsWith("tsnats-bench-tls-"));
  let tlsBefore;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "tsnats-bench-"));
    const args = [
      "--quick",
      "--duration",
      "0.2",
      "--scale-conns",
      "200",
      "--startup-runs",
      "2",
      "--out",
      dir,
      "--cases",
      CASES.join(","),
      "--generators",
      GENERATORS.join(","),
    ];
    tlsBefore = tlsDirs();
    res = await run(args, 120000);
    if (res.code === 0 || res.code === 1) report = JSON.parse(readFileSync(path.join(dir, "latest.json"), "utf8"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("completes a quick run without problems", () => {
    assert.equal(res.code, 0, `exit ${res.code}\n${res.stdout}\n${res.stderr}`);
    assert.deepEqual(report.problems, []);
  });

  it("writes the dated JSON, latest.json, latest.md and latest.svg", () => {
    const files = readdirSync(dir).sort();
    const dated = files.filter((f) => /^\d{4}-\d{2}-\d{2}-.+\.json$/.test(f));
    assert.equal(dated.length, 1, `files: ${files.join(", ")}`);
    for (const f of ["latest.json", "latest.md", "latest.svg"]) assert.ok(files.includes(f), `${f} missing`);
    assert.equal(readFileSync(path.join(dir, dated[0]), "utf8"), readFileSync(path.join(dir, "latest.json"), "utf8"));
  });

  it("records the machine, date and options", () => {
    assert.equal(report.tool, "tsnats-bench");
    assert.ok(!Number.isNaN(Date.parse(report.date)));
    assert.ok(report.machine.cores >= 1);
    assert.equal(typeof report.machine.cpu, "string");
    assert.equal(report.machine.node, process.version);
    assert.match(report.machine.nats_server, /v\d+\.\d+\.\d+/);
    assert.equal(report.options.rounds, 1);
    assert.equal(report.options.scale_conns, 200);
  });

  it("measures process and embedded start-up", () => {
    for (const k of ["nats-server", "tsnats"]) {
      assert.equal(report.startup.process[k].runs, 2);
      assert.ok(report.startup.process[k].median_ms > 0, `${k} start-up`);
    }
    assert.equal(report.startup.embedded.runs, 4);
    assert.ok(report.startup.embedded.median_ms > 0);
    assert.ok(report.startup.embedded.first_ms >= report.startup.embedded.min_ms);
  });

  it("measures accept time and resident memory of both servers with open connections", () => {
    for (const part of ["idle", "subs"]) {
      for (const k of ["nats-server", "tsnats"]) {
        const s = report.scale[part][k];
        assert.equal(s.ready, true, `${part} ${k}: ${s.error}`);
        assert.equal(s.conns, part === "idle" ? 200 : 20);
        assert.equal(s.subs_per_conn, part === "idle" ? 0 : 100);
        assert.ok(s.accept_ms > 0);
        assert.ok(s.rss_mb > 1 && s.rss_mb < 4096, `${part} ${k} rss ${s.rss_mb}`);
        assert.ok(s.rss_idle_server_mb > 1);
      }
    }
    // the 10,000-connection memory target is not judged on a 200-connection run
    assert.ok(!report.targets.some((t) => t.name.startsWith("rss-")));
  });

  it("has both medians, the ratio and the loss count for each case and generator", () => {
    assert.deepEqual(report.generators, GENERATORS);
    // per case, one row per generator, loadgen first
    assert.deepEqual(
      report.cases.map((r) => `${r.case} ${r.generator}`),
      CASES.flatMap((c) => GENERATORS.map((g) => `${c} ${g}`)),
    );
    for (const r of report.cases) {
      for (const k of ["nats-server", "tsnats"]) {
        assert.equal(r[k].values.length, 1, `${r.case} ${r.generator} ${k}: one round`);
        assert.ok(r[k].median > 0, `${r.case} ${r.generator} ${k} median`);
        const raw = report.raw[r.generator][r.case][k][0];
        assert.equal(raw.ok, true, `${r.case} ${r.generator} ${k}: ${JSON.stringify(raw.errors)}`);
        assert.equal(raw.tool, r.generator === "loadgen" ? "loadgen" : "tsnats bench");
        if (r.generator === "loadgen") assert.equal(raw.label, k);
        assert.equal(r[k].median, raw[r.metric]);
      }
      // the ratio is taken within one generator's figures
      assert.ok(Math.abs(r.ratio - r.tsnats.median / r["nats-server"].median) < 0.001);
      assert.equal(r.pass, r.ratio >= r.target && r.lost.tsnats === 0);
    }
    for (const g of GENERATORS) {
      for (const c of ["pubsub-1x1-128B", "tls-pubsub-1x1-128B"]) {
        const ps = report.cases.find((r) => r.case === c && r.generator === g);
        assert.deepEqual(ps.lost, { "nats-server": 0, tsnats: 0 }, `${c} ${g}`);
        const raw = report.raw[g][c].tsnats[0];
        assert.equal(raw.lost, 0);
        if (g === "loadgen") assert.equal(raw.delivered, raw.expected);
        else assert.equal(raw.sub.msgs, raw.pub.msgs);
      }
    }
    assert.equal(report.cases.find((r) => r.case === "tls-pubsub-1x1-128B").target, 0.8);
    // loadgen ran the TLS case over TLS
    assert.equal(report.raw.loadgen["tls-pubsub-1x1-128B"].tsnats[0].tls, true);
    assert.equal(report.raw.loadgen["pubsub-1x1-128B"].tsnats[0].tls, false);
  });

  it("removes the certificates it made for the TLS cases", () => {
    assert.deepEqual(
      tlsDirs().filter((d) => !tlsBefore.includes(d)),
      [],
    );
  });

  it("prints the Markdown table whose ratios match the JSON", () => {
    const lines = res.stdout.split("\n");
    const head = lines.findIndex((l) => l.startsWith("| Case | generator | nats-server | tsnats | ratio |"));
    assert.ok(head >= 0, res.stdout);
    assert.match(lines[head + 1], /^\| --- \|/);
    for (let i = 0; i < report.cases.length; i++) {
      const cells = lines[head + 2 + i].split("|").map((c) => c.trim());
      assert.equal(cells[1], report.cases[i].label);
      assert.equal(cells[2], report.cases[i].generator === "loadgen" ? "loadgen" : "tsnats bench");
      assert.equal(cells[5], report.cases[i].ratio.toFixed(2));
    }
    assert.ok(res.stdout.includes(readFileSync(path.join(dir, "latest.md"), "utf8").trim()));
  });

  it("draws one SVG bar per target with its ratio", () => {
    const svg = readFileSync(path.join(dir, "latest.svg"), "utf8");
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*>/);
    assert.match(svg.trim(), /<\/svg>$/);
    // every element is closed: opening tags (not self-closing) match closing tags
    for (const tag of ["svg", "g", "text", "title"]) {
      const open = (svg.match(new RegExp(`<${tag}[ >]`, "g")) ?? []).length;
      const close = (svg.match(new RegExp(`</${tag}>`, "g")) ?? []).length;
      assert.equal(open, close, `<${tag}> balance`);
    }
    const bars = [
      ...svg.matchAll(
        /<g class="bar" data-name="([^"]*)" data-ratio="([^"]*)" data-target="([^"]*)" data-pass="(true|false)">/g,
      ),
    ];
    assert.equal(bars.length, report.targets.length);
    bars.forEach((b, i) => {
      assert.equal(b[1], report.targets[i].name);
      assert.equal(Number(b[2]), report.targets[i].ratio);
      assert.equal(b[4], String(report.targets[i].pass));
    });
  });
});

describe("bench/run.js --list", () => {
  it("shows every case with the command line of each generator", async () => {
    const r = await run(["--list"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines.length % 2, 0);
    const names = lines.filter((_, i) => i % 2 === 0).map((l) => l.split(/\s+/)[0]);
    assert.ok(names.includes("pub-16B") && names.includes("tls-pubsub-1x5-128B"), names.join(", "));
    for (let i = 0; i < lines.length; i += 2) {
      assert.match(lines[i], /^\S+\s+loadgen (pub|pubsub|queue|reqrep) --size \d+/);
      assert.match(lines[i + 1], /^\s+tsnats( -s tls:\/\/\.\.\. --tlsca ca\.pem)? bench bench\.\S+ --pub \d+ .*--json/);
      assert.equal(lines[i].includes("tls://"), lines[i + 1].includes("tls://"), lines[i]);
    }
  });
});

describe("bench/run.js refuses to run without what it needs", () => {
  it("no Go toolchain: exit 2 naming it and the package to install, before writing anything", async () => {
    const empty = mkdtempSync(path.join(tmpdir(), "tsnats-bench-path-"));
    try {
      // an empty PATH: go is not found (nats-server still is, in /usr/sbin)
      const r = await run(["--quick", "--out", "/nonexistent/out"], 60000, { ...process.env, PATH: empty });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /- go \(Debian package golang-go\)/);
      assert.match(r.stderr, /\n {2}apt-get install -y golang-go\n/);
      assert.ok(!existsSync("/nonexistent/out"));
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("a missing tsnats build: exit 2 naming it", async () => {
    const r = await run([
      "--quick",
      "--no-throughput",
      "--tsnats-dir",
      "/nonexistent/tsnats",
      "--out",
      "/nonexistent/out",
    ]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /\/nonexistent\/tsnats\/dist\/cli\/server\.js: run npm run build first/);
    assert.ok(!existsSync("/nonexistent/out"));
  });

  it("unknown options and cases: exit 2 with the reason", async () => {
    const a = await run(["--bogus"]);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /unknown option --bogus/);
    const b = await run(["--cases", "pub-16B,nope"]);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /unknown case\(s\) nope/);
    const c = await run(["--rounds", "zero"]);
    assert.equal(c.code, 2);
    assert.match(c.stderr, /--rounds needs a number/);
    const d = await run(["--generators", "loadgen,natsbench"]);
    assert.equal(d.code, 2);
    assert.match(d.stderr, /unknown generator\(s\) natsbench; available: loadgen, tsnats/);
  });
});
