// The core's side of monitoring: a small adapter that answers the MonitorView
// (monitor/view.ts) from the server's accounts, connections, counters and options. It only
// reads; monitoring gets this object and never the Server itself.
import type { Server, ClosedClient } from "./server.js";
import type { Account } from "./account.js";
import { ClientConnection } from "./conn/client.js";
import type { TLSContext } from "./tls.js";
import type {
  AccountView,
  ConnView,
  DataFigures,
  DeepReadonly,
  ExportView,
  ImportView,
  MappingView,
  MonitorLog,
  MonitorView,
  ServerCounters,
  SubView,
  SublistFigures,
  ClusterView,
  RouteView,
} from "./monitor/view.js";
import type { AccountConfig, ServerOptions } from "./options.js";

const NONE: readonly never[] = [];

class AccountAdapter implements AccountView {
  constructor(
    private readonly acc: Account,
    private readonly srv: Server,
  ) {}

  get name(): string {
    return this.acc.name;
  }

  get isSystem(): boolean {
    return this.acc === this.srv.systemAccount;
  }

  get created(): number {
    return this.acc.created.getTime();
  }

  get numSubs(): number {
    return this.acc.numSubs;
  }

  get numClients(): number {
    return this.acc.clients.size;
  }

  *clients(): Iterable<ConnView> {
    for (const c of this.acc.clients) if (c instanceof ClientConnection) yield c;
  }

  subscriptions(): Iterable<SubView> {
    return this.acc.sublist.all();
  }

  sublist(): SublistFigures {
    const sl = this.acc.sublist;
    let n = 0;
    let tot = 0;
    let max = 0;
    for (const r of sl.cacheEntries()) {
      n++;
      const l = r.psubs.length + r.qsubs.length;
      tot += l;
      if (l > max) max = l;
    }
    return {
      numSubs: sl.size,
      numCache: sl.cacheSize,
      inserts: sl.inserts,
      removes: sl.removes,
      matches: sl.matches,
      cacheHits: sl.cacheHits,
      cacheEntries: n,
      totalFanout: tot,
      maxFanout: max,
    };
  }

  received(): DataFigures {
    return this.acc.received();
  }

  sent(): DataFigures {
    const t = this.acc.closedStats;
    let msgs = t.outMsgs;
    let bytes = t.outBytes;
    for (const c of this.acc.clients) {
      msgs += c.outMsgs;
      bytes += c.outBytes;
    }
    return { msgs, bytes };
  }

  get slowConsumers(): number {
    return this.acc.closedStats.slowConsumers;
  }

  private config(): AccountConfig | undefined {
    return this.srv.opts.accounts.find((a) => a.name === this.acc.name);
  }

  exports(): readonly ExportView[] {
    return this.config()?.exports ?? NONE;
  }

  imports(): readonly ImportView[] {
    return this.config()?.imports ?? NONE;
  }

  mappings(): MappingView[] {
    const out: MappingView[] = [];
    for (const mp of this.acc.mappings.mappings()) {
      const dests: { subject: string; weight: number; cluster: string }[] = [];
      for (const d of mp.destinations)
        dests.push({ subject: fromWire(d.tr.destination), weight: d.weight, cluster: "" });
      if (mp.clusterDestinations !== null) {
        for (const [cluster, list] of mp.clusterDestinations) {
          for (const d of list) dests.push({ subject: fromWire(d.tr.destination), weight: d.weight, cluster });
        }
      }
      out.push({ source: fromWire(mp.source), destinations: dests });
    }
    return out;
  }
}

/** A subject as the core keeps it (latin1, one char per byte) back to text. */
function fromWire(s: string): string {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, "latin1").toString("utf8");
  return s;
}

/** The server's counters, read in one place for MonitorView.counters and EmbeddedServer.stats. */
export function serverCounters(s: Server): ServerCounters {
  const out = s.outStats;
  return {
    connections: s.clients.size,
    totalConnections: s.totalConnections,
    inMsgs: s.inMsgs,
    inBytes: s.inBytes,
    outMsgs: out.msgs,
    outBytes: out.bytes,
    slowConsumers: s.slowConsumers,
    subscriptions: s.numSubscriptions(),
  };
}

/** The MonitorView of one server (Server.monitorView()). */
export class ServerMonitorView implements MonitorView {
  readonly log: MonitorLog;

  constructor(private readonly s: Server) {
    this.log = {
      warnf: (msg) => s.logger.warnf(msg),
      errorf: (msg) => s.logger.errorf(msg),
    };
  }

  get id(): string {
    return this.s.id;
  }

  get name(): string {
    return this.s.name;
  }

  get opts(): DeepReadonly<ServerOptions> {
    return this.s.opts as DeepReadonly<ServerOptions>;
  }

  get port(): number {
    return this.s.port;
  }

  get authRequired(): boolean {
    return this.s.auth.authRequired;
  }

  get startTime(): number {
    return this.s.startTime.getTime();
  }

  get configLoadTime(): number {
    return this.s.configLoadTime.getTime();
  }

  get systemAccount(): string {
    return this.s.systemAccount?.name ?? "";
  }

  tlsContext(): TLSContext | null {
    return this.s.tlsContext;
  }

  counters(): ServerCounters {
    return serverCounters(this.s);
  }

  *accounts(): Iterable<AccountView> {
    for (const a of this.s.accounts.values()) yield new AccountAdapter(a, this.s);
  }

  account(name: string): AccountView | undefined {
    const a = this.s.lookupAccount(name);
    return a === undefined ? undefined : new AccountAdapter(a, this.s);
  }

  get clients(): ReadonlyMap<number, ConnView> {
    return this.s.clients;
  }

  get closed(): ReadonlyArray<ClosedClient> {
    return this.s.closed;
  }

  // Clustering fills these in (src/server/cluster/); until then a server has no routes.
  cluster(): ClusterView | null {
    return null;
  }

  routes(): Iterable<RouteView> {
    return [];
  }
}
