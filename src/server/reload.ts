// Configuration reload (SIGHUP, --signal reload, Server.reload), following nats-server
// 2.10's reload.go: the new options are compared with the current ones field by field, in
// the order of nats-server's Options struct. A change to an option that cannot change at
// runtime fails the whole reload with nats-server's error text and changes nothing.
// Otherwise every change is applied at once, each logged as nats-server logs it, then the
// logger is reconfigured and every connection is re-checked against the new authorization.
import { writeFileSync } from "node:fs";
import { formatGoDuration, timerMs } from "./duration.js";
import { FileSink, logSinkFromOptions, type LogSink } from "./logger.js";
import type { AuthResult, Authenticator } from "./auth/authenticator.js";
import { DEFAULT_AUTH_TIMEOUT, resolveOptions, type PartialOptions, type ServerOptions } from "./options.js";
import type { ClientConnection } from "./conn/client.js";
import type { Server } from "./server.js";
import { parseHostPort } from "./hostport.js";
import { buildTLSContext, type TLSContext } from "./tls.js";
import type { TLSOptions } from "./options.js";
import { DEFAULT_SYSTEM_ACCOUNT } from "./account.js";

/** A reload refused: nothing was changed. */
export class ReloadError extends Error {}

type Key = keyof ServerOptions;

/** One reloadable change, applied after all of them have been accepted. */
interface Change {
  apply(s: Server): void;
  logging?: boolean;
  auth?: boolean;
}

/** Option keys nats-server prints as time.Duration (%v / %s). */
const DURATIONS = new Set<Key>(["ping_interval", "write_deadline", "lame_duck_duration", "lame_duck_grace_period"]);

/**
 * The options in nats-server's Options field order (which decides the order of the log
 * lines and which error is reported first), with nats-server's field names for errors.
 * "users" and "accounts" stand for nats-server's Users and Accounts fields, which it
 * always treats as changed.
 */
const ORDER: [Key | "users" | "accounts" | "auth.user" | "auth.password" | "auth.token" | "auth.timeout", string][] = [
  ["config_file", "ConfigFile"],
  ["server_name", "ServerName"],
  ["host", "Host"],
  ["port", "Port"],
  ["client_advertise", "ClientAdvertise"],
  ["server_tags", "Tags"],
  ["trace", "Trace"],
  ["debug", "Debug"],
  ["trace_verbose", "TraceVerbose"],
  ["no_header_support", "NoHeaderSupport"],
  ["disable_short_first_ping", "DisableShortFirstPing"],
  ["logtime", "Logtime"],
  ["logtime_utc", "LogtimeUTC"],
  ["max_connections", "MaxConn"],
  ["max_subscriptions", "MaxSubs"],
  ["users", "Users"],
  ["accounts", "Accounts"],
  ["no_auth_user", "NoAuthUser"],
  ["system_account", "SystemAccount"],
  ["no_system_account", "NoSystemAccount"],
  ["auth.user", "Username"],
  ["auth.password", "Password"],
  ["auth.token", "Authorization"],
  ["ping_interval", "PingInterval"],
  ["ping_max", "MaxPingsOut"],
  ["http_host", "HTTPHost"],
  ["http_port", "HTTPPort"],
  ["https_port", "HTTPSPort"],
  ["http_base_path", "HTTPBasePath"],
  ["auth.timeout", "AuthTimeout"],
  ["max_control_line", "MaxControlLine"],
  ["max_payload", "MaxPayload"],
  ["max_pending", "MaxPending"],
  ["pid_file", "PidFile"],
  ["ports_file_dir", "PortsFileDir"],
  ["log_file", "LogFile"],
  ["logfile_size_limit", "LogSizeLimit"],
  ["logfile_max_num", "LogMaxFiles"],
  ["tls", "TLSConfig"],
  ["allow_non_tls", "AllowNonTLS"],
  ["write_deadline", "WriteDeadline"],
  ["lame_duck_duration", "LameDuckDuration"],
  ["lame_duck_grace_period", "LameDuckGracePeriod"],
  ["max_traced_msg_len", "MaxTracedMsgLen"],
];

const KNOWN = new Set<string>(ORDER.map(([k]) => k));
KNOWN.add("authorization");
// top-level mappings are the global account's in nats-server: part of its Accounts
KNOWN.add("mappings");

/** nats-server's SystemAccount option once it runs: as configured, or $SYS when an account has that name. */
function effectiveSystemAccount(o: ServerOptions): string {
  if (o.system_account !== "") return o.system_account;
  return o.accounts.some((a) => a.name === DEFAULT_SYSTEM_ACCOUNT) ? DEFAULT_SYSTEM_ACCOUNT : "";
}

/** Go's %v of an option value, for error texts. */
function show(key: string, v: unknown): string {
  if (DURATIONS.has(key as Key) && typeof v === "number") return formatGoDuration(v);
  if (v === undefined || v === null) return "";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function notSupported(goName: string, key: string, oldV: unknown, newV: unknown): ReloadError {
  return new ReloadError(`config reload not supported for ${goName}: old=${show(key, oldV)}, new=${show(key, newV)}`);
}

/**
 * Open the sink for the new log_file before anything changes, so a bad path fails the reload.
 * The file sink rotates with the (unchanged) logfile_size_limit / logfile_max_num.
 */
function openSink(o: ServerOptions): LogSink {
  try {
    return logSinkFromOptions(o);
  } catch (e) {
    throw new ReloadError((e as Error).message);
  }
}

/**
 * Compare current and new options; the list of changes to apply, or a ReloadError for the
 * first option (in nats-server's order) that cannot change at runtime.
 */
export function diffOptions(s: Server, cur: ServerOptions, next: ServerOptions): Change[] {
  const changes: Change[] = [];
  const ca = cur.authorization;
  const na = next.authorization;
  for (const [key, goName] of ORDER) {
    switch (key) {
      case "users":
        // nats-server compares neither users nor accounts: both always count as changed
        changes.push({ auth: true, apply: (sv) => sv.logger.noticef("Reloaded: authorization users") });
        continue;
      case "accounts":
        changes.push({ auth: true, apply: (sv) => sv.logger.noticef("Reloaded: accounts") });
        continue;
      case "auth.user":
        if ((ca.user ?? "") !== (na.user ?? "")) {
          changes.push({ auth: true, apply: (sv) => sv.logger.noticef("Reloaded: authorization username") });
        }
        continue;
      case "auth.password":
        if ((ca.password ?? "") !== (na.password ?? "")) {
          changes.push({ auth: true, apply: (sv) => sv.logger.noticef("Reloaded: authorization password") });
        }
        continue;
      case "auth.token":
        if ((ca.token ?? "") !== (na.token ?? "")) {
          changes.push({ auth: true, apply: (sv) => sv.logger.noticef("Reloaded: authorization token") });
        }
        continue;
      case "auth.timeout": {
        const o = ca.timeout ?? DEFAULT_AUTH_TIMEOUT;
        const n = na.timeout ?? DEFAULT_AUTH_TIMEOUT;
        if (o !== n) {
          // nats-server keeps it in seconds as a float64 and prints it with %v
          changes.push({ apply: (sv) => sv.logger.noticef(`Reloaded: authorization timeout = ${n / 1000}`) });
        }
        continue;
      }
      case "tls":
        tlsChanges(s, cur, next, changes);
        continue;
      case "system_account": {
        // The system account cannot change at runtime. nats-server compares what it runs
        // with, which is $SYS once an account of that name is configured, with what the new
        // file says; a $SYS that is no longer named explicitly is let go (nothing changes).
        const oldV = effectiveSystemAccount(cur);
        const newV = next.system_account;
        if (oldV === newV || (oldV === DEFAULT_SYSTEM_ACCOUNT && newV === "")) continue;
        throw notSupported(goName, key, oldV, newV);
      }
      default:
        break;
    }
    const oldV: unknown = cur[key];
    const newV: unknown = next[key];
    if (key === "port") {
      // a random port (-1, or 0) on reload means the port already in use
      if (newV === -1 || newV === 0) continue;
      if (newV !== s.port) throw notSupported(goName, key, s.port, newV);
      continue;
    }
    if (same(oldV, newV)) continue;
    switch (key) {
      case "trace":
      case "debug":
      case "trace_verbose":
      case "logtime":
      case "logtime_utc":
        changes.push({ logging: true, apply: (sv) => sv.logger.noticef(`Reloaded: ${key} = ${String(newV)}`) });
        break;
      case "log_file":
        changes.push({ logging: true, apply: (sv) => sv.logger.noticef(`Reloaded: log_file = ${String(newV)}`) });
        break;
      case "disable_short_first_ping":
        // nats-server silently keeps the value it started with
        next.disable_short_first_ping = cur.disable_short_first_ping;
        break;
      case "server_tags":
        changes.push({ apply: (sv) => sv.logger.noticef("Reloaded: tags") });
        break;
      case "client_advertise":
        if (newV !== "") {
          try {
            parseHostPort(String(newV), s.port);
          } catch (e) {
            throw new ReloadError(`invalid ClientAdvertise value of ${String(newV)}, err=${(e as Error).message}`);
          }
        }
        changes.push({
          apply: (sv) => {
            sv.setClientAdvertise();
            sv.logger.noticef(`Reload: client_advertise = ${String(newV)}`);
          },
        });
        break;
      case "max_connections":
        changes.push({ apply: (sv) => applyMaxConn(sv, newV as number) });
        break;
      case "pid_file":
        changes.push({
          apply: (sv) => {
            if (newV === "") return;
            try {
              writeFileSync(newV as string, String(process.pid));
            } catch (e) {
              sv.logger.errorf(`Failed to write pidfile: ${(e as Error).message}`);
            }
            sv.logger.noticef(`Reloaded: pid_file = ${String(newV)}`);
          },
        });
        break;
      case "ports_file_dir":
        changes.push({
          apply: (sv) => {
            sv.reloadPortsFile();
            sv.logger.noticef(`Reloaded: ports_file_dir = ${String(newV)}`);
          },
        });
        break;
      case "max_control_line":
        changes.push({
          apply: (sv) => {
            for (const c of sv.clients.values()) c.setMaxControlLine(newV as number);
            sv.logger.noticef(`Reloaded: max_control_line = ${String(newV)}`);
          },
        });
        break;
      case "max_payload":
        // new connections see it in INFO; existing ones are held to it from now on
        changes.push({ apply: (sv) => sv.logger.noticef(`Reloaded: max_payload = ${String(newV)}`) });
        break;
      case "ping_interval":
      case "write_deadline":
        changes.push({ apply: (sv) => sv.logger.noticef(`Reloaded: ${key} = ${formatGoDuration(newV as number)}`) });
        break;
      case "ping_max":
      case "max_traced_msg_len":
        changes.push({ apply: (sv) => sv.logger.noticef(`Reloaded: ${key} = ${String(newV)}`) });
        break;
      case "no_auth_user": {
        // nats-server only accepts dropping no_auth_user together with that user
        const stillUser = (na.users ?? []).some((u) => u.user === oldV);
        if (oldV !== "" && newV === "" && !stillUser) break;
        throw notSupported(goName, key, oldV, newV);
      }
      default:
        throw notSupported(goName, key, oldV, newV);
    }
  }
  // options nats-server does not have, or that arrived after this table: not reloadable
  for (const key of Object.keys(next) as Key[]) {
    if (KNOWN.has(key)) continue;
    if (!same(cur[key], next[key])) throw notSupported(key, key, cur[key], next[key]);
  }
  return changes;
}

/**
 * The tls block: the certificate, key and CA are read again on every reload (a renewed
 * certificate under the same file name is picked up); a file that fails to load refuses the
 * reload. New connections use the new context; open ones keep theirs and are not dropped.
 * Logged as nats-server logs its TLSTimeout, TLSConfig, TLSPinnedCerts and handshake-first
 * changes.
 */
function tlsChanges(s: Server, cur: ServerOptions, next: ServerOptions, changes: Change[]): void {
  const o = cur.tls;
  const n = next.tls;
  let ctx: TLSContext | null = null;
  if (n !== null) {
    try {
      ctx = buildTLSContext(n);
    } catch (e) {
      throw new ReloadError((e as Error).message);
    }
  }
  const log = (msg: string) => changes.push({ apply: (sv) => sv.logger.noticef(msg) });
  if ((o?.timeout ?? 2000) !== (n?.timeout ?? 2000)) log(`Reloaded: tls timeout = ${(n?.timeout ?? 2000) / 1000}`);
  const files = (t: TLSOptions | null, c: TLSContext | null) =>
    t === null || c === null ? "" : `${JSON.stringify(t)}\0${c.fingerprint}`;
  if (files(o, s.tlsContext) !== files(n, ctx)) log(`Reloaded: tls = ${n !== null ? "enabled" : "disabled"}`);
  if (!same(o?.pinned_certs ?? [], n?.pinned_certs ?? [])) log(`Reloaded: ${n?.pinned_certs.length ?? 0} pinned_certs`);
  if ((o?.handshake_first ?? false) !== (n?.handshake_first ?? false)) {
    log(`Reloaded: Client TLS handshake first: ${String(n?.handshake_first ?? false)}`);
  }
  if ((o?.handshake_first_fallback ?? 0) !== (n?.handshake_first_fallback ?? 0)) {
    log(`Reloaded: Client TLS handshake first fallback delay: ${formatGoDuration(n?.handshake_first_fallback ?? 0)}`);
  }
  changes.push({ apply: (sv) => sv.setTLSContext(ctx) });
}

/** max_connections lowered below the number connected: close the newest over the limit. */
function applyMaxConn(s: Server, max: number): void {
  const clients = [...s.clients.values()];
  if (max > 0 && clients.length > max) {
    // nats-server picks them in Go's random map order; the newest are as good a choice
    clients.sort((a, b) => b.cid - a.cid);
    const n = clients.length - max;
    for (let i = 0; i < n; i++) clients[i].maxConnExceeded();
    s.logger.noticef(`Closed ${n} connections to fall within max_connections`);
  }
  s.reloadListenerLimits();
  s.logger.noticef(`Reloaded: max_connections = ${max}`);
}

/**
 * Reload the server with new options (merged over the current ones). All-or-nothing:
 * rejects with a ReloadError, changing nothing, when an option cannot change at runtime
 * or the new set is invalid.
 */
export async function reloadServer(s: Server, partial: PartialOptions): Promise<void> {
  const cur = s.opts;
  const next = resolveOptions({ ...cur, ...partial });
  if (partial.authorization === undefined) next.authorization = { ...cur.authorization };
  const changes = diffOptions(s, cur, next);
  const auth: Authenticator = s.customAuth ? s.auth : s.newAuthenticator(next);
  try {
    s.checkOptions(next, auth);
  } catch (e) {
    throw new ReloadError((e as Error).message);
  }
  const logging = changes.some((c) => c.logging === true);
  // nats-server's ConfigureLogger builds a new logger on any logging change. Here the sink
  // is built anew when it is (or becomes) a file, which carries logtime for its own lines;
  // a sink from the embedding application is never replaced. Opened before anything
  // changes, so a file that cannot be opened refuses the reload.
  const newSink =
    logging && !s.customLogger && (next.log_file !== cur.log_file || s.logger.sink instanceof FileSink)
      ? openSink(next)
      : null;

  // from here on nothing can fail: swap the options and the authenticator, then apply
  s.applyConfig(next, auth);
  for (const c of changes) c.apply(s);
  if (logging) {
    if (s.customLogger) s.logger.configure({ debug: next.debug, trace: next.trace });
    else if (newSink !== null) s.logger.reconfigure(next, newSink);
    else s.logger.configure({ debug: next.debug, trace: next.trace, time: next.logtime, utc: next.logtime_utc });
  }
  // accounts always count as changed (nats-server's accountsOption): new ones are usable
  // before anyone is re-checked; removed ones go once the clients they held are closed
  const removed = s.reconfigureAccounts(cur, next);
  if (changes.some((c) => c.auth === true)) await reloadAuthorization(s);
  for (const acc of removed) s.unregisterAccount(acc);
  s.configLoaded();
  s.logger.noticef("Reloaded server configuration");
}

/**
 * Re-check every connection against the (new) authenticator, as nats-server's
 * reloadAuthorization does:
 * - one that logged in with a user name (or nkey) that the users list no longer holds, or
 *   whose user moved to another account (its account removed included), is closed ("Client
 *   Closed", no -ERR); reloadServer then removes the accounts no longer configured;
 * - one whose credentials no longer pass gets -ERR 'Authorization Violation' and is closed
 *   ("Authentication Failure");
 * - the others take their new permissions and lose the subscriptions those deny.
 */
function movedOrRemoved(auth: Authenticator, name: string, account: string): boolean {
  const acc = auth.userAccount?.(name);
  if (acc !== undefined) return acc !== account;
  // Not in a users list. nats-server also closes, on every reload, clients of the single
  // user/password form and clients that sent a user name to a server without
  // authorization (it finds no users map for them). tsnats does not: such a client is
  // re-checked like any other below and stays when its credentials still pass, so a
  // reload that changes nothing about it (a log level, say) drops no one.
  return auth.hasUserList?.() ?? true;
}

async function reloadAuthorization(s: Server): Promise<void> {
  const auth = s.auth;
  // an asynchronous check that does not answer within the auth timeout counts as refused,
  // so that an authenticator that never answers cannot hold up this and every later reload
  const limit = s.opts.authorization.timeout ?? DEFAULT_AUTH_TIMEOUT;
  const moved: ClientConnection[] = [];
  const rest: ClientConnection[] = [];
  for (const c of s.clients.values()) {
    const req = c.reloadAuthRequest();
    if (req === null) {
      // CONNECT not seen yet: the new authenticator checks it when it comes
      c.reloadPendingAuth(auth.authRequired);
      continue;
    }
    // as nats-server's clientHasMovedToDifferentAccount: an nkey user by its key, else by name
    const name = (req.nkey ?? "") !== "" ? (req.nkey as string) : (req.user ?? "");
    if (name !== "" && auth.userAccount !== undefined && movedOrRemoved(auth, name, c.account)) moved.push(c);
    else rest.push(c);
  }
  for (const c of moved) c.close("Client Closed");
  const pending: Promise<void>[] = [];
  const finish = (c: ClientConnection, res: AuthResult | null): void => {
    if (c.closed) return;
    if (res === null) c.reloadAuthViolation();
    else c.reloadPermissions(res);
  };
  for (const c of rest) {
    if (c.closed) continue;
    const req = c.reloadAuthRequest();
    if (req === null) continue;
    let r: AuthResult | null | Promise<AuthResult | null>;
    try {
      r = auth.authenticate(req);
    } catch {
      r = null;
    }
    if (r instanceof Promise) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), timerMs(limit));
      });
      pending.push(
        Promise.race([r, timedOut]).then(
          (res) => {
            clearTimeout(timer);
            finish(c, res);
          },
          () => {
            clearTimeout(timer);
            finish(c, null);
          },
        ),
      );
    } else finish(c, r);
  }
  if (pending.length > 0) await Promise.all(pending);
}
