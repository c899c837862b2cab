// Compiled per-user permissions: publish and subscribe allow/deny lists held in sublists,
// with small caches of publish decisions, and the allow_responses reply tracking.
import { Sublist, type SubEntry } from "../sublist.js";
import { subjectMatches } from "../../protocol/subject.js";
import type { Permissions, ResponsePermission, SubjectPermission } from "../options.js";

interface PermEntry extends SubEntry {}

const PUB_CACHE_MAX = 128;

function compileList(list: string[] | undefined): Sublist<PermEntry> | null {
  if (list === undefined) return null;
  const sl = new Sublist<PermEntry>();
  for (const raw of list) {
    const parts = raw.trim().split(/[ \t]+/);
    const entry: PermEntry = { subject: parts[0], queue: parts.length > 1 ? parts[1] : null };
    sl.insert(entry);
  }
  return sl;
}

export class CompiledPermissions {
  readonly pubAllow: Sublist<PermEntry> | null;
  readonly pubDeny: Sublist<PermEntry> | null;
  readonly subAllow: Sublist<PermEntry> | null;
  readonly subDeny: Sublist<PermEntry> | null;
  readonly resp: ResponsePermission | null;
  private readonly pubCache = new Map<string, boolean>();

  constructor(p: Permissions) {
    this.resp = p.allow_responses ?? null;
    let pub: SubjectPermission | undefined = p.publish;
    // allow_responses with no publish allow list means: publish only replies.
    if (this.resp !== null && (pub === undefined || pub.allow === undefined)) {
      pub = { ...(pub ?? {}), allow: [] };
    }
    this.pubAllow = compileList(pub?.allow);
    this.pubDeny = compileList(pub?.deny);
    this.subAllow = compileList(p.subscribe?.allow);
    this.subDeny = compileList(p.subscribe?.deny);
  }

  get hasPub(): boolean {
    return this.pubAllow !== null || this.pubDeny !== null;
  }

  /** Publish check without the reply exemption. Cached. */
  canPublish(subject: string): boolean {
    const c = this.pubCache.get(subject);
    if (c !== undefined) return c;
    let ok = true;
    if (this.pubAllow !== null) ok = this.pubAllow.hasInterest(subject);
    if (ok && this.pubDeny !== null) ok = !this.pubDeny.hasInterest(subject);
    if (this.pubCache.size >= PUB_CACHE_MAX) this.pubCache.clear();
    this.pubCache.set(subject, ok);
    return ok;
  }

  canSubscribe(subject: string, queue: string | null): boolean {
    let ok = true;
    if (this.subAllow !== null) {
      const r = this.subAllow.match(subject);
      ok = r.psubs.length > 0;
      if (queue !== null && r.qsubs.length > 0) ok = queueMatches(queue, r.qsubs);
    }
    if (ok && this.subDeny !== null) {
      const r = this.subDeny.match(subject);
      ok = r.psubs.length === 0;
      if (queue !== null && r.qsubs.length > 0) ok = !queueMatches(queue, r.qsubs);
    }
    return ok;
  }

  /** Is delivery of this literal subject denied (a wildcard sub overlapping a deny entry)? */
  deliveryDenied(subject: string): boolean {
    return this.subDeny !== null && this.subDeny.match(subject).psubs.length > 0;
  }
}

function queueMatches(queue: string, qsubs: PermEntry[][]): boolean {
  for (const group of qsubs) {
    for (const e of group) {
      // queue names in permissions may use wildcards, matched like subjects
      if (subjectMatches(queue, e.queue as string)) return true;
    }
  }
  return false;
}
