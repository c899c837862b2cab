#!/usr/bin/env node
// Monitoring must never stall messaging: the worst NATS PING -> PONG round trip while a burst
// of large monitoring requests runs, tsnats-server against nats-server (issue 14).
//
// Each round, for each server (alternating order): start it with monitoring on, open
// --conns client connections holding --subs subscriptions each (bench/scale.js, its own
// process), then fire --requests parallel HTTP requests for --path from a child process
// while a probe connection in this process sends PING after PING, one at a time. The figure
// of a round is the longest round trip of a PING that overlapped the burst; the result is the
// median over rounds, and the target is tsnats / nats-server <= 1.5.
//
// usage: node bench/monitor-burst.js [options]    (also part of npm run bench)
//   --rounds N       alternating rounds (default 3)
//   --conns N        client connections (default 200)
//   --subs N         subscriptions per connection (default 5)
//   --requests N     parallel HTTP requests in the burst (default 500)
//   --path P         request path (default /connz?subs=detail)
//   --distinct       give every request its own query (&offset=0&_=i), so no two are identical
//   --tsnats-dir D   measure the tsnats build in D (its dist/)
//   --json           print the result as JSON
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { freePort } from "../test/helpers/servers.js";
import { serverReady, stopper } from "./lib.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
export const MONITOR_BURST_TARGET = 1.5;

export const DEFAULTS = { rounds: 3, conns: 200, subs: 5, requests: 500, path: "/connz?subs=detail", distinct: false };

function median(v) {
  if (v.length === 0) return null;
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** Start a server with monitoring on a free port; resolves once it is ready. */
async function startWithMonitor(kind, env, track) {
  const mport = await freePort();
  const base = ["-a", "127.0.0.1", "-p", "-1", "-m", String(mport)];
  const cmd = kind === "tsnats" ? process.execPath : env.natsServer;
  const args = kind === "tsnats" ? [path.join(env.tsnatsDir, "dist", "cli", "server.js"), ...base] : base;
  const proc = spawn(cmd, args, { cwd: env.tsnatsDir, stdio: ["ignore", "pipe", "pipe"] });
  const stop = stopper(proc);
  track(proc);
  const { port } = await serverReady(proc, kind, stop);
  return { kind, pid: proc.pid, port, mport, stop };
}

/** The first line a child writes to stdout (what it has, should it exit before a newline). */
export function firstStdoutLine(child) {
  return new Promise((resolve) => {
    let buf = "";
    child.stdout.on("data", (d) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    child.once("exit", () => resolve(buf.split("\n")[0]));
  });
}

/** Run a child process until its first stdout line, which is JSON; the child keeps running. */
function childLine(args, track) {
  const env = { ...process.env, BURST_PARENT_ORIGIN: String(performance.timeOrigin) };
  const p = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"], env });
  track(p);
  let err = "";
  p.stderr.on("data", (d) => (err += d));
  const parsed = firstStdoutLine(p).then((line) => {
    try {
      return JSON.parse(line);
    } catch {
      return { ready: false, ok: false, error: `child said ${JSON.stringify(line)} ${err.slice(-300)}` };
    }
  });
  return { proc: p, result: parsed, exited: new Promise((r) => p.once("exit", r)) };
}

/** A NATS connection that sends PING after PING and records each round trip. */
class Prober {
  constructor(port) {
    this.port = port;
    this.samples = []; // [sentAt, rtt]
    this.running = false;
  }

  async open() {
    this.sock = net.connect({ host: "127.0.0.1", port: this.port });
    this.sock.setNoDelay(true);
    let buf = "";
    let waiting = null;
    this.sock.on("data", (d) => {
      buf += d.toString("latin1");
      let i;
      while ((i = buf.indexOf("\r\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (line === "PONG" && waiting) {
          const w = waiting;
          waiting = null;
          w();
        } else if (line === "PING") this.sock.write("PONG\r\n");
      }
    });
    this.pong = () => new Promise((r) => (waiting = r));
    await new Promise((resolve, reject) => {
      this.sock.once("connect", resolve);
      this.sock.once("error", reject);
    });
    this.sock.on("error", () => {});
    const p = this.pong();
    this.sock.write('CONNECT {"verbose":false,"pedantic":false,"name":"probe"}\r\nPING\r\n');
    await p;
  }

  /** PING, wait for the PONG, repeat, until stop(); resolves after the last PONG. */
  run() {
    this.running = true;
    this.done = (async () => {
      while (this.running) {
        const t = performance.now();
        const p = this.pong();
        this.sock.write("PING\r\n");
        await p;
        this.samples.push([t, performance.now() - t]);
      }
    })();
  }

  async stop() {
    this.running = false;
    await this.done;
    this.sock.destroy();
  }

  /** The longest round trip among the PINGs in flight at some point in [from, to]. */
  worstIn(from, to) {
    let worst = 0;
    let n = 0;
    for (const [t, rtt] of this.samples) {
      if (t + rtt >= from && t <= to) {
        n++;
        if (rtt > worst) worst = rtt;
      }
    }
    return { worst, n };
  }
}

/** One server, one round: the worst round trip during the burst. */
async function oneRound(kind, env, o, track) {
  const srv = await startWithMonitor(kind, env, track);
  let load = null;
  try {
    load = childLine(
      [path.join(HERE, "scale.js"), "--port", String(srv.port), "--conns", String(o.conns), "--subs", String(o.subs)],
      track,
    );
    const ready = await load.result;
    if (!ready.ready) throw new Error(`connections not ready: ${ready.error}`);
    const probe = new Prober(srv.port);
    await probe.open();
    // the JSON and the code paths warm once, outside the measurement
    await fetchOnce(srv.mport, o.path);
    probe.run();
    await new Promise((r) => setTimeout(r, 200));
    const burst = childLine(
      [
        fileURLToPath(import.meta.url),
        "--burst-child",
        String(srv.mport),
        String(o.requests),
        o.path,
        o.distinct ? "1" : "0",
      ],
      track,
    );
    const r = await burst.result;
    await burst.exited;
    await probe.stop();
    if (!r.ok) throw new Error(`burst failed: ${r.error}`);
    // the child's times are on this process's clock
    const start = r.t0;
    const w = probe.worstIn(start, r.t1);
    const idle = median(probe.samples.filter(([t]) => t < start).map(([, x]) => x));
    return {
      worst_ms: round1(w.worst),
      pings: w.n,
      idle_rtt_ms: round1(idle ?? NaN),
      burst_ms: round1(r.t1 - r.t0),
      bytes: r.bytes,
      responses: r.responses,
    };
  } finally {
    load?.proc.stdin.end();
    await srv.stop();
    if (load) await load.exited;
  }
}

function round1(x) {
  return Number.isFinite(x) ? Math.round(x * 10) / 10 : null;
}

function fetchOnce(port, p) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: p, agent: false }, (res) => {
        res.resume();
        res.on("end", resolve);
      })
      .on("error", reject);
  });
}

/**
 * Measure both servers. env: { natsServer, tsnatsDir }; o: DEFAULTS' fields; track(proc) is
 * told of every child process (so a caller can kill them all on exit); log(line) reports.
 */
export async function runMonitorBurst(env, o = {}, track = () => {}, log = () => {}) {
  o = { ...DEFAULTS, ...o };
  const per = { "nats-server": [], tsnats: [] };
  const errors = [];
  for (let round = 1; round <= o.rounds; round++) {
    const order = round % 2 === 1 ? ["nats-server", "tsnats"] : ["tsnats", "nats-server"];
    for (const kind of order) {
      try {
        const r = await oneRound(kind, env, o, track);
        per[kind].push(r);
        log(
          `  monitor burst [${kind}] round ${round}: worst PING RTT ${r.worst_ms} ms over ${r.pings} PINGs (idle ${r.idle_rtt_ms} ms), ${r.responses} responses, ${(r.bytes / 2 ** 20).toFixed(1)} MB in ${r.burst_ms} ms`,
        );
      } catch (e) {
        errors.push(`${kind} round ${round}: ${e.message}`);
        log(`  monitor burst [${kind}] round ${round}: FAILED ${e.message}`);
      }
    }
  }
  const med = (k) => median(per[k].map((r) => r.worst_ms));
  const a = med("nats-server");
  const b = med("tsnats");
  const ratio = a && b !== null ? Math.round((b / a) * 1000) / 1000 : null;
  return {
    options: o,
    "nats-server": { median_worst_ms: a, rounds: per["nats-server"] },
    tsnats: { median_worst_ms: b, rounds: per.tsnats },
    ratio,
    target: MONITOR_BURST_TARGET,
    pass: ratio !== null && ratio <= MONITOR_BURST_TARGET && errors.length === 0,
    errors,
  };
}

/**
 * What npm run bench measures: the burst of identical requests (which tsnats may answer
 * with one shared answer), then the same with every request distinct (which it may not).
 */
export async function runMonitorBursts(env, o = {}, track = () => {}, log = () => {}) {
  const out = [];
  for (const distinct of [false, true]) out.push(await runMonitorBurst(env, { ...o, distinct }, track, log));
  return out;
}

/** Results as lines of bench/run.js's target list. */
export function monitorBurstTargets(results) {
  return results.map((res) => ({
    name: `monitor-burst${res.options.distinct ? "-distinct" : ""} worst PING RTT`,
    ratio: res.ratio,
    target: res.target,
    lowerBetter: true,
    pass: res.pass,
  }));
}

/** Results as a Markdown table for bench/results/latest.md. */
export function monitorBurstMarkdown(results) {
  const ms = (x) => (x === null ? "-" : `${x} ms`);
  const L = [
    "| Monitoring burst: worst PING→PONG while it runs (median over rounds) | nats-server | tsnats | ratio | target | ok |",
    "| --- | ---: | ---: | ---: | ---: | :---: |",
  ];
  for (const res of results) {
    const o = res.options;
    const what = `${o.requests} parallel \`${o.path}\`${o.distinct ? ", each its own query" : ""}, ${o.conns} conns × ${o.subs} subs, ${o.rounds} rounds`;
    L.push(
      `| ${what} | ${ms(res["nats-server"].median_worst_ms)} | ${ms(res.tsnats.median_worst_ms)} | ${res.ratio === null ? "-" : res.ratio.toFixed(2)} | ≤ ${res.target} | ${res.pass ? "yes" : "**no**"} |`,
    );
  }
  L.push("");
  return L.join("\n");
}

// ---------------------------------------------------------------------------------------------
// The burst, in its own process so its HTTP work does not delay the probe's PONG handling.

async function burstChild(port, n, p, distinct) {
  const clockOffset = performance.timeOrigin - Number(process.env.BURST_PARENT_ORIGIN ?? performance.timeOrigin);
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const one = (i) =>
    new Promise((resolve) => {
      const q = distinct ? `${p}${p.includes("?") ? "&" : "?"}offset=0&_=${i}` : p;
      const req = http.get({ host: "127.0.0.1", port, path: q, agent }, (res) => {
        let bytes = 0;
        res.on("data", (d) => (bytes += d.length));
        res.on("end", () => {
          const len = res.headers["content-length"];
          const complete = res.complete && (len === undefined || Number(len) === bytes);
          resolve(
            res.statusCode === 200 && complete
              ? { bytes }
              : { error: `status ${res.statusCode}, ${bytes} bytes, complete ${complete}` },
          );
        });
        res.on("error", (e) => resolve({ error: e.message }));
      });
      req.on("error", (e) => resolve({ error: e.message }));
    });
  const t0 = performance.now();
  const rs = await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
  const t1 = performance.now();
  const bad = rs.find((r) => r.error);
  const out = {
    ok: !bad,
    error: bad?.error,
    responses: rs.filter((r) => !r.error).length,
    bytes: rs.reduce((s, r) => s + (r.bytes ?? 0), 0),
    t0: t0 + clockOffset,
    t1: t1 + clockOffset,
  };
  process.stdout.write(JSON.stringify(out) + "\n");
}

async function cli(argv) {
  const o = { ...DEFAULTS };
  let tsnatsDir = ROOT;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === "--rounds") o.rounds = Number(v());
    else if (a === "--conns") o.conns = Number(v());
    else if (a === "--subs") o.subs = Number(v());
    else if (a === "--requests") o.requests = Number(v());
    else if (a === "--path") o.path = v();
    else if (a === "--distinct") o.distinct = true;
    else if (a === "--tsnats-dir") tsnatsDir = path.resolve(v());
    else if (a === "--json") json = true;
    else {
      process.stderr.write(`monitor-burst: unknown option ${a}\n`);
      process.exit(2);
    }
  }
  const natsServer = ["/usr/sbin/nats-server", "/usr/local/bin/nats-server", "/usr/bin/nats-server"].find((p) =>
    existsSync(p),
  );
  if (!natsServer) {
    process.stderr.write("monitor-burst: nats-server not found (apt-get install -y nats-server)\n");
    process.exit(2);
  }
  const live = new Set();
  const track = (p) => {
    live.add(p);
    p.once("exit", () => live.delete(p));
  };
  process.on("exit", () => {
    for (const p of live) p.kill("SIGKILL");
  });
  const res = await runMonitorBurst({ natsServer, tsnatsDir }, o, track, (l) => process.stdout.write(l + "\n"));
  process.stdout.write(json ? JSON.stringify(res, null, 2) + "\n" : "\n" + monitorBurstMarkdown([res]));
  for (const e of res.errors) process.stdout.write(`problem: ${e}\n`);
  process.exitCode = res.errors.length > 0 ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === "--burst-child")
    await burstChild(Number(process.argv[3]), Number(process.argv[4]), process.argv[5], process.argv[6] === "1");
  else await cli(process.argv.slice(2));
}
