// The smaller endpoints: /routez, /gatewayz, /leafz and /jsz answer with nats-server's shapes
// for a server without clustering, gateways, leaf nodes or JetStream; /accountz, /accstatz
// and /healthz report what tsnats has.
import type { MonitorServer, Reply } from "./http.js";
import { BadRequest, decodeBool, goTime } from "./util.js";
import { sublistStats } from "./subsz.js";
import { goQuote } from "../../protocol/quote.js";

export function handleRoutez(m: MonitorServer, q: URLSearchParams): Reply {
  decodeBool(q, "subs");
  return {
    kind: "json",
    value: { server_id: m.server.id, server_name: m.server.name, now: goTime(Date.now()), num_routes: 0, routes: [] },
  };
}

export function handleGatewayz(m: MonitorServer, q: URLSearchParams): Reply {
  decodeBool(q, "accs");
  return {
    kind: "json",
    value: { server_id: m.server.id, now: goTime(Date.now()), outbound_gateways: {}, inbound_gateways: {} },
  };
}

export function handleLeafz(m: MonitorServer, q: URLSearchParams): Reply {
  decodeBool(q, "subs");
  return { kind: "json", value: { server_id: m.server.id, now: goTime(Date.now()), leafnodes: 0, leafs: [] } };
}

export function handleJsz(m: MonitorServer, q: URLSearchParams): Reply {
  for (const p of ["accounts", "streams", "consumers", "config", "leader-only", "raft"]) decodeBool(q, p);
  return {
    kind: "json",
    value: {
      server_id: m.server.id,
      now: goTime(Date.now()),
      disabled: true,
      config: { max_memory: 0, max_storage: 0 },
      memory: 0,
      storage: 0,
      reserved_memory: 0,
      reserved_storage: 0,
      accounts: 0,
      ha_assets: 0,
      api: { total: 0, errors: 0 },
      streams: 0,
      consumers: 0,
      messages: 0,
      bytes: 0,
    },
  };
}

/** The accounts tsnats knows: the global one, those of the accounts block and those named by users. */
export function accountNames(m: MonitorServer): string[] {
  const names = new Set<string>(["$G"]);
  for (const a of m.server.opts.accounts) names.add(a.name);
  for (const u of m.server.opts.authorization.users ?? []) if (u.account) names.add(u.account);
  return [...names];
}

export function handleAccountz(m: MonitorServer, q: URLSearchParams): Reply {
  const acc = q.get("acc") ?? "";
  const base = { server_id: m.server.id, now: goTime(Date.now()) };
  if (acc === "") return { kind: "json", value: { ...base, accounts: accountNames(m) } };
  if (!accountNames(m).includes(acc)) throw new BadRequest(`Account ${acc} does not exist`);
  return { kind: "json", value: { ...base, account_detail: accountDetail(m, acc) } };
}

function accountDetail(m: MonitorServer, acc: string): Record<string, unknown> {
  const s = m.server;
  let subs = 0;
  for (const c of s.clients.values()) if (c.account === acc) subs += c.subs.size;
  const d: Record<string, unknown> = {
    account_name: acc,
    update_time: goTime(s.startTime.getTime()),
    expired: false,
    complete: true,
    jetstream_enabled: false,
    leafnode_connections: 0,
    client_connections: countClients(m, acc),
    subscriptions: subs,
  };
  // one subject index serves every account so far: its figures are the global account's
  if (acc === "$G") d.sublist_stats = sublistStats(m);
  return d;
}

function countClients(m: MonitorServer, acc: string): number {
  let n = 0;
  for (const c of m.server.clients.values()) if (c.account === acc) n++;
  return n;
}

export function handleAccountStatz(m: MonitorServer, q: URLSearchParams): Reply {
  const unused = decodeBool(q, "unused");
  const names = accountNames(m);
  const stats: Record<string, unknown>[] = [];
  for (const acc of names) {
    const conns = countClients(m, acc);
    if (!unused && conns === 0) continue;
    stats.push(accountStat(m, acc, conns));
  }
  return { kind: "json", value: { server_id: m.server.id, now: goTime(Date.now()), account_statz: stats } };
}

function accountStat(m: MonitorServer, acc: string, conns: number): Record<string, unknown> {
  const closed = m.server.lookupAccount(acc)?.closedStats;
  let inMsgs = closed?.inMsgs ?? 0;
  let inBytes = closed?.inBytes ?? 0;
  let outMsgs = closed?.outMsgs ?? 0;
  let outBytes = closed?.outBytes ?? 0;
  let subs = 0;
  for (const c of m.server.clients.values()) {
    if (c.account !== acc) continue;
    inMsgs += c.inMsgs;
    inBytes += c.inBytes;
    outMsgs += c.outMsgs;
    outBytes += c.outBytes;
    subs += c.subs.size;
  }
  return {
    acc,
    conns,
    leafnodes: 0,
    total_conns: conns,
    num_subscriptions: subs,
    sent: { msgs: outMsgs, bytes: outBytes },
    received: { msgs: inMsgs, bytes: inBytes },
    slow_consumers: closed?.slowConsumers ?? 0,
  };
}

/**
 * /healthz as nats-server 2.10 answers it for a server without JetStream: "ok", except for
 * malformed stream/consumer checks (400). The JetStream parameters are accepted: without
 * JetStream configured there is nothing more to check, as in nats-server.
 */
export function handleHealthz(m: MonitorServer, q: URLSearchParams): Reply {
  const jsEnabled = decodeBool(q, "js-enabled");
  if (jsEnabled) m.server.logger.warnf("Healthcheck: js-enabled deprecated, use js-enabled-only instead");
  decodeBool(q, "js-enabled-only");
  decodeBool(q, "js-server-only");
  const details = decodeBool(q, "details");
  const account = q.get("account") ?? "";
  const stream = q.get("stream") ?? "";
  const consumer = q.get("consumer") ?? "";
  let problem = "";
  if (account === "" && stream !== "") problem = `"account" must not be empty when checking stream health`;
  else if (stream === "" && consumer !== "") problem = `"stream" must not be empty when checking consumer health`;
  if (problem === "") return { kind: "json", compact: true, value: { status: "ok" } };
  m.server.logger.warnf(details ? "Healthcheck failed: 1 errors" : `Healthcheck failed: ${goQuote(problem)}`);
  const value = details
    ? { status: "error", errors: [{ type: "BAD_REQUEST", error: problem }] }
    : { status: "error", error: problem };
  return { kind: "json", status: 400, compact: true, value };
}
