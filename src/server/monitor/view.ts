// What monitoring reads, and nothing more: a narrow, read-only view of the server. The
// endpoints (and /metrics, the $SYS answers) take their figures from a MonitorView; they
// never see the Server, its subject indexes, its connections' sockets or its raw config.
// The core implements it (src/server/monitor-view.ts) and hands it to the MonitorServer.
// Every type here is read-only: the core counts, monitoring reads.
import type { ConnKind } from "../conn/conn.js";
import type { ClosedClient, ClosedSub, ConnFigures } from "../closed.js";
import type { ExportConfig, ImportConfig, ServerOptions } from "../options.js";
import type { TLSContext } from "../tls.js";

/** An entry of the closed-connection ring (the core's own record of a closed connection). */
export type { ClosedClient, ClosedSub };

/** Read-only all the way down (the options as monitoring sees them). */
export type DeepReadonly<T> = T extends (infer E)[]
  ? ReadonlyArray<DeepReadonly<E>>
  : T extends Buffer
    ? T
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/** The server-wide counters /varz shows. */
export interface ServerCounters {
  readonly connections: number;
  readonly totalConnections: number;
  readonly inMsgs: number;
  readonly inBytes: number;
  readonly outMsgs: number;
  readonly outBytes: number;
  readonly slowConsumers: number;
  readonly subscriptions: number;
}

/** One subscription as /subsz and /connz subs=detail show it. */
export interface SubView {
  readonly subject: string;
  readonly queue: string | null;
  readonly sid: string;
  /** Messages delivered so far. */
  readonly nm: number;
  /** Auto-unsubscribe limit (0: none). */
  readonly max: number;
  /** The owner's kind (routes, gateways and leaf nodes are not listed as local). */
  readonly kind: ConnKind;
  readonly conn: { readonly cid: number; readonly acc: { readonly name: string } };
}

/** An open client connection as /connz reads it. */
export interface ConnView extends ConnFigures {
  readonly pendingBytes: number;
  readonly subs: ReadonlyMap<string, SubView>;
}

/** nats-server's SublistStats inputs of one account's subject index. */
export interface SublistFigures {
  readonly numSubs: number;
  readonly numCache: number;
  readonly inserts: number;
  readonly removes: number;
  readonly matches: number;
  readonly cacheHits: number;
  /** Entries of the match cache (for the fan-out figures). */
  readonly cacheEntries: number;
  /** Sum and maximum of the cached results' fan-outs. */
  readonly totalFanout: number;
  readonly maxFanout: number;
}

/** Messages and bytes. */
export interface DataFigures {
  readonly msgs: number;
  readonly bytes: number;
}

/** An account's export, as its configuration gives it. */
export type ExportView = DeepReadonly<ExportConfig>;

/** An account's import, as its configuration gives it. */
export type ImportView = DeepReadonly<ImportConfig>;

/**
 * A subject mapping in effect, as nats-server keeps it: its destinations completed up to 100%,
 * lightest first, weights cumulative; cluster-scoped ones after the others, with their cluster.
 */
export interface MappingView {
  readonly source: string;
  readonly destinations: readonly { readonly subject: string; readonly weight: number; readonly cluster: string }[];
}

/** One account, read-only. */
export interface AccountView {
  readonly name: string;
  /** The server's system account. */
  readonly isSystem: boolean;
  /** When the account was registered, ms since the epoch. */
  readonly created: number;
  /** Subscriptions in its subject index (internal ones included, as nats-server counts). */
  readonly numSubs: number;
  /** Its client connections (nats-server's numLocalConnections). */
  readonly numClients: number;
  clients(): Iterable<ConnView>;
  subscriptions(): Iterable<SubView>;
  sublist(): SublistFigures;
  /** Published into the account. */
  received(): DataFigures;
  /** Delivered to the account's connections, open and closed. */
  sent(): DataFigures;
  /** The account's connections closed as slow consumers. */
  readonly slowConsumers: number;
  /** Its exports and imports as configured (none for $SYS and $G). */
  exports(): readonly ExportView[];
  imports(): readonly ImportView[];
  /** The subject mappings it applies. */
  mappings(): MappingView[];
}

/** Where monitoring logs (nats-server's level names). */
export interface MonitorLog {
  warnf(msg: string): void;
  errorf(msg: string): void;
}

/** One route connection as /routez, /varz and /metrics read it (nats-server's RouteInfo inputs). */
export interface RouteView extends ConnFigures {
  /** Route id (rid), as /routez lists it. */
  readonly rid: number;
  /** The peer's server id and name. */
  readonly remoteId: string;
  readonly remoteName: string;
  /** Whether this server dialed the route (an explicit or gossiped URL) rather than accepted it. */
  readonly didSolicit: boolean;
  /** An explicit route of the config (as opposed to one learned by gossip). */
  readonly isConfigured: boolean;
  /** The route URL dialed, or "" for an accepted route. */
  readonly url: string;
  /** Index of this connection in the pool to the peer (0 when not pooled). */
  readonly poolIdx: number;
  /** The pinned account this route is dedicated to, or "". */
  readonly account: string;
  /** Compression as negotiated ("off" when not compressed). */
  readonly compression: string;
  readonly pendingBytes: number;
  /** The peer's interest held by this route (subject and queue), for /routez?subs=1. */
  subs(): Iterable<SubView>;
}

/** The cluster as /varz's "cluster" section shows it; null when not clustered. */
export interface ClusterView {
  readonly name: string;
  readonly addr: string;
  /** The route port listened on (the real one when started on -1). */
  readonly port: number;
  /** The explicit routes' URLs as configured. */
  readonly urls: readonly string[];
  readonly poolSize: number;
}

export interface MonitorView {
  readonly id: string;
  readonly name: string;
  /** The options in effect (after each reload), read-only. */
  readonly opts: DeepReadonly<ServerOptions>;
  /** The client port listened on (the real one when started on -1 or 0). */
  readonly port: number;
  readonly authRequired: boolean;
  /** Start-up and the last successful (re)load of the config, ms since the epoch. */
  readonly startTime: number;
  readonly configLoadTime: number;
  /** The system account's name, "" with no_system_account. */
  readonly systemAccount: string;
  readonly log: MonitorLog;
  /** TLS for the HTTPS listener: the tls block of the last reload; null without TLS. */
  tlsContext(): TLSContext | null;
  counters(): ServerCounters;
  /** Every account: $G, the system account, the configured ones. */
  accounts(): Iterable<AccountView>;
  account(name: string): AccountView | undefined;
  /** The open client connections by cid (iterated in cid order). */
  readonly clients: ReadonlyMap<number, ConnView>;
  /** The closed-connection ring, oldest first. */
  readonly closed: ReadonlyArray<ClosedClient>;
  /** The cluster, null when not clustered. */
  cluster(): ClusterView | null;
  /** The open route connections, in rid order. */
  routes(): Iterable<RouteView>;
}
