// Command-line flags with nats-server's names and meanings. Parsing follows Go's flag
// package: `-f value`, `-f=value`, `--f value`, `--f=value`; boolean flags take no value
// unless written `-f=false`; parsing stops at the first non-flag argument or `--`.
import { configPort, type PartialOptions } from "../options.js";
import type { TLSFlags } from "./tls.js";
import { parseGoBool } from "../strconv.js";

export class FlagError extends Error {}
/** A nats-server flag for a feature tsnats does not have yet: refused, not ignored. */
export class UnsupportedFlagError extends Error {}
/** An argument after the flags that is not a command nats-server knows (reported the same way). */
export class CommandError extends UnsupportedFlagError {}

type Kind = "bool" | "int" | "string";

interface FlagDef {
  names: string[];
  kind: Kind;
  apply: (r: FlagResult, v: string | number | boolean) => void;
  /** Accepted by nats-server but not implemented here yet: refuse it clearly. */
  unsupported?: string;
}

export interface FlagResult {
  /** Options set explicitly on the command line (they override the config file). */
  opts: PartialOptions;
  configFile: string;
  checkConfig: boolean;
  signal: string;
  help: boolean;
  version: boolean;
  /** Arguments after the flags: the first must be the command "version" or "help", as in nats-server. */
  rest: string[];
  /** --tls, --tlscert, ... as given (applied by tlsFromFlags in config/tls.ts). */
  tls: TLSFlags;
}

function auth(r: FlagResult) {
  return (r.opts.authorization ??= {});
}

const DEFS: FlagDef[] = [
  { names: ["h", "help"], kind: "bool", apply: (r, v) => (r.help = v as boolean) },
  { names: ["v", "version"], kind: "bool", apply: (r, v) => (r.version = v as boolean) },
  { names: ["p", "port"], kind: "int", apply: (r, v) => (r.opts.port = configPort(v as number)) },
  { names: ["n", "name", "server_name"], kind: "string", apply: (r, v) => (r.opts.server_name = v as string) },
  { names: ["a", "addr", "net"], kind: "string", apply: (r, v) => (r.opts.host = v as string) },
  { names: ["client_advertise"], kind: "string", apply: (r, v) => (r.opts.client_advertise = v as string) },
  { names: ["D", "debug"], kind: "bool", apply: (r, v) => (r.opts.debug = v as boolean) },
  { names: ["V", "trace"], kind: "bool", apply: (r, v) => (r.opts.trace = v as boolean) },
  {
    names: ["VV"],
    kind: "bool",
    apply: (r, v) => {
      r.opts.trace = v as boolean;
      r.opts.trace_verbose = v as boolean;
    },
  },
  {
    names: ["DV"],
    kind: "bool",
    apply: (r, v) => {
      r.opts.debug = v as boolean;
      r.opts.trace = v as boolean;
    },
  },
  {
    names: ["DVV"],
    kind: "bool",
    apply: (r, v) => {
      r.opts.debug = v as boolean;
      r.opts.trace = v as boolean;
      r.opts.trace_verbose = v as boolean;
    },
  },
  { names: ["T", "logtime"], kind: "bool", apply: (r, v) => (r.opts.logtime = v as boolean) },
  { names: ["logtime_utc"], kind: "bool", apply: (r, v) => (r.opts.logtime_utc = v as boolean) },
  { names: ["user"], kind: "string", apply: (r, v) => (auth(r).user = v as string) },
  { names: ["pass"], kind: "string", apply: (r, v) => (auth(r).password = v as string) },
  { names: ["auth"], kind: "string", apply: (r, v) => (auth(r).token = v as string) },
  { names: ["m", "http_port"], kind: "int", apply: (r, v) => (r.opts.http_port = v as number) },
  { names: ["ms", "https_port"], kind: "int", apply: (r, v) => (r.opts.https_port = v as number) },
  { names: ["c", "config"], kind: "string", apply: (r, v) => (r.configFile = v as string) },
  { names: ["t"], kind: "bool", apply: (r, v) => (r.checkConfig = v as boolean) },
  { names: ["sl", "signal"], kind: "string", apply: (r, v) => (r.signal = v as string) },
  { names: ["P", "pid"], kind: "string", apply: (r, v) => (r.opts.pid_file = v as string) },
  { names: ["ports_file_dir"], kind: "string", apply: (r, v) => (r.opts.ports_file_dir = v as string) },
  { names: ["l", "log"], kind: "string", apply: (r, v) => (r.opts.log_file = v as string) },
  { names: ["log_size_limit"], kind: "int", apply: (r, v) => (r.opts.logfile_size_limit = v as number) },
  { names: ["max_traced_msg_len"], kind: "int", apply: (r, v) => (r.opts.max_traced_msg_len = v as number) },
  { names: ["s", "syslog"], kind: "bool", apply: () => {}, unsupported: "syslog" },
  { names: ["r", "remote_syslog"], kind: "string", apply: () => {}, unsupported: "remote syslog" },
  { names: ["profile"], kind: "int", apply: () => {}, unsupported: "the Go profiling port" },
  { names: ["routes"], kind: "string", apply: () => {}, unsupported: "clustering" },
  { names: ["cluster", "cluster_listen"], kind: "string", apply: () => {}, unsupported: "clustering" },
  { names: ["cluster_advertise"], kind: "string", apply: () => {}, unsupported: "clustering" },
  { names: ["no_advertise"], kind: "bool", apply: () => {}, unsupported: "clustering" },
  { names: ["connect_retries"], kind: "int", apply: () => {}, unsupported: "clustering" },
  { names: ["cluster_name"], kind: "string", apply: () => {}, unsupported: "clustering" },
  { names: ["help_tls"], kind: "bool", apply: () => {}, unsupported: "the TLS help text (see docs/config.md)" },
  { names: ["tls"], kind: "bool", apply: (r, v) => (r.tls.tls = v as boolean) },
  { names: ["tlsverify"], kind: "bool", apply: (r, v) => (r.tls.tlsverify = v as boolean) },
  { names: ["tlscert"], kind: "string", apply: (r, v) => (r.tls.tlscert = v as string) },
  { names: ["tlskey"], kind: "string", apply: (r, v) => (r.tls.tlskey = v as string) },
  { names: ["tlscacert"], kind: "string", apply: (r, v) => (r.tls.tlscacert = v as string) },
  { names: ["js", "jetstream"], kind: "bool", apply: () => {}, unsupported: "JetStream" },
  { names: ["sd", "store_dir"], kind: "string", apply: () => {}, unsupported: "JetStream" },
];

const BY_NAME = new Map<string, FlagDef>();
for (const d of DEFS) for (const n of d.names) BY_NAME.set(n, d);

function parseBool(s: string, name: string): boolean {
  const v = parseGoBool(s);
  if (v !== null) return v;
  throw new FlagError(`invalid boolean value "${s}" for -${name}: parse error`);
}

/** Go's strconv underscoreOK: '_' only between digits (a base prefix counts as one). */
function underscoreOK(s: string): boolean {
  let saw = "^";
  let i = 0;
  if (s[0] === "-" || s[0] === "+") s = s.slice(1);
  const hex = /^0x/i.test(s);
  if (/^0[box]/i.test(s)) {
    i = 2;
    saw = "0";
  }
  for (; i < s.length; i++) {
    const c = s[i];
    if ((c >= "0" && c <= "9") || (hex && /[a-f]/i.test(c))) saw = "0";
    else if (c === "_") {
      if (saw !== "0") return false;
      saw = "_";
    } else {
      if (saw === "_") return false;
      saw = "!";
    }
  }
  return saw !== "_";
}

/** Go's flag package for an int flag: strconv.ParseInt(s, 0, 64), with its two error texts. */
function parseIntFlag(s: string, name: string): number {
  const syntax = new FlagError(`invalid value "${s}" for flag -${name}: parse error`);
  let body = s;
  const neg = body[0] === "-";
  if (body[0] === "-" || body[0] === "+") body = body.slice(1);
  if (body === "") throw syntax;
  let base = 10n;
  if (body[0] === "0") {
    const p = body.length >= 3 ? body[1].toLowerCase() : "";
    base = p === "b" ? 2n : p === "x" ? 16n : 8n;
    body = body.slice(p === "b" || p === "o" || p === "x" ? 2 : 1);
  }
  let n = 0n;
  let underscores = false;
  for (const c of body) {
    if (c === "_") {
      underscores = true;
      continue;
    }
    const d = /^[0-9a-z]$/i.test(c) ? BigInt(parseInt(c, 36)) : base;
    if (d >= base) throw syntax;
    n = n * base + d;
  }
  if (underscores && !underscoreOK(s)) throw syntax;
  if (neg ? n > 1n << 63n : n >= 1n << 63n)
    throw new FlagError(`invalid value "${s}" for flag -${name}: value out of range`);
  return Number(neg ? -n : n);
}

export function parseFlags(argv: string[]): FlagResult {
  const r: FlagResult = {
    opts: {},
    configFile: "",
    checkConfig: false,
    signal: "",
    help: false,
    version: false,
    rest: [],
    tls: {},
  };
  let i = 0;
  while (i < argv.length) {
    const a = argv[i];
    if (a === "--") {
      i++;
      break;
    }
    if (a.length < 2 || a[0] !== "-") break;
    let name = a.slice(a[1] === "-" ? 2 : 1);
    if (name.length === 0 || name[0] === "-" || name[0] === "=") throw new FlagError(`bad flag syntax: ${a}`);
    let value: string | undefined;
    const eq = name.indexOf("=");
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const def = BY_NAME.get(name);
    if (def === undefined) throw new FlagError(`flag provided but not defined: -${name}`);
    i++;
    if (def.kind === "bool") {
      const v = value === undefined ? true : parseBool(value, name);
      if (def.unsupported !== undefined)
        throw new UnsupportedFlagError(`-${name}: ${def.unsupported} is not supported by tsnats-server yet`);
      def.apply(r, v);
      continue;
    }
    if (value === undefined) {
      if (i >= argv.length) throw new FlagError(`flag needs an argument: -${name}`);
      value = argv[i++];
    }
    if (def.unsupported !== undefined)
      throw new UnsupportedFlagError(`-${name}: ${def.unsupported} is not supported by tsnats-server yet`);
    def.apply(r, def.kind === "int" ? parseIntFlag(value, name) : value);
  }
  r.rest = argv.slice(i);
  // nats-server's ProcessCommandLineArgs: the first argument after the flags is a command
  if (r.rest.length > 0) {
    const cmd = r.rest[0].toLowerCase();
    if (cmd === "version") r.version = true;
    else if (cmd === "help") r.help = true;
    else throw new CommandError(`unrecognized command: ${JSON.stringify(r.rest[0])}`);
  }
  return r;
}

export const USAGE = `
Usage: tsnats-server [options]

Server Options:
    -a, --addr, --net <host>         Bind to host address (default: 0.0.0.0)
    -p, --port <port>                Use port for clients (default: 4222, -1 for random)
    -n, --name
        --server_name <server_name>  Server name (default: auto)
    -P, --pid <file>                 File to store PID
    -m, --http_port <port>           Use port for http monitoring
    -ms,--https_port <port>          Use port for https monitoring
    -c, --config <file>              Configuration file
    -t                               Test configuration and exit
    -sl,--signal <signal>[=<pid>]    Send signal to tsnats-server process (ldm, stop, quit, term, reopen, reload)
                                     <pid> can be either a PID (e.g. 1) or the path to a PID file
        --client_advertise <string>  Client URL to advertise to other servers
        --ports_file_dir <dir>       Creates a ports file in the specified directory (<executable_name>_<pid>.ports)

Logging Options:
    -l, --log <file>                 File to redirect log output
    -T, --logtime                    Timestamp log entries (default: true)
    -D, --debug                      Enable debugging output
    -V, --trace                      Trace the raw protocol
    -VV                              Verbose trace
    -DV                              Debug and trace
    -DVV                             Debug and verbose trace
        --log_size_limit <limit>     Logfile size limit (default: auto)
        --max_traced_msg_len <len>   Maximum printable length for traced messages (default: unlimited)

Authorization Options:
        --user <user>                User required for connections
        --pass <password>            Password required for connections
        --auth <token>               Authorization token required for connections

TLS Options:
        --tls                        Enable TLS, do not verify clients (default: false)
        --tlscert <file>             Server certificate file
        --tlskey <file>              Private key for server certificate
        --tlsverify                  Enable TLS, verify client certificates
        --tlscacert <file>           Client certificate CA for verification

Not supported yet (refused with a message): clustering, JetStream, syslog and
profiling flags.

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show version
`;
