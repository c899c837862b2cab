// /subsz (and /subscriptionsz): subject index statistics, optionally with the subscriptions
// themselves (subs=1), filtered by a publish subject (test=) and paginated (monitor.go Subsz).
import { ConnKind } from "../conn/conn.js";
import type { Monitor, Reply } from "./http.js";
import type { AccountView, SubView } from "./view.js";
import { BadRequest, LazyArray, decodeBool, decodeInt, goTime } from "./util.js";
import { subDetail } from "./connz.js";
import { isValidLiteralSubject, subjectMatches } from "../../protocol/subject.js";

export const DEFAULT_SUB_LIST_SIZE = 1024;

/**
 * nats-server's SublistStats, summed over the accounts (or the one named by `acc`) as its Subsz
 * does: counters added, the largest fan-out kept, the average over all cached results.
 */
export function sublistStats(m: Monitor, acc = ""): Record<string, number> {
  const list: AccountView[] = [];
  for (const a of m.view.accounts()) if (acc === "" || a.name === acc) list.push(a);
  return sumSublistStats(list);
}

/** SublistStats of some accounts, added up as nats-server's SublistStats.add does. */
export function sumSublistStats(accounts: Iterable<AccountView>): Record<string, number> {
  let subs = 0;
  let cacheN = 0;
  let inserts = 0;
  let removes = 0;
  let matches = 0;
  let hits = 0;
  let tot = 0;
  let max = 0;
  let n = 0;
  for (const a of accounts) {
    const f = a.sublist();
    subs += f.numSubs;
    cacheN += f.numCache;
    inserts += f.inserts;
    removes += f.removes;
    matches += f.matches;
    hits += f.cacheHits;
    n += f.cacheEntries;
    tot += f.totalFanout;
    if (f.maxFanout > max) max = f.maxFanout;
  }
  return {
    num_subscriptions: subs,
    num_cache: cacheN,
    num_inserts: inserts,
    num_removes: removes,
    num_matches: matches,
    cache_hit_rate: matches > 0 ? hits / matches : 0,
    max_fanout: max,
    avg_fanout: tot > 0 ? tot / n : 0,
  };
}

export function handleSubsz(m: Monitor, q: URLSearchParams): Reply {
  const subs = decodeBool(q, "subs");
  let offset = decodeInt(q, "offset");
  let limit = decodeInt(q, "limit");
  const test = q.get("test") ?? "";
  const acc = q.get("acc") ?? "";
  if (offset < 0) offset = 0;
  if (limit <= 0) limit = DEFAULT_SUB_LIST_SIZE;
  if (test !== "" && !isValidLiteralSubject(test)) {
    throw new BadRequest(`invalid test subject, must be valid publish subject: ${test}`);
  }
  const stats = sublistStats(m, acc);
  if (!subs) return { kind: "json", value: stats };
  const list: SubView[] = [];
  for (const a of m.view.accounts()) {
    if (acc !== "" && a.name !== acc) continue;
    for (const s of a.subscriptions()) {
      // local subscriptions only, as nats-server lists them
      if (s.kind === ConnKind.Router || s.kind === ConnKind.Gateway || s.kind === ConnKind.Leaf) continue;
      if (test !== "" && !subjectMatches(test, s.subject)) continue;
      list.push(s);
    }
  }
  const lo = Math.min(offset, list.length);
  const hi = Math.min(offset + limit, list.length);
  const page = new LazyArray(hi - lo, (i) => subDetail(list[lo + i], true));
  // like nats-server: without any subscription to list, only the statistics are sent
  if (page.length === 0) return { kind: "json", value: stats };
  return {
    kind: "json",
    value: {
      server_id: m.view.id,
      now: goTime(Date.now()),
      ...stats,
      // nats-server's total is the size of the page it returns
      total: page.length,
      offset,
      limit,
      subscriptions_list: page,
    },
  };
}
