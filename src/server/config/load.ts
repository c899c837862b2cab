// From a parsed config file to server options, with nats-server's field names, units and
// error style: every problem is reported as `file:line:column: message`, all of them at once.
import { parseConfigFile, formatPosition, goType, type ConfigMap, type ConfigValue } from "./parser.js";
import { formatGoDuration, parseGoDuration } from "../duration.js";
import { configPort, normalizeTags } from "../options.js";
import { isValidSubject } from "../../protocol/subject.js";
import { parseTLSBlock } from "./tls.js";
import { isValidPublicAccountKey, isValidPublicUserKey } from "../auth/nkeys.js";
import { accountGraphErrors, validateMappingHook } from "./accounts.js";
import type {
  AccountConfig,
  AuthorizationOptions,
  ExportConfig,
  ImportConfig,
  MappingConfig,
  MappingDest,
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
  /** User names and nkeys seen so far, across authorization and accounts (nats-server's uorn). */
  userNames = new Set<string>();
  /** The authorization block, once parsed: its single user, or its token, is given. */
  authSingleUser = false;
  authToken = false;
  /** Users of the accounts block, with their account. */
  accountUsers: UserConfig[] = [];
  err(v: ConfigValue, msg: string): void {
    this.errors.push(`${formatPosition(v)}: ${msg}`);
  }
}

function kindName(v: ConfigValue): string {
  if (v.kind === "map") return "a map";
  if (v.kind === "array") return "an array";
  return `${v.kind === "integer" ? "an" : "a"} ${v.kind} (${JSON.stringify(String(v.value))})`;
}

/** An integer, as nats-server's `v.(int64)`: a float (even `2.0`) is refused. */
function int(ctx: Ctx, field: string, v: ConfigValue): number | undefined {
  if (v.kind === "integer") return Number(v.value);
  ctx.err(v, `error parsing ${field}: expected an integer, got ${kindName(v)}`);
  return undefined;
}

/**
 * nats-server keeps max_payload and max_control_line in an int32: it refuses more than
 * 2^31-1 and truncates below -2^31 as Go's int32() does.
 */
function int32Size(ctx: Ctx, key: string, v: ConfigValue): number | undefined {
  const n = int(ctx, key.toLowerCase(), v);
  if (n === undefined || v.kind !== "integer") return undefined;
  if (n > 2 ** 31 - 1) {
    // the key as written, as nats-server reports it
    ctx.err(v, `${key} value is too big`);
    return undefined;
  }
  return Number(BigInt.asIntN(32, BigInt(v.value)));
}

function bool(ctx: Ctx, field: string, v: ConfigValue): boolean | undefined {
  if (v.kind === "boolean") return v.value;
  ctx.err(v, `error parsing ${field}: expected a boolean, got ${kindName(v)}`);
  return undefined;
}

/** A string, as nats-server's `v.(string)`: a bare number (`token: 1234`) is refused; quote it. */
function str(ctx: Ctx, field: string, v: ConfigValue): string | undefined {
  if (v.kind === "string") return v.value;
  ctx.err(v, `error parsing ${field}: expected a string, got ${kindName(v)}`);
  return undefined;
}

/** A Go duration string (time.ParseDuration), in ms. */
function durationString(ctx: Ctx, field: string, v: ConfigValue): number | undefined {
  if (v.kind !== "string") {
    // lame_duck_duration and lame_duck_grace_period take only a string in nats-server
    ctx.err(v, `error parsing ${field}: expected a duration string, got ${kindName(v)}`);
    return undefined;
  }
  const d = parseGoDuration(v.value);
  if (d === null) {
    ctx.err(v, `error parsing ${field}: ${goDurationError(v.value)}`);
    return undefined;
  }
  return d;
}

/**
 * A duration: a Go duration string, or (deprecated) an integer number of seconds. As
 * nats-server's parseDuration, anything but a string gets the warning first, and anything but
 * a string or an integer is an error as well.
 */
function duration(ctx: Ctx, field: string, v: ConfigValue): number | undefined {
  if (v.kind === "string") return durationString(ctx, field, v);
  ctx.warnings.push(
    `${formatPosition(v)}: invalid use of field "${field}": ${field} should be converted to a duration`,
  );
  if (v.kind === "integer") return Number(v.value) * 1000;
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
    if (!["ns", "us", "µs", "μs", "ms", "s", "m", "h"].includes(unit))
      return `time: unknown unit ${JSON.stringify(unit)} in duration ${q}`;
    s = s.slice(unit.length);
  }
  return `time: invalid duration ${q}`;
}

/**
 * The authorization timeout, in ms: a number of seconds (integer or float). nats-server reads
 * anything else (a duration string such as "5s", a boolean...) silently as 1 second; so does
 * tsnats, so that one file means one thing on both (docs/config.md).
 */
function authSeconds(v: ConfigValue): number {
  if (v.kind === "integer" || v.kind === "float") return Number(v.value) * 1000;
  return 1000;
}

/**
 * nats-server's parseListen (listen, http): a port alone, or "host:port" split as Go's
 * net.SplitHostPort does (an IPv6 host needs brackets) with the port read by strconv.Atoi.
 */
function listen(ctx: Ctx, v: ConfigValue): { host?: string; port: number } | undefined {
  // a port alone leaves the host as it is
  if (v.kind === "integer") return { port: Number(v.value) };
  if (v.kind !== "string") {
    ctx.err(v, `expected port or host:port, got ${goType(v)}`);
    return undefined;
  }
  const hp = splitHostPort(v.value);
  if (hp === null) {
    ctx.err(v, `could not parse address string ${JSON.stringify(v.value)}`);
    return undefined;
  }
  const port = /^[+-]?\d+$/.test(hp.port) ? Number(hp.port) : NaN;
  if (!Number.isSafeInteger(port)) {
    ctx.err(v, `could not parse port ${JSON.stringify(hp.port)}`);
    return undefined;
  }
  return { host: hp.host, port };
}

/** Go's net.SplitHostPort: null where it returns an error. */
function splitHostPort(s: string): { host: string; port: string } | null {
  const i = s.lastIndexOf(":");
  if (i < 0) return null;
  let host: string;
  if (s[0] === "[") {
    const end = s.indexOf("]");
    if (end < 0 || end + 1 !== i) return null;
    host = s.slice(1, end);
    if (s.indexOf("[", 1) >= 0 || s.indexOf("]", end + 1) >= 0) return null;
  } else {
    host = s.slice(0, i);
    if (host.includes(":") || host.includes("[") || host.includes("]")) return null;
  }
  const port = s.slice(i + 1);
  return { host, port };
}

/** Go's `%v` of a scalar config value, as nats-server's "got ..." messages print it. */
function goValue(v: ConfigValue): string {
  // arrays and maps print as memory addresses there; tsnats names the kind instead
  if (v.kind === "array" || v.kind === "map") return kindName(v);
  return String(v.value);
}

/**
 * nats-server's parsePermSubjects: a subject or an array of subjects, each valid for
 * subscribing, or a valid subject followed by a queue name ("foo q").
 */
function permSubjects(ctx: Ctx, v: ConfigValue): string[] | undefined {
  let subjects: string[];
  if (v.kind === "string") subjects = [v.value];
  else if (v.kind === "array") {
    subjects = [];
    for (const e of v.value) {
      if (e.kind !== "string") {
        ctx.err(e, "Subject in permissions array cannot be cast to string");
        return undefined;
      }
      subjects.push(e.value);
    }
  } else {
    ctx.err(v, `Expected subject permissions to be a subject, or array of subjects, got ${goType(v)}`);
    return undefined;
  }
  for (const subj of subjects) {
    if (isValidSubject(subj)) continue;
    const fields = subj.split(/[ \t\n\r\f\v]+/).filter((f) => f !== "");
    const bad = fields.length !== 2 ? subj : !isValidSubject(fields[0]) ? fields[0] : null;
    if (bad !== null) {
      ctx.err(v, `subject ${JSON.stringify(bad)} is not a valid subject`);
      return undefined;
    }
  }
  return subjects;
}

function subjectPermission(ctx: Ctx, v: ConfigValue): SubjectPermission | undefined {
  if (v.kind !== "map") {
    const allow = permSubjects(ctx, v);
    return allow === undefined ? undefined : { allow };
  }
  const p: SubjectPermission = {};
  for (const [k, e] of v.value) {
    switch (k.toLowerCase()) {
      case "allow":
        p.allow = permSubjects(ctx, e);
        break;
      case "deny":
        p.deny = permSubjects(ctx, e);
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
    ctx.err(v, "error parsing response permissions, expected a boolean or a map");
    return undefined;
  }
  const r: ResponsePermission = { ...DEFAULT_RESPONSE };
  for (const [k, e] of v.value) {
    switch (k.toLowerCase()) {
      case "max":
      case "max_msgs":
      case "max_messages":
      case "max_responses": {
        // 0 is the default; a negative count means no limit
        const n = int(ctx, k, e);
        if (n !== undefined && n !== 0) r.max = n;
        break;
      }
      case "expires":
      case "expiration":
      case "ttl": {
        // a string only (no bare seconds here), reported as "expires" whatever the key; 0 is the default
        if (e.kind !== "string") {
          ctx.err(e, "error parsing expires, not a duration string");
          break;
        }
        const d = durationString(ctx, "expires", e);
        if (d !== undefined && d !== 0) r.expires = d;
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
    ctx.err(v, `Expected permissions to be a map/struct, got ${goValue(v)}`);
    return undefined;
  }
  const p: Permissions = {};
  for (const [k, e] of v.value) {
    switch (k.toLowerCase()) {
      case "pub":
      case "publish":
      case "import":
        p.publish = subjectPermission(ctx, e);
        break;
      case "sub":
      case "subscribe":
      case "export":
        p.subscribe = subjectPermission(ctx, e);
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

function parseUsers(ctx: Ctx, v: ConfigValue): UserConfig[] {
  if (v.kind !== "array") {
    ctx.err(v, `Expected users field to be an array, got ${goValue(v)}`);
    return [];
  }
  const out: UserConfig[] = [];
  for (const e of v.value) {
    if (e.kind !== "map") {
      ctx.err(e, `Expected user entry to be a map/struct, got ${goValue(e)}`);
      continue;
    }
    const u: Partial<UserConfig> = {};
    let userGiven = false;
    for (const [k, f] of e.value) {
      switch (k.toLowerCase()) {
        case "user":
        case "username":
          u.user = str(ctx, "user", f);
          userGiven = true;
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
      else if (u.user !== undefined || u.password !== undefined)
        ctx.err(e, "Nkey users do not take usernames or passwords");
      else out.push({ user: u.nkey, password: "", nkey: u.nkey, permissions: u.permissions });
      continue;
    }
    if (u.user === undefined && userGiven) continue; // its wrong type is reported already
    if (u.user === undefined || u.user === "") {
      // nats-server reports it at the entry's last field
      let last: ConfigValue = e;
      for (const f of e.value.values()) last = f;
      ctx.err(last, "User entry requires a user");
      continue;
    }
    out.push({ user: u.user, password: u.password ?? "", permissions: u.permissions });
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
        a.timeout = authSeconds(e);
        break;
      case "users":
        a.users = parseUsers(ctx, e);
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
  // empty strings count as absent, as nats-server compares with ""
  const given = (x: string | undefined): boolean => x !== undefined && x !== "";
  if ((given(a.user) || given(a.password)) && given(a.token)) {
    ctx.err(v, "Cannot have a user/pass and token");
  } else if ((a.users !== undefined || ctx.userNames.size > 0) && given(a.user)) {
    // users of an accounts block parsed before count as a users array
    ctx.err(v, "Can not have a single user/pass and a users array");
  } else if ((a.users !== undefined || ctx.userNames.size > 0) && given(a.token)) {
    ctx.err(v, "Can not have a token and a users array");
  } else if (a.users !== undefined) {
    // plain users first, then nkey users, each against those seen so far (accounts included)
    const seen = ctx.userNames;
    const ordered = [...a.users.filter((u) => u.nkey === undefined), ...a.users.filter((u) => u.nkey !== undefined)];
    for (const u of ordered) {
      if (seen.has(u.user)) {
        ctx.err(
          v,
          u.nkey !== undefined ? `Duplicate nkey "${u.nkey}" detected` : `Duplicate user "${u.user}" detected`,
        );
        break;
      }
      seen.add(u.user);
    }
  }
  ctx.authSingleUser = given(a.user);
  ctx.authToken = given(a.token);
  return a;
}

// ------------------------------------------------------------------ accounts

/** nats-server names a wrong type there by Go's panic text; tsnats names the field (docs/config.md). */
function wrongType(ctx: Ctx, field: string, want: string, v: ConfigValue): void {
  ctx.err(v, `error parsing ${field}: expected ${want}, got ${kindName(v)}`);
}

/** A string where nats-server does `v.(string)` (a panic otherwise). */
function strField(ctx: Ctx, field: string, v: ConfigValue): string | undefined {
  if (v.kind === "string") return v.value;
  wrongType(ctx, field, "a string", v);
  return undefined;
}

/** nats-server's parseAccountMapDest: a {destination, weight, cluster} map. */
function mappingDest(ctx: Ctx, v: ConfigValue): MappingDest | undefined {
  if (v.kind !== "map") {
    ctx.err(v, "Expected an entry for the mapping destination");
    return undefined;
  }
  const d: MappingDest = { subject: "", weight: 0 };
  let weightSeen = false;
  for (const [k, f] of v.value) {
    switch (k.toLowerCase()) {
      case "dest":
      case "destination": {
        const s = strField(ctx, "destination", f);
        if (s === undefined) return undefined;
        d.subject = s;
        break;
      }
      case "weight": {
        let w: number;
        if (f.kind === "string") {
          const ws = f.value.endsWith("%") ? f.value.slice(0, -1) : f.value;
          // strconv.Atoi
          if (!/^[+-]?\d+$/.test(ws) || !Number.isSafeInteger(Number(ws))) {
            ctx.err(f, `Invalid weight ${JSON.stringify(ws)} for mapping destination`);
            return undefined;
          }
          w = Number(ws);
        } else if (f.kind === "integer") {
          w = Number(f.value);
        } else {
          // nats-server's text ends with a newline there; tsnats leaves it out
          ctx.err(f, `Unknown entry type for weight of ${goValue(f)}`);
          return undefined;
        }
        if (w > 100 || w < 0) {
          ctx.err(f, `Invalid weight ${w} for mapping destination`);
          return undefined;
        }
        d.weight = w;
        weightSeen = true;
        break;
      }
      case "cluster": {
        const s = strField(ctx, "cluster", f);
        if (s === undefined) return undefined;
        d.cluster = s;
        break;
      }
      default:
        ctx.err(f, `Unknown field ${JSON.stringify(k)} for mapping destination`);
        return undefined;
    }
  }
  if (!weightSeen) {
    ctx.err(v, `Missing weight for mapping destination ${JSON.stringify(d.subject)}`);
    return undefined;
  }
  return d;
}

/** The checks of nats-server's AddWeightedMappings that are not the mapping engine's. */
function weightedMappingError(dests: MappingDest[]): string | null {
  const seen = new Set<string>();
  const total = new Map<string, number>();
  for (const d of dests) {
    if (seen.has(d.subject)) return `duplicate entry for ${JSON.stringify(d.subject)}`;
    seen.add(d.subject);
    const cluster = d.cluster ?? "";
    const t = (total.get(cluster) ?? 0) + d.weight;
    if (t > 100) return "total weight needs to be <= 100";
    total.set(cluster, t);
  }
  return null;
}

/** nats-server's parseAccountMappings (top-level `mappings`, and an account's). */
function mappings(ctx: Ctx, v: ConfigValue): MappingConfig[] {
  const out: MappingConfig[] = [];
  if (v.kind !== "map") {
    wrongType(ctx, "mappings", "a map", v);
    return out;
  }
  for (const [subj, mv] of v.value) {
    if (!isValidSubject(subj)) {
      ctx.err(v, `Subject ${JSON.stringify(subj)} is not a valid subject`);
      continue;
    }
    if (mv.kind === "string") {
      const dests = [{ subject: mv.value, weight: 100 }];
      const why = validateMappingHook(subj, dests);
      if (why !== null) {
        ctx.err(mv, `Error adding mapping for ${JSON.stringify(subj)} to ${JSON.stringify(mv.value)} : ${why}`);
        continue;
      }
      out.push({ subject: subj, destinations: dests });
      continue;
    }
    const dests: MappingDest[] = [];
    for (const e of mv.kind === "array" ? mv.value : [mv]) {
      const d = mappingDest(ctx, e);
      if (d !== undefined) dests.push(d);
    }
    const why = weightedMappingError(dests) ?? validateMappingHook(subj, dests);
    if (why !== null) {
      ctx.err(mv, `Error adding mapping for ${JSON.stringify(subj)} : ${why}`);
      continue;
    }
    out.push({ subject: subj, destinations: dests });
  }
  return out;
}

/** nats-server's parseServiceLatency: only checked (latency tracking is not built). */
function serviceLatency(ctx: Ctx, v: ConfigValue): boolean {
  if (v.kind === "string") return true;
  if (v.kind !== "map") {
    ctx.err(v, `Expected latency entry to be a map/struct or string, got ${goType(v)}`);
    return false;
  }
  const sampling = v.value.get("sampling");
  if (sampling !== undefined) {
    let n: number | null = null;
    if (sampling.kind === "integer") n = Number(sampling.value);
    else if (sampling.kind === "string") {
      if (sampling.value.trim().toLowerCase() !== "headers") {
        const s = sampling.value.endsWith("%") ? sampling.value.slice(0, -1) : sampling.value;
        if (!/^[+-]?\d+$/.test(s)) {
          ctx.err(
            sampling,
            `Failed to parse latency sample: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`,
          );
          return false;
        }
        n = Number(s);
      }
    } else {
      ctx.err(sampling, `Expected latency sample to be a string or map/struct, got ${goType(sampling)}`);
      return false;
    }
    if (n !== null && (n < 1 || n > 100)) {
      ctx.err(sampling, "bad sampling percentage, should be 1-100");
      return false;
    }
  }
  const subject = v.value.get("subject");
  if (subject === undefined) {
    ctx.err(v, "Latency subject required, but missing");
    return false;
  }
  if (subject.kind !== "string") {
    ctx.err(subject, "Expected latency subject to be a string, got string");
    return false;
  }
  return true;
}

/** nats-server's parseExportStreamOrService, fields in file order. */
function exportEntry(ctx: Ctx, v: ConfigValue): ExportConfig | undefined {
  if (v.kind !== "map") {
    ctx.err(v, `Export Items should be a map with type entry, got ${goType(v)}`);
    return undefined;
  }
  let kind: "stream" | "service" | undefined;
  const e: ExportConfig = {};
  let rtSeen: ConfigValue | undefined;
  let threshSeen = false;
  let latency: ConfigValue | undefined;
  for (const [k, f] of v.value) {
    switch (k.toLowerCase()) {
      case "stream":
      case "service": {
        const what = k.toLowerCase() as "stream" | "service";
        const other = what === "stream" ? "service" : "stream";
        if (kind === other) {
          ctx.err(f, `Detected ${what} ${JSON.stringify(goValue(f))} but already saw a ${other}`);
          break;
        }
        if (what === "stream" && rtSeen !== undefined) {
          ctx.err(rtSeen, "Detected response directive on non-service");
          break;
        }
        if (what === "stream" && latency !== undefined) {
          ctx.err(latency, "Detected latency directive on non-service");
          break;
        }
        if (f.kind !== "string") {
          ctx.err(f, `Expected ${what} name to be string, got ${goType(f)}`);
          break;
        }
        kind = what;
        e[what] = f.value;
        break;
      }
      case "response":
      case "response_type": {
        if (rtSeen !== undefined) {
          ctx.err(f, "Duplicate response type definition");
          break;
        }
        rtSeen = f;
        if (f.kind !== "string") {
          ctx.err(f, `Expected response type to be string, got ${goType(f)}`);
          break;
        }
        const rt = f.value.toLowerCase();
        if (rt === "single" || rt === "singleton") e.response_type = "singleton";
        else if (rt === "stream") e.response_type = "stream";
        else if (rt === "chunk" || rt === "chunked") e.response_type = "chunked";
        else {
          ctx.err(f, `Unknown response type: ${JSON.stringify(f.value)}`);
          break;
        }
        if (kind === "stream") ctx.err(f, "Detected response directive on non-service");
        break;
      }
      case "threshold":
      case "response_threshold":
      case "response_max_time":
      case "response_time": {
        if (threshSeen) {
          ctx.err(f, "Duplicate response threshold detected");
          break;
        }
        threshSeen = true;
        if (f.kind !== "string") {
          ctx.err(f, `Expected response threshold to be a parseable time duration, got ${goType(f)}`);
          break;
        }
        const d = parseGoDuration(f.value);
        if (d === null) {
          ctx.err(f, `Expected response threshold to be a parseable time duration, got ${JSON.stringify(f.value)}`);
          break;
        }
        e.response_threshold = d;
        if (kind === "stream") ctx.err(f, "Detected response directive on non-service");
        break;
      }
      case "accounts": {
        if (f.kind !== "array") {
          wrongType(ctx, "accounts", "an array", f);
          return undefined;
        }
        const names: string[] = [];
        for (const n of f.value) {
          const s = strField(ctx, "accounts", n);
          if (s === undefined) return undefined;
          names.push(s);
        }
        // an empty list is a public export, as in nats-server
        if (names.length > 0) e.accounts = names;
        break;
      }
      case "latency":
        latency = f;
        if (!serviceLatency(ctx, f)) break;
        if (kind === "stream") ctx.err(f, "Detected latency directive on non-service");
        break;
      case "account_token_position":
        ctx.err(f, `account_token_position ("${k}") is not supported by tsnats-server yet`);
        break;
      default:
        if (!f.usedVariable) ctx.err(f, `unknown field "${k}"`);
    }
  }
  if (kind === undefined) return undefined;
  if (kind === "stream") {
    delete e.response_type;
    delete e.response_threshold;
  }
  return e;
}

/** nats-server's parseAccount: {account, subject} of an import. */
function importSource(ctx: Ctx, v: ConfigValue): { account: string; subject: string } | undefined {
  if (v.kind !== "map") return undefined;
  let account = "";
  let subject = "";
  for (const [k, f] of v.value) {
    switch (k.toLowerCase()) {
      case "account": {
        const s = strField(ctx, "account", f);
        if (s === undefined) return undefined;
        account = s;
        break;
      }
      case "subject": {
        const s = strField(ctx, "subject", f);
        if (s === undefined) return undefined;
        subject = s;
        break;
      }
      default:
        if (!f.usedVariable) ctx.err(f, `unknown field "${k}"`);
    }
  }
  return { account, subject };
}

/** nats-server's parseImportStreamOrService, fields in file order. */
function importEntry(ctx: Ctx, v: ConfigValue): ImportConfig | undefined {
  if (v.kind !== "map") {
    ctx.err(v, `Import Items should be a map with type entry, got ${goType(v)}`);
    return undefined;
  }
  const im: ImportConfig = {};
  for (const [k, f] of v.value) {
    const key = k.toLowerCase();
    switch (key) {
      case "stream":
      case "service": {
        const other = key === "stream" ? im.service : im.stream;
        if (other !== undefined) {
          ctx.err(f, `Detected ${key} but already saw a ${key === "stream" ? "service" : "stream"}`);
          break;
        }
        if (f.kind !== "map") {
          ctx.err(f, `${key === "stream" ? "Stream" : "Service"} entry should be an account map, got ${goType(f)}`);
          break;
        }
        const src = importSource(ctx, f);
        if (src === undefined) break;
        if (src.account === "" || src.subject === "") {
          ctx.err(f, "Expect an account name and a subject");
          break;
        }
        im[key] = src;
        break;
      }
      case "prefix": {
        const s = strField(ctx, "prefix", f);
        if (s !== undefined) im.prefix = s;
        break;
      }
      case "to": {
        const s = strField(ctx, "to", f);
        if (s === undefined) break;
        im.to = s;
        if (im.stream !== undefined && (im.prefix ?? "") !== "")
          ctx.err(f, "Stream import can not have a 'prefix' and a 'to' property");
        break;
      }
      case "share":
        // latency sharing with the exporter: checked, not used (latency tracking is not built)
        if (f.kind !== "boolean") wrongType(ctx, "share", "a boolean", f);
        break;
      default:
        if (!f.usedVariable) ctx.err(f, `unknown field "${k}"`);
    }
  }
  if (im.stream === undefined && im.service === undefined) return undefined;
  if (im.service !== undefined) delete im.prefix;
  return im;
}

/** nats-server's parseAccountLimits: only checked (per-account limits are not built). */
function accountLimits(ctx: Ctx, v: ConfigValue): void {
  if (v.kind !== "map") {
    ctx.err(v, `Expected account limits to be a map/struct, got ${goValue(v)}`);
    return;
  }
  for (const [k, f] of v.value) {
    switch (k.toLowerCase()) {
      case "max_connections":
      case "max_conn":
      case "max_subscriptions":
      case "max_subs":
      case "max_payload":
      case "max_pay":
      case "max_leafnodes":
      case "max_leafs":
        if (f.kind !== "integer") wrongType(ctx, k.toLowerCase(), "an integer", f);
        else ctx.err(f, `account limits ("${k}") are not supported by tsnats-server yet`);
        break;
      default:
        if (!f.usedVariable) ctx.err(f, `Unknown field ${JSON.stringify(k)} parsing account limits`);
    }
  }
}

/** One account of the map form (nats-server's parseAccounts, per account). */
function account(ctx: Ctx, name: string, v: ConfigMapValueT): AccountConfig {
  const acc: AccountConfig = { name, exports: [], imports: [], mappings: [] };
  let users: UserConfig[] = [];
  let usersAt: ConfigValue | undefined;
  let defaults: Permissions | undefined;
  for (const [k, f] of v.value) {
    switch (k.toLowerCase()) {
      case "nkey":
        if (f.kind !== "string" || !isValidPublicAccountKey(f.value))
          ctx.err(f, `Not a valid public nkey for an account: ${JSON.stringify(goValue(f))}`);
        // the account's own nkey matters for operator mode only; checked, not kept
        break;
      case "imports": {
        if (f.kind !== "array") {
          ctx.err(f, `Imports should be an array, got ${goType(f)}`);
          break;
        }
        const svcTo = new Map<string, { account: string; subject: string }>();
        for (const e of f.value) {
          const im = importEntry(ctx, e);
          if (im === undefined) continue;
          if (im.service !== undefined) {
            const to = im.to ?? im.service.subject;
            const dup = svcTo.get(to);
            if (dup !== undefined) {
              ctx.err(
                e,
                `Duplicate service import subject ${JSON.stringify(to)}, previously used in import for account ${JSON.stringify(dup.account)}, subject ${JSON.stringify(dup.subject)}`,
              );
              continue;
            }
            svcTo.set(to, im.service);
          }
          acc.imports.push(im);
        }
        break;
      }
      case "exports":
        if (f.kind !== "array") {
          ctx.err(f, `Exports should be an array, got ${goType(f)}`);
          break;
        }
        for (const e of f.value) {
          const ex = exportEntry(ctx, e);
          if (ex !== undefined) acc.exports.push(ex);
        }
        break;
      case "jetstream": {
        // only "off" can be honoured, as for the top-level jetstream
        const off =
          (f.kind === "boolean" && !f.value) ||
          (f.kind === "string" && ["disabled", "false", "disable"].includes(f.value.toLowerCase()));
        if (!off) ctx.err(f, `JetStream ("${k}") is not supported by tsnats-server yet`);
        break;
      }
      case "users":
        usersAt = f;
        users = parseUsers(ctx, f);
        break;
      case "default_permissions":
        defaults = permissions(ctx, f);
        break;
      case "mappings":
      case "maps":
        acc.mappings = mappings(ctx, f);
        break;
      case "limits":
        accountLimits(ctx, f);
        break;
      default:
        if (!f.usedVariable) ctx.err(f, `unknown field "${k}"`);
    }
  }
  if (users.length > 0 && usersAt !== undefined) {
    if (ctx.authSingleUser) {
      ctx.err(usersAt, "Can not have a single user/pass and accounts");
      return acc;
    }
    if (ctx.authToken) {
      ctx.err(usersAt, "Can not have a token and accounts");
      return acc;
    }
    // nkey users first, then the others, as nats-server checks them
    const ordered = [...users.filter((u) => u.nkey !== undefined), ...users.filter((u) => u.nkey === undefined)];
    for (const u of ordered) {
      if (ctx.userNames.has(u.user)) {
        ctx.err(
          usersAt,
          u.nkey !== undefined ? `Duplicate nkey "${u.nkey}" detected` : `Duplicate user "${u.user}" detected`,
        );
        continue;
      }
      ctx.userNames.add(u.user);
      ctx.accountUsers.push({ ...u, account: name, permissions: u.permissions ?? defaults });
    }
  }
  return acc;
}

type ConfigMapValueT = Extract<ConfigValue, { kind: "map" }>;

/** nats-server's parseAccounts: a list of names, or a map of accounts. */
function accounts(ctx: Ctx, v: ConfigValue): AccountConfig[] {
  const out: AccountConfig[] = [];
  if (v.kind === "array") {
    const seen = new Set<string>();
    for (const n of v.value) {
      const name = strField(ctx, "accounts", n);
      if (name === undefined) return out;
      if (name === "$G") {
        ctx.err(n, `"$G" is a Reserved Account`);
        continue;
      }
      if (seen.has(name)) {
        ctx.err(n, `Duplicate Account Entry: ${name}`);
        continue;
      }
      seen.add(name);
      out.push({ name, exports: [], imports: [], mappings: [] });
    }
    return out;
  }
  // nats-server ignores any other kind of value silently
  if (v.kind !== "map") return out;
  for (const [name, a] of v.value) {
    if (a.usedVariable) continue;
    if (a.kind !== "map") {
      ctx.err(a, "Expected map entries for accounts");
      continue;
    }
    if (name === "$G") {
      ctx.err(a, `"$G" is a Reserved Account`);
      continue;
    }
    out.push(account(ctx, name, a));
  }
  return out;
}

/** Options nats-server knows that tsnats accepts but that belong to features not built yet. */
const NOT_YET: Record<string, string> = {
  cluster: "clustering",
  gateway: "gateways",
  leafnodes: "leaf nodes",
  leaf: "leaf nodes",
  jetstream: "JetStream",
  operator: "operator mode",
  operators: "operator mode",
  resolver: "operator mode",
  websocket: "websocket",
  mqtt: "MQTT",
  syslog: "syslog",
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
  let accountsAt: ConfigValue | undefined;
  for (const [key, v] of map) {
    const k = key.toLowerCase();
    switch (k) {
      case "listen": {
        const hp = listen(ctx, v);
        if (hp !== undefined) {
          if (hp.host !== undefined) o.host = hp.host;
          o.port = configPort(hp.port);
        }
        break;
      }
      case "host":
      case "net":
        o.host = str(ctx, k, v);
        break;
      case "port": {
        const n = int(ctx, k, v);
        if (n !== undefined) o.port = configPort(n);
        break;
      }
      case "server_name":
        o.server_name = str(ctx, k, v);
        break;
      case "server_tags": {
        // nats-server's texts, at the key: the first element that is not a string stops it
        const tags =
          v.kind === "string"
            ? [v.value]
            : v.kind === "array"
              ? v.value.map((e) => (e.kind === "string" ? e.value : null))
              : null;
        if (tags === null) ctx.err(v, `error parsing tags: unsupported type ${goType(v)}`);
        else if (tags.includes(null))
          ctx.err(v, "error parsing tags: unsupported type *conf.token where string is expected");
        else o.server_tags = normalizeTags(tags as string[]);
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
        const hp = listen(ctx, v);
        if (hp !== undefined) {
          if (hp.host !== undefined) o.http_host = hp.host;
          o.http_port = hp.port;
        }
        break;
      }
      case "max_payload":
        o.max_payload = int32Size(ctx, key, v);
        break;
      case "max_control_line":
        o.max_control_line = int32Size(ctx, key, v);
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
        const d = durationString(ctx, k, v);
        if (d !== undefined && d < 30000) {
          ctx.err(v, `invalid lame_duck_duration of ${formatGoDuration(d)}, minimum is 30 seconds`);
        } else o.lame_duck_duration = d;
        break;
      }
      case "lame_duck_grace_period": {
        const d = durationString(ctx, k, v);
        if (d !== undefined && d < 0) ctx.err(v, "invalid lame_duck_grace_period, needs to be positive");
        else o.lame_duck_grace_period = d;
        break;
      }
      case "no_header_support":
        o.no_header_support = bool(ctx, k, v);
        break;
      case "authorization":
        o.authorization = authorization(ctx, v);
        break;
      case "no_auth_user":
        o.no_auth_user = str(ctx, k, v);
        break;
      case "accounts":
        o.accounts = accounts(ctx, v);
        accountsAt = v;
        break;
      case "mappings":
      case "maps":
        o.mappings = mappings(ctx, v);
        break;
      case "system_account":
      case "system":
        // as nats-server's configureSystemAccount: only these exact spellings count (another
        // case is skipped silently), and system_account wins over system
        if (key !== k || (k === "system" && map.has("system_account"))) break;
        if (v.kind !== "string") ctx.err(v, "system account name must be a string");
        else o.system_account = v.value;
        break;
      case "no_system_account":
      case "no_system":
      case "no_sys_acc":
        o.no_system_account = bool(ctx, k, v);
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
      case "remote_syslog": {
        // likewise only "none": an empty address
        const s = str(ctx, k, v);
        if (s !== undefined && s !== "") ctx.err(v, `syslog ("${key}") is not supported by tsnats-server yet`);
        break;
      }
      default:
        if (k in NOT_YET) {
          ctx.err(v, `${NOT_YET[k]} ("${key}") is not supported by tsnats-server yet`);
        } else if (!v.usedVariable) {
          ctx.err(v, `unknown field "${key}"`);
        }
    }
  }
  if (ctx.accountUsers.length > 0) {
    const a = o.authorization ?? {};
    a.users = [...(a.users ?? []), ...ctx.accountUsers];
    o.authorization = a;
  }
  // the cross-account checks, as nats-server only when nothing else failed
  if (accountsAt !== undefined && ctx.errors.length === 0 && o.accounts !== undefined) {
    for (const e of accountGraphErrors(o as { accounts: AccountConfig[] })) ctx.err(accountsAt, e);
  }
  // drop the undefined entries left by fields that failed to parse
  for (const k of Object.keys(o) as (keyof PartialOptions)[]) if (o[k] === undefined) delete o[k];
  return { opts: o, errors: ctx.errors, warnings: ctx.warnings };
}

// tags are normalised where every way of giving options meets (resolveOptions); kept here too
export { normalizeTags };
