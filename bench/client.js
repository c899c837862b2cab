#!/usr/bin/env node
// Client benchmark: the tsnats client (dist/client) against the official nats.js client
// (@nats-io/transport-node), same server, same machine, one run, in alternating order
// (round 1: tsnats then nats.js, round 2: nats.js then tsnats, ...).
//
// Cases: publish throughput at 16 B and 128 B (publish N in a loop, then flush), pub/sub 1:1
// at 128 B (a publisher and a subscriber connection of the same client; until the last
// message arrives), and request/reply latency (sequential requests to a responder of the
// same client; p50 and p99). The ratio is tsnats / nats.js for rates, nats.js / tsnats for
// latencies, so above 1.0 means the tsnats client is ahead.
//
// usage: node bench/client.js [--quick] [--rounds N] [--server nats-server|tsnats] [--out DIR]
// Also run by `npm run bench` (after the server benchmark). Results: DIR/client-latest.{json,md}.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import * as natsjs from "@nats-io/transport-node";
import { natsServerBin, startServer } from "../test/helpers/servers.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");

function parse(argv) {
  const o = { quick: false, rounds: 3, server: null, out: path.join(ROOT, "bench", "results") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") o.quick = true;
    else if (a === "--rounds") o.rounds = Math.max(1, Number(argv[++i]) | 0);
    else if (a === "--server") o.server = argv[++i];
    else if (a === "--out") o.out = path.resolve(argv[++i]);
  }
  if (o.quick) o.rounds = 1;
  o.server ??= natsServerBin() ? "nats-server" : "tsnats";
  return o;
}

async function pubCase(lib, url, size, n) {
  const nc = await lib.connect({ servers: url });
  const payload = new Uint8Array(size).fill(97);
  await nc.flush();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) nc.publish("bench.pub", payload);
  await nc.flush();
  const dt = (performance.now() - t0) / 1000;
  await nc.close();
  return n / dt;
}

async function pubSubCase(lib, url, size, n) {
  const sc = await lib.connect({ servers: url });
  const pc = await lib.connect({ servers: url });
  let got = 0;
  let resolveDone;
  const done = new Promise((r) => (resolveDone = r));
  sc.subscribe("bench.ps", {
    callback: () => {
      if (++got === n) resolveDone();
    },
  });
  await sc.flush();
  const payload = new Uint8Array(size).fill(98);
  const t0 = performance.now();
  // publish in slices so the subscriber's socket is read while the publisher writes
  for (let i = 0; i < n; i += 1000) {
    const end = Math.min(n, i + 1000);
    for (let k = i; k < end; k++) pc.publish("bench.ps", payload);
    await new Promise((r) => setImmediate(r));
  }
  await pc.flush();
  await done;
  const dt = (performance.now() - t0) / 1000;
  await pc.close();
  await sc.close();
  return n / dt;
}

async function reqRepCase(lib, url, size, n) {
  const rc = await lib.connect({ servers: url });
  const qc = await lib.connect({ servers: url });
  const payload = new Uint8Array(size).fill(99);
  rc.subscribe("bench.rr", { callback: (_e, m) => m.respond(payload) });
  await rc.flush();
  for (let i = 0; i < 200; i++) await qc.request("bench.rr", payload, { timeout: 5000 });
  const lat = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await qc.request("bench.rr", payload, { timeout: 5000 });
    lat[i] = (performance.now() - t0) * 1000;
  }
  await qc.close();
  await rc.close();
  lat.sort();
  return { p50: lat[Math.floor(n * 0.5)], p99: lat[Math.floor(n * 0.99)] };
}

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length === 0 ? null : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function runClientBench(argv = []) {
  const o = parse(argv);
  const tsnats = await import(path.join(ROOT, "dist", "client", "index.js"));
  const libs = { tsnats, "nats.js": natsjs };
  const nPub = o.quick ? 50_000 : 1_000_000;
  const nPs = o.quick ? 20_000 : 300_000;
  const nRr = o.quick ? 1_000 : 10_000;
  const cases = [
    { name: "pub-16B", label: "publish 16 B", unit: "msgs/s", run: (l, u) => pubCase(l, u, 16, nPub) },
    { name: "pub-128B", label: "publish 128 B", unit: "msgs/s", run: (l, u) => pubCase(l, u, 128, nPub) },
    {
      name: "pubsub-1x1-128B",
      label: "pub/sub 1:1 128 B (delivered)",
      unit: "msgs/s",
      run: (l, u) => pubSubCase(l, u, 128, nPs),
    },
    { name: "reqrep-128B", label: "request/reply 128 B", unit: "µs", run: (l, u) => reqRepCase(l, u, 128, nRr) },
  ];
  const srv = await startServer(o.server);
  const raw = {};
  try {
    for (const c of cases) raw[c.name] = { tsnats: [], "nats.js": [] };
    // warm-up: let both clients' code get compiled before anything is measured
    for (const k of Object.keys(libs)) {
      await pubCase(libs[k], srv.url, 16, 20_000);
      await pubSubCase(libs[k], srv.url, 128, 5_000);
      await reqRepCase(libs[k], srv.url, 128, 200);
    }
    for (let r = 0; r < o.rounds; r++) {
      const order = r % 2 === 0 ? ["tsnats", "nats.js"] : ["nats.js", "tsnats"];
      for (const c of cases) {
        for (const k of order) {
          raw[c.name][k].push(await c.run(libs[k], srv.url));
          process.stderr.write(".");
        }
      }
    }
  } finally {
    await srv.stop();
  }
  process.stderr.write("\n");
  const rows = [];
  for (const c of cases) {
    if (c.unit === "µs") {
      for (const p of ["p50", "p99"]) {
        const a = median(raw[c.name].tsnats.map((x) => x[p]));
        const b = median(raw[c.name]["nats.js"].map((x) => x[p]));
        rows.push({
          case: `${c.name} ${p}`,
          label: `${c.label}, ${p} latency`,
          unit: c.unit,
          tsnats: a,
          natsjs: b,
          ratio: b / a,
        });
      }
    } else {
      const a = median(raw[c.name].tsnats);
      const b = median(raw[c.name]["nats.js"]);
      rows.push({ case: c.name, label: c.label, unit: c.unit, tsnats: a, natsjs: b, ratio: a / b });
    }
  }
  const fmt = (v) => (v >= 1000 ? Math.round(v).toLocaleString("en-US") : v.toFixed(1));
  const njsVersion = JSON.parse(
    readFileSync(path.join(ROOT, "node_modules", "@nats-io", "transport-node", "package.json"), "utf8"),
  ).version;
  let md = `### Client: tsnats vs nats.js ${njsVersion} (server: ${o.server}, ${o.rounds} round${o.rounds > 1 ? "s" : ""}, medians)\n\n`;
  md += "| case | tsnats | nats.js | ratio (>1: tsnats ahead) |\n|---|---:|---:|---:|\n";
  for (const r of rows)
    md += `| ${r.label} | ${fmt(r.tsnats)} ${r.unit} | ${fmt(r.natsjs)} ${r.unit} | ${r.ratio.toFixed(2)} |\n`;
  md += "\nIndicative only: one loaded machine, client and server on the same cores.\n";
  mkdirSync(o.out, { recursive: true });
  writeFileSync(
    path.join(o.out, "client-latest.json"),
    JSON.stringify({ tool: "tsnats-client-bench", date: new Date().toISOString(), options: o, rows, raw }, null, 2) +
      "\n",
  );
  writeFileSync(path.join(o.out, "client-latest.md"), md);
  process.stdout.write(`\n${md}`);
  return rows;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runClientBench(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`bench/client: ${e.stack ?? e}\n`);
    process.exit(1);
  });
}
