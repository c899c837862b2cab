// The checks nats-server makes on the accounts block once every account is known (its
// parseAccounts, after the per-account fields): the accounts named by exports and imports
// exist, every import is allowed by an export of the other account, a stream prefix is a
// literal, an import is not given twice and no chain of imports comes back to where it
// started. nats-server makes them while loading the file, so `-t` reports them; the texts
// are its own (without the position, which the loader puts in front).
import { isValidSubject } from "../../protocol/subject.js";
import type { AccountConfig, MappingDest, ServerOptions } from "../options.js";
import { SubjectTransform, transformTokenize, validateMapping } from "../mapping.js";
import { goQuote } from "../../protocol/quote.js";

/** The hook of the mapping engine: null when the mapping is valid, else its error text. */
export type MappingValidator = (source: string, dests: MappingDest[]) => string | null;

/** The mapping engine's check (src/server/mapping.ts), the loader's one call into it. */
export const validateMappingHook: MappingValidator = validateMapping;

interface StreamImp {
  acc: string;
  from: string;
  to: string;
}

interface ServiceImp {
  acc: string;
  from: string;
  to: string;
}

/** An export's authorisation: null for a public one, else the accounts allowed. */
type ExportAuth = Set<string> | null;

interface AccState {
  streamExports: Map<string, ExportAuth>;
  serviceExports: Map<string, ExportAuth>;
  streamImports: StreamImp[];
  /** Keyed by the local subject, as nats-server keys them. */
  serviceImports: Map<string, ServiceImp>;
}

const tokens = (s: string): string[] => s.split(".");

/** nats-server's isSubsetMatchTokenized: is the subject `toks` within `test`? */
function isSubsetMatch(toks: string[], test: string): boolean {
  const tt = tokens(test);
  for (let i = 0; i < tt.length; i++) {
    if (i >= toks.length) return false;
    const t2 = tt[i];
    if (t2 === "") return false;
    if (t2 === ">") return true;
    const t1 = toks[i];
    if (t1 === "" || t1 === ">") return false;
    if (t1 === "*") {
      if (t2 !== "*") return false;
      continue;
    }
    if (t2 !== "*" && t1 !== t2) return false;
  }
  return toks.length === tt.length;
}

function subjectIsSubsetMatch(subject: string, test: string): boolean {
  return isSubsetMatch(tokens(subject), test);
}

function tokensCanMatch(t1: string, t2: string): boolean {
  if (t1 === "" || t2 === "") return false;
  if (t1 === "*" || t2 === "*" || t1 === ">" || t2 === ">") return true;
  return t1 === t2;
}

/** nats-server's SubjectsCollide: can one subject match what the other matches? */
export function subjectsCollide(s1: string, s2: string): boolean {
  if (s1 === s2) return true;
  const t1 = tokens(s1);
  const t2 = tokens(s2);
  const p1 = t1.includes("*");
  const f1 = t1.includes(">");
  const p2 = t2.includes("*");
  const f2 = t2.includes(">");
  const l1 = !(p1 || f1);
  const l2 = !(p2 || f2);
  if (l1 && l2) return s1 === s2;
  if (l1 && !l2) return isSubsetMatch(t1, s2);
  if (l2 && !l1) return isSubsetMatch(t2, s1);
  if (!f1 && !f2 && t1.length !== t2.length) return false;
  if (t1.length !== t2.length) {
    if ((t1.length < t2.length && !f1) || (t2.length < t1.length && !f2)) return false;
  }
  const stop = Math.min(t1.length, t2.length);
  for (let i = 0; i < stop; i++) if (!tokensCanMatch(t1[i], t2[i])) return false;
  return true;
}

const hasWildcard = (s: string): boolean => tokens(s).some((t) => t === "*" || t === ">");

/** nats-server's transformUntokenize: `$1` and `{{wildcard(1)}}` tokens become `*`. */
function untokenize(subject: string): string {
  return tokens(subject)
    .map((t) => (/^\$[1-9]/.test(t) || /^\{\{\s*wildcard\s*\(\s*\d+\s*\)\s*\}\}$/i.test(t) ? "*" : t))
    .join(".");
}

function approved(exports: Map<string, ExportAuth>, importer: string, subject: string): boolean {
  if (exports.size === 0 || !isValidSubject(subject)) return false;
  const check = (auth: ExportAuth): boolean => auth === null || auth.has(importer);
  const direct = exports.get(subject);
  if (direct !== undefined || exports.has(subject)) return check(direct ?? null);
  const toks = tokens(subject);
  // nats-server stops at the first export (in its map order) the subject falls within
  for (const [subj, auth] of exports) if (isSubsetMatch(toks, subj)) return check(auth);
  return false;
}

class Graph {
  readonly accs = new Map<string, AccState>();

  constructor(accounts: AccountConfig[]) {
    for (const a of accounts) {
      this.accs.set(a.name, {
        streamExports: new Map(),
        serviceExports: new Map(),
        streamImports: [],
        serviceImports: new Map(),
      });
    }
  }

  serviceCycle(acc: string, from: string, visited: Set<string>): boolean {
    // nats-server's checkServiceImportsForCycles (its depth limit of 1024 accounts is not reached here)
    const a = this.accs.get(acc);
    if (a === undefined) return false;
    for (const si of a.serviceImports.values()) {
      if (!subjectsCollide(from, si.to)) continue;
      if (visited.has(si.acc)) return true;
      visited.add(acc);
      if (subjectIsSubsetMatch(si.from, from)) from = si.from;
      if (this.serviceCycle(si.acc, from, visited)) return true;
    }
    return false;
  }

  streamCycle(acc: string, to: string, visited: Set<string>): boolean {
    const a = this.accs.get(acc);
    if (a === undefined) return false;
    let exported = false;
    for (const subj of a.streamExports.keys()) if (subjectIsSubsetMatch(to, subj)) exported = true;
    if (!exported) return false;
    for (const si of a.streamImports) {
      if (!subjectsCollide(to, si.to)) continue;
      if (visited.has(si.acc)) return true;
      visited.add(acc);
      if (subjectIsSubsetMatch(si.to, to)) to = si.to;
      if (this.streamCycle(si.acc, to, visited)) return true;
    }
    return false;
  }

  /** nats-server's AddMappedStreamImport (after AddStreamImport's own checks). */
  addStreamImport(importer: string, exporter: string, from: string, to: string): string | null {
    const a = this.accs.get(importer)!;
    const e = this.accs.get(exporter)!;
    if (!approved(e.streamExports, importer, from)) return "stream import not authorized";
    if (to === "") to = from;
    if (this.streamCycle(exporter, to, new Set([importer]))) return "import forms a cycle";
    if (this.streamCycle(exporter, from, new Set([importer]))) return "import forms a cycle";
    // a wildcard `from` mapped to another `to` is a strict subject transform, as in nats-server
    if (hasWildcard(from) && to !== from) {
      const why = SubjectTransform.check(from, transformTokenize(to), { strict: true });
      if (why !== null) {
        return `failed to create mapping transform for stream import subject from ${goQuote(from)} to ${goQuote(to)}: ${why}`;
      }
      to = untokenize(to);
    }
    if (a.streamImports.some((si) => si.acc === exporter && si.from === from)) return "stream import already exists";
    a.streamImports.push({ acc: exporter, from, to });
    return null;
  }

  /** nats-server's AddServiceImport: `from` is the local subject, `to` the exported one. */
  addServiceImport(importer: string, exporter: string, from: string, to: string): string | null {
    const a = this.accs.get(importer)!;
    const e = this.accs.get(exporter)!;
    if (to === "") to = from;
    if (!isValidSubject(from) || !isValidSubject(to)) return "sublist: invalid subject";
    if (!approved(e.serviceExports, importer, to)) return "service import not authorized";
    const fromT = hasWildcard(to) ? untokenize(from) : from;
    if (this.serviceCycle(exporter, fromT, new Set([importer]))) return "import forms a cycle";
    const dup = a.serviceImports.get(from);
    if (dup !== undefined) {
      return `duplicate service import subject ${JSON.stringify(from)}, previously used in import for account ${JSON.stringify(dup.acc)}, subject ${JSON.stringify(dup.to)}`;
    }
    a.serviceImports.set(from, { acc: exporter, from, to });
    return null;
  }
}

/**
 * nats-server's checks of the accounts block once all accounts are parsed, in its order:
 * stream exports, service exports, stream imports, service imports. Every problem, one line
 * each (a failed import is left out of the later checks, as nats-server leaves it out).
 */
export function accountGraphErrors(opts: Pick<ServerOptions, "accounts">): string[] {
  const errs: string[] = [];
  const g = new Graph(opts.accounts);
  const allowed = (names: string[] | undefined, what: string): ExportAuth => {
    if (names === undefined) return null;
    const set = new Set<string>();
    for (const n of names) {
      if (g.accs.has(n)) set.add(n);
      else errs.push(`${JSON.stringify(n)} account not defined for ${what} export`);
    }
    // as nats-server, an export whose accounts are all unknown (or none) is public
    return set.size === 0 ? null : set;
  };
  for (const a of opts.accounts) {
    for (const e of a.exports) {
      if (e.stream === undefined) continue;
      const auth = allowed(e.accounts, "stream");
      const st = g.accs.get(a.name)!;
      const prev = st.streamExports.get(e.stream);
      if (auth === null) st.streamExports.set(e.stream, prev ?? null);
      else st.streamExports.set(e.stream, new Set([...(prev ?? []), ...auth]));
    }
  }
  for (const a of opts.accounts) {
    for (const e of a.exports) {
      if (e.service === undefined) continue;
      const auth = allowed(e.accounts, "service");
      const st = g.accs.get(a.name)!;
      const prev = st.serviceExports.get(e.service);
      if (auth === null) st.serviceExports.set(e.service, prev ?? null);
      else st.serviceExports.set(e.service, new Set([...(prev ?? []), ...auth]));
    }
  }
  for (const a of opts.accounts) {
    for (const i of a.imports) {
      if (i.stream === undefined) continue;
      const { account, subject } = i.stream;
      if (!g.accs.has(account)) {
        errs.push(`${JSON.stringify(account)} account not defined for stream import`);
        continue;
      }
      let err: string | null;
      const pre = i.prefix ?? "";
      if (pre !== "") {
        if (!approved(g.accs.get(account)!.streamExports, a.name, subject)) err = "stream import not authorized";
        else if (hasWildcard(pre)) err = "stream import prefix can not contain wildcard tokens";
        else err = g.addStreamImport(a.name, account, subject, (pre.endsWith(".") ? pre : `${pre}.`) + subject);
      } else err = g.addStreamImport(a.name, account, subject, i.to ?? "");
      if (err !== null) errs.push(`Error adding stream import ${JSON.stringify(subject)}: ${err}`);
    }
  }
  for (const a of opts.accounts) {
    for (const i of a.imports) {
      if (i.service === undefined) continue;
      const { account, subject } = i.service;
      if (!g.accs.has(account)) {
        errs.push(`${JSON.stringify(account)} account not defined for service import`);
        continue;
      }
      const to = i.to === undefined || i.to === "" ? subject : i.to;
      const err = g.addServiceImport(a.name, account, to, subject);
      if (err !== null) errs.push(`Error adding service import ${JSON.stringify(subject)}: ${err}`);
    }
  }
  return errs;
}

/**
 * The accounts block's cross-account problems as nats-server reports them (one per line), or
 * null when there are none. nats-server finds these while loading the file (so `-t` fails);
 * the loader already calls this, the server may call it again on options built in code.
 */
export function checkAccountGraph(opts: Pick<ServerOptions, "accounts">): string | null {
  const errs = accountGraphErrors(opts);
  return errs.length === 0 ? null : errs.join("\n");
}

/**
 * nats-server's check of system_account when the server starts (its configureAccounts, not
 * `-t`): a name that is not an account of the accounts block is refused, "$SYS" included;
 * no_system_account does not lift it. "$G" always exists.
 */
export function systemAccountError(opts: Pick<ServerOptions, "accounts" | "system_account">): string | null {
  const sa = opts.system_account;
  if (sa === "" || sa === "$G" || opts.accounts.some((a) => a.name === sa)) return null;
  return "error resolving system account: account missing";
}
