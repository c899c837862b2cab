// tsnats server ping|info: the nats CLI's system-account requests over $SYS.REQ.SERVER.*.
// They need a user of the server's system account. (tsnats-server has no system account yet,
// so it answers them with no responders until accounts land; nats-server answers them.)
import type { Command } from "commander";
import { createInbox, type Msg } from "./connection.js";
import { openConnection, globals, timeoutMs } from "./options.js";
import { comma, formatDuration, humanizeDuration, ibytes } from "./format.js";
import { intArg } from "./verb.js";

export class StatusError extends Error {}

function statusCheck(m: Msg, subject: string): void {
  if (m.headers?.code) {
    throw new StatusError(
      `${m.headers.code} status from ${subject}, ensure a system account is used with appropriate permissions`,
    );
  }
}

async function ping(cmd: Command, expectArg: number | undefined, opts: { id?: boolean }): Promise<void> {
  const g = globals(cmd);
  const timeout = timeoutMs(g);
  const nc = await openConnection(g);
  let expect = expectArg ?? 0;
  const times: number[] = [];
  let out = "";
  let failure: Error | undefined;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  const start = process.hrtime.bigint();
  const subject = "$SYS.REQ.SERVER.PING";
  const sub = nc.subscribe(createInbox(), {
    callback: (err, m) => {
      if (err) {
        failure = err;
        return done();
      }
      try {
        statusCheck(m, subject);
        const ssm = m.json<{ server: { id: string; name: string }; statsz?: { active_servers?: number } }>();
        times.push(times.length);
        const since = Number(process.hrtime.bigint() - start);
        times[times.length - 1] = Math.floor(since / 1e6);
        if (expect === 0 && (ssm.statsz?.active_servers ?? 0) > 0 && times.length === 1)
          expect = ssm.statsz!.active_servers!;
        const name = ssm.server.name.padEnd(60);
        out += opts.id
          ? `${ssm.server.id} ${name} rtt=${formatDuration(since)}\n`
          : `${name} rtt=${formatDuration(since)}\n`;
        process.stdout.write(out);
        out = "";
        if (times.length === expect) done();
      } catch (e) {
        failure = e instanceof StatusError ? e : new Error(`Could not decode response: ${(e as Error).message}`);
        done();
      }
    },
  });
  nc.publish(subject, "", { reply: sub.getSubject() });
  const timer = setTimeout(done, timeout);
  await finished;
  clearTimeout(timer);
  sub.unsubscribe();
  await nc.close();
  if (failure) throw failure;
  let summary = "\n---- ping statistics ----\n";
  if (times.length > 0) {
    const max = Math.max(...times);
    const min = Math.min(...times);
    const avg = times.reduce((a, b) => a + b, 0) / times.length;
    summary += `${times.length} replies max: ${max.toFixed(2)} min: ${min.toFixed(2)} avg: ${avg.toFixed(2)}\n`;
  } else {
    summary += "no responses received\n";
  }
  if (expect !== 0 && expect !== times.length) summary += `\nMissing ${expect - times.length} server(s)\n`;
  process.stdout.write(summary);
}

/** The nats CLI's columns writer: a heading, titled sections and right-aligned "Key: value" rows. */
class Columns {
  private rows: Array<{ title: string } | { key: string; value: string }> = [];
  constructor(private heading: string) {}
  section(title: string) {
    this.rows.push({ title });
  }
  row(key: string, value: string | number | boolean) {
    this.rows.push({ key, value: typeof value === "number" ? comma(value) : String(value) });
  }
  render(): string {
    const longest = Math.max(0, ...this.rows.map((r) => ("key" in r ? r.key.length : 0)));
    let s = `${this.heading}\n\n`;
    this.rows.forEach((r, i) => {
      if ("title" in r) {
        if (i !== 0 && !("title" in this.rows[i - 1])) s += "\n";
        s += `${r.title}:\n\n`;
      } else if (r.key === "") {
        s += `${" ".repeat(longest + 3)} ${r.value}\n`;
      } else {
        s += `${" ".repeat(longest - r.key.length + 2)}${r.key}: ${r.value}\n`;
      }
    });
    return s;
  }
}

/** Local time as the nats CLI shows a time.Time: "2006-01-02 15:04:05". */
function localTime(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

interface Varz {
  server_id: string;
  server_name: string;
  version: string;
  git_commit?: string;
  go: string;
  start: string;
  config_load_time: string;
  config_digest?: string;
  uptime: string;
  auth_required?: boolean;
  tls_required?: boolean;
  host: string;
  port: number;
  ip?: string;
  connect_urls?: string[];
  ws_connect_urls?: string[];
  max_connections: number;
  max_subscriptions?: number;
  max_payload: number;
  tls_timeout: number;
  write_deadline?: number;
  cores: number;
  cpu: number;
  gomaxprocs?: number;
  mem: number;
  connections: number;
  subscriptions: number;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  slow_consumers: number;
  tags?: string[];
  cluster?: { name?: string; addr?: string; cluster_port?: number; urls?: string[] };
}

function renderVarz(v: Varz): string {
  const c = new Columns(
    v.server_id === v.server_name
      ? `Server information for ${v.server_id}`
      : `Server information for ${v.server_name} (${v.server_id})`,
  );
  c.section("Process Details");
  c.row("Version", v.version);
  c.row("Git Commit", v.git_commit ?? "");
  c.row("Go Version", v.go);
  c.row("Start Time", localTime(v.start));
  c.row("Configuration Load Time", localTime(v.config_load_time));
  if (v.config_digest) c.row("Configuration Digest", v.config_digest);
  c.row("Uptime", v.uptime);
  c.section("Connection Details");
  c.row("Auth Required", v.auth_required ?? false);
  c.row("TLS Required", v.tls_required ?? false);
  c.row("Host", v.ip ? `${v.host}:${v.port} (${v.ip})` : `${v.host}:${v.port}`);
  for (const [i, u] of (v.connect_urls ?? []).entries()) c.row(i === 0 ? "Client URLs" : "", u);
  for (const [i, u] of (v.ws_connect_urls ?? []).entries()) c.row(i === 0 ? "WebSocket URLs" : "", u);
  c.section("Limits");
  c.row("Maximum Connections", v.max_connections);
  c.row("Maximum Subscriptions", v.max_subscriptions ?? 0);
  c.row("Maximum Payload", ibytes(v.max_payload));
  c.row("TLS Timeout", humanizeDuration(v.tls_timeout * 1e9));
  c.row("Write Deadline", humanizeDuration(Math.round((v.write_deadline ?? 0) / 1e6) * 1e6));
  c.section("Statistics");
  c.row("CPU Cores", `${v.cores} ${v.cpu.toFixed(2)}%`);
  if (v.gomaxprocs) c.row("GOMAXPROCS", String(v.gomaxprocs));
  c.row("Memory", ibytes(v.mem));
  c.row("Connections", v.connections);
  c.row("Subscriptions", v.subscriptions);
  c.row("Messages", `${comma(v.in_msgs)} in ${comma(v.out_msgs)} out`);
  c.row("Bytes", `${ibytes(v.in_bytes)} in ${ibytes(v.out_bytes)} out`);
  c.row("Slow Consumers", v.slow_consumers);
  if (v.cluster?.urls?.length) {
    c.section("Cluster");
    c.row("Name", v.cluster.name ?? "");
    if (v.tags?.length) c.row("Tags", v.tags.join(", "));
    c.row("Host", `${v.cluster.addr ?? ""}:${v.cluster.cluster_port ?? 0}`);
    for (const [i, u] of v.cluster.urls.entries()) c.row(i === 0 ? "URLs" : "", u);
  }
  return c.render();
}

async function info(cmd: Command, id: string | undefined, opts: { json?: boolean }): Promise<void> {
  const g = globals(cmd);
  const timeout = timeoutMs(g);
  const nc = await openConnection(g);
  try {
    const server = id ?? "";
    const direct = server.length === 56 && server.toUpperCase() === server;
    const subject = direct ? `$SYS.REQ.SERVER.${server}.VARZ` : "$SYS.REQ.SERVER.PING.VARZ";
    const body = direct ? "{}" : JSON.stringify(server ? { server_name: server } : {});
    let m: Msg;
    try {
      m = await nc.request(subject, body, { timeout });
    } catch {
      throw new Error("no results received, ensure the account used has system privileges and appropriate permissions");
    }
    statusCheck(m, subject);
    const resp = m.json<{ data?: Varz; error?: unknown }>();
    if (resp.error) throw new Error(`invalid response received: ${JSON.stringify(resp.error)}`);
    if (!resp.data) throw new Error(`no data received in response: ${m.string()}`);
    process.stdout.write(opts.json ? JSON.stringify(resp.data, null, 2) + "\n" : renderVarz(resp.data));
  } finally {
    await nc.close();
  }
}

export function register(program: Command): void {
  const server = program.command("server").description("Server information (needs a system account user)");
  server
    .command("ping")
    .description("Ping all servers")
    .argument("[expect]", "How many servers to expect", intArg)
    .option("--id", "Include the Server ID in the output")
    .action((expect: number | undefined, opts: { id?: boolean }, cmd: Command) => ping(cmd, expect, opts));
  server
    .command("info")
    .alias("i")
    .description("Show information about a single server")
    .argument("[server]", "Server ID or Name to inspect")
    .option("--json", "Produce JSON output")
    .action((id: string | undefined, opts: { json?: boolean }, cmd: Command) => info(cmd, id, opts));
}
