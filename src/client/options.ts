// Connection options: nats.js's names, nats.c's defaults. connect() copies what it is
// given onto a fresh object, so later changes by the caller do not leak in.
import type { Authenticator } from "./authenticator.js";
import { InvalidArgumentError } from "./errors.js";

export interface TlsOptions {
  /** TLS before the server's INFO (the server must run handshake_first). */
  handshakeFirst?: boolean;
  certFile?: string;
  cert?: string;
  caFile?: string;
  ca?: string;
  keyFile?: string;
  key?: string;
  /** Accept a server certificate that does not verify (testing only). */
  rejectUnauthorized?: boolean;
}

export interface ConnectionOptions {
  authenticator?: Authenticator | Authenticator[];
  debug?: boolean;
  maxPingOut?: number;
  maxReconnectAttempts?: number;
  name?: string;
  noEcho?: boolean;
  noRandomize?: boolean;
  pass?: string;
  pedantic?: boolean;
  pingInterval?: number;
  port?: number;
  reconnect?: boolean;
  reconnectDelayHandler?: () => number;
  reconnectJitter?: number;
  reconnectJitterTLS?: number;
  reconnectTimeWait?: number;
  servers?: Array<string> | string;
  timeout?: number;
  tls?: TlsOptions | null;
  token?: string;
  user?: string;
  verbose?: boolean;
  waitOnFirstConnect?: boolean;
  ignoreClusterUpdates?: boolean;
  inboxPrefix?: string;
  ignoreAuthErrorAbort?: boolean;
  noAsyncTraces?: boolean;
  // nats.c's knobs, under names in nats.js's style
  /** Bytes publish() may hold while disconnected (nats.c ReconnectBufSize). */
  reconnectBufSize?: number;
  /** Outbound bytes that trigger a write before the end of the event-loop turn. */
  ioBufSize?: number;
  /** Default pending limits of a subscription's queue (nats.c MaxPendingMsgs/Bytes). */
  maxPendingMsgs?: number;
  maxPendingBytes?: number;
}

export const DEFAULT_PORT = 4222;
export const DEFAULT_HOST = "127.0.0.1";

/** The defaults, as nats.c 3.x has them (frozen: an application cannot change them for everyone). */
export const DEFAULTS = Object.freeze({
  maxPingOut: 2,
  maxReconnectAttempts: 60,
  noEcho: false,
  noRandomize: false,
  pedantic: false,
  pingInterval: 2 * 60 * 1000,
  reconnect: true,
  reconnectJitter: 100,
  reconnectJitterTLS: 1000,
  reconnectTimeWait: 2000,
  servers: Object.freeze([`${DEFAULT_HOST}:${DEFAULT_PORT}`]),
  timeout: 2000,
  verbose: false,
  waitOnFirstConnect: false,
  ignoreClusterUpdates: false,
  ignoreAuthErrorAbort: false,
  inboxPrefix: "_INBOX",
  reconnectBufSize: 8 * 1024 * 1024,
  ioBufSize: 32 * 1024,
  maxPendingMsgs: 65536,
  maxPendingBytes: 64 * 1024 * 1024,
} as const);

export type ResolvedOptions = Omit<ConnectionOptions, keyof typeof DEFAULTS | "servers"> & {
  -readonly [K in Exclude<keyof typeof DEFAULTS, "servers">]: (typeof DEFAULTS)[K] extends boolean
    ? boolean
    : (typeof DEFAULTS)[K] extends number
      ? number
      : string;
} & { servers: string[] };

/** Defaults filled in, values checked, the caller's object copied. */
export function resolveOptions(given: ConnectionOptions = {}): ResolvedOptions {
  const o = { ...DEFAULTS, servers: [...DEFAULTS.servers] } as unknown as ResolvedOptions;
  for (const [k, v] of Object.entries(given)) {
    if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
  }
  if (given.servers === undefined || (Array.isArray(given.servers) && given.servers.length === 0)) {
    o.servers = [`${DEFAULT_HOST}:${given.port ?? DEFAULT_PORT}`];
  } else {
    o.servers = Array.isArray(given.servers) ? [...given.servers] : [given.servers];
  }
  if (given.tls) o.tls = { ...given.tls };
  if (Array.isArray(given.authenticator)) o.authenticator = [...given.authenticator];
  for (const k of [
    "timeout",
    "pingInterval",
    "reconnectTimeWait",
    "reconnectJitter",
    "reconnectJitterTLS",
    "maxPingOut",
    "reconnectBufSize",
    "ioBufSize",
    "maxPendingMsgs",
    "maxPendingBytes",
  ] as const) {
    const v = o[k];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
      throw InvalidArgumentError.format(k, "must be a number >= 0");
  }
  if (!Number.isInteger(o.maxReconnectAttempts) || o.maxReconnectAttempts < -1) {
    throw InvalidArgumentError.format("maxReconnectAttempts", "must be an integer >= -1");
  }
  if (o.timeout === 0) throw InvalidArgumentError.format("timeout", "must be greater than 0");
  if ((o.user || o.pass) && o.token) throw InvalidArgumentError.format(["user", "token"], "are mutually exclusive");
  return o;
}

/** One entry of the server pool. */
export class ServerImpl {
  readonly hostname: string;
  readonly port: number;
  readonly listen: string;
  readonly src: string;
  readonly tlsName: string;
  /** "tls://" in the URL: TLS is required for this server. */
  readonly tlsScheme: boolean;
  reconnects = 0;
  lastConnect = 0;
  lastAttempt = 0;
  readonly gossiped: boolean;
  didConnect = false;
  /** Credentials from the URL, used when the options give none. */
  auth: { user: string; pass: string } | { auth_token: string } | null = null;

  constructor(src: string, gossiped = false) {
    this.src = src;
    this.gossiped = gossiped;
    let s = src.trim();
    let scheme = "";
    const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s);
    if (m !== null) {
      scheme = m[1].toLowerCase();
      s = s.slice(m[0].length);
    }
    if (scheme !== "" && scheme !== "nats" && scheme !== "tls") {
      throw InvalidArgumentError.format("servers", `scheme '${scheme}' is not supported by this transport`);
    }
    this.tlsScheme = scheme === "tls";
    // user info (nats://user:pass@host or nats://token@host, as nats.c reads it), then no path
    const at = s.lastIndexOf("@");
    if (at >= 0) {
      const ui = s.slice(0, at);
      s = s.slice(at + 1);
      const c = ui.indexOf(":");
      if (c >= 0) this.auth = { user: decodeURIComponent(ui.slice(0, c)), pass: decodeURIComponent(ui.slice(c + 1)) };
      else if (ui !== "") this.auth = { auth_token: decodeURIComponent(ui) };
    }
    const slash = s.indexOf("/");
    if (slash >= 0) s = s.slice(0, slash);
    let host = s;
    let port = DEFAULT_PORT;
    if (s.startsWith("[")) {
      const end = s.indexOf("]");
      host = s.slice(1, end);
      const rest = s.slice(end + 1);
      if (rest.startsWith(":")) port = Number(rest.slice(1));
    } else {
      const c = s.lastIndexOf(":");
      if (c >= 0 && s.indexOf(":") === c) {
        host = s.slice(0, c);
        port = Number(s.slice(c + 1));
      }
    }
    if (host === "") host = DEFAULT_HOST;
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw InvalidArgumentError.format("servers", `bad port in '${src}'`);
    this.hostname = host;
    this.port = port;
    this.listen = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    this.tlsName = /^[\d.]+$/.test(host) || host.includes(":") ? "" : host;
  }
}

/** The servers to try, in order; nats.c's pool rules (randomized unless noRandomize). */
export class ServerPool {
  servers: ServerImpl[] = [];
  current: ServerImpl | null = null;
  private readonly randomize: boolean;

  constructor(urls: string[], randomize: boolean) {
    this.randomize = randomize;
    for (const u of urls) this.servers.push(new ServerImpl(u));
    if (randomize) shuffle(this.servers);
  }

  get length(): number {
    return this.servers.length;
  }

  /** The next server to try: the one after the current, which moves to the end. */
  next(): ServerImpl | undefined {
    if (this.current !== null) {
      const i = this.servers.indexOf(this.current);
      if (i >= 0) {
        this.servers.splice(i, 1);
        this.servers.push(this.current);
      }
    }
    this.current = this.servers[0] ?? null;
    return this.current ?? undefined;
  }

  remove(s: ServerImpl): void {
    const i = this.servers.indexOf(s);
    if (i >= 0) this.servers.splice(i, 1);
    if (this.current === s) this.current = null;
  }

  /** Merge INFO connect_urls; returns what was added and deleted (gossiped entries only). */
  update(urls: string[]): { added: string[]; deleted: string[] } {
    const known = new Set(this.servers.map((s) => s.listen));
    const wanted = new Set<string>();
    const added: string[] = [];
    const fresh: ServerImpl[] = [];
    for (const u of urls) {
      let s: ServerImpl;
      try {
        s = new ServerImpl(u, true);
      } catch {
        continue;
      }
      wanted.add(s.listen);
      if (!known.has(s.listen)) {
        known.add(s.listen);
        fresh.push(s);
        added.push(s.listen);
      }
    }
    const deleted: string[] = [];
    this.servers = this.servers.filter((s) => {
      if (!s.gossiped || wanted.has(s.listen) || s === this.current) return true;
      deleted.push(s.listen);
      return false;
    });
    if (this.randomize) shuffle(fresh);
    this.servers.push(...fresh);
    return { added, deleted };
  }
}

function shuffle<T>(a: T[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
