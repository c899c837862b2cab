// Stream and service exports and imports between accounts, as nats-server 2.10 has them
// (accounts.go, client.go): an account exports subjects, publicly or to named accounts;
// another imports a stream (messages published in the exporter reach the importer's
// subscribers, under a prefix or a remapped subject) or a service (requests published in the
// importer are delivered in the exporter, and the responses travel back across the import
// on a `_R_.` reply subject).
//
// Stream imports are shadow subscriptions: a subscription in the importing account that
// matches an import gets a twin in the exporting account's subject index, whose delivery
// hands the message (subject transformed) straight to the original subscription. Service
// imports are internal subscriptions (an InternalConnection of kind Account per account) on
// the imported subject. An account with neither pays nothing per message: no state, no
// listener, no branch on the delivery path.
import { goQuote } from "../protocol/quote.js";
import { subjectHasWildcard, subjectIsSubsetMatch, subjectsCollide, isValidSubject } from "../protocol/subject.js";
// account.ts imports this module too; Account is only constructed inside functions, after both have loaded
import { Account } from "./account.js";
import { ConnKind, InMsg, Subscription, type Conn, type ImportHop } from "./conn/conn.js";
import type { InternalConnection } from "./conn/internal.js";
import type { ExportConfig, ImportConfig } from "./options.js";
import { MappingError, SubjectTransform, toWire, transformTokenize, transformUntokenize } from "./mapping.js";

/** nats-server's DEFAULT_SERVICE_EXPORT_RESPONSE_THRESHOLD (2 minutes), in milliseconds. */
export const DEFAULT_RESPONSE_THRESHOLD_MS = 120_000;

/** How many responses a service export sends per request (nats-server's ServiceRespType). */
export type ResponseType = "singleton" | "stream" | "chunked";

/** The header nats-server puts on a request crossing a service import (ClientInfoHdr). */
export const CLIENT_INFO_HDR = "Nats-Request-Info";

// nats-server's error texts
export const ERR_MISSING_ACCOUNT = "account missing";
export const ERR_STREAM_IMPORT_AUTH = "stream import not authorized";
export const ERR_SERVICE_IMPORT_AUTH = "service import not authorized";
export const ERR_STREAM_IMPORT_BAD_PREFIX = "stream import prefix can not contain wildcard tokens";
export const ERR_STREAM_IMPORT_DUPLICATE = "stream import already exists";
export const ERR_IMPORT_CYCLE = "import forms a cycle";
export const ERR_CYCLE_DEPTH = "search cycle depth exhausted";
const ERR_INVALID_SUBJECT = "sublist: invalid subject";
const MAX_CYCLE_SEARCH_DEPTH = 1024;

/** What the accounts need from the server: internal connections and a logger. */
export interface AccountHost {
  createInternalConnection(kind: ConnKind, acc: Account, name: string): InternalConnection;
  readonly logger: { debugf(msg: string): void; errorf(msg: string): void };
}

/** An export's audience: null is public, otherwise the names of the accounts allowed. */
type Approved = Set<string> | null;

class StreamExport {
  constructor(public approved: Approved) {}
}

export class ServiceExport {
  respType: ResponseType = "singleton";
  thresholdMs = DEFAULT_RESPONSE_THRESHOLD_MS;
  approved: Approved = null;
  /** Checks the pending responses of this export for expiry while any are pending. */
  timer: NodeJS.Timeout | null = null;
  constructor(
    readonly acc: Account,
    readonly subject: string,
  ) {}
}

/** What stream and service imports both carry: where messages go and how their subject changes. */
abstract class SubjectImport {
  constructor(
    /** The account messages go to. */
    readonly acc: Account,
    /** The subject matched on the way in. */
    readonly from: string,
    /** The subject delivered in `acc`'s counterpart. */
    readonly to: string,
    /** from -> to when from has wildcards and to differs; null otherwise. */
    readonly tr: SubjectTransform | null,
    /** from has wildcards and to is the same: the published subject is delivered as is. */
    readonly usePub: boolean,
  ) {}
}

/**
 * A stream import: `acc` is the exporting account, `from` the subject in it, `to` the subject
 * the importing account sees.
 */
class StreamImport extends SubjectImport {
  private rtr: SubjectTransform | null = null;
  /** to -> from, for subscriptions more specific than `to`. */
  reverse(): SubjectTransform | null {
    if (this.rtr === null && this.tr !== null) this.rtr = this.tr.reverse();
    return this.rtr;
  }
}

/**
 * A service import: `acc` is where messages go (the exporter for a request import, the
 * requester's account for a response import); `from` the subject (for a response import, the
 * `_R_.` reply) matched in the local account; `to` the subject published in `acc` (for a
 * response import, the requester's own reply).
 */
export class ServiceImport extends SubjectImport implements ImportHop {
  /** The internal subscription on `from` (request imports only). */
  sub: Subscription | null = null;
  /** When a response import was made or last used (ms). */
  ts = 0;
  invalid = false;
  /** While a message crosses this import: the hops it crossed before (see InMsg.imported). */
  prev: ImportHop | null = null;
  constructor(
    acc: Account,
    from: string,
    to: string,
    tr: SubjectTransform | null,
    usePub: boolean,
    readonly se: ServiceExport | null,
    readonly rt: ResponseType,
    /** A response import, created per request. */
    readonly response: boolean,
  ) {
    super(acc, from, to, tr, usePub);
  }
  get export(): object | null {
    return this.se;
  }
}

/** One account's exports and imports. Accounts with none have `imports === null`. */
export class AccountImports {
  readonly streamExports = new Map<string, StreamExport | null>();
  readonly serviceExports = new Map<string, ServiceExport>();
  readonly streamImports: StreamImport[] = [];
  /** Service imports by local subject (`from`). */
  readonly serviceImports = new Map<string, ServiceImport>();
  /** Pending responses to requests that came in over an export, by `_R_.` reply subject. */
  readonly responses = new Map<string, ServiceImport>();
  /** Shadow subscriptions in exporting accounts, by the local subscription they serve. */
  readonly shadows = new Map<Subscription, Subscription[]>();
  /**
   * Requests of this account pending over a service import, by their own reply subject: the
   * exporter and its `_R_.` reply (nats-server's rrMap). When the last subscription on the reply
   * goes, the mappings go too, before their threshold.
   */
  readonly reverse = new Map<string, { acc: Account; msub: string }[]>();
  /** This account's internal connection (service import and response subscriptions). */
  ic: InternalConnection | null = null;
  /** `_R_.<6 chars>.`: the prefix of the reply subjects this account hands out to requests it serves. */
  siReply = "";
  respSub: Subscription | null = null;
  listening = false;
  readonly listener = (acc: Account, sub: Subscription, delta: 1 | -1) => onImporterInterest(acc, sub, delta);
  /**
   * The exports and imports the server made itself (not from the config), as calls to make
   * again after a rebuild from the config; exports (false) before imports (true).
   */
  readonly serverMade: { isImport: boolean; again: () => void }[] = [];
  constructor(readonly host: AccountHost | null) {}
}

/** True while buildAccountImports runs: what is added then comes from the config. */
let fromConfig = false;

/** Remember an export or import the server made itself, so that a rebuild keeps it. */
function remember(acc: Account, isImport: boolean, again: () => void): void {
  if (!fromConfig) state(acc).serverMade.push({ isImport, again });
}

function state(acc: Account): AccountImports {
  return (acc.imports ??= new AccountImports(acc.host));
}

// ---------------------------------------------------------------- exports

function approvedOf(accounts: readonly Account[] | null): Approved {
  if (accounts === null) return null;
  return new Set(accounts.map((a) => a.name));
}

/** A stream export; `accounts` null is public (nats-server's AddStreamExport). */
export function addStreamExport(acc: Account, subject: string, accounts: readonly Account[] | null): void {
  const st = state(acc);
  let ea = st.streamExports.get(subject) ?? null;
  if (accounts !== null) {
    ea ??= new StreamExport(new Set());
    ea.approved ??= new Set();
    for (const a of accounts) ea.approved.add(a.name);
  }
  st.streamExports.set(subject, ea);
  remember(acc, false, () => addStreamExport(acc, subject, accounts));
}

/** A service export (nats-server's AddServiceExportWithResponse and SetServiceExportResponseThreshold). */
export function addServiceExport(
  acc: Account,
  subject: string,
  accounts: readonly Account[] | null,
  responseType: ResponseType = "singleton",
  thresholdMs = 0,
): void {
  const st = state(acc);
  let se = st.serviceExports.get(subject);
  if (se === undefined) {
    se = new ServiceExport(acc, subject);
    st.serviceExports.set(subject, se);
  }
  if (responseType !== "singleton") se.respType = responseType;
  if (accounts !== null) {
    se.approved ??= new Set();
    for (const a of approvedOf(accounts) ?? []) se.approved.add(a);
  }
  se.thresholdMs = thresholdMs > 0 ? thresholdMs : DEFAULT_RESPONSE_THRESHOLD_MS;
  remember(acc, false, () => addServiceExport(acc, subject, accounts, responseType, thresholdMs));
}

function authorized(approved: Approved, importer: Account): boolean {
  return approved === null || approved.size === 0 ? approved === null : approved.has(importer.name);
}

/** May `importer` import `subject` as a stream from `acc`? (checkStreamImportAuthorized) */
export function checkStreamImportAuthorized(acc: Account, importer: Account, subject: string): boolean {
  const st = acc.imports;
  if (st === null || st.streamExports.size === 0 || !isValidSubject(subject)) return false;
  const direct = st.streamExports.get(subject);
  if (direct !== undefined) return direct === null || authorized(direct.approved, importer);
  for (const [subj, ea] of st.streamExports) {
    if (subjectIsSubsetMatch(subject, subj)) return ea === null || authorized(ea.approved, importer);
  }
  return false;
}

/** May `importer` import `subject` as a service from `acc`? (checkServiceImportAuthorized) */
export function checkServiceImportAuthorized(acc: Account, importer: Account, subject: string): boolean {
  const st = acc.imports;
  if (st === null || st.serviceExports.size === 0) return false;
  const direct = st.serviceExports.get(subject);
  if (direct !== undefined) return authorized(direct.approved, importer);
  for (const [subj, se] of st.serviceExports) {
    if (subjectIsSubsetMatch(subject, subj)) return authorized(se.approved, importer);
  }
  return false;
}

function getServiceExport(acc: Account, subject: string): ServiceExport | null {
  const st = acc.imports;
  if (st === null) return null;
  const se = st.serviceExports.get(subject);
  if (se !== undefined) return se;
  for (const [subj, e] of st.serviceExports) if (subjectIsSubsetMatch(subject, subj)) return e;
  return null;
}

// ---------------------------------------------------------------- cycles

function checkServiceImportsForCycles(acc: Account, from: string, visited: Set<string>): void {
  if (visited.size >= MAX_CYCLE_SEARCH_DEPTH) throw new Error(ERR_CYCLE_DEPTH);
  const st = acc.imports;
  if (st === null) return;
  for (const si of st.serviceImports.values()) {
    if (!subjectsCollide(from, si.to)) continue;
    if (visited.has(si.acc.name)) throw new Error(ERR_IMPORT_CYCLE);
    visited.add(acc.name);
    if (subjectIsSubsetMatch(si.from, from)) from = si.from;
    checkServiceImportsForCycles(si.acc, from, visited);
  }
}

function hasStreamExportMatching(acc: Account, to: string): boolean {
  const st = acc.imports;
  if (st === null) return false;
  for (const subj of st.streamExports.keys()) if (subjectIsSubsetMatch(to, subj)) return true;
  return false;
}

function checkStreamImportsForCycles(acc: Account, to: string, visited: Set<string>): void {
  if (visited.size >= MAX_CYCLE_SEARCH_DEPTH) throw new Error(ERR_CYCLE_DEPTH);
  if (!hasStreamExportMatching(acc, to)) return;
  const st = acc.imports as AccountImports;
  for (const si of st.streamImports) {
    if (!subjectsCollide(to, si.to)) continue;
    if (visited.has(si.acc.name)) throw new Error(ERR_IMPORT_CYCLE);
    visited.add(acc.name);
    if (subjectIsSubsetMatch(si.to, to)) to = si.to;
    checkStreamImportsForCycles(si.acc, to, visited);
  }
}

// ---------------------------------------------------------------- stream imports

/** A stream import under a prefix (nats-server's AddStreamImport); "" is no prefix. */
export function addStreamImport(acc: Account, from: Account | null | undefined, subject: string, prefix: string): void {
  if (from == null) throw new Error(ERR_MISSING_ACCOUNT);
  if (!checkStreamImportAuthorized(from, acc, subject)) throw new Error(ERR_STREAM_IMPORT_AUTH);
  if (prefix !== "") {
    if (subjectHasWildcard(prefix)) throw new Error(ERR_STREAM_IMPORT_BAD_PREFIX);
    if (!prefix.endsWith(".")) prefix += ".";
  }
  addMappedStreamImport(acc, from, subject, prefix + subject);
}

/** A stream import delivered as `to` ("" is the same subject) (AddMappedStreamImport). */
export function addMappedStreamImport(
  acc: Account,
  from: Account | null | undefined,
  subject: string,
  to: string,
): void {
  if (from == null) throw new Error(ERR_MISSING_ACCOUNT);
  if (!checkStreamImportAuthorized(from, acc, subject)) throw new Error(ERR_STREAM_IMPORT_AUTH);
  const given = to;
  if (to === "") to = subject;
  checkStreamImportsForCycles(from, to, new Set([acc.name]));
  checkStreamImportsForCycles(from, subject, new Set([acc.name]));
  let usePub = false;
  let tr: SubjectTransform | null = null;
  if (subjectHasWildcard(subject)) {
    if (to === subject) usePub = true;
    else {
      try {
        tr = SubjectTransform.compile(subject, transformTokenize(to), { strict: true });
      } catch (e) {
        if (!(e instanceof MappingError)) throw e;
        throw new Error(
          `failed to create mapping transform for stream import subject from ${goQuote(subject)} to ${goQuote(to)}: ${e.message}`,
        );
      }
      to = transformUntokenize(to)[0];
    }
  }
  const st = state(acc);
  for (const si of st.streamImports) {
    if (si.acc === from && si.from === subject) throw new Error(ERR_STREAM_IMPORT_DUPLICATE);
  }
  const im = new StreamImport(from, subject, to, tr, usePub);
  st.streamImports.push(im);
  remember(acc, true, () => addMappedStreamImport(acc, from, subject, given));
  if (acc.host !== null) {
    listen(acc, st);
    // subscriptions made before the import get their shadows now
    for (const sub of acc.sublist.all()) addShadows(acc, st, sub, [im]);
  }
}

function listen(acc: Account, st: AccountImports): void {
  if (st.listening) return;
  st.listening = true;
  acc.onInterest(st.listener);
}

/**
 * The twin of a subscription in an exporting account. Taking a message there means handing
 * it to the original subscription under the importer's subject. A message that crossed a
 * service import is not passed on to stream imports (nats-server's
 * pmrMsgImportedFromService), which is what keeps imports from looping.
 */
export class ShadowConn implements Conn {
  readonly kind: ConnKind;
  readonly cid: number;
  constructor(
    readonly real: Subscription,
    readonly im: StreamImport,
  ) {
    this.kind = real.kind;
    this.cid = real.conn.cid;
  }
  /** The importer's account: the twin is the importing connection's (as /subsz shows it, like nats-server). */
  get acc(): Account {
    return this.real.conn.acc;
  }
  deliver(_sub: Subscription, m: InMsg): boolean {
    if (m.imported !== null) return false;
    const subject = m.subject;
    const im = this.im;
    m.subject = im.tr !== null ? im.tr.transformMatched(subject) : im.usePub ? subject : im.to;
    try {
      return this.real.conn.deliver(this.real, m);
    } finally {
      m.subject = subject;
    }
  }
}

function tokensSubset(sub: string[], pattern: string[]): boolean {
  return subjectIsSubsetMatch(sub.join("."), pattern.join("."));
}

/**
 * The subject to shadow `subj` on in the exporter for import `im`, or null when they do
 * not meet (nats-server's addShadowSubscriptions/addShadowSub, its four cases).
 */
function shadowSubject(subj: string, im: StreamImport): string | null {
  if (subj === im.to) return im.from;
  const tokens = subj.split(".");
  const imTokens = im.to.split(".");
  let overlap = "";
  let dyn: boolean;
  if (tokensSubset(tokens, imTokens)) {
    dyn = true;
  } else if (subjectHasWildcard(subj)) {
    if (tokensSubset(imTokens, tokens)) dyn = false;
    else {
      let modified = false;
      for (let i = 0; i < tokens.length && i < imTokens.length; i++) {
        if (tokens[i] === "*" && imTokens[i] !== ">") {
          tokens[i] = imTokens[i];
          modified = true;
        }
      }
      const last = tokens.length - 1;
      if (tokens[last] === ">" && imTokens.length >= tokens.length) {
        tokens[last] = imTokens[last];
        modified = true;
        for (let i = tokens.length; i < imTokens.length; i++) tokens.push(imTokens[i]);
      }
      if (!modified || !tokensSubset(tokens, imTokens)) return null;
      overlap = tokens.join(".");
      dyn = true;
    }
  } else {
    return null;
  }
  if (!im.usePub && dyn && im.tr !== null) {
    const rtr = im.reverse();
    if (rtr === null) return null;
    return rtr.transformMatched(overlap !== "" ? overlap : subj);
  }
  if (!im.usePub || overlap !== "" || !dyn) return overlap !== "" ? overlap : im.from;
  return subj;
}

/**
 * Subscriptions of kind Account (service imports, `_R_.` responses, and the system account's
 * per-account services, which stand in for nats-server's service imports) get no shadow, as
 * nats-server 2.10 gives its service import subscriptions none; nor do shadows themselves.
 */
function isShadowable(sub: Subscription): boolean {
  return sub.kind !== ConnKind.Account && !(sub.conn instanceof ShadowConn);
}

function addShadows(acc: Account, st: AccountImports, sub: Subscription, ims: readonly StreamImport[]): void {
  if (!isShadowable(sub)) return;
  for (const im of ims) {
    const subject = shadowSubject(sub.subject, im);
    if (subject === null) continue;
    const shadow = new Subscription(new ShadowConn(sub, im), subject, sub.queue, sub.sid);
    try {
      im.acc.addSub(shadow);
    } catch {
      acc.host?.logger.debugf(`Could not add shadow import subscription for account ${goQuote(im.acc.name)}`);
      continue;
    }
    acc.host?.logger.debugf(`Creating import subscription on ${goQuote(subject)} from account ${goQuote(im.acc.name)}`);
    const list = st.shadows.get(sub);
    if (list === undefined) st.shadows.set(sub, [shadow]);
    else list.push(shadow);
  }
}

function removeShadows(st: AccountImports, sub: Subscription): void {
  const list = st.shadows.get(sub);
  if (list === undefined) return;
  st.shadows.delete(sub);
  for (const s of list) {
    s.closed = true;
    (s.conn as ShadowConn).im.acc.removeSub(s);
  }
}

function onImporterInterest(acc: Account, sub: Subscription, delta: 1 | -1): void {
  const st = acc.imports;
  if (st === null) return;
  if (delta === 1) {
    if (st.streamImports.length > 0) addShadows(acc, st, sub, st.streamImports);
  } else {
    removeShadows(st, sub);
    if (st.reverse.size > 0 && !sub.subject.startsWith("_R_.")) checkForReverseEntry(acc, sub.subject, null, true);
  }
}

/**
 * Drop the response mappings of requests from `acc` whose reply is `reply` (a wildcard
 * matches every such reply): all of them when `si` is null and (with `checkInterest`) nobody
 * in `acc` listens on the reply any more, else only `si`'s entry (nats-server's
 * checkForReverseEntry).
 */
function checkForReverseEntry(acc: Account, reply: string, si: ServiceImport | null, checkInterest: boolean): void {
  const st = acc.imports;
  if (st === null || st.reverse.size === 0) return;
  if (subjectHasWildcard(reply)) {
    if (si !== null) return;
    for (const r of [...st.reverse.keys()]) {
      if (!subjectHasWildcard(r) && subjectIsSubsetMatch(r, reply)) checkForReverseEntry(acc, r, null, checkInterest);
    }
    return;
  }
  const sres = st.reverse.get(reply);
  if (sres === undefined) return;
  if (si !== null) {
    const i = sres.findIndex((e) => e.msub === si.from);
    if (i >= 0) sres.splice(i, 1);
    if (sres.length === 0) st.reverse.delete(reply);
    return;
  }
  if (checkInterest && acc.sublist.hasInterest(reply)) return;
  st.reverse.delete(reply);
  for (const e of sres) e.acc.imports?.responses.delete(e.msub);
}

// ---------------------------------------------------------------- service imports

/**
 * A service import: requests published on `from` in `acc` go to `to` in `dest`
 * ("" is the same subject) (nats-server's AddServiceImport).
 */
export function addServiceImport(
  acc: Account,
  dest: Account | null | undefined,
  from: string,
  to: string,
  /** The server's own import (the system account's services): no export needed, as nats-server's internal flag. */
  internal = false,
): void {
  if (dest == null) throw new Error(ERR_MISSING_ACCOUNT);
  const given = [from, to] as const;
  if (to === "") to = from;
  if (!isValidSubject(from) || !isValidSubject(to)) throw new Error(ERR_INVALID_SUBJECT);
  if (!internal && !checkServiceImportAuthorized(dest, acc, to)) throw new Error(ERR_SERVICE_IMPORT_AUTH);
  const fromT = subjectHasWildcard(to) ? transformUntokenize(from)[0] : from;
  checkServiceImportsForCycles(dest, fromT, new Set([acc.name]));
  const se = getServiceExport(dest, to);
  const rt: ResponseType = se === null ? "singleton" : se.respType;
  const st = state(acc);
  const dup = st.serviceImports.get(from);
  if (dup !== undefined) {
    throw new Error(
      `duplicate service import subject ${goQuote(from)}, previously used in import for account ${goQuote(dup.acc.name)}, subject ${goQuote(dup.to)}`,
    );
  }
  let usePub = false;
  let tr: SubjectTransform | null = null;
  if (subjectHasWildcard(to)) {
    if (to === from) usePub = true;
    else {
      to = transformUntokenize(to)[0];
      try {
        tr = SubjectTransform.compile(to, transformTokenize(from), { strict: true });
      } catch (e) {
        if (!(e instanceof MappingError)) throw e;
        throw new Error(
          `failed to create mapping transform for service import subject from ${goQuote(from)} to ${goQuote(to)}: ${e.message}`,
        );
      }
      // the transform the other way: the local subject to the exported one
      from = transformUntokenize(from)[0];
      tr = tr.reverse();
    }
  }
  const si = new ServiceImport(dest, from, to, tr, usePub, se, rt, false);
  st.serviceImports.set(from, si);
  remember(acc, true, () => addServiceImport(acc, dest, given[0], given[1], internal));
  const ic = internalConn(acc, st);
  if (ic !== null) si.sub = ic.subscribe(from, (_s, m) => processServiceImport(acc, si, m));
}

function internalConn(acc: Account, st: AccountImports): InternalConnection | null {
  if (st.ic === null && st.host !== null) st.ic = st.host.createInternalConnection(ConnKind.Account, acc, "ACCOUNT");
  return st.ic;
}

const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function randomToken(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += DIGITS[(Math.random() * 62) | 0];
  return s;
}

/** A fresh `_R_.<prefix>.<token>` reply in `acc`, subscribing its wildcard on first use (newServiceReply). */
function newServiceReply(acc: Account, st: AccountImports): string {
  if (st.siReply === "") {
    st.siReply = `_R_.${randomToken(6)}.`;
    const ic = internalConn(acc, st);
    if (ic !== null) st.respSub = ic.subscribe(`${st.siReply}>`, (_s, m) => processServiceImportResponse(acc, m));
  }
  return st.siReply + randomToken(6);
}

/**
 * A response mapping in the exporter `acc` for a request from `dest` whose reply is `to`
 * (nats-server's addRespServiceImport).
 */
function addRespServiceImport(acc: Account, dest: Account, to: string, osi: ServiceImport): ServiceImport {
  const st = state(acc);
  const nrr = newServiceReply(acc, st);
  const si = new ServiceImport(dest, nrr, to, null, false, osi.se, osi.rt, true);
  si.ts = Date.now();
  st.responses.set(nrr, si);
  if (osi.se !== null) setResponseThresholdTimer(osi.se);
  // the requester's side remembers it, to drop it early when the requester stops listening
  const ds = state(dest);
  const list = ds.reverse.get(to);
  if (list === undefined) ds.reverse.set(to, [{ acc, msub: nrr }]);
  else list.push({ acc, msub: nrr });
  if (dest.host !== null) listen(dest, ds);
  return si;
}

function removeRespServiceImport(acc: Account, si: ServiceImport | null): void {
  if (si === null) return;
  acc.imports?.responses.delete(si.from);
  checkForReverseEntry(si.acc, si.to, si, false);
}

function setResponseThresholdTimer(se: ServiceExport): void {
  if (se.timer !== null) return;
  se.timer = setTimeout(() => checkExpiredResponses(se), se.thresholdMs);
  se.timer.unref();
}

function clearResponseThresholdTimer(se: ServiceExport): void {
  if (se.timer !== null) clearTimeout(se.timer);
  se.timer = null;
}

/** Drop the responses of `se` older than its threshold; run again while any remain (checkExpiredResponses). */
function checkExpiredResponses(se: ServiceExport): void {
  se.timer = null;
  const st = se.acc.imports;
  if (st === null) return;
  const min = Date.now() - se.thresholdMs;
  let left = 0;
  for (const si of [...st.responses.values()]) {
    if (si.se !== se) continue;
    if (si.ts <= min) removeRespServiceImport(se.acc, si);
    else left++;
  }
  if (left > 0) setResponseThresholdTimer(se);
}

function processServiceImportResponse(acc: Account, m: InMsg): void {
  const st = acc.imports;
  if (st === null || st.responses.size === 0) return;
  const si = st.responses.get(m.subject);
  if (si === undefined || si.invalid) return;
  processServiceImport(acc, si, m);
}

/** Per nesting depth of imports, the message delivered on (so a request allocates no InMsg). */
const hopMsgs: InMsg[] = [];
let hopDepth = 0;

/**
 * A message on a service import's subject in `acc` (or, for a response import, on a `_R_.`
 * reply): deliver it in `si.acc`, its reply swapped for a fresh `_R_.` reply that routes the
 * responses back (nats-server's processServiceImport).
 */
function processServiceImport(acc: Account, si: ServiceImport, m: InMsg): void {
  const isResponse = si.response;
  if (m.kind === ConnKind.Router && !isResponse) return;
  // a request that already crossed this export is a cycle: drop it
  for (let h = m.imported; h !== null; h = h.prev) if (h.export === si.se && h.export !== null) return;
  if (si.invalid) return;
  let nrr = "";
  let rsi: ServiceImport | null = null;
  const reply = m.reply;
  if (reply.length > 0) {
    if (!reply.startsWith("$JS.ACK.")) {
      rsi = addRespServiceImport(si.acc, acc, reply, si);
      nrr = rsi.from;
    } else nrr = reply;
  }
  const subject = m.subject;
  let to = si.to;
  if (si.tr !== null) to = si.tr.transformMatched(subject);
  else if (si.usePub) to = subject;
  // the destination account's mappings apply to what crosses into it (selectMappedSubject)
  const mp = si.acc.mappings;
  if (mp.size !== 0) {
    const mapped = mp.map(to);
    if (mapped !== null) to = mapped;
  }

  let buf = m.buf;
  let start = m.start;
  let end = m.end;
  let hdr = m.hdr;
  if (!isResponse) {
    const info = clientInfoHeader(acc, m);
    if (info !== null) {
      buf = setHeader(m, CLIENT_INFO_HDR, info);
      hdr = buf.length - (end - start - hdr);
      start = 0;
      end = buf.length;
    }
  }
  si.prev = m.imported;
  const out = (hopMsgs[hopDepth] ??= new InMsg());
  out.set(to, nrr, hdr, buf, start, end);
  out.origin = m.origin;
  out.kind = m.kind;
  out.imported = si;
  hopDepth++;
  let delivered: boolean;
  try {
    // a mapping whose weights chose no destination: the message goes nowhere
    delivered = to !== "" && si.acc.deliver(out);
  } finally {
    hopDepth--;
    out.imported = null;
    out.origin = null;
    out.buf = EMPTY;
    si.prev = null;
  }
  const shouldRemove = !delivered || (isResponse && (si.rt === "singleton" || end - start === 0));
  if (si.rt !== "singleton" && delivered) si.ts = Date.now();
  if (shouldRemove) {
    if (isResponse) removeRespServiceImport(acc, si);
    else removeRespServiceImport(si.acc, rsi);
  }
}

const EMPTY = Buffer.alloc(0);

/** The requester's ClientInfo as nats-server puts it on a request (acc, svc, rtt). */
function clientInfoHeader(acc: Account, m: InMsg): string | null {
  if (m.imported !== null) {
    // crossed an import already: keep the requester's info, naming this account as the service
    const prev = getHeader(m, CLIENT_INFO_HDR);
    if (prev === null) return null;
    try {
      const ci = JSON.parse(prev) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      // Go's field order: start host id acc svc user ...
      for (const k of ["start", "host", "id", "acc"]) if (ci[k] !== undefined) out[k] = ci[k];
      out.svc = acc.name;
      for (const [k, v] of Object.entries(ci)) if (!(k in out)) out[k] = v;
      return JSON.stringify(out);
    } catch {
      return null;
    }
  }
  const o = m.origin;
  if (o === null) return null;
  const k = o.kind;
  if (k !== ConnKind.Client && k !== ConnKind.Leaf && k !== ConnKind.JetStream && k !== ConnKind.Account) return null;
  const rtt = (o as Conn & { rtt?: number }).rtt;
  const ns = typeof rtt === "number" && rtt > 0 ? Math.round(rtt * 1e6) : 0;
  return ns > 0 ? `{"acc":${JSON.stringify(o.acc.name)},"rtt":${ns}}` : `{"acc":${JSON.stringify(o.acc.name)}}`;
}

const CRLF = "\r\n";

/** One header's value in m's header block (the first line named `key`, case-sensitive as nats-server), or null. */
function getHeader(m: InMsg, key: string): string | null {
  if (m.hdr === 0) return null;
  const h = m.buf.toString("latin1", m.start, m.start + m.hdr);
  const lines = h.split(CRLF);
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith(key) && l.charCodeAt(key.length) === 58) return l.slice(key.length + 1).trim();
  }
  return null;
}

/** m's message with header `key` set to `value` (replacing it), as a new buffer (nats-server's setHeader). */
function setHeader(m: InMsg, key: string, value: string): Buffer {
  let head = "NATS/1.0\r\n";
  if (m.hdr > 4) {
    // the block without its final CRLF: "NATS/1.0\r\nA: b\r\n"
    const lines = m.buf.toString("latin1", m.start, m.start + m.hdr - 2).split(CRLF);
    const kept = lines.filter(
      (l, i) => i === 0 || (l !== "" && !(l.startsWith(key) && l.charCodeAt(key.length) === 58)),
    );
    head = kept.join(CRLF) + CRLF;
  }
  head += `${key}: ${value}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), m.buf.subarray(m.start + m.hdr, m.end)]);
}

// ---------------------------------------------------------------- configuration

/** An account as buildAccountImports reads it (ServerOptions.accounts[], or less). */
export interface AccountConfigLike {
  name: string;
  exports?: readonly ExportConfig[];
  imports?: readonly ImportConfig[];
}

/** Whatever holds the accounts by name (the Server, or a scratch map for checking a config). */
export interface AccountSet {
  lookupAccount(name: string): Account | undefined;
  registerAccount(name: string): Account;
}

/**
 * Tear down every import and export of `acc`: shadow subscriptions in exporters, service
 * import subscriptions, pending responses and their timers. The account's clients and their
 * own subscriptions stay.
 */
export function clearAccountImports(acc: Account): void {
  const st = acc.imports;
  if (st === null) return;
  for (const sub of [...st.shadows.keys()]) removeShadows(st, sub);
  if (st.listening) acc.offInterest(st.listener);
  for (const se of st.serviceExports.values()) clearResponseThresholdTimer(se);
  for (const si of st.serviceImports.values()) si.invalid = true;
  for (const si of st.responses.values()) si.invalid = true;
  if (st.ic !== null) st.ic.close();
  acc.imports = null;
}

/**
 * Build the exports and imports of `configs` in nats-server's order (stream exports, service
 * exports, stream imports, service imports, each over all accounts), returning its error
 * texts (without a file position) instead of throwing, so that a config check can report
 * them all.
 */
export function buildAccountImports(set: AccountSet, configs: readonly AccountConfigLike[]): string[] {
  const was = fromConfig;
  fromConfig = true;
  try {
    return buildFromConfig(set, configs);
  } finally {
    fromConfig = was;
  }
}

function buildFromConfig(set: AccountSet, configs: readonly AccountConfigLike[]): string[] {
  const errors: string[] = [];
  // Config text is UTF-8; subjects on the wire are latin1 strings (one char per byte). Subjects
  // are used in wire form, and a message (built from wire-form pieces) is turned back into text.
  const w = toWire;
  const text = (msg: string): string => Buffer.from(msg, "latin1").toString("utf8");
  const q = (s: string): string => goQuote(w(s));
  const acc = (c: AccountConfigLike) => set.registerAccount(c.name);
  const exportAccounts = (names: readonly string[] | undefined, what: string): Account[] | null => {
    if (names === undefined) return null;
    const out: Account[] = [];
    for (const n of names) {
      const a = set.lookupAccount(n);
      if (a === undefined) errors.push(text(`${q(n)} account not defined for ${what} export`));
      else out.push(a);
    }
    // as nats-server's config: an export listing no (known) account is public
    return out.length === 0 ? null : out;
  };
  for (const c of configs) acc(c);
  for (const c of configs) {
    for (const e of c.exports ?? []) {
      if (e.stream === undefined) continue;
      const accounts = exportAccounts(e.accounts, "stream");
      addStreamExport(acc(c), w(e.stream), accounts);
    }
  }
  for (const c of configs) {
    for (const e of c.exports ?? []) {
      if (e.service === undefined) continue;
      const accounts = exportAccounts(e.accounts, "service");
      addServiceExport(acc(c), w(e.service), accounts, e.response_type ?? "singleton", e.response_threshold ?? 0);
    }
  }
  // every import of one kind: the named account must exist, then `add` it (its throw is the error)
  const importAll = (
    kind: "stream" | "service",
    add: (c: AccountConfigLike, i: ImportConfig, from: Account, subject: string) => void,
  ): void => {
    for (const c of configs) {
      for (const i of c.imports ?? []) {
        const s = i[kind];
        if (s === undefined) continue;
        const from = set.lookupAccount(s.account);
        if (from === undefined) {
          errors.push(text(`${q(s.account)} account not defined for ${kind} import`));
          continue;
        }
        try {
          add(c, i, from, s.subject);
        } catch (err) {
          errors.push(text(`Error adding ${kind} import ${q(s.subject)}: ${(err as Error).message}`));
        }
      }
    }
  };
  importAll("stream", (c, i, from, subject) => {
    if (i.prefix !== undefined && i.prefix !== "") addStreamImport(acc(c), from, w(subject), w(i.prefix));
    else addMappedStreamImport(acc(c), from, w(subject), w(i.to ?? ""));
  });
  importAll("service", (c, i, dest, subject) =>
    addServiceImport(acc(c), dest, w(i.to !== undefined && i.to !== "" ? i.to : subject), w(subject)),
  );
  return errors;
}

/**
 * Check the exports and imports of a config without a server (for -t and the config
 * loader): nats-server's error texts, in its order, without file positions.
 */
export function checkAccountImports(
  configs: readonly AccountConfigLike[],
  makeAccount: (name: string) => Account,
): string[] {
  const m = new Map<string, Account>();
  const set: AccountSet = {
    lookupAccount: (n) => m.get(n),
    registerAccount: (n) => {
      let a = m.get(n);
      if (a === undefined) {
        a = makeAccount(n);
        m.set(n, a);
      }
      return a;
    },
  };
  return buildAccountImports(set, configs);
}

/**
 * Build every account's exports and imports from `configs` on a server, replacing whatever
 * was built before, so that it serves start-up and reload alike (it is idempotent: calling
 * it again with the same configs gives the same state). The configs are checked first on
 * scratch accounts: a refused config throws an Error with nats-server's texts (one per line)
 * and changes nothing. Then the old imports and exports of every account are torn down and
 * the new ones built; subscriptions that clients already have get their shadows again and
 * no connection is closed. Responses still pending across a service import are dropped
 * (their requesters time out), as they are for nats-server's rebuilt accounts.
 */
export function configureAccounts(
  set: AccountSet & { readonly accounts: Map<string, Account> },
  configs: readonly AccountConfigLike[],
): void {
  const errors = checkAccountImports(configs, (n) => new Account(n));
  if (errors.length > 0) throw new Error(errors.join("\n"));
  // what the server made itself (system account services, say) is made again after the rebuild
  const made: { isImport: boolean; again: () => void }[] = [];
  for (const a of set.accounts.values()) if (a.imports !== null) made.push(...a.imports.serverMade);
  for (const a of set.accounts.values()) clearAccountImports(a);
  const again = buildAccountImports(set, configs);
  const log = set.accounts.values().next().value?.host?.logger;
  for (const isImport of [false, true]) {
    for (const m of made) {
      if (m.isImport !== isImport) continue;
      try {
        m.again();
      } catch (e) {
        // one the new config now collides with: the config's stays
        log?.errorf(`Error restoring the server's own import or export: ${(e as Error).message}`);
      }
    }
  }
  if (again.length > 0) throw new Error(again.join("\n"));
}

/** Tear down the imports and exports of every account (server shutdown: no timers left behind). */
export function shutdownAccounts(accounts: Iterable<Account>): void {
  for (const a of accounts) clearAccountImports(a);
}
