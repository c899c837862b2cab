#!/usr/bin/env node
// `npm run bench`: tsnats-server against Debian's nats-server on loopback.
//
// Both servers run the same case matrix with the same load generators, in alternating rounds
// (round 1: nats-server then tsnats, round 2: tsnats then nats-server, ...). The generators are
// bench/loadgen (Go, nats.go) and `tsnats bench` (the tsnats client's CLI); TLS cases run
// against servers with a `tls {}` block and certificates made with openssl for the run. For each
// case and generator the table shows both medians, the ratio tsnats / nats-server (both figures
// from the same generator) and the spread of each side. It
// also measures start-up time (process and embedded), resident memory with 10,000 idle
// connections and with 1,000 connections holding 100 subscriptions each, the time to
// accept those connections, and the worst PING round trip during a monitoring burst
// (bench/monitor-burst.js). Results go to bench/results/ as JSON, Markdown and an SVG chart.
//
// usage: node bench/run.js [options]          (npm run bench -- [options])
//   --rounds N         alternating rounds (default 3)
//   --duration S       target seconds per case run, from the reference rates (default 2)
//   --cases a,b        only these cases (names as listed by --list)
//   --generators a,b   load generators: loadgen, tsnats (default: loadgen on every case and
//                      tsnats on the cases --list marks "default"; named here, a generator runs
//                      every selected case)
//   --quick            smoke run: 1 round, 0.3 s per case, 3 start-ups, 300 scale connections
//   --scale-conns N    idle connections in the scale test (default 10000; 0 skips it)
//   --startup-runs N   process start-ups per server (default 10; embedded: 2N)
//   --no-throughput    skip the case matrix (start-up and scale figures only)
//   --out DIR          results directory (default bench/results)
//   --tsnats-dir D     measure the tsnats build in D (its dist/), e.g. an older commit exported
//                      with git archive, for before/after figures (default: this checkout)
//   --strict           exit 4 when a target does not hold
//   --list             list the cases and exit
//   --no-client        skip the client benchmark (bench/client.js) that follows the server one
// Exit status: 0 done, 1 a run failed, 2 usage or missing prerequisites, 4 a target missed (--strict).
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { renderSvg } from "./svg.js";
import { firstStdoutLine, monitorBurstMarkdown, monitorBurstTargets, runMonitorBursts } from "./monitor-burst.js";
import { headerComment, serverReady, stopper } from "./lib.js";
import { buildLoadgen } from "./loadgen/build.mjs";
import { makeServerCerts } from "../scripts/certs.mjs";
import { PREREQS, PROFILES, describeMissing, missing as missingPrereqs } from "../scripts/prereqs.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
let TSNATS_DIR = ROOT;
let TSNATS_BIN = path.join(ROOT, "dist", "cli", "server.js");

// ---------------------------------------------------------------------------------------------
// The matrix. `args` are bench/loadgen's; the `tsnats bench` generator translates them (see
// tsnatsBenchArgs). `rates` holds, per generator, the messages per second it publishes against
// nats-server 2.9 on a 2-core machine (loadgen's from issue 8, tsnats bench's measured on the
// 2-core VM at a quiet moment when it joined), used only to size each case to about --duration
// seconds; `metric` is the JSON field
// both generators print. `tls` cases run against servers with a `tls {}` block (certificates
// made at bench time) over tls:// URLs. `tsnatsDefault` marks the cases `tsnats bench` runs
// when --generators is not given (all of them would make a full run far longer than 4 minutes).

/**
 * @typedef {{name: string, label: string, args: string[], rates: Record<string, number>, min: number,
 *   rows: {metric: string, label: string, unit: string, lowerBetter: boolean, target: number}[],
 *   lossCheck: boolean, tls: boolean, tsnatsDefault: boolean}} BenchCase
 */
/** @type {BenchCase[]} */
export const CASES = [
  rateCase("pub-16B", "pub-only 16 B", ["pub", "--size", "16"], [7.4e6, 8.4e6], 0.6),
  rateCase("pub-128B", "pub-only 128 B", ["pub", "--size", "128"], [4.8e6, 6.5e6], 0.6, true),
  rateCase("pub-1KB", "pub-only 1 KB", ["pub", "--size", "1024"], [1.3e6, 2.4e6], 0.9),
  {
    name: "pub-64KB",
    label: "pub-only 64 KB",
    args: ["pub", "--size", "65536"],
    rates: { loadgen: 16000, tsnats: 16000 },
    min: 200,
    rows: [{ metric: "pub_mb_per_s", label: "pub-only 64 KB", unit: "MB/s", lowerBetter: false, target: 0.9 }],
    lossCheck: false,
    tls: false,
    tsnatsDefault: false,
  },
  deliveredCase(
    "pubsub-1x1-128B",
    "pub/sub 1:1, 128 B (delivered)",
    ["pubsub", "--size", "128", "--pub", "1", "--sub", "1"],
    [1.7e6, 1.27e6],
    { tsnatsDefault: true },
  ),
  deliveredCase(
    "pubsub-1x5-128B",
    "pub/sub 1:5, 128 B (delivered, all subs)",
    ["pubsub", "--size", "128", "--pub", "1", "--sub", "5"],
    [2.7e6 / 5, 1.6e6 / 5],
    { tsnatsDefault: true },
  ),
  deliveredCase(
    "queue-1x4-128B",
    "queue group of 4, 128 B (delivered)",
    ["queue", "--size", "128", "--pub", "1", "--sub", "4"],
    [1.4e6, 1.16e6],
  ),
  {
    name: "reqrep-128B",
    label: "request/reply 128 B",
    args: ["reqrep", "--size", "128", "--conc", "4"],
    // loadgen: sequential requests per second at ~200 us each; tsnats bench: 4 requesters at once
    rates: { loadgen: 5000, tsnats: 20000 },
    min: 300,
    rows: [
      { metric: "lat_p50_us", label: "request/reply 128 B, p50 latency", unit: "µs", lowerBetter: true, target: 1.5 },
      { metric: "lat_p99_us", label: "request/reply 128 B, p99 latency", unit: "µs", lowerBetter: true, target: 1.5 },
    ],
    lossCheck: true,
    tls: false,
    tsnatsDefault: true,
  },
  deliveredCase(
    "tls-pubsub-1x1-128B",
    "TLS pub/sub 1:1, 128 B (delivered)",
    ["pubsub", "--size", "128", "--pub", "1", "--sub", "1"],
    [1.2e6, 9e5],
    { tls: true, target: 0.8, tsnatsDefault: true },
  ),
  deliveredCase(
    "tls-pubsub-1x5-128B",
    "TLS pub/sub 1:5, 128 B (delivered, all subs)",
    ["pubsub", "--size", "128", "--pub", "1", "--sub", "5"],
    [1.3e6 / 5, 1.2e6 / 5],
    { tls: true, target: 0.8 },
  ),
];

/** A publish-only case: the publishers' rate, nothing to lose (no subscribers). */
function rateCase(name, label, args, rates, target, tsnatsDefault = false) {
  return matrixCase(name, label, args, rates, "pub_msgs_per_s", { target, tsnatsDefault, lossCheck: false });
}

/** A case whose figure is what subscribers received, every message accounted for. */
function deliveredCase(name, label, args, rates, { tls = false, target = 0.6, tsnatsDefault = false } = {}) {
  return matrixCase(name, label, args, rates, "delivered_msgs_per_s", { tls, target, tsnatsDefault, lossCheck: true });
}

function matrixCase(name, label, args, [loadgen, tsnats], metric, { tls = false, target, tsnatsDefault, lossCheck }) {
  return {
    name,
    label,
    args,
    rates: { loadgen, tsnats },
    min: 20000,
    rows: [{ metric, label, unit: "msgs/s", lowerBetter: false, target }],
    lossCheck,
    tls,
    tsnatsDefault,
  };
}

/** Messages for a case so that generator `gen` takes about `seconds` against nats-server. */
function msgsFor(c, seconds, gen = "loadgen") {
  return Math.max(c.min, Math.round(c.rates[gen] * seconds));
}

/** `tsnats bench` arguments for a case (the mapping of docs/cli.md, `--json`). */
function tsnatsBenchArgs(c) {
  const [mode, ...rest] = c.args;
  const flag = (name, dflt) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : dflt;
  };
  const size = ["--size", flag("--size", "128")];
  const subject = `bench.${c.name}`;
  if (mode === "pub") return [subject, "--pub", "1", ...size];
  if (mode === "reqrep") return [subject, "--pub", flag("--conc", "4"), "--sub", "1", "--request", ...size];
  const args = [subject, "--pub", flag("--pub", "1"), "--sub", flag("--sub", "1"), ...size];
  return mode === "queue" ? [...args, "--queue"] : args;
}

const SERVERS = ["nats-server", "tsnats"];
/** How tables and target names call each load generator (--generators takes the keys). */
const GENERATOR_LABEL = { loadgen: "loadgen", tsnats: "tsnats bench" };

// ---------------------------------------------------------------------------------------------
// Options

function usage(code, msg) {
  if (msg) process.stderr.write(`bench: ${msg}\n`);
  (code === 0 ? process.stdout : process.stderr).write(headerComment(import.meta.url));
  process.exit(code);
}

function parseArgs(argv) {
  const o = {
    rounds: 3,
    duration: 2,
    cases: null,
    generators: null,
    scaleConns: 10000,
    startupRuns: 10,
    throughput: true,
    out: path.join(ROOT, "bench", "results"),
    strict: false,
    quick: false,
  };
  const explicit = new Set();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    const need = () => {
      if (v === undefined || v.startsWith("--")) usage(2, `${a} needs a value`);
      i++;
      explicit.add(a);
      return v;
    };
    const num = (min) => {
      const s = need();
      const n = Number(s);
      if (!Number.isFinite(n) || n < min) usage(2, `${a} needs a number >= ${min}, got ${JSON.stringify(s)}`);
      return n;
    };
    switch (a) {
      case "--rounds":
        o.rounds = Math.floor(num(1));
        break;
      case "--duration":
        o.duration = num(0.01);
        break;
      case "--cases":
        o.cases = need().split(",").filter(Boolean);
        break;
      case "--generators":
        o.generators = need().split(",").filter(Boolean);
        break;
      case "--scale-conns":
        o.scaleConns = Math.floor(num(0));
        break;
      case "--startup-runs":
        o.startupRuns = Math.floor(num(0));
        break;
      case "--no-throughput":
        o.throughput = false;
        break;
      case "--out":
        o.out = path.resolve(need());
        break;
      case "--tsnats-dir":
        TSNATS_DIR = path.resolve(need());
        TSNATS_BIN = path.join(TSNATS_DIR, "dist", "cli", "server.js");
        break;
      case "--strict":
        o.strict = true;
        break;
      case "--quick":
        o.quick = true;
        break;
      case "--no-client":
        break;
      case "--list":
        list(o.duration);
        break;
      case "-h":
      case "--help":
        usage(0);
        break;
      default:
        usage(2, `unknown option ${a}`);
    }
  }
  if (o.quick) {
    if (!explicit.has("--rounds")) o.rounds = 1;
    if (!explicit.has("--duration")) o.duration = 0.3;
    if (!explicit.has("--scale-conns")) o.scaleConns = 300;
    if (!explicit.has("--startup-runs")) o.startupRuns = 3;
  }
  if (o.cases) {
    const unknown = o.cases.filter((n) => !CASES.some((c) => c.name === n));
    if (unknown.length > 0) usage(2, `unknown case(s) ${unknown.join(", ")}; --list shows them`);
  }
  return o;
}

function list(duration) {
  for (const c of CASES) {
    const tls = c.tls ? " --url tls://... --tlsca ca.pem" : "";
    const stlsca = c.tls ? " -s tls://... --tlsca ca.pem" : "";
    process.stdout.write(
      `${c.name.padEnd(20)} loadgen ${c.args.join(" ")}${tls}  (~${msgsFor(c, duration)} msgs at --duration ${duration})\n` +
        `${"".padEnd(20)} tsnats${stlsca} bench ${tsnatsBenchArgs(c).join(" ")} --json  (~${msgsFor(c, duration, "tsnats")} msgs${c.tsnatsDefault ? "; default" : ""})\n`,
    );
  }
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function median(v) {
  if (v.length === 0) return null;
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function summary(values) {
  const v = values.filter((x) => typeof x === "number" && Number.isFinite(x));
  if (v.length === 0) return { values: [], median: null, min: null, max: null, spread: null };
  const med = median(v);
  const min = Math.min(...v);
  const max = Math.max(...v);
  return { values: v, median: med, min, max, spread: med !== 0 && v.length > 1 ? (max - min) / med : null };
}

/** Soft and hard open-file limits of this process. */
function fdLimits() {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const m = /Max open files\s+(\S+)\s+(\S+)/.exec(line ?? "");
    const n = (s) => (s === "unlimited" ? Infinity : Number(s));
    if (m) return { soft: n(m[1]), hard: n(m[2]) };
  } catch {
    /* not Linux */
  }
  return { soft: Infinity, hard: Infinity };
}

/** Resident set size of a process in bytes (VmRSS), or null. */
function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function machineInfo(natsServer) {
  const cpu = os.cpus()[0]?.model ?? "unknown";
  let natsVersion = null;
  try {
    natsVersion = execFileSync(natsServer, ["--version"], { encoding: "utf8" }).trim();
  } catch {
    /* reported as null */
  }
  let goVersion = null;
  try {
    goVersion = execFileSync("go", ["version"], { encoding: "utf8" }).trim();
  } catch {
    /* no go */
  }
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
  return {
    host: os.hostname(),
    cpu: cpu.replace(/\s+/g, " ").trim(),
    cores: os.cpus().length,
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    nats_server: natsVersion,
    nats_server_path: natsServer,
    tsnats: pkg.version,
    go: goVersion,
    loadavg_at_start: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

// ---------------------------------------------------------------------------------------------
// Server processes. Each runs in its own session (detached), so the load generator can add up the
// server's CPU from /proc by session id. Only processes started here are ever signalled.

const live = new Set();

function cleanupAndExit(code) {
  for (const p of live) {
    try {
      p.kill("SIGKILL");
    } catch {
      /* gone */
    }
  }
  process.exit(code);
}
process.on("SIGINT", () => cleanupAndExit(130));
process.on("SIGTERM", () => cleanupAndExit(143));
// however the runner ends (an exception, a closed stdout such as `| head`), no server outlives it
process.on("exit", () => {
  for (const p of live) {
    try {
      p.kill("SIGKILL");
    } catch {
      /* gone */
    }
  }
});
process.stdout.on("error", () => cleanupAndExit(1));

/** Run a command with the open-file limit raised to `fds` where the hard limit allows. */
function withFdLimit(cmd, args, fds) {
  return [
    "bash",
    ["-c", `ulimit -n ${fds} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"`, "bench", cmd, ...args],
  ];
}

/**
 * Start one server on a random loopback port and wait for "Server is ready". With `tls` (the
 * certificates of makeServerCerts and the config file with their `tls {}` block), the server
 * requires TLS and `url` is tls://, `ca` the CA file clients verify it with.
 * @returns {Promise<{kind: string, pid: number, port: number, url: string, ca: string|null, readyMs: number, output: () => string, stop: () => Promise<void>}>}
 */
async function startServer(kind, env, fds = 0, tls = null) {
  const base = ["-a", "127.0.0.1", "-p", "-1", ...(tls ? ["-c", tls.config] : [])];
  let cmd = kind === "tsnats" ? process.execPath : env.natsServer;
  let args = kind === "tsnats" ? [TSNATS_BIN, ...base] : base;
  if (fds > 0) [cmd, args] = withFdLimit(cmd, args, fds);
  const t0 = performance.now();
  const proc = spawn(cmd, args, { cwd: TSNATS_DIR, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const stop = stopper(proc);
  live.add(proc);
  proc.once("exit", () => live.delete(proc));
  const { port, readyAt, output } = await serverReady(proc, kind, stop);
  return {
    kind,
    pid: proc.pid,
    port,
    url: `${tls ? "tls" : "nats"}://127.0.0.1:${port}`,
    ca: tls ? tls.ca : null,
    readyMs: readyAt - t0,
    output,
    stop,
  };
}

/** Certificates for the TLS cases, and a config file with the `tls {}` block both servers read. */
function makeTlsSetup() {
  const certs = makeServerCerts("tsnats-bench-tls-");
  const config = certs.file("tls.conf");
  writeFileSync(
    config,
    `tls {\n  cert_file: ${JSON.stringify(certs.server.cert)}\n  key_file: ${JSON.stringify(certs.server.key)}\n}\n`,
  );
  return { config, ca: certs.ca, cleanup: certs.cleanup };
}

// ---------------------------------------------------------------------------------------------
// Load generators. Each one: name, label, prepare(), warmup(server), run(case, server, msgs,
// extra) resolving to the generator's JSON result line, with the same field names for both.

function loadgenGenerator() {
  let bin = null;
  return {
    name: "loadgen",
    label: GENERATOR_LABEL.loadgen,
    prepare() {
      bin = buildLoadgen({ log: (line) => process.stdout.write(`${line}\n`) });
    },
    run(c, srv, msgs, extra) {
      const args = [
        ...c.args,
        "--msgs",
        String(msgs),
        "--url",
        srv.url,
        ...(srv.ca ? ["--tlsca", srv.ca] : []),
        "--cpu-sid",
        String(srv.pid),
        "--timeout",
        "5s",
        ...extra,
      ];
      if (c.name.startsWith("reqrep")) args.push("--conc-msgs", String(Math.round(msgs * 2.5)));
      return runJson(bin, args, 180000);
    },
    warmup(srv, quick) {
      return runJson(
        bin,
        [
          "pubsub",
          "--quiet",
          "--size",
          "128",
          "--msgs",
          quick ? "20000" : "200000",
          "--url",
          srv.url,
          ...(srv.ca ? ["--tlsca", srv.ca] : []),
          "--timeout",
          "5s",
          "--subject",
          "loadgen.warmup",
        ],
        60000,
      );
    },
  };
}

/** `tsnats bench --json` from this checkout (also with --tsnats-dir: it is the client side). */
function tsnatsBenchGenerator() {
  const cli = path.join(ROOT, "dist", "cli", "tsnats.js");
  const conn = (srv) => ["-s", srv.url, ...(srv.ca ? ["--tlsca", srv.ca] : []), "--timeout", "5s"];
  return {
    name: "tsnats",
    label: GENERATOR_LABEL.tsnats,
    prepare() {
      if (!existsSync(cli)) throw new Error(`${cli}: run npm run build first (npm run bench does)`);
    },
    run(c, srv, msgs) {
      const args = [
        cli,
        ...conn(srv),
        "bench",
        ...tsnatsBenchArgs(c),
        "--msgs",
        String(msgs),
        "--no-progress",
        "--json",
      ];
      return runJson(process.execPath, args, 180000);
    },
    warmup(srv, quick) {
      const args = ["bench.warmup", "--pub", "1", "--sub", "1", "--msgs", quick ? "20000" : "100000", "--json"];
      return runJson(process.execPath, [cli, ...conn(srv), "bench", ...args, "--no-progress"], 60000);
    },
  };
}

/** Run a generator process; its last stdout line starting with "{" is the result. */
function runJson(bin, args, timeoutMs) {
  return new Promise((resolve) => {
    const p = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    live.add(p);
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    const t = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.once("exit", (code, sig) => {
      clearTimeout(t);
      live.delete(p);
      const line = out
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .pop();
      let result = null;
      try {
        result = line ? JSON.parse(line) : null;
      } catch {
        result = null;
      }
      resolve({ code: code ?? sig, result, out });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Parts of the run

async function measureEmbedded(runs) {
  const t0 = performance.now();
  const mod = await import(path.join(TSNATS_DIR, "dist", "server", "index.js"));
  const importMs = performance.now() - t0;
  const times = [];
  for (let i = 0; i < runs; i++) {
    const s0 = performance.now();
    // the embedding API a developer uses (127.0.0.1, a random port, silent logging); builds
    // from before it existed (--tsnats-dir) start a Server directly
    let srv;
    if (typeof mod.startServer === "function") srv = await mod.startServer();
    else {
      srv = new mod.Server({ host: "127.0.0.1", port: -1 }, { logger: new mod.Logger(new mod.MemorySink()) });
      await srv.start();
    }
    times.push(performance.now() - s0);
    await srv.shutdown();
  }
  return { runs, import_ms: round1(importMs), first_ms: round1(times[0] ?? NaN), ...msSummary(times) };
}

async function measureProcessStartup(env, runs) {
  const res = {};
  const times = { "nats-server": [], tsnats: [] };
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? SERVERS : [...SERVERS].reverse();
    for (const kind of order) {
      const srv = await startServer(kind, env);
      times[kind].push(srv.readyMs);
      await srv.stop();
    }
  }
  for (const kind of SERVERS) res[kind] = { runs, ...msSummary(times[kind]) };
  return res;
}

function round1(x) {
  return Number.isFinite(x) ? Math.round(x * 10) / 10 : null;
}

function msSummary(times) {
  const s = summary(times);
  return { median_ms: round1(s.median), min_ms: round1(s.min), max_ms: round1(s.max) };
}

/** One scale phase against a fresh server: open the connections, read the server's RSS. */
async function scalePhase(kind, env, conns, subs) {
  const fds = conns + 1024;
  const srv = await startServer(kind, env, fds);
  const out = { conns, subs_per_conn: subs };
  try {
    await sleep(300);
    out.rss_idle_server_mb = mb(rssOf(srv.pid));
    const [cmd, args] = withFdLimit(
      process.execPath,
      [path.join(HERE, "scale.js"), "--port", String(srv.port), "--conns", String(conns), "--subs", String(subs)],
      fds,
    );
    const load = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    live.add(load);
    const loadExit = new Promise((r) => load.once("exit", r));
    let text = "";
    load.stderr.on("data", (d) => (text += d));
    const line = await firstStdoutLine(load);
    let r = null;
    try {
      r = JSON.parse(line);
    } catch {
      r = { ready: false, error: `scale.js said ${JSON.stringify(line)} ${text.slice(-500)}` };
    }
    out.ready = r.ready === true;
    out.accept_ms = r.ms ?? null;
    if (!out.ready) out.error = r.error ?? "failed";
    // let the server settle (buffers released after the handshakes), then read its memory
    await sleep(conns >= 5000 ? 1500 : 500);
    out.rss_mb = mb(rssOf(srv.pid));
    out.rss_per_conn_kb =
      out.rss_mb !== null && out.rss_idle_server_mb !== null
        ? Math.round(((out.rss_mb - out.rss_idle_server_mb) * 1024 * 10) / Math.max(1, conns)) / 10
        : null;
    // the server goes first, so the closing handshakes leave no TIME_WAIT on client ports
    await srv.stop();
    load.stdin.end();
    const t = setTimeout(() => load.kill("SIGKILL"), 10000);
    await loadExit;
    clearTimeout(t);
    live.delete(load);
  } finally {
    await srv.stop();
  }
  return out;
}

function mb(bytes) {
  return bytes === null ? null : Math.round((bytes / 2 ** 20) * 10) / 10;
}

/** scalePhase, with a failure to start or run recorded instead of thrown. */
async function scalePhaseSafe(kind, env, conns, subs) {
  try {
    return await scalePhase(kind, env, conns, subs);
  } catch (e) {
    return {
      conns,
      subs_per_conn: subs,
      ready: false,
      error: e.message,
      accept_ms: null,
      rss_mb: null,
      rss_idle_server_mb: null,
    };
  }
}

async function measureScale(env, conns) {
  const subConns = Math.max(1, Math.round(conns / 10));
  const res = { idle: {}, subs: {} };
  for (const kind of SERVERS) {
    process.stdout.write(`  scale [${kind}]: ${conns} idle connections ... `);
    res.idle[kind] = await scalePhaseSafe(kind, env, conns, 0);
    process.stdout.write(
      `${fmtMs(res.idle[kind].accept_ms)}, ${res.idle[kind].rss_mb} MB${res.idle[kind].ready ? "" : " FAILED: " + res.idle[kind].error}\n`,
    );
    process.stdout.write(`  scale [${kind}]: ${subConns} connections x 100 subscriptions ... `);
    res.subs[kind] = await scalePhaseSafe(kind, env, subConns, 100);
    process.stdout.write(
      `${fmtMs(res.subs[kind].accept_ms)}, ${res.subs[kind].rss_mb} MB${res.subs[kind].ready ? "" : " FAILED: " + res.subs[kind].error}\n`,
    );
  }
  return res;
}

// ---------------------------------------------------------------------------------------------
// Formatting

function fmtRate(v, unit) {
  if (v === null) return "-";
  if (unit === "µs") return `${v.toFixed(0)} µs`;
  if (unit === "MB/s") return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} MB/s`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} M ${unit}`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} K ${unit}`;
  return `${v.toFixed(0)} ${unit}`;
}

function fmtMs(v) {
  return v === null || v === undefined ? "-" : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`;
}

function pct(x) {
  return x === null ? "-" : `${Math.round(x * 100)} %`;
}

function markdown(report) {
  const L = [];
  const m = report.machine;
  const casesBy = (g) => new Set(report.cases.filter((r) => r.generator === g).map((r) => r.case)).size;
  const gens = report.generators.map((g) => `${GENERATOR_LABEL[g]} on ${casesBy(g)} case(s)`).join(", ");
  const matrix =
    report.cases.length > 0
      ? `${report.options.rounds} alternating round(s), ~${report.options.duration} s per case; load generators: ${gens}`
      : "no throughput cases (start-up and scale only)";
  L.push(
    `Benchmark of ${report.date.slice(0, 16).replace("T", " ")} UTC on ${m.cores} × ${m.cpu} (${m.memory_gb} GB), ${m.kernel}, Node ${m.node}, ${m.nats_server ?? "nats-server ?"}; ${matrix}.`,
  );
  L.push(
    "Ratio is tsnats / nats-server, both measured by the same generator (rates: higher is better; latency and memory: lower is better). Spread is (max - min) / median over rounds.",
  );
  L.push("");
  if (report.cases.length > 0) {
    L.push("| Case | generator | nats-server | tsnats | ratio | target | spread ns / ts | lost | ok |");
    L.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | :---: |");
    for (const r of report.cases) {
      const lost = r.lossCheck ? `${r.lost["nats-server"]} / ${r.lost.tsnats}` : "-";
      L.push(
        `| ${r.label} | ${GENERATOR_LABEL[r.generator]} | ${fmtRate(r["nats-server"].median, r.unit)} | ${fmtRate(r.tsnats.median, r.unit)} | ${r.ratio === null ? "-" : r.ratio.toFixed(2)} | ${r.lowerBetter ? "≤" : "≥"} ${r.target} | ${pct(r["nats-server"].spread)} / ${pct(r.tsnats.spread)} | ${lost} | ${r.pass ? "yes" : "**no**"} |`,
      );
    }
    L.push("");
  }
  const sc = report.scale;
  if (sc) {
    L.push("| Scale | nats-server | tsnats | ratio |");
    L.push("| --- | ---: | ---: | ---: |");
    const row = (label, a, b, fmt) =>
      L.push(`| ${label} | ${fmt(a)} | ${fmt(b)} | ${a && b ? (b / a).toFixed(2) : "-"} |`);
    const n = sc.idle.tsnats.conns;
    const k = sc.subs.tsnats.conns;
    row("RSS, idle server", sc.idle["nats-server"].rss_idle_server_mb, sc.idle.tsnats.rss_idle_server_mb, (x) =>
      x === null ? "-" : `${x} MB`,
    );
    row(
      `RSS, ${n.toLocaleString("en-US")} idle connections${n >= 10000 ? " (target ratio ≤ 2)" : ""}`,
      sc.idle["nats-server"].rss_mb,
      sc.idle.tsnats.rss_mb,
      (x) => (x === null ? "-" : `${x} MB`),
    );
    row(
      `time to accept ${n.toLocaleString("en-US")} connections (CONNECT + PING/PONG)`,
      sc.idle["nats-server"].accept_ms,
      sc.idle.tsnats.accept_ms,
      fmtMs,
    );
    row(
      `RSS, ${k.toLocaleString("en-US")} connections × 100 subscriptions`,
      sc.subs["nats-server"].rss_mb,
      sc.subs.tsnats.rss_mb,
      (x) => (x === null ? "-" : `${x} MB`),
    );
    row(
      `time to set up ${k.toLocaleString("en-US")} × 100 subscriptions`,
      sc.subs["nats-server"].accept_ms,
      sc.subs.tsnats.accept_ms,
      fmtMs,
    );
    L.push("");
  }
  const st = report.startup;
  if (st) {
    L.push("| Start-up (median) | nats-server | tsnats |");
    L.push("| --- | ---: | ---: |");
    L.push(
      `| process start to "Server is ready" (${st.process.tsnats.runs} runs) | ${fmtMs(st.process["nats-server"].median_ms)} | ${fmtMs(st.process.tsnats.median_ms)} |`,
    );
    L.push(
      `| embedded \`new Server()\` + \`start()\` (${st.embedded.runs} runs; module import ${fmtMs(st.embedded.import_ms)}, first start ${fmtMs(st.embedded.first_ms)}) | - | ${st.embedded.median_ms} ms |`,
    );
    L.push("");
  }
  if (report.monitor_burst) L.push(monitorBurstMarkdown(report.monitor_burst));
  const failed = report.targets.filter((t) => !t.pass);
  L.push(
    failed.length === 0
      ? `All ${report.targets.length} targets hold.`
      : `Targets missed: ${failed.map((t) => t.name).join(", ")}.`,
  );
  if (report.problems.length > 0) {
    L.push("");
    L.push("Problems:");
    for (const p of report.problems) L.push(`- ${p}`);
  }
  return L.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const natsServer = PREREQS["nats-server"].find();
  const missing = [];
  if (!existsSync(TSNATS_BIN)) missing.push(`${TSNATS_BIN}: run npm run build first (npm run bench does)`);
  let generators = [];
  if (o.throughput) {
    const all = [loadgenGenerator(), tsnatsBenchGenerator()];
    const wanted = o.generators ?? all.map((g) => g.name);
    const unknown = wanted.filter((n) => !all.some((g) => g.name === n));
    if (unknown.length > 0)
      usage(2, `unknown generator(s) ${unknown.join(", ")}; available: ${all.map((g) => g.name).join(", ")}`);
    generators = all.filter((g) => wanted.includes(g.name));
  }
  // the same prerequisites `npm run bench` checks (scripts/prereqs.mjs), named the same way
  const absent = missingPrereqs(PROFILES.bench);
  if (missing.length > 0 || absent.length > 0) {
    const lines = missing.map((m) => `  - ${m}\n`).join("");
    process.stderr.write(
      `bench: cannot run${lines ? `, missing:\n${lines}` : ":\n"}${absent.length > 0 ? describeMissing(absent, "npm run bench") + "\n" : ""}`,
    );
    process.exit(2);
  }
  const lim = fdLimits();
  if (o.scaleConns > 0 && o.scaleConns + 1024 > lim.hard) {
    const fit = Math.max(0, Math.floor((lim.hard - 1024) / 100) * 100);
    process.stderr.write(
      `bench: WARNING: the open-file hard limit is ${lim.hard}, the scale test needs ${o.scaleConns + 1024}; measuring ${fit} connections instead (raise the limit as root, e.g. ulimit -Hn 65536, for the 10,000-connection figure)\n`,
    );
    o.scaleConns = fit;
  }
  for (const g of generators) {
    try {
      g.prepare();
    } catch (e) {
      process.stderr.write(`bench: could not prepare ${g.name}: ${e.message}\n`);
      process.exit(2);
    }
  }

  const env = { natsServer };
  const machine = machineInfo(natsServer);
  const date = new Date();
  process.stdout.write(
    `tsnats benchmark: ${date.toISOString()}, ${machine.cores} × ${machine.cpu}, node ${machine.node}, ${machine.nats_server}\n`,
  );
  const problems = [];

  // start-up first, while the machine is quiet
  let startup = null;
  if (o.startupRuns > 0) {
    process.stdout.write(
      `start-up: ${o.startupRuns * 2} embedded starts, ${o.startupRuns} process starts per server ...\n`,
    );
    const embedded = await measureEmbedded(o.startupRuns * 2);
    const proc = await measureProcessStartup(env, o.startupRuns);
    startup = { embedded, process: proc };
  }

  // throughput and latency matrix, alternating rounds
  const cases = o.throughput ? CASES.filter((c) => !o.cases || o.cases.includes(c.name)) : [];
  // without --generators, tsnats bench runs its default subset (a full run stays near 4 minutes)
  const casesOf = (g) => cases.filter((c) => o.generators || g.name !== "tsnats" || c.tsnatsDefault);
  // and is left out of the report when none of the selected cases is in that subset
  if (!o.generators) generators = generators.filter((g) => casesOf(g).length > 0);
  /** raw[generator][case][server] = the load generator's JSON results */
  const raw = {};
  for (const g of generators) {
    raw[g.name] = {};
    for (const c of casesOf(g)) raw[g.name][c.name] = { "nats-server": [], tsnats: [] };
  }
  // TLS cases: one set of certificates for the run, removed at the end (or on exit)
  const tls = cases.some((c) => c.tls) && generators.length > 0 ? makeTlsSetup() : null;
  if (tls) process.on("exit", tls.cleanup);
  if (cases.length > 0) {
    for (let round = 1; round <= o.rounds; round++) {
      const order = round % 2 === 1 ? SERVERS : [...SERVERS].reverse();
      for (const kind of order) {
        // plain cases against a plain server, then TLS cases against a TLS-only one
        for (const secure of [false, true]) {
          if (!cases.some((c) => c.tls === secure)) continue;
          const start = () => startServer(kind, env, 0, secure ? tls : null);
          let srv;
          try {
            srv = await start();
          } catch (e) {
            problems.push(`${kind}${secure ? " (TLS)" : ""} round ${round}: could not start: ${e.message}`);
            process.stdout.write(`[round ${round}/${o.rounds}] ${kind} FAILED TO START: ${e.message}\n`);
            continue;
          }
          process.stdout.write(
            `[round ${round}/${o.rounds}] ${kind}${secure ? " with TLS" : ""} (pid ${srv.pid}, port ${srv.port})\n`,
          );
          for (const g of generators) {
            const mine = casesOf(g).filter((c) => c.tls === secure);
            if (mine.length === 0) continue;
            const w = await g.warmup(srv, o.quick);
            if (w.code !== 0) process.stdout.write(`  (warm-up with ${g.label} reported a problem)\n`);
            for (const c of mine) {
              if (srv.stopped) {
                try {
                  srv = await start();
                } catch (e) {
                  problems.push(`${kind} round ${round}: could not restart for ${c.name}: ${e.message}`);
                  break;
                }
              }
              const msgs = msgsFor(c, o.duration, g.name);
              const r = await g.run(c, srv, msgs, ["--label", kind, "--case", c.name, "--round", String(round)]);
              const res = r.result ?? {
                ok: false,
                errors: [`${g.name} gave no result (exit ${r.code}): ${r.out.slice(-300)}`],
              };
              res.exit = r.code;
              raw[g.name][c.name][kind].push(res);
              const shown = c.rows
                .map(
                  (row) =>
                    `${row.metric.replace(/_/g, " ")} ${fmtRate(typeof res[row.metric] === "number" ? res[row.metric] : null, row.unit)}`,
                )
                .join(", ");
              const bad = describeProblem(res);
              process.stdout.write(
                `  ${g.label.padEnd(12)} ${c.name.padEnd(19)} ${shown}${bad ? `  PROBLEM: ${bad}` : ""}\n`,
              );
              if (bad) problems.push(`${kind} round ${round} ${c.name} (${g.name}): ${bad}`);
              if (rssOf(srv.pid) === null) {
                problems.push(`${kind} exited during ${c.name} in round ${round}:\n${srv.output().slice(-500)}`);
                srv.stopped = true;
              }
            }
          }
          await srv.stop();
        }
      }
    }
  }
  tls?.cleanup();

  // memory and scale
  let scale = null;
  if (o.scaleConns > 0) {
    process.stdout.write(
      `scale: ${o.scaleConns} idle connections, then ${Math.max(1, Math.round(o.scaleConns / 10))} connections × 100 subscriptions, per server ...\n`,
    );
    scale = await measureScale(env, o.scaleConns);
    for (const part of ["idle", "subs"])
      for (const k of SERVERS)
        if (!scale[part][k].ready) problems.push(`scale ${part} [${k}]: ${scale[part][k].error}`);
  }

  // monitoring must never stall messaging (bench/monitor-burst.js)
  process.stdout.write("monitor burst: worst PING round trip while parallel /connz?subs=detail requests run ...\n");
  const track = (p) => (live.add(p), p.once("exit", () => live.delete(p)));
  const monitorBursts = await runMonitorBursts(
    { natsServer, tsnatsDir: TSNATS_DIR },
    { rounds: o.rounds },
    track,
    (l) => process.stdout.write(l + "\n"),
  );
  for (const b of monitorBursts) for (const e of b.errors) problems.push(`monitor burst: ${e}`);

  // results: per case, one row per generator, the ratio within that generator's figures
  const rows = [];
  for (const c of cases) {
    for (const g of generators) {
      if (!raw[g.name][c.name]) continue;
      for (const row of c.rows) {
        const side = {};
        const lost = {};
        for (const k of SERVERS) {
          const recs = raw[g.name][c.name][k];
          side[k] = summary(recs.map((x) => x[row.metric]));
          lost[k] = recs.reduce(
            (n, x) => n + (Number(x.lost) || 0) + (Number(x.extra) || 0) + (Number(x.req_timeouts) || 0),
            0,
          );
        }
        const a = side["nats-server"].median;
        const b = side.tsnats.median;
        const ratio = a && b !== null ? Math.round((b / a) * 1000) / 1000 : null;
        const okRuns = raw[g.name][c.name].tsnats.every((x) => x.ok === true);
        const meets = ratio !== null && (row.lowerBetter ? ratio <= row.target : ratio >= row.target);
        rows.push({
          case: c.name,
          generator: g.name,
          label: row.label,
          metric: row.metric,
          unit: row.unit,
          lowerBetter: row.lowerBetter,
          target: row.target,
          lossCheck: c.lossCheck,
          "nats-server": side["nats-server"],
          tsnats: side.tsnats,
          ratio,
          lost,
          server_cpu_pct: Object.fromEntries(
            SERVERS.map((k) => [
              k,
              median(raw[g.name][c.name][k].map((x) => x.server_cpu_pct).filter((x) => typeof x === "number")),
            ]),
          ),
          pass: meets && okRuns && lost.tsnats === 0,
        });
      }
    }
  }
  const targets = rows.map((r) => ({
    // loadgen's targets keep their names; tsnats bench's say so
    name: `${r.case}${r.unit === "µs" ? " " + r.metric.replace("lat_", "").replace("_us", "") : ""}${r.generator === "loadgen" ? "" : ` [${GENERATOR_LABEL[r.generator]}]`}`,
    ratio: r.ratio,
    target: r.target,
    lowerBetter: r.lowerBetter,
    pass: r.pass,
  }));
  // the memory target is defined for 10,000 idle connections; smaller (--quick) runs only report
  if (scale && scale.idle.tsnats.conns >= 10000) {
    const a = scale.idle["nats-server"].rss_mb;
    const b = scale.idle.tsnats.rss_mb;
    const ratio = a && b ? Math.round((b / a) * 1000) / 1000 : null;
    targets.push({
      name: `rss-${scale.idle.tsnats.conns}-idle`,
      ratio,
      target: 2,
      lowerBetter: true,
      pass: ratio !== null && ratio <= 2 && scale.idle.tsnats.ready,
    });
  }
  targets.push(...monitorBurstTargets(monitorBursts));
  const report = {
    tool: "tsnats-bench",
    version: 1,
    date: date.toISOString(),
    machine,
    tsnats_dir: TSNATS_DIR === ROOT ? null : TSNATS_DIR,
    options: {
      rounds: o.rounds,
      duration: o.duration,
      quick: o.quick,
      cases: cases.map((c) => c.name),
      scale_conns: o.scaleConns,
      startup_runs: o.startupRuns,
    },
    generators: generators.map((g) => g.name),
    cases: rows,
    scale,
    startup,
    monitor_burst: monitorBursts,
    targets,
    problems,
    raw,
    elapsed_s: Math.round((performance.now() - t0) / 100) / 10,
  };
  const md = markdown(report);
  mkdirSync(o.out, { recursive: true });
  const stamp = `${date.toISOString().slice(0, 10)}-${machine.host.replace(/[^A-Za-z0-9._-]/g, "_")}`;
  const json = JSON.stringify(report, null, 2) + "\n";
  writeFileSync(path.join(o.out, `${stamp}.json`), json);
  writeFileSync(path.join(o.out, "latest.json"), json);
  writeFileSync(path.join(o.out, "latest.md"), md);
  writeFileSync(path.join(o.out, "latest.svg"), renderSvg(report));
  process.stdout.write(
    `\n${md}\nelapsed ${report.elapsed_s} s; results in ${path.relative(process.cwd(), o.out) || "."}/{${stamp}.json,latest.json,latest.md,latest.svg}\n`,
  );
  const runFailed = problems.length > 0;
  if (runFailed) process.exitCode = 1;
  else if (o.strict && targets.some((t) => !t.pass)) process.exitCode = 4;
}

function describeProblem(res) {
  if (res.ok === true) return null;
  const parts = [];
  for (const k of ["lost", "extra", "slow_consumers", "disconnects", "req_timeouts", "rr_failed"]) {
    if (Number(res[k]) > 0) parts.push(`${k}=${res[k]}`);
  }
  if (Array.isArray(res.errors)) parts.push(...res.errors.slice(0, 3));
  return parts.join("; ") || `not ok (exit ${res.exit})`;
}

main()
  // client library benchmark (bench/client.js, also runnable alone)
  .then(() =>
    process.argv.includes("--no-client")
      ? null
      : import("./client.js").then((m) => m.runClientBench(process.argv.slice(2))),
  )
  .catch((e) => {
    process.stderr.write(`bench: ${e.stack ?? e}\n`);
    cleanupAndExit(1);
  });
