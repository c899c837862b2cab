// Benchmark samples and their report, as nats bench (nats.go's bench package and natscli's
// internal/bench) computes and prints them: per-client rates, min/avg/max/stddev of the rates,
// and latency percentiles (nearest rank) for request/reply.
import Table from "cli-table3";
import { comma, commaf, humanBytes } from "./format.js";

export interface Sample {
  /** Messages this client sent or received. */
  msgs: number;
  /** Payload bytes of those messages. */
  bytes: number;
  /** performance.now() milliseconds. */
  start: number;
  end: number;
  /** Request round trips in nanoseconds (request mode only). */
  latencies?: Float64Array;
}

export const seconds = (s: { start: number; end: number }) => Math.max(1e-9, (s.end - s.start) / 1e3);
/** nats bench's Rate(): whole messages per second. */
export const rate = (s: Sample) => Math.trunc(s.msgs / seconds(s));
export const throughput = (s: Sample) => s.bytes / seconds(s);

/** A group of samples is itself a sample: summed counts over the earliest start to the latest end. */
export function group(samples: Sample[]): Sample | undefined {
  if (samples.length === 0) return undefined;
  let start = samples[0].start;
  let end = samples[0].end;
  let msgs = 0;
  let bytes = 0;
  for (const s of samples) {
    if (s.start < start) start = s.start;
    if (s.end > end) end = s.end;
    msgs += s.msgs;
    bytes += s.bytes;
  }
  return { msgs, bytes, start, end };
}

/** "1,234 msgs/sec ~ 1.21 MB/sec" (nats.go bench's Sample.String). */
export const sampleString = (s: Sample) => `${comma(rate(s))} msgs/sec ~ ${humanBytes(throughput(s))}/sec`;

function rateStats(samples: Sample[]) {
  const rates = samples.map(rate);
  const avg = Math.trunc(rates.reduce((a, b) => a + b, 0) / rates.length);
  const variance = rates.reduce((a, r) => a + (r - avg) ** 2, 0) / rates.length;
  return { min: Math.min(...rates), avg, max: Math.max(...rates), stddev: Math.sqrt(variance) };
}

/** "min 1 | avg 2 | max 3 | stddev 0 msgs" */
export function rateStatistics(samples: Sample[]): string {
  const r = rateStats(samples);
  return `min ${comma(r.min)} | avg ${comma(r.avg)} | max ${comma(r.max)} | stddev ${comma(Math.trunc(r.stddev))} msgs`;
}

export interface LatencyStats {
  min: number;
  avg: number;
  p50: number;
  p90: number;
  p99: number;
  p99_9: number;
  max: number;
  stddev: number;
  count: number;
}

/** Latency statistics in microseconds over every request of every client. */
export function latencyStats(samples: Sample[]): LatencyStats | undefined {
  const total = samples.reduce((n, s) => n + (s.latencies?.length ?? 0), 0);
  if (total === 0) return undefined;
  const all = new Float64Array(total);
  let o = 0;
  for (const s of samples) if (s.latencies) all.set(s.latencies, o), (o += s.latencies.length);
  all.sort();
  const pct = (p: number) => all[Math.max(0, Math.ceil((p / 100) * total) - 1)] / 1000;
  let sum = 0;
  for (const v of all) sum += v;
  const avgNs = sum / total;
  let sq = 0;
  for (const v of all) sq += (v - avgNs) ** 2;
  return {
    min: all[0] / 1000,
    avg: avgNs / 1000,
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    p99_9: pct(99.9),
    max: all[total - 1] / 1000,
    stddev: Math.sqrt(sq / total) / 1000,
    count: total,
  };
}

/** nats.go bench's Report(): aggregate, then per role the group rate, per-client rows and rate statistics. */
export function report(name: string, pubs: Sample[], subs: Sample[]): string {
  const all = group([...pubs, ...subs]);
  if (!all) return "No publisher or subscribers. Nothing to report.\n";
  let out = "";
  let indent = "";
  if (pubs.length && subs.length) {
    out += `${name} Pub/Sub stats: ${sampleString(all)}\n`;
    indent = " ";
  }
  const role = (label: string, samples: Sample[]) => {
    if (!samples.length) return;
    out += `${indent}${label} stats: ${sampleString(group(samples)!)}\n`;
    if (samples.length > 1) {
      samples.forEach((s, i) => {
        out += `${indent} [${i + 1}] ${sampleString(s)} (${s.msgs} msgs)\n`;
      });
      out += `${indent} ${rateStatistics(samples)}\n`;
    }
  };
  role("Pub", pubs);
  role("Sub", subs);
  const lat = latencyStats(pubs);
  if (lat) {
    const f = (v: number) => `${commaf(v, 2)}us`;
    out += `${indent}latencies per operation min ${f(lat.min)} | avg ${f(lat.avg)} | max ${f(lat.max)} | stddev ${f(lat.stddev)} | P50 ${f(lat.p50)} | P90 ${f(lat.p90)} | P99 ${f(lat.p99)} | P99.9: ${f(lat.p99_9)}\n`;
  }
  return out;
}

const MB = 1024 * 1024;
const plain = { head: [] as string[], border: [] as string[] };
/** No rule between body rows (cli-table3 draws one by default). */
const compact = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" };

/** The results table: one row per client and one per role, plus the latency table in request mode. */
export function tables(pubs: Sample[], subs: Sample[], pubLabel: string, subLabel: string): string {
  const t = new Table({
    head: ["", "Client", "Msgs", "Bytes", "Seconds", "Msgs/sec", "MB/sec"],
    colAligns: ["left", "right", "right", "right", "right", "right", "right"],
    style: plain,
    chars: compact,
  });
  const row = (role: string, client: string, s: Sample) =>
    t.push([
      role,
      client,
      comma(s.msgs),
      comma(s.bytes),
      seconds(s).toFixed(3),
      comma(rate(s)),
      (throughput(s) / MB).toFixed(2),
    ]);
  const block = (label: string, samples: Sample[]) => {
    if (!samples.length) return;
    for (const [i, s] of samples.entries()) row(label, String(i + 1), s);
    if (samples.length > 1) {
      row(label, "all", group(samples)!);
      const r = rateStats(samples);
      for (const [k, v] of [
        ["min", r.min],
        ["avg", r.avg],
        ["max", r.max],
        ["stddev", Math.trunc(r.stddev)],
      ] as const) {
        t.push([label, k, "", "", "", comma(v), ""]);
      }
    }
  };
  block(pubLabel, pubs);
  block(subLabel, subs);
  if (pubs.length && subs.length) row("Total", "", group([...pubs, ...subs])!);
  let out = t.toString() + "\n";
  const lat = latencyStats(pubs);
  if (lat) {
    const l = new Table({
      head: ["Latency (µs)", "min", "avg", "P50", "P90", "P99", "P99.9", "max", "stddev"],
      colAligns: ["left", "right", "right", "right", "right", "right", "right", "right", "right"],
      style: plain,
    });
    const f = (v: number) => commaf(v, 2);
    l.push([
      `${comma(lat.count)} requests`,
      f(lat.min),
      f(lat.avg),
      f(lat.p50),
      f(lat.p90),
      f(lat.p99),
      f(lat.p99_9),
      f(lat.max),
      f(lat.stddev),
    ]);
    out += l.toString() + "\n";
  }
  return out;
}

/** nats bench's CSV: one line per client. */
export function csv(runId: string, pubs: Sample[], subs: Sample[]): string {
  const withLat = pubs.some((s) => s.latencies?.length);
  const head = ["#RunID", "ClientID", "MsgCount", "MsgBytes", "MsgsPerSec", "BytesPerSec", "DurationSecs"];
  if (withLat)
    head.push(
      "MinLatencyMicroSecs",
      "AvgLatencyMicroSecs",
      "MaxLatencyMicroSecs",
      "P50LatencyMicroSecs",
      "P90LatencyMicroSecs",
      "P99LatencyMicroSecs",
      "P99.9LatencyMicroSecs",
      "StdDevLatencyMicroSecs",
    );
  const lines = [head.join(",")];
  const f6 = (v: number) => v.toFixed(6);
  const add = (pre: string, samples: Sample[]) =>
    samples.forEach((s, j) => {
      const r = [
        runId,
        `${pre}${j}`,
        String(s.msgs),
        String(s.bytes),
        String(rate(s)),
        f6(throughput(s)),
        f6(seconds(s)),
      ];
      if (withLat) {
        const l = latencyStats([s]);
        r.push(...(l ? [l.min, l.avg, l.max, l.p50, l.p90, l.p99, l.p99_9, l.stddev].map(f6) : Array(8).fill(f6(0))));
      }
      lines.push(r.join(","));
    });
  add("P", pubs);
  add("S", subs);
  return lines.join("\n") + "\n";
}
