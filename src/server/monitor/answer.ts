// Monitoring over NATS: the one adapter between the system account's requests
// ($SYS.REQ.SERVER.PING.CONNZ, $SYS.REQ.ACCOUNT.<acc>.SUBSZ, ...) and the handlers the HTTP
// endpoints use. A request's options come as JSON, with nats-server's field names (its
// ConnzOptions, SubszOptions, ...); they are decoded with Go's encoding/json rules (keys match
// case-insensitively, a value of the wrong type is an error naming the field) and turned into
// the query parameters of the HTTP endpoint, so both transports give the same answer.
import type { Monitor, Reply } from "./http.js";
import type { MonitorView } from "./view.js";
import { BadRequest } from "./util.js";
import { CpuSampler } from "./process.js";
import { handleVarz } from "./varz.js";
import { handleConnz } from "./connz.js";
import { handleSubsz } from "./subsz.js";
import { accountStatz, handleAccountz } from "./accountz.js";
import { handleGatewayz, handleHealthz, handleJsz, handleLeafz, handleRoutez } from "./misc.js";

/** The endpoints answered over NATS, by nats-server's request names. */
export type MonitorEndpoint =
  | "VARZ"
  | "CONNZ"
  | "SUBSZ"
  | "ROUTEZ"
  | "GATEWAYZ"
  | "LEAFZ"
  | "ACCOUNTZ"
  | "ACCSTATZ"
  | "JSZ"
  | "HEALTHZ";

/** nats-server's ApiError (its description is omitted when empty). */
export interface ApiError {
  code: number;
  description: string;
}

/**
 * An answer: the endpoint's JSON value, or an error. When the endpoint itself refused the
 * request, `data` is null: nats-server's envelope then carries `"data": null` next to the
 * error (a typed nil pointer that omitempty keeps); refused options carry no data at all.
 */
export interface MonitorAnswer {
  data?: unknown;
  error?: ApiError;
}

/** Raised for request options Go's decoder refuses (answered with code 400). */
export class OptionsError extends Error {}

type Kind = "bool" | "string" | "int" | "uint64" | "state" | "sort" | "strings";

/** One option: its JSON name, its Go type and the query parameter it becomes. */
interface Field {
  json: string;
  kind: Kind;
  param: string;
}

const f = (json: string, kind: Kind, param = json): Field => ({ json, kind, param });

/** Go struct names (as decode errors name them) and fields, per endpoint (monitor.go). */
const SPECS: Record<MonitorEndpoint, { struct: string; fields: Field[] }> = {
  VARZ: { struct: "VarzEventOptions", fields: [] },
  CONNZ: {
    struct: "ConnzEventOptions",
    fields: [
      f("sort", "sort"),
      f("auth", "bool"),
      f("subscriptions", "bool", "subs"),
      f("subscriptions_detail", "bool", "subs_detail"),
      f("offset", "int"),
      f("limit", "int"),
      f("cid", "uint64"),
      f("mqtt_client", "string"),
      f("state", "state"),
      f("user", "string"),
      f("acc", "string"),
      f("filter_subject", "string"),
    ],
  },
  SUBSZ: {
    struct: "SubszEventOptions",
    fields: [
      f("offset", "int"),
      f("limit", "int"),
      f("subscriptions", "bool", "subs"),
      f("account", "string", "acc"),
      f("test", "string"),
    ],
  },
  ROUTEZ: {
    struct: "RoutezEventOptions",
    fields: [f("subscriptions", "bool", "subs"), f("subscriptions_detail", "bool", "subs_detail")],
  },
  GATEWAYZ: {
    struct: "GatewayzEventOptions",
    fields: [f("name", "string", "gw_name"), f("accounts", "bool", "accs"), f("account_name", "string", "acc_name")],
  },
  LEAFZ: { struct: "LeafzEventOptions", fields: [f("subscriptions", "bool", "subs"), f("account", "string", "acc")] },
  ACCOUNTZ: { struct: "AccountzEventOptions", fields: [f("account", "string", "acc")] },
  ACCSTATZ: {
    struct: "AccountStatzEventOptions",
    fields: [f("accounts", "strings"), f("include_unused", "bool", "unused")],
  },
  JSZ: {
    struct: "JszEventOptions",
    fields: [
      f("account", "string", "acc"),
      f("accounts", "bool"),
      f("streams", "bool"),
      f("consumer", "bool", "consumers"),
      f("config", "bool"),
      f("leader_only", "bool", "leader-only"),
      f("offset", "int"),
      f("limit", "int"),
      f("raft", "bool"),
      f("stream_leader_only", "bool", "stream-leader-only"),
    ],
  },
  HEALTHZ: {
    struct: "HealthzEventOptions",
    fields: [
      f("js-enabled", "bool"),
      f("js-enabled-only", "bool"),
      f("js-server-only", "bool"),
      f("account", "string"),
      f("stream", "string"),
      f("consumer", "string"),
      f("details", "bool"),
    ],
  },
};

/** The filter options every request accepts (EventFilterOptions). */
const FILTER_FIELDS: Field[] = [
  f("server_name", "string"),
  f("cluster", "string"),
  f("host", "string"),
  f("tags", "strings"),
  f("domain", "string"),
];

const GO_TYPES: Record<Kind, string> = {
  bool: "bool",
  string: "string",
  int: "int",
  uint64: "uint64",
  state: "server.ConnState",
  sort: "server.SortOpt",
  strings: "[]string",
};

/** Decoded request options: by JSON field name (known fields only, values type-checked). */
export type DecodedOptions = Map<string, unknown>;

function jsonType(v: unknown): string {
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/**
 * Decode a request body as nats-server's json.Unmarshal into `<endpoint>EventOptions` would:
 * an empty body is no options; unknown keys are ignored; a value of the wrong type throws
 * OptionsError with Go's text. Also used for the bodies of the other system requests
 * (STATSZ and the account requests), with `extra` fields of their own.
 */
export function decodeOptions(
  endpoint: MonitorEndpoint | null,
  body: string,
  structName = endpoint === null ? "StatszEventOptions" : SPECS[endpoint].struct,
): DecodedOptions {
  const out: DecodedOptions = new Map();
  if (body.trim() === "") return out;
  const syntax = goJSONSyntaxError(body);
  if (syntax !== null) throw new OptionsError(syntax);
  const v: unknown = JSON.parse(body);
  if (v === null) return out;
  if (typeof v !== "object" || Array.isArray(v)) {
    throw new OptionsError(`json: cannot unmarshal ${jsonType(v)} into Go value of type server.${structName}`);
  }
  const fields = endpoint === null ? FILTER_FIELDS : [...SPECS[endpoint].fields, ...FILTER_FIELDS];
  for (const [key, val] of Object.entries(v as Record<string, unknown>)) {
    const lk = key.toLowerCase();
    const fd = fields.find((x) => x.json === lk);
    if (fd === undefined || val === null) continue;
    out.set(fd.json, checkType(structName, fd, val));
  }
  return out;
}

function checkType(structName: string, fd: Field, val: unknown): unknown {
  const bad = () =>
    new OptionsError(
      `json: cannot unmarshal ${jsonType(val)} into Go struct field ${structName}.${fd.json} of type ${GO_TYPES[fd.kind]}`,
    );
  switch (fd.kind) {
    case "bool":
      if (typeof val !== "boolean") throw bad();
      return val;
    case "string":
    case "sort":
      if (typeof val !== "string") throw bad();
      return val;
    case "int":
    case "state":
    case "uint64":
      if (typeof val !== "number" || !Number.isInteger(val) || (fd.kind === "uint64" && val < 0)) {
        if (typeof val === "number")
          throw new OptionsError(
            `json: cannot unmarshal number ${val} into Go struct field ${structName}.${fd.json} of type ${GO_TYPES[fd.kind]}`,
          );
        throw bad();
      }
      return val;
    case "strings":
      if (!Array.isArray(val)) throw bad();
      for (const s of val) {
        if (typeof s !== "string") {
          throw new OptionsError(
            `json: cannot unmarshal ${jsonType(s)} into Go struct field ${structName}.${fd.json} of type string`,
          );
        }
      }
      return val;
  }
}

/**
 * Go's encoding/json syntax check (its scanner, which json.Unmarshal runs over the whole input
 * before decoding): null when `text` is valid JSON, else the error text Go gives.
 */
export function goJSONSyntaxError(text: string): string | null {
  // per open container, what comes next: key/key1 (a key; key1 after a comma), colon, value,
  // comma (object); elem/elem1 (an element; elem1 after a comma), next (array)
  const stack: string[] = [];
  const n = text.length;
  let i = 0;
  const EOF = "unexpected end of JSON input";
  const bad = (c: string, ctx: string) => `invalid character ${quoteChar(c)} ${ctx}`;
  const digit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
  const str = (): string | null => {
    i++;
    while (i < n) {
      const c = text[i];
      if (c === '"') {
        i++;
        return null;
      }
      if (c === "\\") {
        i++;
        if (i >= n) return EOF;
        const e = text[i];
        if (e === "u") {
          for (let k = 1; k <= 4; k++) {
            if (i + k >= n) return EOF;
            if (!/[0-9a-fA-F]/.test(text[i + k])) return bad(text[i + k], "in \\u hexadecimal character escape");
          }
          i += 5;
          continue;
        }
        if (!'"\\/bfnrt'.includes(e)) return bad(e, "in string escape code");
        i++;
        continue;
      }
      if (c < " ") return bad(c, "in string literal");
      i++;
    }
    return EOF;
  };
  const num = (): string | null => {
    if (text[i] === "-") {
      i++;
      if (i >= n) return EOF;
      if (!digit(text[i])) return bad(text[i], "in numeric literal");
    }
    if (text[i] === "0") i++;
    else while (digit(text[i])) i++;
    if (text[i] === ".") {
      i++;
      if (i >= n) return EOF;
      if (!digit(text[i])) return bad(text[i], "after decimal point in numeric literal");
      while (digit(text[i])) i++;
    }
    if (text[i] === "e" || text[i] === "E") {
      i++;
      if (text[i] === "+" || text[i] === "-") i++;
      if (i >= n) return EOF;
      if (!digit(text[i])) return bad(text[i], "in exponent of numeric literal");
      while (digit(text[i])) i++;
    }
    return null;
  };
  const value = (): string | null => {
    const c = text[i];
    if (c === "{") {
      i++;
      stack.push("key");
      return null;
    }
    if (c === "[") {
      i++;
      stack.push("elem");
      return null;
    }
    if (c === '"') return str();
    if (c === "-" || digit(c)) return num();
    for (const lit of ["true", "false", "null"]) {
      if (c !== lit[0]) continue;
      for (let k = 1; k < lit.length; k++) {
        if (i + k >= n) return EOF;
        if (text[i + k] !== lit[k]) return bad(text[i + k], `in literal ${lit} (expecting ${quoteChar(lit[k])})`);
      }
      i += lit.length;
      return null;
    }
    return bad(c, "looking for beginning of value");
  };
  let started = false;
  for (;;) {
    while (i < n && (text[i] === " " || text[i] === "\t" || text[i] === "\r" || text[i] === "\n")) i++;
    if (i >= n) return started && stack.length === 0 ? null : EOF;
    const c = text[i];
    const top = stack[stack.length - 1];
    if (top === undefined && started) return bad(c, "after top-level value");
    let err: string | null = null;
    switch (top) {
      case undefined:
        started = true;
        err = value();
        break;
      case "key":
      case "key1":
        if (c === "}" && top === "key") {
          i++;
          stack.pop();
          break;
        }
        if (c !== '"') return bad(c, "looking for beginning of object key string");
        stack[stack.length - 1] = "colon";
        err = str();
        break;
      case "colon":
        if (c !== ":") return bad(c, "after object key");
        i++;
        stack[stack.length - 1] = "value";
        break;
      case "value":
        stack[stack.length - 1] = "comma";
        err = value();
        break;
      case "elem":
      case "elem1":
        if (c === "]" && top === "elem") {
          i++;
          stack.pop();
          break;
        }
        stack[stack.length - 1] = "next";
        err = value();
        break;
      default: {
        // "comma" (object) or "next" (array): a comma or the end of the container
        const obj = top === "comma";
        if (c === ",") {
          i++;
          stack[stack.length - 1] = obj ? "key1" : "elem1";
        } else if (c === (obj ? "}" : "]")) {
          i++;
          stack.pop();
        } else return bad(c, obj ? "after object key:value pair" : "after array element");
      }
    }
    if (err !== null) return err;
  }
}

/** Go's quoteChar: the character in single quotes, escaped as strconv.Quote would. */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return "'\"'";
  const inner = JSON.stringify(c)
    .slice(1, -1)
    .replace(/\\u00([0-9a-f]{2})/g, "\\x$1");
  return `'${inner}'`;
}

/** ConnState's values (monitor.go): open, closed, all. */
const STATES = ["open", "closed", "all"];

/** The HTTP query a set of decoded options stands for. */
export function toQuery(endpoint: MonitorEndpoint, opts: DecodedOptions): URLSearchParams {
  const q = new URLSearchParams();
  for (const fd of SPECS[endpoint].fields) {
    const v = opts.get(fd.json);
    if (v === undefined) continue;
    switch (fd.kind) {
      case "bool":
        if (v === true) q.set(fd.param, "true");
        break;
      case "state": {
        const s = STATES[v as number];
        // Go keeps an unknown ConnState; /connz then answers the open connections
        if (s !== undefined) q.set("state", s);
        break;
      }
      case "strings":
        for (const x of v as string[]) q.append(fd.param, x);
        break;
      default:
        if (v !== "" && v !== 0) q.set(fd.param, String(v));
    }
  }
  // subscriptions_detail wins over subscriptions, as ConnzOptions reads them
  if (q.get("subs_detail") === "true") {
    q.delete("subs_detail");
    q.set("subs", "detail");
  }
  return q;
}

/** What the adapter needs from the server: its HTTP monitor if any, and its read-only view. */
export interface MonitorSource {
  readonly monitor: Monitor | null;
  monitorView(): MonitorView;
}

const contexts = new WeakMap<MonitorSource, Monitor>();

/**
 * What the handlers read: the HTTP listener's own Monitor when monitoring is on (so both
 * transports share its CPU sampler and request counts), else one made from the view.
 */
function monitorContext(source: MonitorSource): Monitor {
  if (source.monitor !== null) return source.monitor;
  let m = contexts.get(source);
  if (m === undefined) {
    m = { view: source.monitorView(), cpu: new CpuSampler(), reqStats: new Map<string, number>() };
    contexts.set(source, m);
  }
  return m;
}

const HANDLERS: Record<MonitorEndpoint, (m: Monitor, q: URLSearchParams) => Reply> = {
  VARZ: handleVarz,
  CONNZ: handleConnz,
  SUBSZ: handleSubsz,
  ROUTEZ: handleRoutez,
  GATEWAYZ: handleGatewayz,
  LEAFZ: handleLeafz,
  ACCOUNTZ: handleAccountz,
  // the $SYS request names its accounts, which the HTTP endpoint does not read
  ACCSTATZ: (m, q) => ({
    kind: "json",
    value: accountStatz(m, { accounts: q.getAll("accounts"), includeUnused: q.get("unused") === "true" }),
  }),
  JSZ: handleJsz,
  HEALTHZ: handleHealthz,
};

/**
 * Answer one monitoring request over NATS: the same JSON as the HTTP endpoint for the
 * options given (decoded request options, or a raw JSON body). A handler's refusal (what
 * HTTP answers with a 400) becomes nats-server's error code 500 with the same text; options
 * Go's decoder refuses become a 400.
 */
export function monitorAnswer(
  server: MonitorSource,
  endpoint: MonitorEndpoint,
  opts: DecodedOptions | string | Record<string, unknown> = "",
): MonitorAnswer {
  let decoded: DecodedOptions;
  try {
    if (opts instanceof Map) decoded = opts;
    else decoded = decodeOptions(endpoint, typeof opts === "string" ? opts : JSON.stringify(opts));
  } catch (e) {
    if (e instanceof OptionsError) return { error: { code: 400, description: e.message } };
    throw e;
  }
  try {
    const r = HANDLERS[endpoint](monitorContext(server), toQuery(endpoint, decoded));
    if (r.kind !== "json") return { data: r.body };
    return { data: r.value };
  } catch (e) {
    if (e instanceof BadRequest) return { data: null, error: { code: 500, description: e.message } };
    throw e;
  }
}
