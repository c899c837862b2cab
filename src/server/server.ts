// The server: listener, connections, the subject index, message fan-out and lifecycle.
// Everything lives on the instance, so several servers can run in one process.
import net from "node:net";
import path from "node:path";
import { unlinkSync, writeFileSync } from "node:fs";
import { EventEmitter } from "node:events";
import { newServerIdentity } from "./ids.js";
import { ClientConnection, type CloseReason } from "./conn/client.js";
import { Account, DEFAULT_SYSTEM_ACCOUNT, GLOBAL_ACCOUNT } from "./account.js";
import type { ConnKind } from "./conn/conn.js";
import { InternalConnection } from "./conn/internal.js";
import { configureAccounts, shutdownAccounts } from "./imports.js";
import { SystemEvents } from "./system.js";
import { FileSink, Logger, logSinkFromOptions } from "./logger.js";
import {
  isBcrypt,
  newConfigAuthenticator,
  type Authenticator,
  type AuthResult,
  type ConfigAuthenticator,
} from "./auth/authenticator.js";
import { listenerCap, listenPortError, resolveOptions, type PartialOptions, type ServerOptions } from "./options.js";
import { NATS_VERSION, TSNATS_VERSION } from "./version.js";
import { checkAccountGraph, systemAccountError } from "./config/accounts.js";
import { formatGoDuration, timerMs } from "./duration.js";
import { ReloadError, reloadServer } from "./reload.js";
import { parseAdvertise, parseHostPort } from "./hostport.js";
import type { MonitorServer } from "./monitor/http.js";
import type { MonitorView } from "./monitor/view.js";
import { ServerMonitorView } from "./monitor-view.js";
import { randomBytes } from "node:crypto";
import { buildTLSContext, startClientTLS, type TLSContext } from "./tls.js";
import { type ClosedClient, closedSnapshot } from "./closed.js";

/** Events an embedding application or a test can await. */
export interface ServerEvents {
  "client:connect": [client: ClientConnection];
  "client:close": [client: ClientConnection, reason: CloseReason];
  slow_consumer: [client: ClientConnection];
  ready: [];
  shutdown: [];
}

export interface ServerDeps {
  logger?: Logger;
  authenticator?: Authenticator;
}

/** The fields of an INFO line, in the order they are sent (encoded by protocol/encode.ts). */
export type ServerInfo = Record<string, unknown>;

export type { ClosedClient } from "./closed.js";

const CLOSED_RING = 10000;
const CLOSED_TRIM = 1000;

export class Server extends EventEmitter<ServerEvents> {
  opts: ServerOptions;
  readonly id: string;
  /** The server's x25519 public key, advertised as INFO xkey like nats-server 2.10. */
  readonly xkey: string;
  readonly name: string;
  logger: Logger;
  auth: Authenticator;
  /** Every account by name: the global account, the system account, the configured ones. */
  readonly accounts = new Map<string, Account>();
  /** $G: users outside any account. */
  readonly globalAccount: Account;
  /** The system account ($SYS unless configured otherwise); null with no_system_account. */
  systemAccount: Account | null = null;
  /** The system account's events and requests (system.ts); null without a system account. */
  events: SystemEvents | null = null;
  /**
   * How a reload from the config file runs ($SYS.REQ.SERVER.<id>.RELOAD): the CLI sets it to
   * its SIGHUP reload (the file with the flags laid over it); null: the file alone.
   */
  configReload: (() => Promise<void>) | null = null;
  readonly clients = new Map<number, ClientConnection>();
  readonly closed: ClosedClient[] = [];
  readonly startTime = new Date();
  /** When the options in effect were loaded: start-up, then each successful reload (varz config_load_time). */
  configLoadTime = new Date();
  /** The authenticator came from the embedding application: a reload keeps it. */
  readonly customAuth: boolean;
  /**
   * The logger came from the embedding application: a reload applies the debug and trace
   * levels to it but never replaces (nor closes) its sink.
   */
  readonly customLogger: boolean;
  /** Bumped by every reload that swaps the options and authenticator (see Client.checkConnect). */
  reloadGen = 0;
  /**
   * client_advertise, parsed once (at construction and on reload): the host and port INFO
   * advertises; a null port means the port listened on. Null when not set.
   */
  clientAdvertise: { host: string; port: number | null } | null = null;

  // statistics (nats-server's varz names)
  inMsgs = 0;
  inBytes = 0;
  slowConsumers = 0;
  totalConnections = 0;
  /** Out-message totals of connections that have closed (outStats adds the open ones). */
  private closedOutMsgs = 0;
  private closedOutBytes = 0;

  private listener: net.Server | null = null;
  private cidSeq = 0;
  private dirty: ClientConnection[] = [];
  private flushScheduled = false;
  private readonly flushAll = () => this.flushDirty();
  private shutdownPromise: Promise<void> | null = null;
  private ldm = false;
  private ldmTimer: NodeJS.Timeout | null = null;
  private ldmWake: (() => void) | null = null;
  /** The address actually listened on, once started. */
  address: { host: string; port: number } | null = null;
  /** The monitoring (HTTP) address actually listened on, once started; null when off. */
  monitorAddress: { host: string; port: number } | null = null;
  /** The monitoring listener (http_port), when on. */
  monitor: MonitorServer | null = null;
  /** TLS for clients (the tls block), rebuilt by each reload; null without TLS. */
  tlsContext: TLSContext | null = null;

  constructor(options: PartialOptions = {}, deps: ServerDeps = {}) {
    super();
    this.opts = resolveOptions(options);
    const ident = newServerIdentity();
    this.id = ident.id;
    this.xkey = ident.xkey;
    this.name = this.opts.server_name !== "" ? this.opts.server_name : this.id;
    this.globalAccount = this.registerAccount(GLOBAL_ACCOUNT);
    if (!this.opts.no_system_account) {
      this.systemAccount = this.registerAccount(this.opts.system_account || DEFAULT_SYSTEM_ACCOUNT);
    }
    this.reconfigureAccounts(null, this.opts);
    this.customAuth = deps.authenticator !== undefined;
    this.auth = deps.authenticator ?? this.newAuthenticator(this.opts);
    this.checkOptions();
    // nats-server's configureAccounts, after its validateOptions: at start-up only. On reload
    // nats-server ignores it, and a system account no longer in the accounts block stays the
    // system account (never removed, see reconfigureAccounts)
    const sysErr = systemAccountError(this.opts);
    if (sysErr !== null) throw new Error(sysErr);
    this.tlsContext = this.opts.tls === null ? null : buildTLSContext(this.opts.tls);
    this.setClientAdvertise();
    // the log file is opened only once the options are known to be good
    this.customLogger = deps.logger !== undefined;
    this.logger = deps.logger ?? Logger.fromOptions(this.opts);
  }

  /**
   * The hidden user nats-server adds to the global account when the only account configured is
   * the system account (so that its users can log in while everyone else still connects without
   * credentials): "nats-" and 8 random characters, kept across reloads. "" while not in use.
   */
  private sysOnlyNoAuthUser = "";

  /**
   * The config authenticator for a set of options. As nats-server's configureAccounts does, when
   * a system account is configured, no other account is, and there is neither an authorization
   * block nor a no_auth_user, clients without credentials log in to $G as a hidden no_auth_user.
   */
  newAuthenticator(o: ServerOptions): ConfigAuthenticator {
    const a = o.authorization;
    const sys =
      o.system_account !== ""
        ? o.system_account
        : o.accounts.some((x) => x.name === DEFAULT_SYSTEM_ACCOUNT)
          ? DEFAULT_SYSTEM_ACCOUNT
          : "";
    const names = new Set([GLOBAL_ACCOUNT, sys, ...o.accounts.map((x) => x.name)]);
    // an authorization block: anything in it besides the users that came from accounts
    const authBlock =
      a.user !== undefined ||
      a.token !== undefined ||
      a.permissions !== undefined ||
      a.timeout !== undefined ||
      (a.users ?? []).some((u) => u.account === undefined);
    if (sys === "" || o.no_system_account || names.size !== 2 || o.no_auth_user !== "" || authBlock) {
      return newConfigAuthenticator(o);
    }
    if (this.sysOnlyNoAuthUser === "")
      this.sysOnlyNoAuthUser = `nats-${randomBytes(6).toString("base64url").slice(0, 8)}`;
    const u = this.sysOnlyNoAuthUser;
    const users = [...(a.users ?? []), { user: u, password: u.slice(6), account: GLOBAL_ACCOUNT }];
    return newConfigAuthenticator({ ...o, authorization: { ...a, users }, no_auth_user: u });
  }

  /** Option combinations nats-server refuses (its validateOptions), at start-up and on reload. */
  checkOptions(o: ServerOptions = this.opts, auth: Authenticator = this.auth): void {
    if (o.client_advertise !== "") {
      try {
        parseHostPort(o.client_advertise, o.port);
      } catch (e) {
        throw new Error(
          `Error setting server INFO with ClientAdvertise value of ${o.client_advertise}, err=${(e as Error).message}`,
        );
      }
    }
    // an authenticator that cannot say which users it has is trusted with no_auth_user
    if (o.no_auth_user !== "" && auth.hasUser !== undefined && !auth.hasUser(o.no_auth_user)) {
      throw new Error(
        `no_auth_user: "${o.no_auth_user}" not present as user or nkey in authorization block or account configuration`,
      );
    }
    if (o.lame_duck_duration > 0 && o.lame_duck_grace_period >= o.lame_duck_duration) {
      throw new Error(
        `lame duck grace period (${formatGoDuration(o.lame_duck_grace_period)}) should be strictly lower than lame duck duration (${formatGoDuration(o.lame_duck_duration)})`,
      );
    }
    if (o.http_port !== 0 && o.https_port !== 0) {
      throw new Error(`can't specify both HTTP (${o.http_port}) and HTTPs (${o.https_port}) ports`);
    }
    if (o.https_port !== 0 && o.tls === null) throw new Error("TLS cert and key required for HTTPS");
    if (o.max_payload > o.max_pending) {
      throw new Error(`max_payload (${o.max_payload}) cannot be higher than max_pending (${o.max_pending})`);
    }
    // exports and imports (the loader checks a file's; options built in code are checked here,
    // so that a reload refuses them before anything changes)
    const graph = checkAccountGraph(o);
    if (graph !== null) throw new Error(graph);
  }

  /** Parse opts.client_advertise (already validated by checkOptions) into clientAdvertise. */
  setClientAdvertise(): void {
    this.clientAdvertise = parseAdvertise(this.opts.client_advertise);
  }

  /** Users (not nkey users) are configured: refusals name the user. */
  hasUsers(): boolean {
    return this.auth.hasUsers?.() ?? (this.opts.authorization.users?.length ?? 0) > 0;
  }

  /** nkey users are configured: INFO carries a nonce, refusals name the nkey. */
  hasNkeys(): boolean {
    return this.auth.hasNkeys?.() ?? false;
  }

  /** The identity a client without credentials takes (no_auth_user), or null. */
  noAuthResult(): AuthResult | null {
    return this.auth.noAuthResult?.() ?? null;
  }

  /**
   * Reload: the new options and authenticator take effect (reloadGen tells asynchronous
   * checks begun before that they answered for the old ones).
   */
  applyConfig(opts: ServerOptions, auth: Authenticator): void {
    this.opts = opts;
    this.auth = auth;
    this.reloadGen++;
  }

  /** Reload: the TLS context new connections get (null: TLS off). */
  setTLSContext(ctx: TLSContext | null): void {
    this.tlsContext = ctx;
  }

  /** A reload finished: the options in effect were loaded now (varz config_load_time). */
  configLoaded(): void {
    this.configLoadTime = new Date();
  }

  get running(): boolean {
    return this.listener !== null && this.shutdownPromise === null;
  }

  get lameDuck(): boolean {
    return this.ldm;
  }

  /** Start listening. Rejects when the port cannot be bound. */
  async start(): Promise<void> {
    const o = this.opts;
    const l = this.logger;
    l.noticef("Starting tsnats-server");
    l.noticef(`  Version:  ${NATS_VERSION} (tsnats ${TSNATS_VERSION})`);
    l.noticef(`  Git:      [not set]`);
    l.noticef(`  Name:     ${this.name}`);
    l.noticef(`  ID:       ${this.id}`);
    // nats-server's checkAuthforWarnings: the single user's password, or any user's, not bcrypt
    const az = o.authorization;
    if (
      (az.password !== undefined && az.password !== "" && !isBcrypt(az.password)) ||
      (az.users ?? []).some((u) => !isBcrypt(u.password))
    ) {
      l.warnf("Plaintext passwords detected, use nkeys or bcrypt");
    }
    if (o.config_file !== "") l.noticef(`Using configuration file: ${o.config_file}`);
    if (o.pid_file !== "") {
      // written before listening and left in place at exit, as nats-server does
      try {
        writeFileSync(o.pid_file, String(process.pid));
      } catch (e) {
        throw new Error(`Could not write pidfile: ${(e as Error).message}`);
      }
    }
    // nats-server starts its monitor before the client listener
    if (o.http_port !== 0 || o.https_port !== 0) await this.startMonitor();
    const srv = net.createServer({ noDelay: true, pauseOnConnect: false }, (s) => this.accept(s));
    srv.maxConnections = listenerCap(o.max_connections);
    await new Promise<void>((resolve, reject) => {
      const onErr = (e: Error) => {
        srv.close();
        // the monitor started above is closed before start() rejects: nothing is left open
        const m = this.monitor;
        this.monitor = null;
        this.monitorAddress = null;
        if (m === null) reject(e);
        else
          m.close().then(
            () => reject(e),
            () => reject(e),
          );
      };
      srv.once("error", onErr);
      const bad = listenPortError(o.port);
      // with a code, as the errors of listen() have: the CLI reports it as "Error listening on port"
      if (bad !== null) return onErr(Object.assign(new Error(bad), { code: "EINVAL" }));
      const port = o.port === -1 ? 0 : o.port;
      srv.listen({ host: o.host, port, backlog: 1024, exclusive: true }, () => {
        srv.off("error", onErr);
        srv.on("error", (e) => l.errorf(`Error accepting client connection: ${e.message}`));
        resolve();
      });
    });
    this.listener = srv;
    if (this.systemAccount !== null) {
      this.events = new SystemEvents(this, this.systemAccount);
      this.events.start();
    }
    const a = srv.address() as net.AddressInfo;
    this.address = { host: o.host, port: a.port };
    l.noticef(`Listening for client connections on ${hostPort(o.host, a.port)}`);
    this.writePortsFile();
    l.noticef("Server is ready");
    this.emit("ready");
  }

  private async startMonitor(): Promise<void> {
    const o = this.opts;
    const host = o.http_host === "" ? o.host : o.http_host;
    // loaded only when monitoring is on: node:http and the pages cost start-up time
    const { MonitorServer } = await import("./monitor/http.js");
    const m = new MonitorServer(this.monitorView());
    const secure = o.https_port !== 0;
    const want = secure ? o.https_port : o.http_port;
    const bad = listenPortError(want);
    if (bad !== null) throw new Error(`Can't start monitoring: can't listen to the monitor port: ${bad}`);
    try {
      this.monitorAddress = await m.start(host, want, secure ? (this.tlsContext ?? undefined) : undefined);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const port = want === -1 ? 0 : want;
      const why = err.code === "EADDRINUSE" ? "bind: address already in use" : err.message;
      throw new Error(
        `Can't start monitoring: can't listen to the monitor port: listen tcp ${hostPort(host, port)}: ${why}`,
      );
    }
    this.monitor = m;
    this.logger.noticef(`Starting ${secure ? "https" : "http"} monitor on ${hostPort(host, this.monitorAddress.port)}`);
  }

  private monView: MonitorView | null = null;

  /** What monitoring reads: a read-only view of this server (monitor/view.ts). */
  monitorView(): MonitorView {
    return (this.monView ??= new ServerMonitorView(this));
  }

  private portsFile = "";

  /** ports_file_dir: a JSON file naming the listen URLs, for test harnesses of official clients. */
  private writePortsFile(): void {
    const dir = this.opts.ports_file_dir;
    if (dir === "") return;
    const base = path.basename(process.argv[1] ?? "tsnats-server").replace(/\.js$/, "");
    const exe = base === "server" ? "tsnats-server" : base;
    this.portsFile = path.join(dir, `${exe}_${process.pid}.ports`);
    const host = this.opts.host === "0.0.0.0" || this.opts.host === "::" ? "127.0.0.1" : this.opts.host;
    const scheme = this.opts.tls !== null && !this.opts.allow_non_tls ? "tls" : "nats";
    const ports: Record<string, string[]> = { nats: [`${scheme}://${hostPort(host, this.port)}`] };
    const ma = this.monitorAddress;
    if (ma !== null) {
      const mh = ma.host === "0.0.0.0" || ma.host === "::" ? "127.0.0.1" : ma.host;
      ports.monitoring = [`${this.opts.https_port !== 0 ? "https" : "http"}://${hostPort(mh, ma.port)}`];
    }
    try {
      writeFileSync(this.portsFile, JSON.stringify(ports));
    } catch (e) {
      this.logger.errorf(`Error writing ports file (${this.portsFile}): ${(e as Error).message}`);
      this.portsFile = "";
    }
  }

  /** The port clients connect to (the real one when started on -1 or 0). */
  get port(): number {
    return this.address?.port ?? this.opts.port;
  }

  private accept(socket: net.Socket): void {
    if (this.shutdownPromise !== null || this.ldm) {
      socket.destroy();
      return;
    }
    const cid = ++this.cidSeq;
    this.totalConnections++;
    const c = new ClientConnection(this, socket, cid);
    c.debugf("Client connection created");
    if (this.opts.max_connections > 0 && this.clients.size >= this.opts.max_connections) {
      c.begin(this.infoFor(c));
      c.errorf("maximum connections exceeded");
      c.sendErr("maximum connections exceeded");
      c.close("Maximum Connections Exceeded");
      return;
    }
    this.clients.set(cid, c);
    // every connection starts in the global account (nats-server's createClient)
    this.globalAccount.clients.add(c);
    if (this.hasNkeys()) c.nonce = randomBytes(11).toString("base64url");
    const ctx = this.tlsContext;
    if (ctx === null) c.begin(this.infoFor(c));
    else
      startClientTLS(
        c,
        ctx,
        this.opts.allow_non_tls,
        (req) => this.infoFor(c, {}, req),
        () => c.startProtocol(),
      );
    this.emit("client:connect", c);
  }

  /** INFO for one client, as nats-server orders its fields. */
  infoFor(c: ClientConnection | null, extra: Record<string, unknown> = {}, tlsRequired?: boolean): ServerInfo {
    const o = this.opts;
    // client_advertise replaces host and port in INFO, as nats-server's setInfoHostPort does
    const adv = this.clientAdvertise;
    const info: ServerInfo = {
      server_id: this.id,
      server_name: this.name,
      version: NATS_VERSION,
      proto: 1,
      go: `node${process.versions.node}`,
      host: adv !== null ? adv.host : o.host,
      port: adv !== null ? (adv.port ?? this.port) : this.port,
      headers: !o.no_header_support,
    };
    // a no_auth_user makes auth optional, except the hidden one of a system-account-only config
    const nau = this.auth.noAuthUser;
    if (this.auth.authRequired && (nau === "" || nau === this.sysOnlyNoAuthUser)) info.auth_required = true;
    if (o.tls !== null) {
      if (tlsRequired ?? !o.allow_non_tls) info.tls_required = true;
      if (o.tls.verify) info.tls_verify = true;
      if (o.allow_non_tls) info.tls_available = true;
    }
    info.max_payload = o.max_payload;
    if (c !== null) {
      info.client_id = c.cid;
      if (c.host !== "") info.client_ip = c.host;
      // the nonce is for the first INFO only (nkey users sign it in CONNECT)
      if (c.nonce !== "" && extra.ldm === undefined) info.nonce = c.nonce;
    }
    info.xkey = this.xkey;
    Object.assign(info, extra);
    info.tsnats_version = TSNATS_VERSION;
    return info;
  }

  // ---------------------------------------------------------------- subscriptions and fan-out

  /**
   * The accounts block and top-level mappings as options give them: every configured account
   * registered, each account's mappings (the global account's from the top level) set. Run at
   * construction and again by reload, through reconfigureAccounts.
   */
  applyAccountOptions(o: ServerOptions = this.opts): void {
    for (const a of o.accounts) this.registerAccount(a.name).setMappings(a.mappings);
    const g = o.accounts.find((a) => a.name === GLOBAL_ACCOUNT);
    this.globalAccount.setMappings(g !== undefined ? [...g.mappings, ...o.mappings] : o.mappings);
    // exports and imports, rebuilt whole (imports.ts configureAccounts is idempotent)
    configureAccounts(this, o.accounts);
  }

  /** The account of this name, created when it does not exist yet. */
  registerAccount(name: string): Account {
    let acc = this.accounts.get(name);
    if (acc === undefined) {
      acc = new Account(name, this);
      this.accounts.set(name, acc);
      this.events?.accountRegistered(acc);
    }
    return acc;
  }

  /**
   * Bring the accounts in line with a set of options: at start-up (`oldOpts` null) and on
   * every reload, after the new options are in place and before any connection is re-checked
   * against them (so a user of a new account can log in as soon as the reload is done).
   *
   * What it does:
   * - registers every account the options configure: each entry of `accounts`, and each
   *   account a user names (the global and the system account always exist). An account
   *   that stays keeps its Account object, so its subscriptions, connections and counters
   *   carry over, as nats-server updates its accounts in place;
   * - sets each account's mappings from its entry (the global account's from the top level
   *   too) and clears those of an entry that has none, so the next publish already follows
   *   the new rules (`applyAccountOptions`);
   * - returns the accounts `oldOpts` configured and `newOpts` no longer does. The caller
   *   (reload) closes their clients as nats-server does and then calls `unregisterAccount`.
   *
   * What it must also do, filled in by the imports and exports feature: for every account of
   * `newOpts.accounts`, set up its stream and service exports and imports anew from its
   * entry, resolving the other account by name among the registered ones, and drop those the
   * entry no longer lists (with their internal subscriptions and pending response mappings).
   * Stream imports that changed make existing subscribers see the new sources without
   * resubscribing, as nats-server's processSubsOnConfigReload does.
   */
  reconfigureAccounts(oldOpts: ServerOptions | null, newOpts: ServerOptions): Account[] {
    const next = configuredAccounts(newOpts);
    for (const name of next) this.registerAccount(name);
    this.applyAccountOptions(newOpts);
    const removed: Account[] = [];
    if (oldOpts === null) return removed;
    for (const name of configuredAccounts(oldOpts)) {
      if (next.has(name)) continue;
      const acc = this.accounts.get(name);
      if (acc !== undefined && acc !== this.globalAccount && acc !== this.systemAccount) removed.push(acc);
    }
    return removed;
  }

  /**
   * Remove an account the configuration no longer has (reload). Clients still bound to it are
   * closed ("Client Closed", as nats-server closes a client whose account went away), then it
   * leaves the registry: monitoring no longer lists it and a later account of the same name
   * starts afresh. The global and the system account are never removed.
   */
  unregisterAccount(acc: Account): void {
    if (acc === this.globalAccount || acc === this.systemAccount) return;
    for (const c of [...acc.clients]) if (c instanceof ClientConnection) c.close("Client Closed");
    if (this.accounts.get(acc.name) === acc) this.accounts.delete(acc.name);
  }

  /**
   * A new internal connection (no socket) in an account: subscriptions with in-process
   * callbacks, publishes through the normal delivery path. The system account's and
   * JetStream's services run on these.
   */
  createInternalConnection(kind: ConnKind, acc: Account, name: string): InternalConnection {
    return new InternalConnection(this.internalHost, kind, ++this.cidSeq, acc, name);
  }

  private readonly internalHost = { logError: (msg: string) => this.logger.errorf(msg) };

  /** Subscriptions over every account (varz subscriptions). */
  numSubscriptions(): number {
    let n = 0;
    for (const a of this.accounts.values()) n += a.sublist.size;
    return n;
  }

  lookupAccount(name: string): Account | undefined {
    return this.accounts.get(name);
  }

  /** Bind a client to an account once authenticated (before it has subscriptions). */
  bindAccount(c: ClientConnection, name: string): void {
    const to = this.registerAccount(name === "" ? GLOBAL_ACCOUNT : name);
    if (c.acc === to && to.clients.has(c)) return;
    c.acc.clients.delete(c);
    c.acc = to;
    to.clients.add(c);
  }

  // One view of the payload being fanned out, shared by every subscriber it goes to:
  // Buffer.copy with a range builds a new view on each call, which costs more than the
  // copy itself for small messages.
  private viewBuf: Buffer | null = null;
  private viewStart = 0;
  private viewEnd = 0;
  private view: Buffer | null = null;

  /** buf[start, end) as a Buffer, reused while the same range is delivered again. */
  payloadView(buf: Buffer, start: number, end: number): Buffer {
    if (this.viewBuf === buf && this.viewStart === start && this.viewEnd === end) return this.view as Buffer;
    this.viewBuf = buf;
    this.viewStart = start;
    this.viewEnd = end;
    return (this.view = buf.subarray(start, end));
  }

  /** Total messages and bytes sent to clients. */
  get outStats(): { msgs: number; bytes: number } {
    let msgs = this.closedOutMsgs;
    let bytes = this.closedOutBytes;
    for (const c of this.clients.values()) {
      msgs += c.outMsgs;
      bytes += c.outBytes;
    }
    return { msgs, bytes };
  }

  // ---------------------------------------------------------------- output batching

  /** Queue a connection to be flushed at the end of this event-loop turn. */
  flushSoon(c: ClientConnection): void {
    if (c.dirty) return;
    c.dirty = true;
    this.dirty.push(c);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushAll);
    }
  }

  private flushDirty(): void {
    this.flushScheduled = false;
    // don't keep the last read buffer alive past this turn
    this.viewBuf = this.view = null;
    const list = this.dirty;
    this.dirty = [];
    for (let i = 0; i < list.length; i++) list[i].flush();
  }

  clientClosed(c: ClientConnection): void {
    if (!this.clients.delete(c.cid)) return;
    this.closedOutMsgs += c.outMsgs;
    this.closedOutBytes += c.outBytes;
    const reason = c.closeReason as CloseReason;
    const slow = reason === "Slow Consumer (Pending Bytes)" || reason === "Slow Consumer (Write Deadline)";
    c.acc.connClosed(c, slow);
    this.events?.clientDisconnected(c);
    this.closed.push(closedSnapshot(c, reason));
    // trimmed in batches, so a full ring does not cost a shift of 10,000 entries per close
    if (this.closed.length > CLOSED_RING + CLOSED_TRIM) this.closed.splice(0, this.closed.length - CLOSED_RING);
    if (slow) {
      this.emit("slow_consumer", c);
    }
    this.emit("client:close", c, reason);
  }

  // ---------------------------------------------------------------- reload

  /**
   * Apply new options to the running server (SIGHUP, the embedding API). The given options
   * are laid over the current ones (pass a complete set, as the CLI does for a config file,
   * to replace them). Resolves when they are in effect, existing connections re-checked;
   * rejects, changing nothing, when an option cannot change at runtime (nats-server's text).
   */
  reload(partial: PartialOptions): Promise<void> {
    // one reload at a time, in the order asked (nats-server's reloadMu); none once shutdown
    // has begun (it closes the log sink a reload could replace), asked before or queued
    const refuse = () => Promise.reject(new ReloadError("server is shutting down: config reload refused"));
    if (this.shutdownPromise !== null) return refuse();
    const run = this.reloadChain.then(() => (this.shutdownPromise !== null ? refuse() : reloadServer(this, partial)));
    this.reloadChain = run.catch(() => undefined);
    return run;
  }

  private reloadChain: Promise<void> = Promise.resolve();

  /** Reload: the listener's own connection cap follows max_connections. */
  reloadListenerLimits(): void {
    if (this.listener !== null) this.listener.maxConnections = listenerCap(this.opts.max_connections);
  }

  /** Reload of ports_file_dir: remove the old ports file, write the new one. */
  reloadPortsFile(): void {
    if (this.portsFile !== "") {
      try {
        unlinkSync(this.portsFile);
      } catch {
        // already gone
      }
      this.portsFile = "";
    }
    if (this.listener !== null) this.writePortsFile();
  }

  // ---------------------------------------------------------------- lame duck and shutdown

  /**
   * Lame duck mode: stop accepting, tell clients (INFO with ldm), wait the grace period,
   * then close clients spread over the rest of lame_duck_duration, then shut down.
   */
  async enterLameDuck(): Promise<void> {
    if (this.ldm || this.shutdownPromise !== null) return this.shutdownPromise ?? undefined;
    this.ldm = true;
    this.events?.lameDuck();
    const l = this.logger;
    l.noticef("Entering lame duck mode, stop accepting new clients");
    const listener = this.listener;
    if (listener !== null) listener.close();
    // like nats-server: no clients, nothing to wait for
    if (this.clients.size === 0) return this.shutdown();
    for (const c of this.clients.values()) {
      // only clients that can take an async INFO get one, built for each (client_id, client_ip)
      if (c.canTakeAsyncInfo()) c.sendInfo(this.infoFor(c, { ldm: true }));
    }
    const o = this.opts;
    const grace = Math.max(0, o.lame_duck_grace_period);
    if (grace > 0) await this.ldmSleep(grace);
    const clients = [...this.clients.values()];
    if (clients.length > 0 && this.shutdownPromise === null) {
      l.noticef("Closing existing clients");
      let dur = o.lame_duck_duration - grace;
      if (dur <= 0) dur = 1000;
      let si = dur / clients.length;
      let batch = 1;
      if (si < 1) {
        si = 1;
        batch = Math.ceil(clients.length / dur);
      } else if (si > 1000) si = 1000;
      for (let i = 0; i < clients.length; i++) {
        if (this.shutdownPromise !== null) break;
        clients[i].close("Server Shutdown");
        if (i === clients.length - 1) break;
        if (batch === 1 || i % batch === 0) {
          const v = Math.max(si / 2, Math.random() * si);
          await this.ldmSleep(v);
        }
      }
    }
    return this.shutdown();
  }

  private ldmSleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.ldmWake = resolve;
      this.ldmTimer = setTimeout(resolve, timerMs(ms));
    });
  }

  /**
   * SIGUSR1 (nats-server's ReOpenLogFile): close the log file and open it again under the
   * same name, so that a file moved away by logrotate is replaced by a fresh one.
   */
  reopenLogFile(): void {
    const l = this.logger;
    if (this.opts.log_file === "" || !(l.sink instanceof FileSink)) {
      l.noticef("File log re-open ignored, not a file logger");
      return;
    }
    let sink: ReturnType<typeof logSinkFromOptions>;
    try {
      sink = logSinkFromOptions(this.opts);
    } catch (e) {
      // nats-server exits here; tsnats keeps logging to the file it has
      l.errorf(`File log re-open failed: ${(e as Error).message}`);
      return;
    }
    l.replaceSink(sink);
    l.noticef("File log re-opened");
  }

  /** Close the listener and every connection; resolves when all sockets are closed. */
  shutdown(): Promise<void> {
    if (this.shutdownPromise !== null) return this.shutdownPromise;
    this.shutdownPromise = this.doShutdown();
    return this.shutdownPromise;
  }

  private async doShutdown(): Promise<void> {
    const l = this.logger;
    l.noticef("Initiating Shutdown...");
    this.events?.shutdown();
    if (this.ldmTimer !== null) clearTimeout(this.ldmTimer);
    shutdownAccounts(this.accounts.values());
    this.ldmWake?.();
    const monitorClosed = this.monitor?.close() ?? Promise.resolve();
    const listener = this.listener;
    const listenerClosed =
      listener === null
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            if (!listener.listening) resolve();
            else listener.close(() => resolve());
            l.debugf("Client accept loop exiting..");
          });
    const sockets: Promise<void>[] = [];
    const open = [...this.clients.values()].map((c) => c.socket);
    for (const c of [...this.clients.values()]) {
      const s = c.socket;
      sockets.push(
        new Promise<void>((resolve) => {
          if (s.destroyed) return resolve();
          s.once("close", () => resolve());
        }),
      );
      c.close("Server Shutdown");
    }
    // do not wait on clients that won't read what is left for them
    const force = setTimeout(() => {
      for (const s of open) if (!s.destroyed) s.destroy();
    }, 500);
    await Promise.all([listenerClosed, monitorClosed, ...sockets]);
    clearTimeout(force);
    this.flushScheduled = false;
    this.dirty = [];
    if (this.portsFile !== "") {
      try {
        unlinkSync(this.portsFile);
      } catch {
        // already gone
      }
    }
    l.noticef("Server Exiting..");
    this.logger.sink.close?.();
    this.emit("shutdown");
  }
}

/** The names of the accounts a set of options configures: the `accounts` block and the accounts users name. */
function configuredAccounts(o: ServerOptions): Set<string> {
  const names = new Set<string>();
  for (const a of o.accounts) names.add(a.name);
  for (const u of o.authorization.users ?? []) if (u.account !== undefined && u.account !== "") names.add(u.account);
  return names;
}

export function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
