// /metrics: the server's figures in Prometheus text exposition format 0.0.4.
//
// Names follow the official prometheus-nats-exporter, which maps every numeric field of
// /varz to a gauge gnatsd_varz_<field>{server_id="..."} (and of /subsz, /connz and /routez
// likewise), so dashboards built on the exporter work unchanged; the standard process_*
// metrics are added. nats-server needs that exporter as a separate process; tsnats serves
// the same names itself. Everything is computed when scraped, nothing on the message path.
import { readdirSync } from "node:fs";
import type { Monitor, Reply } from "./http.js";
import { varz } from "./varz.js";
import { sublistStats } from "./subsz.js";
import { cpuSeconds } from "./process.js";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = ReadonlyArray<readonly [string, string]>;

/** Collects metric families and writes them out, each with its HELP and TYPE lines once. */
class Exposition {
  private readonly lines: string[] = [];

  family(
    name: string,
    type: "gauge" | "counter",
    help: string,
    samples: ReadonlyArray<readonly [Labels, number]>,
  ): void {
    if (samples.length === 0) return;
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) this.lines.push(`${name}${formatLabels(labels)} ${formatValue(v)}`);
  }

  text(): string {
    return this.lines.join("\n") + "\n";
  }
}

function escapeHelp(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function escapeLabel(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatLabels(labels: Labels): string {
  if (labels.length === 0) return "";
  return `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** HELP texts of the /varz fields; the exporter itself repeats the field name. */
const VARZ_HELP: Record<string, string> = {
  proto: "Client protocol version",
  port: "Client port",
  max_connections: "Configured maximum number of client connections",
  max_subscriptions: "Configured maximum number of subscriptions per connection",
  ping_interval: "Ping interval in nanoseconds",
  ping_max: "Maximum outstanding pings before a connection is stale",
  http_port: "Monitoring port",
  https_port: "Monitoring TLS port",
  auth_timeout: "Authentication timeout in seconds",
  max_control_line: "Maximum protocol control line length",
  max_payload: "Maximum message payload",
  max_pending: "Maximum pending bytes per connection",
  tls_timeout: "TLS handshake timeout in seconds",
  write_deadline: "Write deadline in nanoseconds",
  mem: "Resident memory of the process in bytes",
  cores: "Number of CPU cores",
  gomaxprocs: "Parallelism available to the process",
  cpu: "CPU use in percent",
  connections: "Current client connections",
  total_connections: "Client connections since start",
  routes: "Current route connections",
  remotes: "Configured route remotes",
  leafnodes: "Current leaf node connections",
  in_msgs: "Messages received",
  out_msgs: "Messages sent",
  in_bytes: "Payload bytes received",
  out_bytes: "Payload bytes sent",
  slow_consumers: "Slow consumers detected",
  subscriptions: "Current subscriptions",
};

/**
 * Per-route figures (gnatsd_routez_route_*): the seam for clustering. There are no routes
 * yet, so this returns nothing; once routes exist it returns one entry per route connection.
 */
export interface RouteFigures {
  rid: number;
  remoteId: string;
  remoteName: string;
  ip: string;
  rttSeconds: number;
  subscriptions: number;
  uptimeSeconds: number;
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
}

export function routeFigures(_m: Monitor): RouteFigures[] {
  return [];
}

export function metricsText(m: Monitor): string {
  const s = m.view;
  const id: Labels = [["server_id", s.id]];
  const e = new Exposition();
  const v = varz(m);

  // /varz: every numeric field, as the exporter does, plus its label gauges
  e.family("gnatsd_varz_server_id", "gauge", "Server id", [[[...id, ["value", s.id]], 1]]);
  e.family("gnatsd_varz_server_name", "gauge", "Server name", [[[...id, ["value", s.name]], 1]]);
  e.family("gnatsd_varz_version", "gauge", "NATS protocol level version of the server", [
    [[...id, ["value", String(v.version)]], 1],
  ]);
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== "number") continue;
    e.family(`gnatsd_varz_${k}`, "gauge", VARZ_HELP[k] ?? k, [[id, val]]);
  }
  const start = s.startTime / 1000;
  e.family("gnatsd_varz_start_time_seconds", "gauge", "Server start time, in seconds since the Unix epoch", [
    [id, start],
  ]);

  // /connz and /subsz summaries
  e.family("gnatsd_connz_num_connections", "gauge", "Current client connections", [[id, s.clients.size]]);
  e.family("gnatsd_connz_total", "gauge", "Current client connections", [[id, s.clients.size]]);
  e.family("gnatsd_connz_closed_connections", "gauge", "Closed connections kept for /connz?state=closed", [
    [id, s.closed.length],
  ]);
  let pending = 0;
  for (const c of s.clients.values()) pending += c.pendingBytes;
  e.family("gnatsd_connz_pending_bytes", "gauge", "Outbound bytes waiting to be written to clients", [[id, pending]]);
  for (const [k, val] of Object.entries(sublistStats(m))) {
    e.family(`gnatsd_subsz_${k}`, "gauge", k.replace(/_/g, " "), [[id, val]]);
  }

  // /routez: the count, then one set of figures per route (none until clustering exists)
  const routes = routeFigures(m);
  e.family("gnatsd_routez_num_routes", "gauge", "Current route connections", [[id, routes.length]]);
  const per = (name: string, help: string, f: (r: RouteFigures) => number) =>
    e.family(
      `gnatsd_routez_route_${name}`,
      "gauge",
      help,
      routes.map((r) => [[...id, ["rid", String(r.rid)]], f(r)] as const),
    );
  e.family(
    "gnatsd_routez_route_info",
    "gauge",
    "Route identity",
    routes.map(
      (r) =>
        [
          [...id, ["rid", String(r.rid)], ["remote_id", r.remoteId], ["remote_name", r.remoteName], ["ip", r.ip]],
          1,
        ] as const,
    ),
  );
  per("rtt_seconds", "Route round-trip time in seconds", (r) => r.rttSeconds);
  per("subscriptions", "Subscriptions on the route", (r) => r.subscriptions);
  per("uptime_seconds", "Route uptime in seconds", (r) => r.uptimeSeconds);
  per("in_msgs", "Messages received over the route", (r) => r.inMsgs);
  per("out_msgs", "Messages sent over the route", (r) => r.outMsgs);
  per("in_bytes", "Bytes received over the route", (r) => r.inBytes);
  per("out_bytes", "Bytes sent over the route", (r) => r.outBytes);

  // /healthz
  e.family("gnatsd_healthz_status", "gauge", "Health status (0 ok)", [[[...id, ["value", "ok"]], 0]]);

  // the standard process metrics of Prometheus client libraries
  e.family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", [
    [[], cpuSeconds()],
  ]);
  e.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", [
    [[], process.memoryUsage.rss()],
  ]);
  const startSeconds = Math.round((Date.now() / 1000 - process.uptime()) * 1000) / 1000;
  e.family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", [
    [[], startSeconds],
  ]);
  const fds = openFds();
  if (fds >= 0) e.family("process_open_fds", "gauge", "Number of open file descriptors.", [[[], fds]]);
  const mem = process.memoryUsage();
  e.family("nodejs_heap_size_total_bytes", "gauge", "Process heap size from Node.js in bytes.", [[[], mem.heapTotal]]);
  e.family("nodejs_heap_size_used_bytes", "gauge", "Process heap size used from Node.js in bytes.", [
    [[], mem.heapUsed],
  ]);
  e.family("nodejs_external_memory_bytes", "gauge", "Node.js external memory size in bytes.", [[[], mem.external]]);
  e.family("nodejs_version_info", "gauge", "Node.js version info.", [[[["version", process.version]], 1]]);
  return e.text();
}

/** Open file descriptors (Linux /proc), or -1 where that cannot be read. */
function openFds(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return -1;
  }
}

export function handleMetrics(m: Monitor): Reply {
  return { kind: "raw", contentType: METRICS_CONTENT_TYPE, body: metricsText(m) };
}
