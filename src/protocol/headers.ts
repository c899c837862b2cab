// NATS/1.0 message headers: the block an HPUB/HMSG carries before its payload.
//
//   NATS/1.0[ code[ description]]\r\n
//   Key: value\r\n ...
//   \r\n
//
// Keys are kept as given (nats.js's default "exact" matching); canonical-MIME and
// case-insensitive lookups are available per call. Values may not contain CR or LF.

export const Match = {
  Exact: "exact",
  CanonicalMIME: "canonical",
  IgnoreCase: "insensitive",
} as const;
export type Match = (typeof Match)[keyof typeof Match];

/** Raised for a header key or value that cannot be encoded. */
export class HeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidArgumentError";
  }
}

/** Go's textproto.CanonicalMIMEHeaderKey, refusing bytes outside 33..126 and ':'. */
export function canonicalMIMEHeaderKey(k: string): string {
  let upperNext = true;
  let out = "";
  for (let i = 0; i < k.length; i++) {
    let c = k.charCodeAt(i);
    if (c === 58 || c < 33 || c > 126) {
      throw new HeaderError(`'header' '${k[i]}' is not a valid character in a header name`);
    }
    if (upperNext && c >= 97 && c <= 122) c -= 32;
    else if (!upperNext && c >= 65 && c <= 90) c += 32;
    out += String.fromCharCode(c);
    upperNext = c === 45;
  }
  return out;
}

const VERSION = "NATS/1.0";

export class MsgHdrsImpl implements Iterable<[string, string[]]> {
  _code: number;
  _description: string;
  headers = new Map<string, string[]>();

  constructor(code = 0, description = "") {
    this._code = code;
    this._description = description;
  }

  [Symbol.iterator](): IterableIterator<[string, string[]]> {
    return this.headers.entries();
  }

  size(): number {
    return this.headers.size;
  }

  get code(): number {
    return this._code;
  }

  get description(): string {
    return this._description;
  }

  get hasError(): boolean {
    return this._code >= 300;
  }

  get status(): string {
    return `${this._code} ${this._description}`.trim();
  }

  keys(): string[] {
    return [...this.headers.keys()];
  }

  private findKeys(k: string, match: Match): string[] {
    if (match === Match.Exact) return this.headers.has(k) ? [k] : [];
    if (match === Match.CanonicalMIME) {
      const ck = canonicalMIMEHeaderKey(k);
      return this.headers.has(ck) ? [ck] : [];
    }
    const lk = k.toLowerCase();
    return this.keys().filter((x) => x.toLowerCase() === lk);
  }

  get(k: string, match: Match = Match.Exact): string {
    const keys = this.findKeys(k, match);
    return keys.length > 0 ? ((this.headers.get(keys[0]) as string[])[0] ?? "") : "";
  }

  last(k: string, match: Match = Match.Exact): string {
    const keys = this.findKeys(k, match);
    if (keys.length === 0) return "";
    const v = this.headers.get(keys[0]) as string[];
    return v[v.length - 1] ?? "";
  }

  has(k: string, match: Match = Match.Exact): boolean {
    return this.findKeys(k, match).length > 0;
  }

  values(k: string, match: Match = Match.Exact): string[] {
    const out: string[] = [];
    for (const key of this.findKeys(k, match)) out.push(...(this.headers.get(key) as string[]));
    return out;
  }

  set(k: string, v: string, match: Match = Match.Exact): void {
    this.delete(k, match);
    this.append(k, v, match);
  }

  append(k: string, v: string, match: Match = Match.Exact): void {
    const ck = canonicalMIMEHeaderKey(k); // validates the key
    if (match === Match.CanonicalMIME) k = ck;
    const keys = this.findKeys(k, match);
    if (keys.length > 0) k = keys[0];
    if (/[\r\n]/.test(v)) throw new HeaderError("'header' values cannot contain \\r or \\n");
    let a = this.headers.get(k);
    if (a === undefined) {
      a = [];
      this.headers.set(k, a);
    }
    a.push(v.trim());
  }

  delete(k: string, match: Match = Match.Exact): void {
    for (const key of this.findKeys(k, match)) this.headers.delete(key);
  }

  toRecord(): Record<string, string[]> {
    const r: Record<string, string[]> = {};
    for (const [k, v] of this.headers) r[k] = [...v];
    return r;
  }

  equals(o: MsgHdrsImpl): boolean {
    if (o.headers.size !== this.headers.size || o._code !== this._code) return false;
    for (const [k, v] of this.headers) {
      const w = o.headers.get(k);
      if (w === undefined || w.length !== v.length) return false;
      const a = [...v].sort();
      const b = [...w].sort();
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    }
    return true;
  }

  toString(): string {
    if (this.headers.size === 0 && this._code === 0) return "";
    let s = VERSION;
    if (this._code > 0 && this._description !== "") s += ` ${this._code} ${this._description}`;
    for (const [k, vs] of this.headers) for (const v of vs) s += `\r\n${k}: ${v}`;
    return s + "\r\n\r\n";
  }

  /** The wire bytes (empty when there is nothing to send). */
  encode(): Uint8Array {
    return Buffer.from(this.toString(), "utf8");
  }

  static decode(a: Uint8Array): MsgHdrsImpl {
    return decodeHeaders(a, 0, a.length);
  }

  static fromRecord(r: Record<string, string[]>): MsgHdrsImpl {
    const h = new MsgHdrsImpl();
    for (const k of Object.keys(r)) h.headers.set(k, [...r[k]]);
    return h;
  }
}

/** Parse the header block in b[from, to). Lines without a ':' are skipped. */
export function decodeHeaders(b: Uint8Array, from: number, to: number): MsgHdrsImpl {
  const h = new MsgHdrsImpl();
  const s = Buffer.from(b.buffer, b.byteOffset + from, to - from).toString("utf8");
  const lines = s.split("\r\n");
  const first = lines[0];
  if (first !== VERSION && first.startsWith(VERSION)) {
    const rest = first.slice(VERSION.length).trim();
    const m = /^(\d+)\s*(.*)$/.exec(rest);
    if (m !== null) {
      h._code = Number(m[1]);
      h._description = m[2].trim();
    } else h._description = rest;
  }
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === "") continue;
    const idx = line.indexOf(":");
    if (idx < 0) continue;
    const k = line.slice(0, idx);
    const v = line.slice(idx + 1).trim();
    let a = h.headers.get(k);
    if (a === undefined) {
      a = [];
      h.headers.set(k, a);
    }
    a.push(v);
  }
  return h;
}

/** A new header set; a code needs a description and the other way round. */
export function headers(code = 0, description = ""): MsgHdrsImpl {
  if (code === 0 && description !== "") throw new HeaderError("'code' is required");
  if (code > 0 && description === "") throw new HeaderError("'description' is required");
  return new MsgHdrsImpl(code, description);
}
