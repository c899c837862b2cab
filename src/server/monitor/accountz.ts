// /accountz and /accstatz: the accounts, one account's detail (nats-server 2.10's AccountInfo:
// exports, imports and mappings as it renders them), and per-account statistics
// (monitor.go Accountz, accountInfo, AccountStatz; events.go AccountStat).
import type { Monitor, Reply } from "./http.js";
import type { AccountView, ExportView, ImportView, MappingView } from "./view.js";
import { BadRequest, decodeBool, goTime } from "./util.js";
import { sumSublistStats } from "./subsz.js";

/** The accounts' names, in the server's order ($G, the system account, the configured ones). */
export function accountNames(m: Monitor): string[] {
  const out: string[] = [];
  for (const a of m.view.accounts()) out.push(a.name);
  return out;
}

/** nats-server's Accountz: the list of accounts, or one account's detail (throws for an unknown one). */
export function accountz(m: Monitor, acc: string): Record<string, unknown> {
  const v = m.view;
  const out: Record<string, unknown> = { server_id: v.id, now: goTime(Date.now()) };
  if (v.systemAccount !== "") out.system_account = v.systemAccount;
  if (acc === "") out.accounts = accountNames(m);
  else out.account_detail = accountInfo(m, acc);
  return out;
}

export function handleAccountz(m: Monitor, q: URLSearchParams): Reply {
  return { kind: "json", value: accountz(m, q.get("acc") ?? "") };
}

/** nats-server's AccountInfo of one account, with its error text for an unknown one. */
export function accountInfo(m: Monitor, name: string): Record<string, unknown> {
  const a = m.view.account(name);
  if (a === undefined) throw new BadRequest(`Account ${name} does not exist`);
  const d: Record<string, unknown> = { account_name: a.name, update_time: goTime(a.created) };
  if (a.isSystem) d.is_system = true;
  d.expired = false;
  d.complete = true;
  d.jetstream_enabled = false;
  d.leafnode_connections = 0;
  d.client_connections = a.numClients;
  d.subscriptions = a.numSubs;
  const mappings = renderMappings(a.mappings());
  if (mappings !== null) d.mappings = mappings;
  const exports = renderExports(a.exports());
  if (exports.length > 0) d.exports = exports;
  const imports = renderImports(a.imports());
  if (imports.length > 0) d.imports = imports;
  d.sublist_stats = sumSublistStats([a]);
  return d;
}

/** nats-server's ServiceRespType names. */
const RESPONSE_TYPES: Record<string, string> = { singleton: "Singleton", stream: "Streamed", chunked: "Chunked" };

/** ExtExport: services first, then streams, as nats-server lists them. */
function renderExports(list: readonly ExportView[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const e of list) {
    if (e.service === undefined) continue;
    const x: Record<string, unknown> = { subject: e.service, type: "service" };
    x.response_type = RESPONSE_TYPES[e.response_type ?? "singleton"];
    if (e.accounts !== undefined && e.accounts.length > 0) x.approved_accounts = [...e.accounts];
    out.push(x);
  }
  for (const e of list) {
    if (e.stream === undefined) continue;
    const x: Record<string, unknown> = { subject: e.stream, type: "stream" };
    if (e.accounts !== undefined && e.accounts.length > 0) x.approved_accounts = [...e.accounts];
    out.push(x);
  }
  return out;
}

function hasWildcard(subject: string): boolean {
  for (const t of subject.split(".")) if (t === "*" || t === ">") return true;
  return false;
}

/** nats-server's transformUntokenize: `$1` and `{{wildcard(1)}}` tokens back to `*`. */
function untokenize(subject: string): string {
  return subject
    .split(".")
    .map((t) => (/^\$[1-9]/.test(t) || /^\{\{\s*wildcard\s*\(\s*\d+\s*\)\s*\}\}$/i.test(t) ? "*" : t))
    .join(".");
}

/**
 * ExtImport as nats-server 2.10 renders it: streams first (subject: the exporter's subject,
 * local_subject: where it lands), then services (subject: the exporter's subject, to and
 * local_subject: what the importer publishes to).
 */
function renderImports(list: readonly ImportView[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const im of list) {
    const st = im.stream;
    if (st === undefined) continue;
    const from = st.subject;
    let to: string;
    if (im.prefix !== undefined && im.prefix !== "") {
      to = (im.prefix.endsWith(".") ? im.prefix : `${im.prefix}.`) + from;
    } else to = im.to !== undefined && im.to !== "" ? im.to : from;
    if (hasWildcard(from) && to !== from) to = untokenize(to);
    out.push(importEntry(from, st.account, null, to, "stream"));
  }
  for (const im of list) {
    const sv = im.service;
    if (sv === undefined) continue;
    let remote = sv.subject;
    let local = im.to !== undefined && im.to !== "" ? im.to : remote;
    if (hasWildcard(remote) && remote !== local) {
      remote = untokenize(remote);
      local = untokenize(local);
    }
    out.push(importEntry(remote, sv.account, local, local, "service"));
  }
  return out;
}

function importEntry(
  subject: string,
  account: string,
  to: string | null,
  local: string,
  type: string,
): Record<string, unknown> {
  const x: Record<string, unknown> = { subject, account };
  if (to !== null) x.to = to;
  x.local_subject = local;
  x.type = type;
  x.invalid = false;
  x.share = false;
  x.tracking = false;
  return x;
}

/**
 * nats-server's ExtMap: per source, its destinations as the account keeps them (cumulative
 * weights; a cluster only on cluster-scoped ones). Go writes map keys sorted; null when none.
 */
function renderMappings(list: readonly MappingView[]): Record<string, unknown> | null {
  if (list.length === 0) return null;
  const bySrc = new Map<string, MappingView>();
  for (const mp of list) bySrc.set(mp.source, mp);
  const out: Record<string, unknown> = {};
  for (const src of [...bySrc.keys()].sort(byteOrder)) {
    out[src] = (bySrc.get(src) as MappingView).destinations.map((d) => {
      const x: Record<string, unknown> = { subject: d.subject, weight: d.weight };
      if (d.cluster !== "") x.cluster = d.cluster;
      return x;
    });
  }
  return out;
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** What nats-server's AccountStatz takes: the accounts asked for (all when empty), and whether to include those without connections. */
export interface AccountStatzOptions {
  accounts?: readonly string[];
  includeUnused: boolean;
}

/** nats-server's AccountStatz: the accounts with connections (or all, `unused`), or the named ones. */
export function accountStatz(m: Monitor, opts: AccountStatzOptions): Record<string, unknown> {
  const v = m.view;
  const stats: Record<string, unknown>[] = [];
  const pick = (a: AccountView) => {
    if (opts.includeUnused || a.numClients !== 0) stats.push(accountStat(a));
  };
  if (opts.accounts === undefined || opts.accounts.length === 0) for (const a of v.accounts()) pick(a);
  else {
    for (const name of opts.accounts) {
      const a = v.account(name);
      if (a !== undefined) pick(a);
    }
  }
  return { server_id: v.id, now: goTime(Date.now()), account_statz: stats };
}

export function handleAccountStatz(m: Monitor, q: URLSearchParams): Reply {
  // nats-server's HTTP handler reads `unused` only (the $SYS request also names accounts)
  const unused = decodeBool(q, "unused");
  return { kind: "json", value: accountStatz(m, { includeUnused: unused }) };
}

/** nats-server's AccountStat of one account. */
export function accountStat(a: AccountView): Record<string, unknown> {
  const conns = a.numClients;
  const sent = a.sent();
  const received = a.received();
  return {
    acc: a.name,
    conns,
    leafnodes: 0,
    total_conns: conns,
    num_subscriptions: a.numSubs,
    sent: { msgs: sent.msgs, bytes: sent.bytes },
    received: { msgs: received.msgs, bytes: received.bytes },
    slow_consumers: a.slowConsumers,
  };
}
