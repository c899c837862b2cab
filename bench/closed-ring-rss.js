#!/usr/bin/env node
// Resident memory of the closed-connection ring (/connz?state=closed), tsnats-server against
// Debian's nats-server. Standalone: not part of `npm run bench`.
//
// Each server is started on random loopback ports, then N short connections are made, a few
// at a time: INFO, CONNECT + SUB + PING, wait for the PONG, close. Both servers keep the last
// 10,000 closed connections for /connz. The script reads each server's VmRSS from
// /proc/<pid>/status at idle, a short settle after the last close, after a long settle (V8
// gives memory back only after some idle seconds) and, for tsnats, after forced garbage
// collections (it runs with --expose-gc and collects when a line arrives on its stdin, then
// reports its heap), and checks through /connz that the ring is full.
//
// usage: node bench/closed-ring-rss.js [--conns N] [--parallel P] [--settle-ms MS]
//                                      [--long-settle-ms MS] [--servers tsnats,nats-server]
//                                      [--tsnats-dir DIR] [--rounds N] [--json]
//   --conns N        connect/close cycles per server (default 40000)
//   --parallel P     cycles in flight at once (default 8)
//   --settle-ms MS   short wait after the last close (default 3000)
//   --long-settle-ms MS  total wait after the last close for the second reading (default 30000)
//   --servers list   which servers to measure (default both)
//   --tsnats-dir D   measure the tsnats build in D/dist (e.g. an older commit, for before/after)
//   --rounds N       alternating rounds; the table shows medians (default 1)
//   --json           print one JSON line instead of the table
//   --help           print this and exit
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import http from "node:http";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { freePort } from "../test/helpers/servers.js";
import { headerComment, intArg, serverReady, stopper } from "./lib.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const o = {
    conns: 40000,
    parallel: 8,
    settleMs: 3000,
    longSettleMs: 30000,
    servers: ["tsnats", "nats-server"],
    tsnatsDir: path.resolve(HERE, ".."),
    json: false,
    rounds: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    const num = () => intArg(a, argv[++i]);
    if (a === "--help" || a === "-h") o.help = true;
    else if (a === "--conns") o.conns = num();
    else if (a === "--parallel") o.parallel = Math.max(1, num());
    else if (a === "--settle-ms") o.settleMs = num();
    else if (a === "--long-settle-ms") o.longSettleMs = num();
    else if (a === "--servers") (o.servers = String(v).split(",")), i++;
    else if (a === "--tsnats-dir") (o.tsnatsDir = path.resolve(String(v))), i++;
    else if (a === "--json") o.json = true;
    else if (a === "--rounds") o.rounds = Math.max(1, num());
    else throw new Error(`unknown argument ${a}`);
  }
  for (const s of o.servers) if (s !== "tsnats" && s !== "nats-server") throw new Error(`unknown server ${s}`);
  return o;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`closed-ring-rss.js: ${e.message}\n`);
  process.exit(2);
}
if (opts.help) {
  process.stdout.write(headerComment(import.meta.url));
  process.exit(0);
}

const NATS_SERVER = "/usr/sbin/nats-server";
const TSNATS_BIN = path.join(opts.tsnatsDir, "dist", "cli", "server.js");
// loaded into the tsnats process: every line on its stdin forces full collections, then the
// heap figures go to stderr as one "GCMEM {...}" line
const GC_HOOK = `data:text/javascript,${encodeURIComponent(
  'process.stdin.on("data", () => { globalThis.gc(); globalThis.gc(); const m = process.memoryUsage(); ' +
    'process.stderr.write("GCMEM " + JSON.stringify({ heap_used: m.heapUsed, heap_total: m.heapTotal }) + "\\n"); });',
)}`;

const live = new Set();
function killAll() {
  for (const p of live) {
    try {
      p.kill("SIGKILL");
    } catch {}
  }
}
process.on("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    killAll();
    process.exit(1);
  });
}

async function startServer(kind) {
  const mport = await freePort();
  const base = ["-a", "127.0.0.1", "-p", "-1", "-m", String(mport)];
  const [cmd, args] =
    kind === "tsnats"
      ? [process.execPath, ["--expose-gc", `--import=${GC_HOOK}`, TSNATS_BIN, ...base]]
      : [NATS_SERVER, base];
  const proc = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
  const stop = stopper(proc);
  live.add(proc);
  proc.once("exit", () => live.delete(proc));
  let gcLines = "";
  proc.stderr.on("data", (d) => {
    gcLines += d.toString();
    if (gcLines.length > 1 << 16) gcLines = gcLines.slice(-4096);
  });
  const lastGc = () => {
    const all = [...gcLines.matchAll(/GCMEM (\{.*\})/g)];
    return all.length === 0 ? null : JSON.parse(all[all.length - 1][1]);
  };
  const { port } = await serverReady(proc, kind, stop);
  return { kind, proc, pid: proc.pid, port, mport, stop, lastGc };
}

/** VmRSS of a process in MB. */
function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

function getJson(port, p) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: p }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (body += d));
        res.on("end", () => {
          try {
            resolve(JSON.parse(body));
          } catch (e) {
            reject(e);
          }
        });
      })
      .on("error", reject);
  });
}

/** One cycle: INFO, CONNECT + SUB + PING, PONG, close; resolves once the socket is closed. */
function cycle(port, i) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port });
    let buf = "";
    let state = 0;
    s.setEncoding("latin1");
    s.on("data", (d) => {
      buf += d;
      if (state === 0 && buf.includes("\r\n")) {
        if (!buf.startsWith("INFO ")) return s.destroy(new Error(`expected INFO, got ${JSON.stringify(buf)}`));
        state = 1;
        buf = buf.slice(buf.indexOf("\r\n") + 2);
        s.write(
          `CONNECT {"verbose":false,"pedantic":false,"name":"ring-${i}","lang":"bench","version":"1.0.0"}\r\nSUB ring.${i}.updates ${i}\r\nPING\r\n`,
        );
      }
      if (state === 1 && buf.includes("PONG\r\n")) {
        state = 2;
        s.end();
      }
    });
    s.on("error", reject);
    s.on("close", () => (state === 2 ? resolve() : reject(new Error(`connection ${i} closed before its PONG`))));
  });
}

async function churn(port, n, parallel) {
  let next = 0;
  let errors = 0;
  let firstError = null;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      try {
        await cycle(port, i);
      } catch (e) {
        errors++;
        firstError ??= e.message;
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return { errors, firstError };
}

async function measure(kind) {
  const srv = await startServer(kind);
  try {
    await sleep(500);
    const idle = rssMb(srv.pid);
    const t0 = performance.now();
    const { errors, firstError } = await churn(srv.port, opts.conns, opts.parallel);
    const churnMs = performance.now() - t0;
    const t1 = performance.now();
    await sleep(opts.settleMs);
    const settled = rssMb(srv.pid);
    await sleep(Math.max(0, opts.longSettleMs - (performance.now() - t1)));
    const long = rssMb(srv.pid);
    let gced = null;
    let heap = null;
    if (kind === "tsnats") {
      srv.proc.stdin.write("gc\n");
      await sleep(1000);
      srv.proc.stdin.write("gc\n");
      await sleep(1000);
      gced = rssMb(srv.pid);
      heap = srv.lastGc();
    }
    const connz = await getJson(srv.mport, "/connz?state=closed&limit=1&subs=1");
    const last = connz.connections?.[0];
    return {
      server: kind,
      conns: opts.conns,
      errors,
      first_error: firstError,
      churn_s: Math.round(churnMs / 100) / 10,
      rss_idle_mb: round1(idle),
      rss_settled_mb: round1(settled),
      rss_long_settled_mb: round1(long),
      rss_after_gc_mb: gced === null ? null : round1(gced),
      heap_used_after_gc_mb: heap === null ? null : round1(heap.heap_used / 1048576),
      heap_total_after_gc_mb: heap === null ? null : round1(heap.heap_total / 1048576),
      closed_in_ring: connz.total,
      sample_closed: last ? { cid: last.cid, reason: last.reason, subscriptions_list: last.subscriptions_list } : null,
    };
  } finally {
    await srv.stop();
  }
}

function round1(x) {
  return Math.round(x * 10) / 10;
}

if (opts.servers.includes("tsnats") && !existsSync(TSNATS_BIN)) {
  process.stderr.write(`closed-ring-rss.js: ${TSNATS_BIN} not found (npm run build first)\n`);
  process.exit(2);
}
if (opts.servers.includes("nats-server") && !existsSync(NATS_SERVER)) {
  process.stderr.write(`closed-ring-rss.js: ${NATS_SERVER} not found (apt-get install nats-server)\n`);
  process.exit(2);
}

// alternating rounds (round 2 runs the servers in the other order); each figure is the median
const runs = new Map(opts.servers.map((k) => [k, []]));
for (let round = 0; round < opts.rounds; round++) {
  const order = round % 2 === 0 ? opts.servers : [...opts.servers].reverse();
  for (const kind of order) runs.get(kind).push(await measure(kind));
}
const results = opts.servers.map((kind) => medianRun(runs.get(kind)));

/** The median of each figure over the rounds (errors summed, the ring size as measured last). */
function medianRun(list) {
  const out = { ...list[list.length - 1], rounds: list.length };
  for (const k of Object.keys(out)) {
    if (!k.startsWith("rss_") && !k.startsWith("heap_") && k !== "churn_s") continue;
    const xs = list
      .map((r) => r[k])
      .filter((x) => x !== null)
      .sort((a, b) => a - b);
    if (xs.length === 0) continue;
    const m = xs.length >> 1;
    out[k] = xs.length % 2 === 1 ? xs[m] : round1((xs[m - 1] + xs[m]) / 2);
    if (k.startsWith("rss_")) out[`${k}_all`] = list.map((r) => r[k]);
  }
  out.errors = list.reduce((n, r) => n + r.errors, 0);
  return out;
}
if (opts.json) {
  process.stdout.write(`${JSON.stringify(results)}\n`);
} else {
  const s1 = Math.round(opts.settleMs / 100) / 10;
  const s2 = Math.round(opts.longSettleMs / 100) / 10;
  process.stdout.write(
    `${opts.conns} connect/SUB/PING/close cycles, ${opts.parallel} in parallel; MB, median of ${opts.rounds} round(s)\n`,
  );
  const head = [
    "server",
    "idle",
    `+${s1} s`,
    `+${s2} s`,
    "forced GC",
    "heap used/total",
    "in ring",
    "errors",
    "churn s",
  ];
  const rows = results.map((r) => [
    r.server,
    r.rss_idle_mb,
    r.rss_settled_mb,
    r.rss_long_settled_mb,
    r.rss_after_gc_mb ?? "-",
    r.heap_used_after_gc_mb === null ? "-" : `${r.heap_used_after_gc_mb}/${r.heap_total_after_gc_mb}`,
    r.closed_in_ring,
    r.errors,
    r.churn_s,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) =>
    `${cells.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join(" | ")}\n`;
  process.stdout.write(line(head));
  for (const [i, r] of results.entries()) {
    process.stdout.write(line(rows[i]));
    if (r.first_error) process.stdout.write(`  first error: ${r.first_error}\n`);
  }
  const ts = results.find((r) => r.server === "tsnats");
  const ns = results.find((r) => r.server === "nats-server");
  if (ts && ns) {
    const ratio = (a, b) => (a / b).toFixed(2);
    process.stdout.write(
      `tsnats / nats-server: +${s1} s ${ratio(ts.rss_settled_mb, ns.rss_settled_mb)}, +${s2} s ${ratio(ts.rss_long_settled_mb, ns.rss_long_settled_mb)}; growth over idle at +${s2} s: ${round1(ts.rss_long_settled_mb - ts.rss_idle_mb)} / ${round1(ns.rss_long_settled_mb - ns.rss_idle_mb)} MB\n`,
    );
  }
}
if (results.some((r) => r.errors > 0)) process.exitCode = 1;
