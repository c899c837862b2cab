// Monitoring over NATS: the one adapter between the system account's requests
// ($SYS.REQ.SERVER.PING.CONNZ, $SYS.REQ.ACCOUNT.<acc>.SUBSZ, ...) and the handlers the HTTP
// endpoints use. A request's options come as JSON, with nats-server's field names (its
// ConnzOptions, SubszOptions, ...); they are decoded with Go's encoding/json rules (keys match
// case-insensitively, a value of the wrong type is an error naming the field) and turned into
// the query parameters of the HTTP endpoint, so both transports give the same answer.
import type { Server } from "../server.js";
import type { MonitorServer, Reply } from "./http.js";
import { BadRequest } from "./util.js";
import { CpuSampler } from "./process.js";
import { handleVarz } from "./varz.js";
import { handleConnz } from "./connz.js";
import { handleSubsz } from "./subsz.js";
import {
  handleAccountStatz,
  handleAccountz,
  handleGatewayz,
  handleHealthz,
  handleJsz,
  handleLeafz,
  handleRoutez,
} from "./misc.js";

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

/** An answer: the endpoint's JSON value, or an error as nats-server's ApiError carries it. */
export type MonitorAnswer = { data: unknown } | { error: { code: number; description: string } };

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
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch (e) {
    throw new OptionsError(goSyntaxError(body, e as Error));
  }
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

/** Go's encoding/json syntax error text for the common cases, from where JSON.parse stopped. */
function goSyntaxError(body: string, e: Error): string {
  const m = /position (\d+)/.exec(e.message);
  const pos = m === null ? -1 : Number(m[1]);
  if (pos < 0 || pos >= body.length) return "unexpected end of JSON input";
  const ch = body[pos];
  const q = ch === "'" ? "'\\''" : `'${ch}'`;
  // what the decoder expected at that point, judged from the last significant character
  let k = pos - 1;
  while (k >= 0 && /\s/.test(body[k])) k--;
  const prev = k >= 0 ? body[k] : "";
  let ctx = "looking for beginning of value";
  if (prev === "{" || (prev === "," && insideObject(body, k))) ctx = "looking for beginning of object key string";
  else if (prev === '"' && insideObject(body, k) && isKey(body, k)) ctx = "after object key";
  else if (prev !== "" && prev !== "," && prev !== ":" && prev !== "[")
    ctx = insideObject(body, k) ? "after object key:value pair" : "after array element";
  if (k < 0 && pos > 0) ctx = "looking for beginning of value";
  return `invalid character ${q} ${ctx}`;
}

function insideObject(body: string, upTo: number): boolean {
  const stack: string[] = [];
  let inStr = false;
  for (let i = 0; i <= upTo; i++) {
    const c = body[i];
    if (inStr) {
      if (c === "\\") i++;
      else if (c === '"') inStr = false;
    } else if (c === '"') inStr = true;
    else if (c === "{" || c === "[") stack.push(c);
    else if (c === "}" || c === "]") stack.pop();
  }
  return stack[stack.length - 1] === "{";
}

/** Whether the string ending at `end` (its closing quote) is an object key. */
function isKey(body: string, end: number): boolean {
  let i = end - 1;
  while (i >= 0 && !(body[i] === '"' && body[i - 1] !== "\\")) i--;
  i--;
  while (i >= 0 && /\s/.test(body[i])) i--;
  return i >= 0 && (body[i] === "{" || body[i] === ",");
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

const contexts = new WeakMap<Server, MonitorServer>();

/**
 * What the handlers read: the HTTP listener's own object when monitoring is on (so both
 * transports share its CPU sampler and request counts), else a stand-in with the same fields.
 */
function monitorContext(server: Server): MonitorServer {
  if (server.monitor !== null) return server.monitor;
  let m = contexts.get(server);
  if (m === undefined) {
    // the handlers read only these three fields (see varz.ts, connz.ts, subsz.ts, misc.ts)
    const stand = { server, cpu: new CpuSampler(), reqStats: new Map<string, number>() };
    m = stand as unknown as MonitorServer;
    contexts.set(server, m);
  }
  return m;
}

const HANDLERS: Record<MonitorEndpoint, (m: MonitorServer, q: URLSearchParams) => Reply> = {
  VARZ: handleVarz,
  CONNZ: handleConnz,
  SUBSZ: handleSubsz,
  ROUTEZ: handleRoutez,
  GATEWAYZ: handleGatewayz,
  LEAFZ: handleLeafz,
  ACCOUNTZ: handleAccountz,
  ACCSTATZ: handleAccountStatz,
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
  server: Server,
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
    let value = r.value;
    if (endpoint === "ACCSTATZ") value = filterAccounts(value, decoded.get("accounts") as string[] | undefined);
    return { data: value };
  } catch (e) {
    if (e instanceof BadRequest) return { error: { code: 500, description: e.message } };
    throw e;
  }
}

/** AccountStatzOptions.accounts: only the accounts named (all when none are). */
function filterAccounts(value: unknown, accounts: string[] | undefined): unknown {
  if (accounts === undefined || accounts.length === 0) return value;
  const v = value as { account_statz: { acc: string }[] };
  return { ...v, account_statz: v.account_statz.filter((a) => accounts.includes(a.acc)) };
}
