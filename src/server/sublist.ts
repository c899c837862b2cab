// The subject index: a trie of subject tokens with a cache of match results.
// Plain subscriptions and queue subscriptions are kept apart so that a match can pick one
// member per queue group.
import { isValidSubject, subjectMatches } from "../protocol/subject.js";

export interface SubEntry {
  readonly subject: string;
  readonly queue: string | null;
}

/** What a subject matches: plain subscriptions, and one array per queue group. */
export interface MatchResult<T extends SubEntry> {
  readonly psubs: T[];
  readonly qsubs: T[][];
}

class Node<T extends SubEntry> {
  next: Level<T> | null = null;
  psubs: Set<T> | null = null;
  qsubs: Map<string, Set<T>> | null = null;

  isEmpty(): boolean {
    return (
      (this.psubs === null || this.psubs.size === 0) &&
      (this.qsubs === null || this.qsubs.size === 0) &&
      (this.next === null || this.next.isEmpty())
    );
  }
}

class Level<T extends SubEntry> {
  nodes = new Map<string, Node<T>>();
  pwc: Node<T> | null = null;
  fwc: Node<T> | null = null;

  isEmpty(): boolean {
    return this.nodes.size === 0 && this.pwc === null && this.fwc === null;
  }
}

const CACHE_MAX = 1024;
const CACHE_PRUNE = 256;

export class SublistError extends Error {}

export class Sublist<T extends SubEntry> {
  private root = new Level<T>();
  private cache = new Map<string, MatchResult<T>>();
  private count = 0;
  /** Incremented on every change, so callers can keep caches of their own. */
  genid = 0;
  matches = 0;
  cacheHits = 0;
  inserts = 0;
  removes = 0;

  get size(): number {
    return this.count;
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  insert(sub: T): void {
    const subject = sub.subject;
    if (!isValidSubject(subject)) throw new SublistError("invalid subject");
    const tokens = subject.split(".");
    let level = this.root;
    let node: Node<T> | null = null;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (t === "*") {
        node = level.pwc ??= new Node<T>();
      } else if (t === ">") {
        node = level.fwc ??= new Node<T>();
      } else {
        node = level.nodes.get(t) ?? null;
        if (node === null) {
          node = new Node<T>();
          level.nodes.set(t, node);
        }
      }
      if (i < tokens.length - 1) level = node.next ??= new Level<T>();
    }
    const n = node as Node<T>;
    if (sub.queue === null) {
      const set = (n.psubs ??= new Set());
      if (set.has(sub)) return;
      set.add(sub);
    } else {
      const qs = (n.qsubs ??= new Map());
      let set = qs.get(sub.queue);
      if (set === undefined) {
        set = new Set();
        qs.set(sub.queue, set);
      }
      if (set.has(sub)) return;
      set.add(sub);
    }
    this.count++;
    this.inserts++;
    this.genid++;
    this.invalidate(subject);
  }

  /** Remove a subscription; returns false when it was not there. */
  remove(sub: T): boolean {
    const tokens = sub.subject.split(".");
    const path: Array<[Level<T>, Node<T>, string]> = [];
    let level: Level<T> | null = this.root;
    let node: Node<T> | null = null;
    for (let i = 0; i < tokens.length; i++) {
      if (level === null) return false;
      const t = tokens[i];
      node = t === "*" ? level.pwc : t === ">" ? level.fwc : (level.nodes.get(t) ?? null);
      if (node === null) return false;
      path.push([level, node, t]);
      level = node.next;
    }
    if (node === null) return false;
    let removed = false;
    if (sub.queue === null) {
      removed = node.psubs?.delete(sub) ?? false;
    } else {
      const set = node.qsubs?.get(sub.queue);
      if (set !== undefined) {
        removed = set.delete(sub);
        if (set.size === 0) node.qsubs!.delete(sub.queue);
      }
    }
    if (!removed) return false;
    // prune empty nodes bottom-up
    for (let i = path.length - 1; i >= 0; i--) {
      const [lvl, nd, t] = path[i];
      if (nd.next !== null && nd.next.isEmpty()) nd.next = null;
      if (!nd.isEmpty()) break;
      if (t === "*") lvl.pwc = null;
      else if (t === ">") lvl.fwc = null;
      else lvl.nodes.delete(t);
    }
    this.count--;
    this.removes++;
    this.genid++;
    this.invalidate(sub.subject);
    return true;
  }

  /** Drop cached results that the given (possibly wildcard) subject takes part in. */
  private invalidate(subject: string): void {
    if (this.cache.size === 0) return;
    const hasWildcard = subject.includes("*") || subject.includes(">");
    if (!hasWildcard) {
      this.cache.delete(subject);
      return;
    }
    for (const key of this.cache.keys()) {
      if (subjectMatches(key, subject)) this.cache.delete(key);
    }
  }

  /** All subscriptions matching a literal subject. The result must not be modified. */
  match(subject: string): MatchResult<T> {
    this.matches++;
    const cached = this.cache.get(subject);
    if (cached !== undefined) {
      this.cacheHits++;
      return cached;
    }
    const psubs: T[] = [];
    const qmap = new Map<string, T[]>();
    const tokens = subject.split(".");
    for (const t of tokens) if (t.length === 0) return { psubs, qsubs: [] };
    matchLevel(this.root, tokens, 0, psubs, qmap);
    const result: MatchResult<T> = { psubs, qsubs: [...qmap.values()] };
    if (this.cache.size >= CACHE_MAX) {
      let n = 0;
      for (const k of this.cache.keys()) {
        this.cache.delete(k);
        if (++n >= CACHE_PRUNE) break;
      }
    }
    this.cache.set(subject, result);
    return result;
  }

  /** Has any subscription interest in this literal subject? */
  hasInterest(subject: string): boolean {
    const r = this.match(subject);
    return r.psubs.length > 0 || r.qsubs.length > 0;
  }

  /** The cached match results (monitoring reads its fan-out figures from them). */
  cacheEntries(): IterableIterator<MatchResult<T>> {
    return this.cache.values();
  }

  /** Every subscription, in no particular order. */
  all(): T[] {
    const out: T[] = [];
    collect(this.root, out);
    return out;
  }
}

function addNode<T extends SubEntry>(n: Node<T>, psubs: T[], qmap: Map<string, T[]>): void {
  if (n.psubs !== null) for (const s of n.psubs) psubs.push(s);
  if (n.qsubs !== null) {
    for (const [q, set] of n.qsubs) {
      let arr = qmap.get(q);
      if (arr === undefined) {
        arr = [];
        qmap.set(q, arr);
      }
      for (const s of set) arr.push(s);
    }
  }
}

function matchLevel<T extends SubEntry>(
  level: Level<T>,
  tokens: string[],
  i: number,
  psubs: T[],
  qmap: Map<string, T[]>,
): void {
  const last = i === tokens.length - 1;
  if (level.fwc !== null) addNode(level.fwc, psubs, qmap);
  if (level.pwc !== null) {
    if (last) addNode(level.pwc, psubs, qmap);
    else if (level.pwc.next !== null) matchLevel(level.pwc.next, tokens, i + 1, psubs, qmap);
  }
  const n = level.nodes.get(tokens[i]);
  if (n !== undefined) {
    if (last) addNode(n, psubs, qmap);
    else if (n.next !== null) matchLevel(n.next, tokens, i + 1, psubs, qmap);
  }
}

function collect<T extends SubEntry>(level: Level<T>, out: T[]): void {
  const visit = (n: Node<T>) => {
    if (n.psubs !== null) for (const s of n.psubs) out.push(s);
    if (n.qsubs !== null) for (const set of n.qsubs.values()) for (const s of set) out.push(s);
    if (n.next !== null) collect(n.next, out);
  };
  for (const n of level.nodes.values()) visit(n);
  if (level.pwc !== null) visit(level.pwc);
  if (level.fwc !== null) visit(level.fwc);
}
