// Shared pieces of the monitoring endpoints: Go-compatible JSON text, times, durations and
// query-parameter decoding with nats-server's error texts.
import { goQuote } from "../../protocol/quote.js";
import { parseGoBool } from "../strconv.js";

/** A request error answered with 400 and a plain-text body, as nats-server's handlers do. */
export class BadRequest extends Error {}

/** Go's time.Time JSON form (RFC 3339, fraction without trailing zeros, UTC "Z"). */
export function goTime(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2006-01-02T15:04:05.000Z
  const frac = iso.slice(20, 23).replace(/0+$/, "");
  return frac === "" ? `${iso.slice(0, 19)}Z` : `${iso.slice(0, 19)}.${frac}Z`;
}

/** nats-server's uptime text: whole seconds, with days and years ("1y2d3h4m5s", "0s"). */
export function goUptime(ms: number): string {
  const tsecs = Math.max(0, Math.floor(ms / 1000));
  const tmins = Math.floor(tsecs / 60);
  const thrs = Math.floor(tmins / 60);
  const tdays = Math.floor(thrs / 24);
  const tyrs = Math.floor(tdays / 365);
  if (tyrs > 0) return `${tyrs}y${tdays % 365}d${thrs % 24}h${tmins % 60}m${tsecs % 60}s`;
  if (tdays > 0) return `${tdays}d${thrs % 24}h${tmins % 60}m${tsecs % 60}s`;
  if (thrs > 0) return `${thrs}h${tmins % 60}m${tsecs % 60}s`;
  if (tmins > 0) return `${tmins}m${tsecs % 60}s`;
  return `${tsecs}s`;
}

/** Milliseconds as a Go time.Duration in JSON (an integer count of nanoseconds). */
export function goDurationNs(ms: number): number {
  return Math.round(ms * 1e6);
}

const GO_ESCAPES: Record<string, string> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

/** JSON text as Go's encoding/json writes it (HTML characters escaped); indented when asked. */
export function goJSON(v: unknown, indent: boolean): string {
  const s = indent ? JSON.stringify(v, null, 2) : JSON.stringify(v);
  return s.replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]);
}

/** strconv.ParseBool. */
export function decodeBool(q: URLSearchParams, param: string): boolean {
  const s = q.get(param) ?? "";
  if (s === "") return false;
  const v = parseGoBool(s);
  if (v !== null) return v;
  throw new BadRequest(
    `Error decoding boolean for '${param}': strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax`,
  );
}

/** strconv.Atoi (64-bit int). */
export function decodeInt(q: URLSearchParams, param: string): number {
  return decodeInteger(q, param, "Atoi", "int", true);
}

/** strconv.ParseUint(s, 10, 64). */
export function decodeUint(q: URLSearchParams, param: string): number {
  return decodeInteger(q, param, "ParseUint", "uint64", false);
}

function decodeInteger(q: URLSearchParams, param: string, fn: string, what: string, signed: boolean): number {
  const s = q.get(param) ?? "";
  if (s === "") return 0;
  const re = signed ? /^[+-]?\d+$/ : /^\d+$/;
  if (!re.test(s)) {
    throw new BadRequest(`Error decoding ${what} for '${param}': strconv.${fn}: parsing ${goQuote(s)}: invalid syntax`);
  }
  const big = BigInt(s);
  const max = signed ? 2n ** 63n - 1n : 2n ** 64n - 1n;
  const min = signed ? -(2n ** 63n) : 0n;
  if (big > max || big < min) {
    throw new BadRequest(
      `Error decoding ${what} for '${param}': strconv.${fn}: parsing ${goQuote(s)}: value out of range`,
    );
  }
  // beyond 2^53 the exact value does not matter for offsets, limits and ids
  return Number(big);
}

/**
 * An array whose elements are made only when serialized, one at a time (so a large /connz
 * page is built in slices, see queue.ts). JSON.stringify sees a plain array.
 */
export class LazyArray<T> {
  constructor(
    readonly length: number,
    private readonly make: (i: number) => T,
  ) {}

  at(i: number): T {
    return this.make(i);
  }

  toJSON(): T[] {
    const a = new Array<T>(this.length);
    for (let i = 0; i < this.length; i++) a[i] = this.make(i);
    return a;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof LazyArray) &&
    typeof (v as { toJSON?: unknown }).toJSON !== "function"
  );
}

function skipped(v: unknown): boolean {
  return v === undefined || typeof v === "function" || typeof v === "symbol";
}

/** Elements of an array serialized together, as one piece. */
const PIECE_ELEMENTS = 16;

/**
 * goJSON(v, indent) in pieces: the text of a top-level object property by property, and of
 * its array values a few elements at a time, so a caller can stop between pieces (and a
 * LazyArray's elements are made only as their piece is). The pieces joined are exactly
 * goJSON(v, indent): each piece is serialized inside arrays nested to its depth, so
 * JSON.stringify indents it as in the whole, and the wrapping is cut off.
 */
export function* goJSONParts(v: unknown, indent: boolean): Generator<string, void, undefined> {
  if (!indent || !isPlainObject(v)) {
    yield goJSON(v, indent);
    return;
  }
  let first = true;
  yield "{";
  for (const key of Object.keys(v)) {
    const val = v[key];
    if (skipped(val)) continue;
    yield `${first ? "\n  " : ",\n  "}${goJSON(key, false)}: `;
    first = false;
    const arr = Array.isArray(val) || val instanceof LazyArray ? (val as unknown[] | LazyArray<unknown>) : null;
    if (arr === null || arr.length === 0) {
      // "[\n  <value>\n]"
      yield goJSON([val], true).slice(4, -2);
      continue;
    }
    const lazy = arr instanceof LazyArray ? arr : null;
    const batch: unknown[] = [];
    for (let i = 0; i < arr.length; i += PIECE_ELEMENTS) {
      const end = Math.min(arr.length, i + PIECE_ELEMENTS);
      batch.length = 0;
      for (let k = i; k < end; k++) batch.push(lazy !== null ? lazy.at(k) : (arr as unknown[])[k]);
      // "[\n  [\n    <elements>\n  ]\n]"
      yield `${i === 0 ? "[\n    " : ",\n    "}${goJSON([batch], true).slice(10, -6)}`;
    }
    yield "\n  ]";
  }
  yield first ? "}" : "\n}";
}
