// /connz: open and closed client connections, sorted and paginated as nats-server does
// (monitor.go Connz, monitor_sort_opts.go). Only the requested page is turned into JSON
// objects, one at a time as it is serialized; sorting works on the connections themselves
// (open ones) and on the snapshots of the closed ring (closed.ts).
import type { Monitor, Reply } from "./http.js";
import type { ClosedClient, ClosedSub, ConnView, SubView } from "./view.js";
import { BadRequest, LazyArray, decodeBool, decodeInt, decodeUint, goTime, goUptime } from "./util.js";
import { formatGoDuration } from "../duration.js";

export const DEFAULT_CONN_LIST_SIZE = 1024;

const SORT_OPTIONS = new Set([
  "cid",
  "start",
  "subs",
  "pending",
  "msgs_to",
  "msgs_from",
  "bytes_to",
  "bytes_from",
  "last",
  "idle",
  "uptime",
  "stop",
  "reason",
  "rtt",
]);

type State = "open" | "closed" | "all";

export interface ConnzOptions {
  sort: string;
  auth: boolean;
  subs: boolean;
  subsDetail: boolean;
  offset: number;
  limit: number;
  cid: number;
  state: State;
  user: string;
  acc: string;
}

/** One connection in the list: open ones are read live, closed ones from the closed ring. */
type Row = { c: ConnView; open: true } | { c: ClosedClient; open: false };

function decodeState(q: URLSearchParams): State {
  const s = q.get("state") ?? "";
  if (s === "") return "open";
  switch (s.toLowerCase()) {
    case "open":
      return "open";
    case "closed":
      return "closed";
    case "any":
    case "all":
      return "all";
  }
  throw new BadRequest(`Error decoding state for ${s}`);
}

export function parseConnzQuery(q: URLSearchParams): ConnzOptions {
  // decoded in nats-server's order, so the first bad parameter is the one reported
  const sort = q.get("sort") ?? "";
  const auth = decodeBool(q, "auth");
  const subsDetail = (q.get("subs") ?? "").toLowerCase() === "detail";
  const subs = subsDetail ? false : decodeBool(q, "subs");
  const offset = decodeInt(q, "offset");
  const limit = decodeInt(q, "limit");
  const cid = decodeUint(q, "cid");
  const state = decodeState(q);
  return {
    sort,
    auth,
    subs,
    subsDetail,
    offset,
    limit,
    cid,
    state,
    user: q.get("user") ?? "",
    acc: q.get("acc") ?? "",
  };
}

export function connz(m: Monitor, opts: ConnzOptions): Record<string, unknown> {
  const s = m.view;
  const sort = opts.sort === "" ? "cid" : opts.sort;
  if (!SORT_OPTIONS.has(sort)) throw new BadRequest(`invalid sorting option: ${opts.sort}`);
  const state = opts.state;
  if (sort === "stop" && state !== "closed") throw new BadRequest("sort by stop only valid on closed connections");
  if (sort === "reason" && state !== "closed") throw new BadRequest("sort by reason only valid on closed connections");
  const offset = Math.max(0, opts.offset);
  let limit = opts.limit <= 0 ? DEFAULT_CONN_LIST_SIZE : opts.limit;
  const cid = opts.cid;
  if (cid > 0) limit = 1;
  const nowMs = Date.now();
  const acc = opts.acc;
  if (acc !== "" && s.account(acc) === undefined) {
    // nats-server answers an unknown account with an empty, id-less result
    return { server_id: "", now: goTime(nowMs), num_connections: 0, total: 0, offset, limit, connections: null };
  }

  let rows: Row[] = [];
  const wantOpen = state === "open" || state === "all";
  const wantClosed = state === "closed" || state === "all";
  // nats-server's total counts the connections of the state (and account) asked for, before
  // the cid and user filters narrow the list down
  let total = 0;
  if (wantOpen) {
    if (acc === "") total += s.clients.size;
    else for (const c of s.clients.values()) if (c.account === acc) total++;
  }
  if (wantClosed) {
    if (acc === "") total += s.closed.length;
    else for (const cc of s.closed) if (cc.account === acc) total++;
  }
  if (cid > 0) {
    const c = wantOpen ? s.clients.get(cid) : undefined;
    if (c !== undefined) rows.push({ c, open: true });
    else if (wantClosed) {
      for (const cc of s.closed) {
        if (cc.cid === cid) {
          rows.push({ c: cc, open: false });
          break;
        }
      }
    }
  } else {
    const user = opts.user;
    if (wantOpen) {
      for (const c of s.clients.values()) {
        if (acc !== "" && c.account !== acc) continue;
        if (user !== "" && c.authUser !== user) continue;
        rows.push({ c, open: true });
      }
    }
    if (wantClosed) {
      for (const c of s.closed) {
        if (acc !== "" && c.account !== acc) continue;
        if (user !== "" && c.authUser !== user) continue;
        rows.push({ c, open: false });
      }
    }
  }
  rows = sortRows(rows, sort, nowMs);
  const lo = Math.min(offset, rows.length);
  const hi = Math.min(offset + limit, rows.length);
  // each entry is made when it is serialized, so a large page is built in slices (queue.ts)
  const conns = new LazyArray(hi - lo, (i) => connInfo(rows[lo + i], nowMs, opts));
  return {
    server_id: s.id,
    now: goTime(nowMs),
    num_connections: conns.length,
    total,
    offset,
    limit,
    connections: conns,
  };
}

/** The time a connection's figures stop at: now while open, its close time once closed. */
function endOf(r: Row, now: number): number {
  return r.open ? now : r.c.stopTime;
}

function numSubs(r: Row): number {
  return r.open ? r.c.subs.size : r.c.numSubs;
}

/** Why a connection closed ("" while open: sorting by reason is for closed ones only). */
function reasonOf(r: Row): string {
  return r.open ? "" : r.c.reason;
}

function sortRows(rows: Row[], sort: string, now: number): Row[] {
  const byCid = (a: Row, b: Row) => a.c.cid - b.c.cid;
  // Go sorts these descending (sort.Reverse); ties are ordered by cid here, to be stable
  const desc = (key: (r: Row) => number) => (a: Row, b: Row) => key(b) - key(a) || byCid(a, b);
  const asc = (key: (r: Row) => number) => (a: Row, b: Row) => key(a) - key(b) || byCid(a, b);
  switch (sort) {
    case "cid":
    case "start":
      return rows.sort(byCid);
    case "subs":
      return rows.sort(desc(numSubs));
    case "pending":
      return rows.sort(desc((r) => (r.open ? r.c.pendingBytes : 0)));
    case "msgs_to":
      return rows.sort(desc((r) => r.c.outMsgs));
    case "msgs_from":
      return rows.sort(desc((r) => r.c.inMsgs));
    case "bytes_to":
      return rows.sort(desc((r) => r.c.outBytes));
    case "bytes_from":
      return rows.sort(desc((r) => r.c.inBytes));
    case "last":
      return rows.sort(desc((r) => r.c.last));
    case "idle":
      return rows.sort(desc((r) => now - r.c.last));
    case "uptime":
      // nats-server sorts uptime ascending (no sort.Reverse)
      return rows.sort(asc((r) => endOf(r, now) - r.c.start));
    case "stop":
      return rows.sort(desc((r) => (r.open ? 0 : r.c.stopTime)));
    case "reason":
      return rows.sort((a, b) => cmpStr(reasonOf(a), reasonOf(b)) || byCid(a, b));
    case "rtt":
      return rows.sort(desc((r) => r.c.rtt));
  }
  return rows;
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function connInfo(r: Row, now: number, opts: ConnzOptions): Record<string, unknown> {
  const c = r.c;
  const end = endOf(r, now);
  const ci: Record<string, unknown> = {
    cid: c.cid,
    kind: "Client",
    type: "nats",
    ip: c.host,
    port: c.port,
    start: goTime(c.start),
    last_activity: goTime(c.last),
  };
  if (!r.open) {
    ci.stop = goTime(r.c.stopTime);
    ci.reason = r.c.reason;
  }
  ci.rtt = rttText(c.rtt);
  ci.uptime = goUptime(end - c.start);
  ci.idle = goUptime(end - c.last);
  ci.pending_bytes = r.open ? r.c.pendingBytes : r.c.pendingAtClose;
  ci.in_msgs = c.inMsgs;
  ci.out_msgs = c.outMsgs;
  ci.in_bytes = c.inBytes;
  ci.out_bytes = c.outBytes;
  const nsubs = numSubs(r);
  ci.subscriptions = nsubs;
  if (c.name !== "") ci.name = c.name;
  if (c.lang !== "") ci.lang = c.lang;
  if (c.version !== "") ci.version = c.version;
  if (c.tlsInfo !== null) Object.assign(ci, c.tlsInfo);
  if (opts.auth) {
    if (c.authUser !== "") ci.authorized_user = c.authUser;
    if (c.account !== "" && c.account !== "$G") ci.account = c.account;
  }
  if (nsubs > 0) {
    if (r.open) {
      if (opts.subsDetail) ci.subscriptions_list_detail = subsDetail(r.c);
      else if (opts.subs) ci.subscriptions_list = [...r.c.subs.values()].map((s) => s.subject);
    } else if (r.c.subs !== null) {
      const subs = r.c.subs;
      if (opts.subsDetail) ci.subscriptions_list_detail = subs.map((s) => closedSubDetail(s, r.c));
      else if (opts.subs) ci.subscriptions_list = subs.map((s) => s.subject);
    }
  }
  return ci;
}

/** nats-server's SubDetail; the account is shown by /subsz, not under a connection. */
export function subDetail(s: SubView, withAccount: boolean): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  if (withAccount) d.account = s.conn.acc.name;
  d.subject = s.subject;
  if (s.queue !== null && s.queue !== "") d.qgroup = s.queue;
  d.sid = s.sid;
  d.msgs = s.nm;
  if (s.max > 0) d.max = s.max;
  d.cid = s.conn.cid;
  return d;
}

/** nats-server's RTT text: truncated to microseconds below a millisecond, else to nanoseconds. */
export function rttText(ms: number): string {
  let ns = Math.round(ms * 1e6);
  if (ns > 0 && ns < 1000) return `${ns}ns`;
  if (ns > 1000 && ns < 1e6) ns = Math.floor(ns / 1000) * 1000;
  return formatGoDuration(ns / 1e6);
}

/**
 * subDetail for a subscription of the closed ring. As in nats-server, it names the account
 * (an open connection's do not) and has no max (see ClosedSub).
 */
function closedSubDetail(s: ClosedSub, c: ClosedClient): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  if (c.account !== "") d.account = c.account;
  d.subject = s.subject;
  if (s.queue !== "") d.qgroup = s.queue;
  d.sid = s.sid;
  d.msgs = s.msgs;
  d.cid = c.cid;
  return d;
}

function subsDetail(c: ConnView): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const s of c.subs.values()) out.push(subDetail(s, false));
  return out;
}

export function handleConnz(m: Monitor, q: URLSearchParams): Reply {
  return { kind: "json", value: connz(m, parseConnzQuery(q)) };
}
