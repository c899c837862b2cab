// An account: one isolated subject space. It owns its subject index, its connections and
// their counters, and (filled by the accounts features) its imports, exports and mappings.
// A connection holds its Account; a publish costs one field read to find the right index.
import { Sublist, type MatchResult } from "./sublist.js";
import { ConnKind, type Conn, type InMsg, type Subscription } from "./conn/conn.js";
import {
  addMappedStreamImport,
  addServiceExport,
  addServiceImport,
  addStreamExport,
  addStreamImport,
  type AccountHost,
  type AccountImports,
  type ResponseType,
} from "./imports.js";
import { AccountMappings, type MappingConfig } from "./mapping.js";

const EMPTY = Buffer.alloc(0);

/** nats-server's global account, for users outside any account. */
export const GLOBAL_ACCOUNT = "$G";
/** nats-server's default system account. */
export const DEFAULT_SYSTEM_ACCOUNT = "$SYS";

/**
 * Told of every change of interest in an account: a subscription added (+1) or removed (-1).
 * A queue subscription changes its group's weight by the same delta. Routes and leaf nodes
 * consume these to send RS+/RS- and LS+/LS-; they are called synchronously, after the index
 * has changed.
 */
export type InterestListener = (acc: Account, sub: Subscription, delta: 1 | -1) => void;

/** Per-account totals of connections that have closed (/accstatz adds the open ones). */
export interface AccountClosedStats {
  inMsgs: number;
  inBytes: number;
  outMsgs: number;
  outBytes: number;
  slowConsumers: number;
}

/** A connection the account counts (clients and leaf nodes; routes belong to no account). */
export interface CountedConn extends Conn {
  readonly inMsgs: number;
  readonly inBytes: number;
  readonly outMsgs: number;
  readonly outBytes: number;
}

export class Account {
  readonly sublist = new Sublist<Subscription>();
  /** The client connections (kind Client) bound to this account. */
  readonly clients = new Set<CountedConn>();
  /** Totals of this account's connections that have closed. */
  readonly closedStats: AccountClosedStats = { inMsgs: 0, inBytes: 0, outMsgs: 0, outBytes: 0, slowConsumers: 0 };
  /**
   * Subject mappings, applied to what clients (and later leaf nodes) publish into this account
   * before permissions are checked, as nats-server does when it parses a PUB.
   */
  mappings = new AccountMappings();
  /** When the account was registered (accountz, statz). */
  readonly created = new Date();
  /** Exports and imports (imports.ts); null for an account with neither, which pays nothing for them. */
  imports: AccountImports | null = null;
  private listeners: InterestListener[] | null = null;

  constructor(
    readonly name: string,
    /** The server, for the internal connection that imports run on; null for a scratch account (config checks). */
    readonly host: AccountHost | null = null,
  ) {}

  // Exports and imports (imports.ts has them; these throw nats-server's error texts).

  /** Export a stream: to everyone (accounts null) or to the accounts listed. */
  addStreamExport(subject: string, accounts: readonly Account[] | null = null): void {
    addStreamExport(this, subject, accounts);
  }

  /** Export a service; `thresholdMs` 0 is nats-server's default response threshold (2 minutes). */
  addServiceExport(
    subject: string,
    accounts: readonly Account[] | null = null,
    responseType: ResponseType = "singleton",
    thresholdMs = 0,
  ): void {
    addServiceExport(this, subject, accounts, responseType, thresholdMs);
  }

  /** Import `subject`, exported by `from`, under `prefix` ("" for the same subject). */
  addStreamImport(from: Account, subject: string, prefix = ""): void {
    addStreamImport(this, from, subject, prefix);
  }

  /** Import `subject`, exported by `from`, as `to` (wildcards as $1... or *). */
  addMappedStreamImport(from: Account, subject: string, to: string): void {
    addMappedStreamImport(this, from, subject, to);
  }

  /**
   * Import a service: requests published here on `from` are delivered in `dest` on `to`
   * ("" for the same subject), as nats-server's AddServiceImport(destination, from, to).
   */
  addServiceImport(dest: Account, from: string, to = "", internal = false): void {
    addServiceImport(this, dest, from, to, internal);
  }

  /** Replace the mappings (config load and reload); throws MappingError on a bad one. */
  setMappings(configs: readonly MappingConfig[]): void {
    this.mappings = configs.length === 0 ? new AccountMappings() : AccountMappings.fromConfig(configs);
  }

  /** Start telling `l` of interest changes. */
  onInterest(l: InterestListener): void {
    (this.listeners ??= []).push(l);
  }

  offInterest(l: InterestListener): void {
    if (this.listeners === null) return;
    const i = this.listeners.indexOf(l);
    if (i >= 0) this.listeners.splice(i, 1);
    if (this.listeners.length === 0) this.listeners = null;
  }

  /** Add a subscription to the index (throws SublistError for an invalid subject). */
  addSub(sub: Subscription): void {
    this.sublist.insert(sub);
    const ls = this.listeners;
    if (ls !== null) for (let i = 0; i < ls.length; i++) ls[i](this, sub, 1);
  }

  removeSub(sub: Subscription): void {
    this.sublist.remove(sub);
    const ls = this.listeners;
    if (ls !== null) for (let i = 0; i < ls.length; i++) ls[i](this, sub, -1);
  }

  /** Number of subscriptions in the index (accountz, statz). */
  get numSubs(): number {
    return this.sublist.size;
  }

  /**
   * Deliver a message published into this account to every matching subscription: all plain
   * ones, and one member per queue group, preferring members on this server (clients, internal)
   * over remote ones (routes, leaf nodes), as nats-server's processMsgResults does. A message
   * that came from a route is never sent back to a route. Returns true when anyone took it.
   */
  deliver(m: InMsg): boolean {
    return this.deliverMatched(this.sublist.match(m.subject), m);
  }

  /**
   * deliver() for a publisher whose InMsg is not filled yet (a client's PUB): it is filled only
   * when the subject has subscribers, so a publish nobody receives writes nothing to the heap
   * (each store of the read buffer and subject into the long-lived InMsg costs a write barrier).
   */
  deliverFill(m: InMsg, subject: string, reply: string, hdr: number, buf: Buffer, start: number, end: number): boolean {
    const r = this.sublist.match(subject);
    if (r.psubs.length === 0 && r.qsubs.length === 0) return false;
    const delivered = this.deliverMatched(r, m.set(subject, reply, hdr, buf, start, end));
    // the publisher's read buffer is not kept alive through its InMsg until the next message
    m.buf = EMPTY;
    return delivered;
  }

  private deliverMatched(r: MatchResult<Subscription>, m: InMsg): boolean {
    const fromRoute = m.kind === ConnKind.Router;
    let delivered = false;
    const psubs = r.psubs;
    for (let i = 0; i < psubs.length; i++) {
      const s = psubs[i];
      if (fromRoute && s.kind === ConnKind.Router) continue;
      if (s.conn.deliver(s, m)) delivered = true;
    }
    const qsubs = r.qsubs;
    for (let g = 0; g < qsubs.length; g++) {
      const group = qsubs[g];
      const n = group.length;
      const first = (Math.random() * n) | 0;
      let remote: Subscription | null = null;
      let took = false;
      for (let k = 0; k < n; k++) {
        const s = group[(first + k) % n];
        if (s.kind === ConnKind.Router || s.kind === ConnKind.Leaf) {
          if (remote === null && !fromRoute) remote = s;
          continue;
        }
        if (s.conn.deliver(s, m)) {
          took = true;
          break;
        }
      }
      if (!took && remote !== null && remote.conn.deliver(remote, m)) took = true;
      if (took) delivered = true;
    }
    return delivered;
  }

  /**
   * Messages and bytes the account's clients published, open and closed (summed when asked:
   * the publish path counts per connection only).
   */
  received(): { msgs: number; bytes: number } {
    const t = this.closedStats;
    let msgs = t.inMsgs;
    let bytes = t.inBytes;
    for (const c of this.clients) {
      msgs += c.inMsgs;
      bytes += c.inBytes;
    }
    return { msgs, bytes };
  }

  /** Fold a closed connection's counters into the account's totals. */
  connClosed(c: CountedConn, slow: boolean): void {
    this.clients.delete(c);
    const t = this.closedStats;
    t.inMsgs += c.inMsgs;
    t.inBytes += c.inBytes;
    t.outMsgs += c.outMsgs;
    t.outBytes += c.outBytes;
    if (slow) t.slowConsumers++;
  }
}
