// /subsz (and /subscriptionsz): subject index statistics, optionally with the subscriptions
// themselves (subs=1), filtered by a publish subject (test=) and paginated (monitor.go Subsz).
import type { Subscription } from "../client.js";
import type { MonitorServer, Reply } from "./http.js";
import { BadRequest, LazyArray, decodeBool, decodeInt, goTime } from "./util.js";
import { subDetail } from "./connz.js";
import { isValidLiteralSubject, subjectMatches } from "../../protocol/subject.js";

export const DEFAULT_SUB_LIST_SIZE = 1024;

/** nats-server's SublistStats, from the subject index's counters and its match cache. */
export function sublistStats(m: MonitorServer): Record<string, number> {
  const sl = m.server.sublist;
  const cache = sl.cacheEntries();
  let tot = 0;
  let max = 0;
  let n = 0;
  for (const r of cache) {
    n++;
    const l = r.psubs.length + r.qsubs.length;
    tot += l;
    if (l > max) max = l;
  }
  return {
    num_subscriptions: sl.size,
    num_cache: sl.cacheSize,
    num_inserts: sl.inserts,
    num_removes: sl.removes,
    num_matches: sl.matches,
    cache_hit_rate: sl.matches > 0 ? sl.cacheHits / sl.matches : 0,
    max_fanout: max,
    avg_fanout: tot > 0 ? tot / n : 0,
  };
}

export function handleSubsz(m: MonitorServer, q: URLSearchParams): Reply {
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
  const stats = acc === "" || acc === "$G" ? sublistStats(m) : emptyStats();
  if (!subs) return { kind: "json", value: stats };
  const list: Subscription[] = [];
  for (const s of m.server.sublist.all()) {
    if (acc !== "" && s.client.account !== acc) continue;
    if (test !== "" && !subjectMatches(test, s.subject)) continue;
    list.push(s);
  }
  const lo = Math.min(offset, list.length);
  const hi = Math.min(offset + limit, list.length);
  const page = new LazyArray(hi - lo, (i) => subDetail(list[lo + i], true));
  // like nats-server: without any subscription to list, only the statistics are sent
  if (page.length === 0) return { kind: "json", value: stats };
  return {
    kind: "json",
    value: {
      server_id: m.server.id,
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

function emptyStats(): Record<string, number> {
  return {
    num_subscriptions: 0,
    num_cache: 0,
    num_inserts: 0,
    num_removes: 0,
    num_matches: 0,
    cache_hit_rate: 0,
    max_fanout: 0,
    avg_fanout: 0,
  };
}
