// Server options: one typed object whose keys are nats-server's config-file names, so the
// config file, the command line and the embedding API all fill the same thing.
// Durations are milliseconds here; the config loader converts nats-server's units.

/** A subject permission: plain list (allow) or allow/deny lists. Entries may be "subject queue". */
export interface SubjectPermission {
  allow?: string[];
  deny?: string[];
}

export interface ResponsePermission {
  /** How many replies may be sent per request (nats-server default 1). */
  max: number;
  /** How long the permission lasts, in ms (nats-server default 2 minutes). */
  expires: number;
}

export interface Permissions {
  publish?: SubjectPermission;
  subscribe?: SubjectPermission;
  allow_responses?: ResponsePermission;
}

export interface UserConfig {
  /** The user name; for an nkey user, its public key (as nats-server names it in logs). */
  user: string;
  /** Plain text or a bcrypt hash ($2a$, $2b$, $2x$, $2y$). */
  password: string;
  permissions?: Permissions;
  /** The account the user belongs to (a user of the accounts block); absent: $G. */
  account?: string;
  /** An nkey user (public key "U..."): signs the INFO nonce instead of a password. */
  nkey?: string;
}

/**
 * The client `tls {}` block (nats-server's TLSConfigOpts for clients). Files are read when
 * the options are loaded and again on every reload (see src/server/tls.ts).
 */
export interface TLSOptions {
  cert_file: string;
  key_file: string;
  ca_file: string;
  /** Require and verify a client certificate. */
  verify: boolean;
  /** verify, and take the user from the certificate (nats-server's TLSMap). */
  verify_and_map: boolean;
  /** Handshake timeout in ms (nats-server default 2 s). */
  timeout: number;
  /** Go cipher suite names (nats-server's defaults when empty). */
  cipher_suites: string[];
  /** Go curve names (nats-server's defaults when empty). */
  curve_preferences: string[];
  /** "1.2" or "1.3" (nats-server's default 1.2). */
  min_version: string;
  /** Lower-case hex SHA-256 of the client certificate's SubjectPublicKeyInfo; empty: any. */
  pinned_certs: string[];
  /** TLS handshake before the INFO (nats-server 2.10's handshake_first). */
  handshake_first: boolean;
  /** handshake_first with a fallback: ms to wait for the client's hello before sending INFO in plaintext; 0 none. */
  handshake_first_fallback: number;
}

/** nats-server's TLS_TIMEOUT. */
export const DEFAULT_TLS_TIMEOUT = 2000;
/** nats-server's DEFAULT_TLS_HANDSHAKE_FIRST_FALLBACK_DELAY ("auto"). */
export const DEFAULT_TLS_FIRST_FALLBACK = 50;

export function defaultTLSOptions(): TLSOptions {
  return {
    cert_file: "",
    key_file: "",
    ca_file: "",
    verify: false,
    verify_and_map: false,
    timeout: DEFAULT_TLS_TIMEOUT,
    cipher_suites: [],
    curve_preferences: [],
    min_version: "",
    pinned_certs: [],
    handshake_first: false,
    handshake_first_fallback: 0,
  };
}

/** An account's export (nats-server's `exports` entry): a stream or a service. */
export interface ExportConfig {
  stream?: string;
  service?: string;
  /** The accounts allowed to import it; absent: public. */
  accounts?: string[];
  /** Services only: how many replies a request may get (nats-server's default singleton). */
  response_type?: "singleton" | "stream" | "chunked";
  /** Services only: how long a reply may take, in ms (nats-server's default 2 minutes). */
  response_threshold?: number;
}

/** An account's import: a stream (with prefix or to) or a service (with to). */
export interface ImportConfig {
  stream?: { account: string; subject: string };
  service?: { account: string; subject: string };
  prefix?: string;
  to?: string;
}

/** One destination of a subject mapping. */
export interface MappingDest {
  subject: string;
  /** Percent, 0..100 (100 for a plain string mapping). */
  weight: number;
  cluster?: string;
}

/** A subject mapping: the source subject and its (weighted) destinations. */
export interface MappingConfig {
  subject: string;
  destinations: MappingDest[];
}

/**
 * An account of the `accounts {}` block. Its users are in authorization.users with
 * `account` set to its name, as nats-server keeps them in its Users/Nkeys lists.
 */
export interface AccountConfig {
  name: string;
  exports: ExportConfig[];
  imports: ImportConfig[];
  mappings: MappingConfig[];
}

/**
 * The `cluster {}` block (nats-server's ClusterOpts), null when not configured. Routes are
 * connections of kind Router (src/server/cluster/); see docs/architecture.md.
 */
export interface ClusterOptions {
  /** The cluster's name; "" until set (nats-server then takes a dynamic name from the seed). */
  name: string;
  host: string;
  /** 0 means the default route port (6222) in a config file; -1 a random port. */
  port: number;
  /** The address given to peers and gossiped, "host:port" ("" : the listen address). */
  advertise: string;
  /** Don't advertise this server's client URLs to clients (connect_urls). */
  no_advertise: boolean;
  /** Implicit (gossiped) routes: reconnect attempts before giving up (nats-server's DEFAULT_ROUTE_CONNECT retries). */
  connect_retries: number;
  /** Explicit routes, as URLs ("nats://host:port", user:password allowed). */
  routes: string[];
  /** Credentials peers must present (authorization { user, password, timeout }). */
  user: string;
  password: string;
  /** Auth timeout in ms (0: nats-server's default). */
  auth_timeout: number;
  /** What remote interest may import and what this server exports over routes; null: everything. */
  permissions: { import?: SubjectPermission; export?: SubjectPermission } | null;
  /** Route connections per peer (nats-server 2.10's default 3; -1 disables pooling, as 2.9). */
  pool_size: number;
  /** Accounts with a dedicated route (2.10's pinned accounts). */
  accounts: string[];
  /** Route compression mode as given ("off", "accept", "s2_fast", ...); tsnats negotiates it off. */
  compression: string;
  /** Route ping interval and max outstanding pings (0: the server-wide values). */
  ping_interval: number;
  ping_max: number;
  /** Route write deadline in ms (0: the server-wide value). */
  write_deadline: number;
  /** TLS for routes (the security issue fills this; null: plaintext routes). */
  tls: TLSOptions | null;
}

/** nats-server's DEFAULT_ROUTE_PORT. */
export const DEFAULT_ROUTE_PORT = 6222;
/** nats-server 2.10's DEFAULT_ROUTE_POOL_SIZE. */
export const DEFAULT_ROUTE_POOL_SIZE = 3;

export function defaultClusterOptions(): ClusterOptions {
  return {
    name: "",
    host: "0.0.0.0",
    port: DEFAULT_ROUTE_PORT,
    advertise: "",
    no_advertise: false,
    connect_retries: 0,
    routes: [],
    user: "",
    password: "",
    auth_timeout: 0,
    permissions: null,
    pool_size: DEFAULT_ROUTE_POOL_SIZE,
    accounts: [],
    compression: "",
    ping_interval: 0,
    ping_max: 0,
    write_deadline: 0,
    tls: null,
  };
}

export interface AuthorizationOptions {
  token?: string;
  user?: string;
  password?: string;
  users?: UserConfig[];
  /** Permissions for the single user/token form, and defaults for users without their own. */
  permissions?: Permissions;
  /** Auth timeout in ms (nats-server default 2 s). */
  timeout?: number;
}

export interface ServerOptions {
  host: string;
  port: number;
  server_name: string;
  client_advertise: string;
  /** Tags describing this server (/varz "tags"), lower-cased and without duplicates. */
  server_tags: string[];
  /** Monitoring port; 0 means off. Filled in by the monitoring work. */
  http_port: number;
  http_host: string;
  /** Path prefix of the monitoring endpoints (behind a reverse proxy), e.g. "/nats". */
  http_base_path: string;

  max_payload: number;
  max_control_line: number;
  max_connections: number;
  /** 0 means unlimited. */
  max_subscriptions: number;
  max_pending: number;
  ping_interval: number;
  ping_max: number;
  write_deadline: number;
  lame_duck_duration: number;
  lame_duck_grace_period: number;
  no_header_support: boolean;
  /** Don't send the short first PING after CONNECT. */
  disable_short_first_ping: boolean;

  authorization: AuthorizationOptions;
  no_auth_user: string;
  /** The accounts block (users are in authorization.users with their account). */
  accounts: AccountConfig[];
  /** "" when not configured: the server applies nats-server's "$SYS" default. */
  system_account: string;
  no_system_account: boolean;
  /** Top-level subject mappings: those of the global account $G. */
  mappings: MappingConfig[];
  /** TLS for client connections; null: plaintext only. */
  tls: TLSOptions | null;
  /** With tls: accept plaintext clients too (INFO says tls_available instead of tls_required). */
  allow_non_tls: boolean;
  /** HTTPS monitoring port (uses the tls block's certificate); 0 means off. */
  https_port: number;
  /** The cluster block; null: no clustering. */
  cluster: ClusterOptions | null;

  debug: boolean;
  trace: boolean;
  trace_verbose: boolean;
  max_traced_msg_len: number;
  logtime: boolean;
  logtime_utc: boolean;
  log_file: string;
  logfile_size_limit: number;
  logfile_max_num: number;
  pid_file: string;
  ports_file_dir: string;
  /** Name of the config file the options came from, if any. */
  config_file: string;
}

export const DEFAULT_PORT = 4222;
/** nats-server's AUTH_TIMEOUT (without TLS), in ms. */
export const DEFAULT_AUTH_TIMEOUT = 2000;

export function defaultOptions(): ServerOptions {
  return {
    host: "0.0.0.0",
    port: DEFAULT_PORT,
    server_name: "",
    client_advertise: "",
    server_tags: [],
    http_port: 0,
    http_host: "",
    http_base_path: "",
    max_payload: 1024 * 1024,
    max_control_line: 4096,
    max_connections: 64 * 1024,
    max_subscriptions: 0,
    max_pending: 64 * 1024 * 1024,
    ping_interval: 2 * 60 * 1000,
    ping_max: 2,
    write_deadline: 10 * 1000,
    lame_duck_duration: 2 * 60 * 1000,
    lame_duck_grace_period: 10 * 1000,
    no_header_support: false,
    disable_short_first_ping: false,
    authorization: {},
    no_auth_user: "",
    accounts: [],
    system_account: "",
    no_system_account: false,
    mappings: [],
    tls: null,
    allow_non_tls: false,
    https_port: 0,
    cluster: null,
    debug: false,
    trace: false,
    trace_verbose: false,
    max_traced_msg_len: 0,
    logtime: true,
    logtime_utc: false,
    log_file: "",
    logfile_size_limit: 0,
    logfile_max_num: 0,
    pid_file: "",
    ports_file_dir: "",
    config_file: "",
  };
}

/** Options given by the caller, merged over the defaults. */
export type PartialOptions = Partial<ServerOptions>;

export function resolveOptions(partial: PartialOptions = {}): ServerOptions {
  const o = { ...defaultOptions(), ...partial };
  o.authorization = { ...(partial.authorization ?? {}) };
  o.tls = partial.tls ? { ...defaultTLSOptions(), ...partial.tls } : null;
  o.cluster = partial.cluster ? { ...defaultClusterOptions(), ...partial.cluster } : null;
  setBaselineOptions(o);
  return o;
}

/**
 * A client port from a config file or the command line, as nats-server's setBaselineOptions
 * reads it: 0 is the default port (4222). (The embedding API reads 0 as random, as -1.)
 */
export function configPort(port: number): number {
  return port === 0 ? DEFAULT_PORT : port;
}

/** Go's net.Listen text for a port out of range (only -1 means "any", as RANDOM_PORT). */
export function listenPortError(port: number): string | null {
  return port < -1 || port > 65535 ? `listen tcp: address ${port}: invalid port` : null;
}

/**
 * The client listener's own cap (net.Server.maxConnections), a margin above max_connections
 * so that nats-server's "-ERR 'maximum connections exceeded'" is still sent; none when
 * max_connections is negative, which nats-server reads as no limit.
 */
export function listenerCap(maxConnections: number): number {
  return maxConnections > 0 ? Math.max(maxConnections + 64, 1024) : Infinity;
}

/** nats-server keeps tags as a jwt.TagList: trimmed, lower-cased, each once. */
export function normalizeTags(tags: string[]): string[] {
  const out: string[] = [];
  for (const t of tags) {
    const v = t.trim().toLowerCase();
    if (v !== "" && !out.includes(v)) out.push(v);
  }
  return out;
}

/**
 * What nats-server's setBaselineOptions does to the options before using them (at start-up
 * and on every reload): a zero (or empty) value means the default. Options where 0 has a
 * meaning of its own are left alone: max_subscriptions, max_traced_msg_len,
 * logfile_size_limit and logfile_max_num (0 = unlimited), http_port (0 = off), and port
 * (0 = a random port here; the embedding API and reload have always read it that way).
 * Also where server_tags are normalised, whichever way they were given.
 */
export function setBaselineOptions(o: ServerOptions): void {
  const d = defaultOptions();
  if (o.host === "") o.host = d.host;
  if (o.max_connections === 0) o.max_connections = d.max_connections;
  if (o.ping_interval === 0) o.ping_interval = d.ping_interval;
  if (o.ping_max === 0) o.ping_max = d.ping_max;
  if (o.tls !== null && o.tls.timeout === 0) o.tls.timeout = DEFAULT_TLS_TIMEOUT;
  // nats-server's getDefaultAuthTimeout: with TLS, one second more than the TLS timeout
  if (o.authorization.timeout === 0 || (o.authorization.timeout === undefined && o.tls !== null)) {
    o.authorization.timeout = o.tls !== null ? o.tls.timeout + 1000 : DEFAULT_AUTH_TIMEOUT;
  }
  if (o.max_control_line === 0) o.max_control_line = d.max_control_line;
  if (o.max_payload === 0) o.max_payload = d.max_payload;
  if (o.max_pending === 0) o.max_pending = d.max_pending;
  if (o.write_deadline === 0) o.write_deadline = d.write_deadline;
  if (o.lame_duck_duration === 0) o.lame_duck_duration = d.lame_duck_duration;
  if (o.lame_duck_grace_period === 0) o.lame_duck_grace_period = d.lame_duck_grace_period;
  if (Array.isArray(o.server_tags)) o.server_tags = normalizeTags(o.server_tags);
}
