// From a parsed config file to server options, with nats-server's field names, units and
// error style: every problem is reported as `file:line:column: message`, all of them at once.
import { parseConfigFile, formatPosition, type ConfigMap, type ConfigValue } from "./parser.js";
import { formatGoDuration, parseGoDuration } from "../duration.js";
import { normalizeTags } from "../options.js";
import { parseTLSBlock } from "./tls.js";
import { isValidPublicUserKey } from "../auth/nkeys.js";
import type {
  AuthorizationOptions,
  PartialOptions,
  Permissions,
  ResponsePermission,
  SubjectPermission,
  UserConfig,
} from "../options.js";

export class ConfigLoadError extends Error {
  constructor(readonly errors: string[]) {
    super(errors.join("\n"));
  }
}

class Ctx {
  errors: string[] = [];
  warnings: string[] = [];
  err(v: ConfigValue, msg: string): void {
    this.errors.push(`${formatPosition(v)}: ${msg}`);
  }
}

function kindName(v: ConfigValue): string {
  return v.kind === "map" ? "a map" : v.kind === "array" ? "an array" : `a ${v.kind} (${JSON.stringify(String(v.value))})`;
}

function int(ctx: Ctx, field: string, v: ConfigValue): number | undefined {
  if (v.kind === "integer") return Number(v.value);
  if (v.kind === "float" && Number.isInteger(v.value)) return v.value;
  ctx.err(v, `error parsing ${field}: expected an integer, got ${kindName(v)}`);
  return undefined;
}

function bool(ctx: Ctx, field: string, v: ConfigValue): boolean | undefined {
  if (v.kind === "boolean") return v.value;
  ctx.err(v, `error parsing ${field}: expected a boolean, got ${kindName(v)}`);
  return undefined;
}

function str(ctx: Ctx, field: string, v: ConfigValue): string | undefined {
  if (v.kind === "string") return v.value;
  // bare numbers used as names or passwords are strings to nats-server too
  if (v.kind === "integer" || v.kind === "float") return String(v.value);
  ctx.err(v, `error parsing ${field}: expected a string, got ${kindName(v)}`);
  return undefined;
}

/** A duration: a Go duration string, or (deprecated) a number of seconds. */
function duration(ctx: Ctx, field: string, v: ConfigValue): number | undefined {
  if (v.kind === "string") {
    const d = parseGoDuration(v.value);
    if (d === null) {
      ctx.err(v, `error parsing ${field}: ${goDurationError(v.value)}`);
      return undefined;
    }
    return d;
  }
  if (v.kind === "integer" || v.kind === "float") {
    ctx.warnings.push(`${formatPosition(v)}: invalid use of field "${field}": ${field} should be converted to a duration`);
    return Number(v.value) * 1000;
  }
  ctx.err(v, `error parsing ${field}: expected a duration, got ${kindName(v)}`);
  return undefined;
}

/** Go's time.ParseDuration error text for a string it refuses. */
function goDurationError(orig: string): string {
  const q = JSON.stringify(orig);
  let s = orig.replace(/^[-+]/, "");
  if (s === "") return `time: invalid duration ${q}`;
  while (s !== "") {
    const num = /^\d*(?:\.\d*)?/.exec(s)![0];
    if (num === "" || num === ".") return `time: invalid duration ${q}`;
    s = s.slice(num.length);
    const unit = /^[^.\d]*/.exec(s)![0];
    if (unit === "") return `time: missing unit in duration ${q}`;
    if (!["ns", "us", "µs", "μs", "ms", "s", "m", "h"].includes(unit)) return `time: unknown unit ${JSON.stringify(unit)} in duration ${q}`;
    s = s.slice(unit.length);
  }
  return `time: invalid duration ${q}`;
}

/** Seconds as a number (auth timeout); a duration string is accepted too. */
function seconds(ctx: Ctx, field: string, v: ConfigValue): number | undefined {
  if (v.kind === "integer" || v.kind === "float") return Number(v.value) * 1000;
  if (v.kind === "string") return duration(ctx, field, v);
  ctx.err(v, `error parsing ${field}: expected a number of seconds, got ${kindName(v)}`);
  return undefined;
}

function strList(ctx: Ctx, field: string, v: ConfigValue): string[] | undefined {
  if (v.kind === "string") return [v.value];
  if (v.kind === "array") {
    const out: string[] = [];
    for (const e of v.value) {
      const s = str(ctx, field, e);
      if (s !== undefined) out.push(s);
    }
    return out;
  }
  ctx.err(v, `error parsing ${field}: expected a string or an array of strings, got ${kindName(v)}`);
  return undefined;
}

function subjectPermission(ctx: Ctx, field: string, v: ConfigValue): SubjectPermission | undefined {
  if (v.kind === "string" || v.kind === "array") {
    const allow = strList(ctx, field, v);
    return allow === undefined ? undefined : { allow };
  }
  if (v.kind !== "map") {
    ctx.err(v, `error parsing ${field}: expected a subject, a list or a map, got ${kindName(v)}`);
    return undefined;
  }
  const p: SubjectPermission = {};
  for (const [k, e] of v.value) {
    switch (k.toLowerCase()) {
      case "allow":
        p.allow = strList(ctx, `${field}.allow`, e);
        break;
      case "deny":
        p.deny = strList(ctx, `${field}.deny`, e);
        break;
      default:
        if (!e.usedVariable) {
          ctx.err(e, `Unknown field name "${k}" parsing subject permissions, only 'allow' or 'deny' are permitted`);
        }
    }
  }
  return p;
}

const DEFAULT_RESPONSE: ResponsePermission = { max: 1, expires: 2 * 60 * 1000 };

function responsePermission(ctx: Ctx, v: ConfigValue): ResponsePermission | undefined {
  if (v.kind === "boolean") return v.value ? { ...DEFAULT_RESPONSE } : undefined;
  if (v.kind !== "map") {
    ctx.err(v, `error parsing allow_responses: expected a boolean or a map, got ${kindName(v)}`);
    return undefined;
  }
  const r: ResponsePermission = { ...DEFAULT_RESPONSE };
  for (const [k, e] of v.value) {
    switch (k.toLowerCase()) {
      case "max":
      case "max_msgs":
      case "max_messages":
      case "max_responses": {
        const n = int(ctx, k, e);
        if (n !== undefined) r.max = n;
        break;
      }
      case "expires":
      case "expiration":
      case "ttl": {
        const d = duration(ctx, k, e);
        if (d !== undefined) r.expires = d;
        break;
      }
      default:
        if (!e.usedVariable) ctx.err(e, `Unknown field "${k}" parsing permissions`);
    }
  }
  return r;
}

function permissions(ctx: Ctx, v: ConfigValue): Permissions | undefined {
  if (v.kind !== "map") {
    ctx.err(v, `error parsing permissions: expected a map, got ${kindName(v)}`);
    return undefined;
  }
  const p: Permissions = {};
  for (const [k, e] of v.value) {
    switch (k.toLowerCase()) {
      case "pub":
      case "publish":
      case "import":
        p.publish = subjectPermission(ctx, "publish", e);
        break;
      case "sub":
      case "subscribe":
      case "export":
        p.subscribe = subjectPermission(ctx, "subscribe", e);
        break;
      case "allow_responses":
      case "publish_allow_responses":
      case "allow_responses_msgs":
        p.allow_responses = responsePermission(ctx, e);
        break;
      default:
        if (!e.usedVariable) ctx.err(e, `Unknown field "${k}" parsing permissions`);
    }
  }
  return p;
}

function users(ctx: Ctx, v: ConfigValue): UserConfig[] {
  if (v.kind !== "array") {
    ctx.err(v, `error parsing users: expected an array, got ${kindName(v)}`);
    return [];
  }
  const out: UserConfig[] = [];
  for (const e of v.value) {
    if (e.kind !== "map") {
      ctx.err(e, `error parsing users: expected a map for each user, got ${kindName(e)}`);
      continue;
    }
    const u: Partial<UserConfig> = {};
    for (const [k, f] of e.value) {
      switch (k.toLowerCase()) {
        case "user":
        case "username":
          u.user = str(ctx, "user", f);
          break;
        case "pass":
        case "password":
          u.password = str(ctx, "password", f);
          break;
        case "permission":
        case "permissions":
        case "authorization":
          u.permissions = permissions(ctx, f);
          break;
        case "account":
          u.account = str(ctx, "account", f);
          break;
        case "nkey":
          u.nkey = str(ctx, "nkey", f);
          break;
        default:
          if (!f.usedVariable) ctx.err(f, `unknown field "${k}"`);
      }
    }
    if (u.nkey !== undefined && u.nkey !== "") {
      // nats-server's parseUsers checks, reported at the entry
      if (!isValidPublicUserKey(u.nkey)) ctx.err(e, "Not a valid public nkey for a user");
      else if (u.user !== undefined || u.password !== undefined) ctx.err(e, "Nkey users do not take usernames or passwords");
      else out.push({ user: u.nkey, password: "", nkey: u.nkey, permissions: u.permissions, account: u.account });
      continue;
    }
    if (u.user === undefined || u.user === "") {
      // nats-server reports it at the entry's last field
      let last: ConfigValue = e;
      for (const f of e.value.values()) last = f;
      ctx.err(last, "User entry requires a user");
      continue;
    }
    out.push({ user: u.user, password: u.password ?? "", permissions: u.permissions, account: u.account });
  }
  return out;
}

function authorization(ctx: Ctx, v: ConfigValue): AuthorizationOptions {
  const a: AuthorizationOptions = {};
  if (v.kind !== "map") {
    ctx.err(v, `error parsing authorization: expected a map, got ${kindName(v)}`);
    return a;
  }
  for (const [k, e] of v.value) {
    switch (k.toLowerCase()) {
      case "user":
      case "username":
        a.user = str(ctx, "user", e);
        break;
      case "pass":
      case "password":
        a.password = str(ctx, "password", e);
        break;
      case "token":
        a.token = str(ctx, "token", e);
        break;
      case "timeout":
        a.timeout = seconds(ctx, "timeout", e);
        break;
      case "users":
        a.users = users(ctx, e);
        break;
      case "default_permission":
      case "default_permissions":
      case "permissions":
        a.permissions = permissions(ctx, e);
        break;
      default:
        if (!e.usedVariable) ctx.err(e, `unknown field "${k}"`);
    }
  }
  // nats-server's checks, in its order, each reported at the authorization key, first one only
  if ((a.user !== undefined || a.password !== undefined) && a.token !== undefined) {
    ctx.err(v, "Cannot have a user/pass and token");
  } else if (a.users !== undefined && a.user !== undefined) {
    ctx.err(v, "Can not have a single user/pass and a users array");
  } else if (a.users !== undefined && a.token !== undefined) {
    ctx.err(v, "Can not have a token and a users array");
  } else if (a.users !== undefined) {
    const seen = new Set<string>();
    for (const u of a.users) {
      if (seen.has(u.user)) {
        ctx.err(v, u.nkey !== undefined ? `Duplicate nkey "${u.nkey}" detected` : `Duplicate user "${u.user}" detected`);
        break;
      }
      seen.add(u.user);
    }
  }
  return a;
}

/** Options nats-server knows that tsnats accepts but that belong to features not built yet. */
const NOT_YET: Record<string, string> = {
  cluster: "clustering",
  gateway: "gateways",
  leafnodes: "leaf nodes",
  leaf: "leaf nodes",
  jetstream: "JetStream",
  accounts: "accounts",
  operator: "operator mode",
  operators: "operator mode",
  resolver: "operator mode",
  system_account: "accounts",
  websocket: "websocket",
  mqtt: "MQTT",
  syslog: "syslog",
  remote_syslog: "syslog",
};

/**
 * Parse a config file into options. Throws ConfigError (syntax) or ConfigLoadError (fields,
 * with the warnings listed first, as nats-server reports them). Warnings (a number of seconds
 * for a duration, an empty file) are appended to `warnings`: nats-server prints them and starts,
 * but `-t` fails on them.
 */
export function loadConfigOptions(file: string, warnings: string[] = []): PartialOptions {
  const map = parseConfigFile(file);
  const { opts, errors, warnings: w } = optionsFromConfig(map);
  if (map.size === 0) warnings.push(`${file}: config has no values or is empty`);
  warnings.push(...w);
  if (errors.length > 0) throw new ConfigLoadError([...warnings, ...errors]);
  opts.config_file = file;
  return opts;
}

export function optionsFromConfig(map: ConfigMap): { opts: PartialOptions; errors: string[]; warnings: string[] } {
  const ctx = new Ctx();
  const o: PartialOptions = {};
  for (const [key, v] of map) {
    const k = key.toLowerCase();
    switch (k) {
      case "listen": {
        if (v.kind === "integer") {
          // only a port, as nats-server's parseListen
          o.port = Number(v.value);
          break;
        }
        const s = str(ctx, k, v);
        if (s !== undefined) {
          const m = /^(.*):(-?\d+)$/.exec(s);
          if (m === null) ctx.err(v, `could not parse address string "${s}"`);
          else {
            o.host = m[1].replace(/^\[(.*)\]$/, "$1");
            o.port = Number(m[2]);
          }
        }
        break;
      }
      case "host":
      case "net":
        o.host = str(ctx, k, v);
        break;
      case "port":
        o.port = int(ctx, k, v);
        break;
      case "server_name":
        o.server_name = str(ctx, k, v);
        break;
      case "server_tags": {
        const tags = strList(ctx, "tags", v);
        if (tags !== undefined) o.server_tags = normalizeTags(tags);
        break;
      }
      case "client_advertise":
        o.client_advertise = str(ctx, k, v);
        break;
      case "http_port":
      case "monitor_port":
        o.http_port = int(ctx, k, v);
        break;
      case "https_port":
        o.https_port = int(ctx, k, v);
        break;
      case "tls":
        // TLS for clients (src/server/config/tls.ts)
        o.tls = parseTLSBlock(v, (at, msg) => ctx.err(at, msg));
        break;
      case "allow_non_tls":
        o.allow_non_tls = bool(ctx, k, v);
        break;
      case "http_base_path":
        o.http_base_path = str(ctx, k, v);
        break;
      case "http": {
        const s = str(ctx, k, v);
        if (s !== undefined) {
          const m = /^(.*):(-?\d+)$/.exec(s);
          if (m === null) {
            if (/^-?\d+$/.test(s)) o.http_port = Number(s);
            else ctx.err(v, `could not parse address string "${s}"`);
          } else {
            o.http_host = m[1];
            o.http_port = Number(m[2]);
          }
        }
        break;
      }
      case "max_payload":
        o.max_payload = int(ctx, k, v);
        break;
      case "max_control_line":
        o.max_control_line = int(ctx, k, v);
        break;
      case "max_connections":
      case "max_conn":
        o.max_connections = int(ctx, k, v);
        break;
      case "max_subscriptions":
      case "max_subs":
        o.max_subscriptions = int(ctx, k, v);
        break;
      case "max_pending":
        o.max_pending = int(ctx, k, v);
        break;
      case "ping_interval":
        o.ping_interval = duration(ctx, k, v);
        break;
      case "ping_max":
        o.ping_max = int(ctx, k, v);
        break;
      case "write_deadline":
        o.write_deadline = duration(ctx, k, v);
        break;
      case "lame_duck_duration": {
        const d = duration(ctx, k, v);
        if (d !== undefined && d < 30000) {
          ctx.err(v, `invalid lame_duck_duration of ${formatGoDuration(d)}, minimum is 30 seconds`);
        } else o.lame_duck_duration = d;
        break;
      }
      case "lame_duck_grace_period": {
        const d = duration(ctx, k, v);
        if (d !== undefined && d < 0) ctx.err(v, "invalid lame_duck_grace_period, needs to be positive");
        else o.lame_duck_grace_period = d;
        break;
      }
      case "no_header_support":
        o.no_header_support = bool(ctx, k, v);
        break;
      case "disable_short_first_ping":
        o.disable_short_first_ping = bool(ctx, k, v);
        break;
      case "authorization":
        o.authorization = authorization(ctx, v);
        break;
      case "no_auth_user":
        o.no_auth_user = str(ctx, k, v);
        break;
      case "debug":
        o.debug = bool(ctx, k, v);
        break;
      case "trace":
        o.trace = bool(ctx, k, v);
        break;
      case "trace_verbose":
        // nats-server sets trace along with it, to the same value
        o.trace_verbose = o.trace = bool(ctx, k, v);
        break;
      case "max_traced_msg_len":
        o.max_traced_msg_len = int(ctx, k, v);
        break;
      case "logtime":
        o.logtime = bool(ctx, k, v);
        break;
      case "logtime_utc":
        o.logtime_utc = bool(ctx, k, v);
        break;
      case "log_file":
      case "logfile":
        o.log_file = str(ctx, k, v);
        break;
      case "logfile_size_limit":
      case "log_size_limit":
        o.logfile_size_limit = int(ctx, k, v);
        break;
      case "logfile_max_num":
      case "log_max_num":
        o.logfile_max_num = int(ctx, k, v);
        break;
      case "pid_file":
      case "pidfile":
        o.pid_file = str(ctx, k, v);
        break;
      case "ports_file_dir":
        o.ports_file_dir = str(ctx, k, v);
        break;
      case "syslog":
        // only "off" can be honoured: logging goes to stderr or log_file
        if (bool(ctx, k, v) === true) ctx.err(v, `syslog ("${key}") is not supported by tsnats-server yet`);
        break;
      default:
        if (k in NOT_YET) {
          ctx.err(v, `${NOT_YET[k]} ("${key}") is not supported by tsnats-server yet`);
        } else if (!v.usedVariable) {
          ctx.err(v, `unknown field "${key}"`);
        }
    }
  }
  // drop the undefined entries left by fields that failed to parse
  for (const k of Object.keys(o) as (keyof PartialOptions)[]) if (o[k] === undefined) delete o[k];
  return { opts: o, errors: ctx.errors, warnings: ctx.warnings };
}

// tags are normalised where every way of giving options meets (resolveOptions); kept here too
export { normalizeTags };
