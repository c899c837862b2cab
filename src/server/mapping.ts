// Subject mappings and subject transforms, as nats-server 2.10 defines them
// (server/subject_transform.go, the mapping part of accounts.go, and how opts.go reads a
// `mappings {}` block). A pure module: it knows no Server, account or connection.
//
// Subjects on the hot path are latin1 strings (one char per wire byte, as src/protocol/ hands
// them over), so slicing and hashing here work on bytes exactly as Go does. Config text is UTF-8:
// AccountMappings converts it once when a mapping is added; error texts keep the config's text.
//
// A compiled transform keeps its destination as an op list (literal token, wildcard, partition,
// split...) computed once; transforming one subject fills a shared token-offset scratch array and
// builds the result string, nothing else.

import { goQuote } from "../protocol/quote.js";
import { isValidSubject, subjectHasWildcard } from "../protocol/subject.js";

/** One destination of a mapping as the config loader gives it: weight in percent, 0..100. */
export interface MappingDestination {
  subject: string;
  weight: number;
  cluster?: string;
}

/** One entry of a `mappings {}` block (top level or inside an account). */
export interface MappingConfig {
  subject: string;
  destinations: MappingDestination[];
}

/** A mapping or transform refused, with nats-server's error text as its message. */
export class MappingError extends Error {
  override name = "MappingError";
}

// nats-server's error texts (server/errors.go).
export const ErrBadSubject = "invalid subject";
const ErrInvalidMappingDestination = "invalid mapping destination";
export const ErrInvalidMappingDestinationSubject = `${ErrInvalidMappingDestination}: invalid subject`;
export const ErrMappingDestinationNotUsingAllWildcards = `${ErrInvalidMappingDestination}: not using all of the token wildcard(s)`;
export const ErrUnknownMappingDestinationFunction = `${ErrInvalidMappingDestination}: unknown function`;
export const ErrMappingDestinationIndexOutOfRange = `${ErrInvalidMappingDestination}: wildcard index out of range`;
export const ErrMappingDestinationNotEnoughArgs = `${ErrInvalidMappingDestination}: not enough arguments passed to the function`;
export const ErrMappingDestinationInvalidArg = `${ErrInvalidMappingDestination}: function argument is invalid or in the wrong format`;
export const ErrMappingDestinationTooManyArgs = `${ErrInvalidMappingDestination}: too many arguments passed to the function`;
export const ErrMappingDestinationNotSupportedForImport = `${ErrInvalidMappingDestination}: the only mapping function allowed for import transforms is {{Wildcard()}}`;

/** nats-server's mappingDestinationErr: "<error> in <token>". */
function destErr(token: string, err: string): MappingError {
  return new MappingError(`${err} in ${token}`);
}

// ---------------------------------------------------------------------------------------------
// Destination functions

/** Op kinds of a destination token (nats-server's transform types). */
export const TransformOp = {
  None: 0,
  Partition: 2,
  Wildcard: 3,
  SplitFromLeft: 4,
  SplitFromRight: 5,
  SliceFromLeft: 6,
  SliceFromRight: 7,
  Split: 8,
  Left: 9,
  Right: 10,
} as const;
export type TransformOp = (typeof TransformOp)[keyof typeof TransformOp];

// Go's regexp \s is [\t\n\f\r ] and its '.' is anything but '\n'; the function names accept either
// case only for their first letter and each inner capital (Wildcard, splitfromleft, SplitFromLeft).
const S = "[\\t\\n\\f\\r ]*";
const fn = (name: string) => new RegExp(`\\{\\{${S}${name}${S}\\(([^\\n]*)\\)${S}\\}\\}`);
const RE_PARTITION = fn("[pP]artition");
const RE_WILDCARD = fn("[wW]ildcard");
const RE_SPLIT_FROM_LEFT = fn("[sS]plit[fF]rom[lL]eft");
const RE_SPLIT_FROM_RIGHT = fn("[sS]plit[fF]rom[rR]ight");
const RE_SLICE_FROM_LEFT = fn("[sS]lice[fF]rom[lL]eft");
const RE_SLICE_FROM_RIGHT = fn("[sS]lice[fF]rom[rR]ight");
const RE_SPLIT = fn("[sS]plit");
const RE_LEFT = fn("[lL]eft");
const RE_RIGHT = fn("[rR]ight");
const RE_COMMA = /,[\t\n\f\r ]*/;

/** The arguments of a function token, split at commas, or null when `re` does not match. */
function fnArgs(re: RegExp, token: string): string[] | null {
  const m = re.exec(token);
  return m === null ? null : (m[1] as string).split(RE_COMMA);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.Atoi (64-bit int): optional sign, decimal digits, in range; null on error. */
function atoi(s: string): bigint | null {
  if (!/^[+-]?[0-9]+$/.test(s)) return null;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? null : v;
}

/** Go's strings.Trim(s, " "). */
function trimSpaces(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) === 32) a++;
  while (b > a && s.charCodeAt(b - 1) === 32) b--;
  return s.slice(a, b);
}

interface Placeholder {
  op: TransformOp;
  /** Wildcard indexes (1-based, as written) the function reads. */
  indexes: bigint[];
  /** Partition count or slice/split size, as Go's int32 conversion leaves it. */
  int: number;
  str: string;
}

const NO_TRANSFORM: Placeholder = { op: TransformOp.None, indexes: [], int: -1, str: "" };

function int32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/** Functions taking a wildcard index and an integer. */
function indexIntArgs(token: string, args: string[], op: TransformOp): Placeholder {
  if (args.length < 2) throw destErr(token, ErrMappingDestinationNotEnoughArgs);
  if (args.length > 2) throw destErr(token, ErrMappingDestinationTooManyArgs);
  const i = atoi(trimSpaces(args[0] as string));
  if (i === null) throw destErr(token, ErrMappingDestinationInvalidArg);
  const n = atoi(trimSpaces(args[1] as string));
  if (n === null) throw destErr(token, ErrMappingDestinationInvalidArg);
  return { op, indexes: [i], int: int32(n), str: "" };
}

/** What one destination token asks for (nats-server's indexPlaceHolders). */
function placeholder(token: string): Placeholder {
  const n = token.length;
  if (n <= 1) return NO_TRANSFORM;
  if (token.charCodeAt(0) === 36 /* $ */) {
    const i = atoi(token.slice(1));
    // a token starting with '$' but not a number stays a literal token
    return i === null ? NO_TRANSFORM : { op: TransformOp.Wildcard, indexes: [i], int: -1, str: "" };
  }
  if (!(n > 4 && token.startsWith("{{") && token.endsWith("}}"))) return NO_TRANSFORM;

  let args = fnArgs(RE_WILDCARD, token);
  if (args !== null) {
    if (args.length === 1 && args[0] === "") throw destErr(token, ErrMappingDestinationNotEnoughArgs);
    if (args.length > 1) throw destErr(token, ErrMappingDestinationTooManyArgs);
    const i = atoi(trimSpaces(args[0] as string));
    if (i === null) throw destErr(token, ErrMappingDestinationInvalidArg);
    return { op: TransformOp.Wildcard, indexes: [i], int: -1, str: "" };
  }
  args = fnArgs(RE_PARTITION, token);
  if (args !== null) {
    if (args.length < 2) throw destErr(token, ErrMappingDestinationNotEnoughArgs);
    const parts = atoi(trimSpaces(args[0] as string));
    if (parts === null) throw destErr(token, ErrMappingDestinationInvalidArg);
    const indexes: bigint[] = [];
    for (let k = 1; k < args.length; k++) {
      const i = atoi(trimSpaces(args[k] as string));
      if (i === null) throw destErr(token, ErrMappingDestinationInvalidArg);
      indexes.push(i);
    }
    return { op: TransformOp.Partition, indexes, int: int32(parts), str: "" };
  }
  if ((args = fnArgs(RE_SPLIT_FROM_LEFT, token)) !== null) return indexIntArgs(token, args, TransformOp.SplitFromLeft);
  if ((args = fnArgs(RE_SPLIT_FROM_RIGHT, token)) !== null)
    return indexIntArgs(token, args, TransformOp.SplitFromRight);
  if ((args = fnArgs(RE_SLICE_FROM_LEFT, token)) !== null) return indexIntArgs(token, args, TransformOp.SliceFromLeft);
  if ((args = fnArgs(RE_SLICE_FROM_RIGHT, token)) !== null)
    return indexIntArgs(token, args, TransformOp.SliceFromRight);
  if ((args = fnArgs(RE_RIGHT, token)) !== null) return indexIntArgs(token, args, TransformOp.Right);
  if ((args = fnArgs(RE_LEFT, token)) !== null) return indexIntArgs(token, args, TransformOp.Left);
  args = fnArgs(RE_SPLIT, token);
  if (args !== null) {
    if (args.length < 2) throw destErr(token, ErrMappingDestinationNotEnoughArgs);
    if (args.length > 2) throw destErr(token, ErrMappingDestinationTooManyArgs);
    const i = atoi(trimSpaces(args[0] as string));
    if (i === null) throw destErr(token, ErrMappingDestinationInvalidArg);
    const delim = args[1] as string;
    if (delim.includes(" ") || delim.includes(".")) throw destErr(token, ErrMappingDestinationInvalidArg);
    return { op: TransformOp.Split, indexes: [i], int: -1, str: delim };
  }
  throw destErr(token, ErrUnknownMappingDestinationFunction);
}

/** nats-server's subjectInfo: valid (no empty token, '>' last), tokens, '*' count, has '>'. */
function subjectInfo(subject: string): { ok: boolean; tokens: string[]; npwcs: number; fwc: boolean } {
  const tokens = subject.split(".");
  let npwcs = 0;
  let fwc = false;
  if (subject === "") return { ok: false, tokens, npwcs, fwc };
  for (const t of tokens) {
    if (t.length === 0 || fwc) return { ok: false, tokens, npwcs, fwc };
    if (t === ">") fwc = true;
    else if (t === "*") npwcs++;
  }
  return { ok: true, tokens, npwcs, fwc };
}

// ---------------------------------------------------------------------------------------------
// Token scratch: start/end offsets of the current subject's tokens. One per process is enough
// (a transform runs to completion before the next starts); it grows for long subjects.

let TOK = new Int32Array(128);

/** Fill TOK with the token offsets of `subject`; returns the number of tokens. */
function tokenize(subject: string): number {
  const n = subject.length;
  let count = 0;
  let start = 0;
  for (let i = 0; i <= n; i++) {
    if (i === n || subject.charCodeAt(i) === 46 /* . */) {
      if (2 * count + 2 > TOK.length) {
        const bigger = new Int32Array(TOK.length * 2);
        bigger.set(TOK);
        TOK = bigger;
      }
      TOK[2 * count] = start;
      TOK[2 * count + 1] = i;
      count++;
      start = i + 1;
    }
  }
  return count;
}

/** Is token k of `subject` (offsets in TOK) exactly `lit`? */
function tokenIs(subject: string, k: number, lit: string): boolean {
  const s = TOK[2 * k] as number;
  return (TOK[2 * k + 1] as number) - s === lit.length && subject.startsWith(lit, s);
}

/**
 * nats-server's isSubsetMatchTokenized: do the subject's tokens (in TOK; they may hold wildcards
 * when a client publishes on one) fall inside `pattern`'s tokens?
 */
function subsetMatch(subject: string, ntok: number, pattern: readonly string[]): boolean {
  const np = pattern.length;
  for (let i = 0; i < np; i++) {
    if (i >= ntok) return false;
    const t2 = pattern[i] as string;
    if (t2.length === 0) return false;
    if (t2 === ">") return true;
    const s = TOK[2 * i] as number;
    const l = (TOK[2 * i + 1] as number) - s;
    if (l === 0) return false;
    const c = subject.charCodeAt(s);
    if (l === 1 && c === 62 /* > */) return false;
    if (l === 1 && c === 42 /* * */) {
      if (t2 !== "*") return false;
      continue;
    }
    if (t2 !== "*" && !tokenIs(subject, i, t2)) return false;
  }
  return ntok === np;
}

/** nats-server's isValidLiteralSubject on the tokens in TOK. */
function tokensAreLiteral(subject: string, ntok: number): boolean {
  for (let k = 0; k < ntok; k++) {
    const s = TOK[2 * k] as number;
    const l = (TOK[2 * k + 1] as number) - s;
    if (l === 0) return false;
    if (l === 1) {
      const c = subject.charCodeAt(s);
      if (c === 42 || c === 62) return false;
    }
  }
  return true;
}

/** FNV-1a 32 over the bytes (latin1 chars) of source tokens, as nats-server's partition hash. */
function fnv1a(subject: string, idx: Int32Array): number {
  let h = 0x811c9dc5;
  for (let j = 0; j < idx.length; j++) {
    const k = idx[j] as number;
    const e = TOK[2 * k + 1] as number;
    for (let i = TOK[2 * k] as number; i < e; i++) {
      h ^= subject.charCodeAt(i) & 0xff;
      h = Math.imul(h, 0x01000193);
    }
  }
  return h >>> 0;
}

/** Is byte i of a latin1 string (before end) a UTF-8 continuation byte within [lo, hi]? */
function isCont(s: string, i: number, end: number, lo: number, hi: number): boolean {
  if (i >= end) return false;
  const b = s.charCodeAt(i);
  return b >= lo && b <= hi;
}

/** Length of the UTF-8 sequence at byte i of a latin1 string, 1 for an invalid byte (Go's rune split). */
function runeLen(s: string, i: number, end: number): number {
  const c = s.charCodeAt(i);
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return isCont(s, i + 1, end, 0x80, 0xbf) ? 2 : 1;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return isCont(s, i + 1, end, lo, hi) && isCont(s, i + 2, end, 0x80, 0xbf) ? 3 : 1;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    const ok = isCont(s, i + 1, end, lo, hi) && isCont(s, i + 2, end, 0x80, 0xbf) && isCont(s, i + 3, end, 0x80, 0xbf);
    return ok ? 4 : 1;
  }
  return 1;
}

// ---------------------------------------------------------------------------------------------
// SubjectTransform

/**
 * A compiled transform from a source pattern to a destination (nats-server's subjectTransform).
 * Used by mappings, and meant for stream import `to` remapping (strict) and JetStream subject
 * transforms and republish.
 */
export class SubjectTransform {
  readonly source: string;
  readonly destination: string;
  /** Source tokens; the transform reads subject tokens by these positions. */
  private readonly stoks: readonly string[];
  /** Destination tokens. */
  private readonly dtoks: readonly string[];
  /** One op per destination token; empty when the source has no wildcard (result: destination). */
  private readonly ops: Uint8Array;
  /** Source token positions each op reads. */
  private readonly idx: readonly Int32Array[];
  private readonly intArg: Int32Array;
  private readonly strArg: readonly string[];
  /** Source and destination are both '>': the subject passes unchanged. */
  private readonly identity: boolean;
  /** The destination ends in '>': the subject's tokens from the source's '>' on are appended. */
  private readonly fwcTail: boolean;

  private constructor(src: string, dest: string, strict: boolean) {
    if (dest === "") {
      // nats-server 2.10 builds no transform for an empty destination and then crashes on the first
      // message mapped to it; refused here with the text nats-server 2.9 gives.
      throw destErr("", ErrInvalidMappingDestinationSubject);
    }
    if (src === "") src = ">";
    const s = subjectInfo(src);
    const d = subjectInfo(dest);
    if (!s.ok || !d.ok || d.npwcs > 0 || s.fwc !== d.fwc) throw new MappingError(ErrBadSubject);

    const ops: number[] = [];
    const idx: Int32Array[] = [];
    const ints: number[] = [];
    const strs: string[] = [];
    let nphs = 0;
    if (s.npwcs > 0 || s.fwc) {
      // wildcard index (1-based) -> source token position
      const sti = new Map<bigint, number>();
      s.tokens.forEach((t, i) => {
        if (t === "*") sti.set(BigInt(sti.size + 1), i);
      });
      for (const token of d.tokens) {
        const ph = placeholder(token);
        if (strict && ph.op !== TransformOp.None && ph.op !== TransformOp.Wildcard) {
          throw destErr(token, ErrMappingDestinationNotSupportedForImport);
        }
        if (s.npwcs === 0 && ph.op !== TransformOp.None) throw destErr(token, ErrMappingDestinationIndexOutOfRange);
        if (ph.op === TransformOp.None) {
          ops.push(TransformOp.None);
          idx.push(new Int32Array(0));
          ints.push(-1);
          strs.push("");
          continue;
        }
        nphs += ph.indexes.length;
        const pos = new Int32Array(ph.indexes.length);
        ph.indexes.forEach((wi, k) => {
          if (wi > BigInt(s.npwcs)) throw destErr(`${token}: [${wi}]`, ErrMappingDestinationIndexOutOfRange);
          // an index below 1 names no wildcard; nats-server then reads source token 0
          pos[k] = sti.get(wi) ?? 0;
        });
        ops.push(ph.op);
        idx.push(pos);
        ints.push(ph.int);
        strs.push(ph.str);
      }
      if (strict && nphs < s.npwcs) throw destErr(dest, ErrMappingDestinationNotUsingAllWildcards);
    } else {
      // no wildcard in the source: the destination may use no function
      for (const token of d.tokens) {
        if (placeholder(token).op !== TransformOp.None) throw destErr(token, ErrMappingDestinationIndexOutOfRange);
      }
    }
    this.source = src;
    this.destination = dest;
    this.stoks = s.tokens;
    this.dtoks = d.tokens;
    this.ops = Uint8Array.from(ops);
    this.idx = idx;
    this.intArg = Int32Array.from(ints);
    this.strArg = strs;
    this.identity = src === ">" && dest === ">";
    this.fwcTail = d.tokens[d.tokens.length - 1] === ">";
  }

  /**
   * Compile source -> destination; throws MappingError with nats-server's text. `strict` is for
   * import remapping that must be reversible: only wildcard functions, and every source wildcard
   * used (nats-server's NewSubjectTransformStrict). An empty source means '>'.
   */
  static compile(source: string, destination: string, opts: { strict?: boolean } = {}): SubjectTransform {
    return new SubjectTransform(source, destination, opts.strict === true);
  }

  /** nats-server's error text for compile(source, destination), or null when it compiles. */
  static check(source: string, destination: string, opts: { strict?: boolean } = {}): string | null {
    try {
      SubjectTransform.compile(source, destination, opts);
      return null;
    } catch (e) {
      if (e instanceof MappingError) return e.message;
      throw e;
    }
  }

  /** True when the destination does not depend on the subject (the source has no wildcard). */
  get isLiteral(): boolean {
    return this.ops.length === 0;
  }

  /**
   * The subject mapped to the destination, or null when it does not match the source or is not
   * a valid literal subject (nats-server's Match).
   */
  transform(subject: string): string | null {
    if (this.identity) return subject;
    const ntok = tokenize(subject);
    if (!tokensAreLiteral(subject, ntok)) return null;
    if (this.source !== ">" && !subsetMatch(subject, ntok, this.stoks)) return null;
    return this.apply(subject, ntok);
  }

  /** Transform a subject already known to match the source (nats-server's TransformSubject). */
  transformMatched(subject: string): string {
    if (this.ops.length === 0) return this.destination;
    return this.apply(subject, tokenize(subject));
  }

  /** Build the destination from the subject whose token offsets are in TOK. */
  applyTokens(subject: string, ntok: number): string {
    return this.apply(subject, ntok);
  }

  private apply(subject: string, ntok: number): string {
    const ops = this.ops;
    const n = ops.length;
    if (n === 0) return this.destination;
    let out = "";
    const last = n - 1;
    for (let i = 0; i < n; i++) {
      const op = ops[i] as number;
      if (op === TransformOp.None) {
        const lit = this.dtoks[i] as string;
        if (lit === ">") break;
        out += lit;
      } else {
        const pos = this.idx[i] as Int32Array;
        const p = pos[0] as number;
        const s = TOK[2 * p] as number;
        const e = TOK[2 * p + 1] as number;
        const len = e - s;
        const size = this.intArg[i] as number;
        switch (op) {
          case TransformOp.Partition: {
            const buckets = size >>> 0;
            // nats-server 2.10 divides by zero here (and dies); later releases answer "0"
            out += buckets === 0 ? "0" : String(fnv1a(subject, pos) % buckets);
            break;
          }
          case TransformOp.Wildcard:
            if (p < ntok) out += subject.slice(s, e);
            break;
          case TransformOp.SplitFromLeft:
            if (size > 0 && size < len) out += `${subject.slice(s, s + size)}.${subject.slice(s + size, e)}`;
            else out += subject.slice(s, e);
            break;
          case TransformOp.SplitFromRight:
            if (size > 0 && size < len) out += `${subject.slice(s, e - size)}.${subject.slice(e - size, e)}`;
            else out += subject.slice(s, e);
            break;
          case TransformOp.SliceFromLeft:
            if (size > 0 && size < len) {
              for (let k = 0; k + size <= len; k += size) {
                if (k !== 0) out += ".";
                out += subject.slice(s + k, s + k + size);
                if (k + size !== len && k + 2 * size > len) {
                  out += `.${subject.slice(s + k + size, e)}`;
                  break;
                }
              }
            } else out += subject.slice(s, e);
            break;
          case TransformOp.SliceFromRight:
            if (size > 0 && size < len) {
              const rem = len % size;
              if (rem > 0) out += `${subject.slice(s, s + rem)}.`;
              for (let k = rem; k + size <= len; k += size) {
                out += subject.slice(s + k, s + k + size);
                if (k + size < len) out += ".";
              }
            } else out += subject.slice(s, e);
            break;
          case TransformOp.Split:
            out += split(subject, s, e, this.strArg[i] as string);
            break;
          case TransformOp.Left:
            out += size > 0 && size < len ? subject.slice(s, s + size) : subject.slice(s, e);
            break;
          case TransformOp.Right:
            out += size > 0 && size < len ? subject.slice(e - size, e) : subject.slice(s, e);
            break;
        }
      }
      if (i < last) out += ".";
    }
    if (this.fwcTail) {
      const from = this.stoks.length - 1;
      if (from < ntok) out += subject.slice(TOK[2 * from] as number, TOK[2 * (ntok - 1) + 1] as number);
    }
    return out;
  }

  /**
   * The reverse transform of a strict one (nats-server's reverse), used for service imports with
   * wildcards; null when it cannot be built.
   */
  reverse(): SubjectTransform | null {
    try {
      if (this.ops.length === 0) return SubjectTransform.compile(this.destination, this.source, { strict: true });
      const [nsrc, phs] = transformUntokenize(this.destination);
      const nda: string[] = [];
      for (const t of this.stoks) {
        if (t === "*") {
          const ph = phs.shift();
          if (ph === undefined) return null;
          nda.push(ph);
        } else nda.push(t);
      }
      return SubjectTransform.compile(nsrc, nda.join("."), { strict: true });
    } catch (e) {
      if (e instanceof MappingError) return null;
      throw e;
    }
  }
}

/** The split function on subject[s, e): pieces at `delim`, empty ones dropped as nats-server does. */
function split(subject: string, s: number, e: number, delim: string): string {
  let out = "";
  const dl = delim.length;
  let firstEmpty = false;
  let m = 0;
  let ps = s;
  while (ps <= e) {
    // the next piece is [ps, pe)
    let pe: number;
    let next: number;
    if (dl === 0) {
      if (ps === e) break;
      pe = ps + runeLen(subject, ps, e);
      next = pe;
    } else {
      const at = subject.indexOf(delim, ps);
      pe = at < 0 || at + dl > e ? e : at;
      next = pe === e ? e + 1 : pe + dl;
    }
    if (pe > ps) {
      if (m >= 1 && !(m === 1 && firstEmpty)) out += ".";
      out += subject.slice(ps, pe);
    } else if (m === 0) firstEmpty = true;
    m++;
    ps = next;
  }
  return out;
}

/** nats-server's transformTokenize: each '*' of a subject becomes $1, $2, ... ("foo.*" -> "foo.$1"). */
export function transformTokenize(subject: string): string {
  let i = 1;
  return subject
    .split(".")
    .map((t) => (t === "*" ? `$${i++}` : t))
    .join(".");
}

/**
 * nats-server's transformUntokenize: wildcard placeholders ($n, {{wildcard(n)}}) become '*',
 * returned with the placeholders in order ("foo.$2.$1" -> ["foo.*.*", ["$2", "$1"]]).
 */
export function transformUntokenize(subject: string): [string, string[]] {
  const phs: string[] = [];
  const nda: string[] = [];
  for (const t of subject.split(".")) {
    const args = fnArgs(RE_WILDCARD, t);
    const c1 = t.charCodeAt(1);
    if (
      (t.length > 1 && t.charCodeAt(0) === 36 && c1 >= 49 && c1 <= 57) ||
      (args !== null && args.length === 1 && args[0] !== "")
    ) {
      phs.push(t);
      nda.push("*");
    } else nda.push(t);
  }
  return [nda.join("."), phs];
}

/**
 * nats-server's ValidateMappingDestination, which account mappings (not stream transforms) run
 * first: no empty token, nothing after '>', no whitespace, and a {{...}} token must name a known
 * function. As in nats-server 2.10, left() and right() are not in its list, so account
 * mappings refuse them ("unknown function") while a transform compiled directly accepts them.
 */
export function validateMappingDestination(subject: string): string | null {
  if (subject === "") return null;
  let fwc = false;
  for (const t of subject.split(".")) {
    const n = t.length;
    if (n === 0 || fwc) return `${ErrInvalidMappingDestinationSubject} in ${t}`;
    if (n > 4 && t.startsWith("{{") && t.endsWith("}}")) {
      if (
        !RE_PARTITION.test(t) &&
        !RE_WILDCARD.test(t) &&
        !RE_SPLIT_FROM_LEFT.test(t) &&
        !RE_SPLIT_FROM_RIGHT.test(t) &&
        !RE_SLICE_FROM_LEFT.test(t) &&
        !RE_SLICE_FROM_RIGHT.test(t) &&
        !RE_SPLIT.test(t)
      ) {
        return `${ErrUnknownMappingDestinationFunction} in ${t}`;
      }
      continue;
    }
    if (n === 1 && t === ">") fwc = true;
    else if (/[\t\n\f\r ]/.test(t)) return ErrInvalidMappingDestinationSubject;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Account mappings

interface WeightedDestination {
  tr: SubjectTransform;
  /** Cumulative weight: this destination is chosen when a draw in 0..99 is below it. */
  weight: number;
}

/** One mapping of an account: a source and its weighted destinations (nats-server's mapping). */
export class WeightedMapping {
  readonly source: string;
  /** The source has a wildcard token. */
  readonly wildcard: boolean;
  /** Source tokens, for the subset match. */
  readonly tokens: readonly string[];
  /** Destinations with cumulative weights, lightest first. */
  readonly destinations: readonly WeightedDestination[];
  /** Destinations scoped to a cluster name, or null. */
  readonly clusterDestinations: ReadonlyMap<string, readonly WeightedDestination[]> | null;

  private constructor(
    source: string,
    dests: WeightedDestination[],
    cdests: Map<string, WeightedDestination[]> | null,
    wildcard: boolean,
  ) {
    this.source = source;
    this.wildcard = wildcard;
    this.tokens = source.split(".");
    this.destinations = dests;
    this.clusterDestinations = cdests;
  }

  /**
   * Build a mapping as nats-server's AddWeightedMappings does; throws MappingError with its text.
   * Strings are config text (UTF-8 JS strings); the compiled transforms work on wire (latin1)
   * subjects.
   */
  static build(source: string, dests: readonly MappingDestination[]): WeightedMapping {
    // check with the config's own text so error messages quote it as written
    const wire = toWire(source) !== source || dests.some((d) => toWire(d.subject) !== d.subject);
    const m = buildMapping(source, dests);
    if (!wire) return m;
    return buildMapping(
      toWire(source),
      dests.map((d) => ({ ...d, subject: toWire(d.subject) })),
    );
  }

  /** Choose a destination and map `subject` (its token offsets in TOK when ntok >= 0). */
  select(subject: string, ntok: number, cluster: string): string {
    let dests = this.destinations;
    if (this.clusterDestinations !== null) dests = this.clusterDestinations.get(cluster) ?? dests;
    let d: WeightedDestination | undefined;
    if (dests.length === 1 && (dests[0] as WeightedDestination).weight === 100) d = dests[0];
    else {
      const w = Math.floor(Math.random() * 100);
      for (let i = 0; i < dests.length; i++) {
        if (w < (dests[i] as WeightedDestination).weight) {
          d = dests[i];
          break;
        }
      }
    }
    // the weights add up to less than 100 and the source is listed itself: the rest is dropped
    if (d === undefined) return "";
    if (d.tr.isLiteral) return d.tr.destination;
    return d.tr.applyTokens(subject, ntok < 0 ? tokenize(subject) : ntok);
  }

  /** @internal */
  static make(
    source: string,
    dests: WeightedDestination[],
    cdests: Map<string, WeightedDestination[]> | null,
    wildcard: boolean,
  ): WeightedMapping {
    return new WeightedMapping(source, dests, cdests, wildcard);
  }
}

function buildMapping(src: string, dests: readonly MappingDestination[]): WeightedMapping {
  if (!isValidSubject(src)) throw new MappingError(ErrBadSubject);
  const wc = subjectHasWildcard(src);
  const seen = new Set<string>();
  const total = new Map<string, number>();
  const main: { tr: SubjectTransform; weight: number }[] = [];
  let scoped: Map<string, { tr: SubjectTransform; weight: number }[]> | null = null;
  for (const d of dests) {
    if (seen.has(d.subject)) throw new MappingError(`duplicate entry for ${quoteUtf8(d.subject)}`);
    seen.add(d.subject);
    if (d.weight > 100) throw new MappingError("individual weights need to be <= 100");
    const cluster = d.cluster ?? "";
    const tw = (total.get(cluster) ?? 0) + d.weight;
    total.set(cluster, tw);
    if (tw > 100) throw new MappingError("total weight needs to be <= 100");
    const bad = validateMappingDestination(d.subject);
    if (bad !== null) throw new MappingError(bad);
    const tr = SubjectTransform.compile(src, d.subject);
    if (cluster === "") main.push({ tr, weight: d.weight });
    else {
      scoped ??= new Map();
      const list = scoped.get(cluster) ?? [];
      list.push({ tr, weight: d.weight });
      scoped.set(cluster, list);
    }
  }
  const finish = (list: { tr: SubjectTransform; weight: number }[]): WeightedDestination[] => {
    let sum = 0;
    for (const d of list) sum += d.weight;
    // weights under 100: the rest keeps the subject as published, unless the source is listed
    // among the destinations (then the rest is dropped)
    if (sum !== 100 && !seen.has(src)) {
      const tr = SubjectTransform.compile(src, wc ? transformTokenize(src) : src);
      list.push({ tr, weight: list.length === 0 ? 100 : 100 - sum });
    }
    const sorted = [...list].sort((a, b) => a.weight - b.weight);
    let acc = 0;
    return sorted.map((d) => {
      acc += d.weight;
      return { tr: d.tr, weight: acc };
    });
  };
  let cdests: Map<string, WeightedDestination[]> | null = null;
  if (scoped !== null) {
    cdests = new Map();
    for (const [cluster, list] of scoped) cdests.set(cluster, finish(list));
  }
  return WeightedMapping.make(src, finish(main), cdests, wc);
}

/**
 * The mappings of one account (nats-server's Account.mappings): `map(subject)` gives the subject
 * a published message is delivered on, or null when no mapping applies. The caller skips the whole
 * thing with one field read: `if (acc.mappings.size !== 0)`.
 */
export class AccountMappings {
  /** Number of mappings (read-only for callers). */
  readonly size: number = 0;
  /** The cluster name that selects cluster-scoped destinations ("" without clustering). */
  cluster = "";
  private readonly list: WeightedMapping[] = [];
  /** Literal source -> its position in list. */
  private readonly literals = new Map<string, number>();
  /** Positions in list of the mappings with a wildcard source, ascending. */
  private readonly wild: number[] = [];

  get empty(): boolean {
    return this.size === 0;
  }

  /** All the mappings of a config block; throws MappingError on the first bad one. */
  static fromConfig(configs: readonly MappingConfig[]): AccountMappings {
    const am = new AccountMappings();
    for (const c of configs) am.add(c.subject, c.destinations);
    return am;
  }

  /** nats-server's AddMapping: one destination at weight 100. */
  addMapping(source: string, destination: string): void {
    this.add(source, [{ subject: destination, weight: 100 }]);
  }

  /**
   * nats-server's AddWeightedMappings: add, or replace in place the mapping with the same source.
   * Throws MappingError with nats-server's text.
   */
  add(source: string, dests: readonly MappingDestination[]): void {
    const m = WeightedMapping.build(source, dests);
    const i = this.list.findIndex((e) => e.source === m.source);
    if (i >= 0) this.list[i] = m;
    else this.list.push(m);
    this.setSize();
  }

  /** nats-server's RemoveMapping (the last mapping takes the removed one's place). */
  remove(source: string): boolean {
    const wire = toWire(source);
    const i = this.list.findIndex((e) => e.source === wire);
    if (i < 0) return false;
    const lastOne = this.list.pop() as WeightedMapping;
    if (i < this.list.length) this.list[i] = lastOne;
    this.setSize();
    return true;
  }

  /** The mappings, in the order they are tried. */
  mappings(): readonly WeightedMapping[] {
    return this.list;
  }

  /**
   * The subject to deliver on (nats-server's selectMappedSubject): null when no mapping's source
   * matches; "" when the weights chose no destination (the message goes nowhere). The first
   * mapping in order whose source matches wins.
   */
  map(subject: string): string | null {
    // A literal source matches only the subject equal to it, so one Map lookup finds it; only the
    // wildcard mappings listed before it can still win.
    const lit = this.literals.get(subject);
    const until = lit === undefined ? this.list.length : lit;
    const wild = this.wild;
    const nw = wild.length;
    let ntok = -1;
    for (let k = 0; k < nw; k++) {
      const i = wild[k] as number;
      if (i >= until) break;
      const m = this.list[i] as WeightedMapping;
      if (ntok < 0) ntok = tokenize(subject);
      if (subsetMatch(subject, ntok, m.tokens)) return m.select(subject, ntok, this.cluster);
    }
    if (lit === undefined) return null;
    return (this.list[lit] as WeightedMapping).select(subject, ntok, this.cluster);
  }

  private setSize(): void {
    (this as { size: number }).size = this.list.length;
    this.literals.clear();
    this.wild.length = 0;
    this.list.forEach((m, i) => {
      if (m.wildcard) this.wild.push(i);
      else this.literals.set(m.source, i);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Config-loader entry points

/**
 * The error nats-server's AddWeightedMappings gives for this mapping, or null when it is valid.
 * Strings are config text. Weights are percent (0..100).
 */
export function validateMapping(source: string, dests: readonly MappingDestination[]): string | null {
  try {
    WeightedMapping.build(source, dests);
    return null;
  } catch (e) {
    if (e instanceof MappingError) return e.message;
    throw e;
  }
}

/**
 * The whole message nats-server's config loader gives for a `mappings` entry (without the
 * `file:line:col: ` in front), or null when it is valid. `stringDestination` is the destination
 * when the entry was written as a plain string (`"foo.*": "bar.$1"`), which nats-server quotes
 * in its message; leave it out for the `{destination, weight}` and list forms.
 */
export function mappingConfigError(
  source: string,
  dests: readonly MappingDestination[],
  stringDestination?: string,
): string | null {
  if (!isValidSubject(source)) return `Subject ${quoteUtf8(source)} is not a valid subject`;
  const err = validateMapping(source, dests);
  if (err === null) return null;
  if (stringDestination !== undefined) {
    return `Error adding mapping for ${quoteUtf8(source)} to ${quoteUtf8(stringDestination)} : ${err}`;
  }
  return `Error adding mapping for ${quoteUtf8(source)} : ${err}`;
}

/** Config text (UTF-8 JS string) as a wire subject (latin1: one char per byte). */
export function toWire(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, "utf8").toString("latin1");
  }
  return s;
}

/** Go's %q of config text. */
function quoteUtf8(s: string): string {
  return Buffer.from(goQuote(toWire(s)), "latin1").toString("utf8");
}
