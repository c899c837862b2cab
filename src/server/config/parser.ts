/**
 * Parser for the nats-server configuration file format.
 *
 * Behaviour follows the `conf` package of nats-server v2.10.29 (lexer and
 * parser), as run by the server itself (its "pedantic" mode, which records
 * where every value came from). This is an independent TypeScript
 * implementation; only the observable behaviour is reproduced.
 *
 * ## Result shape
 *
 * `parseConfig` / `parseConfigFile` return a {@link ConfigMap}: a `Map` from
 * key (exactly as written, case preserved, insertion order kept) to a
 * {@link ConfigValue}. Every `ConfigValue` carries:
 *
 * - `kind`  — `'string' | 'integer' | 'float' | 'boolean' | 'date' | 'map' | 'array'`
 *             (integers and floats are told apart, as nats-server does);
 * - `value` — `string`; `number | bigint` for integers (a `bigint` only when
 *             the int64 value is outside ±2^53−1); `number` for floats;
 *             `boolean`; `Date` (UTC) for ISO-8601 Zulu datetimes;
 *             a nested `ConfigMap`; or a `ConfigValue[]`;
 * - `file`, `line`, `column` — the position nats-server reports for it;
 * - `usedVariable` — true once the entry has been referenced as `$name`.
 *
 * Positions are nats-server's, byte for byte, so that messages such as
 * `file:line:column: unknown field "x"` match the Go server:
 *
 * - for a value stored under a key, the position is that of the key;
 * - for an array element, it is the element's own position (for a map or
 *   array element nats-server uses the position just past its closing
 *   bracket — mirrored);
 * - `column` counts bytes, and is relative to the preceding newline: it is
 *   1-based on lines 2 and after, but 0-based on line 1 (a nats-server quirk,
 *   mirrored so reported positions match);
 * - a string spanning several lines reports the line where it ends.
 *
 * `file` is the path passed to `parseConfigFile` / the `fileName` given to
 * `parseConfig` (default `''`, as nats-server), and for included files the
 * including file's directory joined with the include path.
 *
 * ## Variables
 *
 * `$name` (no `${name}` form exists) is looked up in the enclosing maps,
 * innermost first, among keys already defined above the reference; then in
 * the environment, where the text is parsed as if written `pk=<text>`.
 * `$2a$...` is not a variable but a bcrypt hash and stays a literal string.
 * Variables remain in the result as ordinary entries; an entry that was
 * referenced gets `usedVariable = true`, which nats-server's option loader uses
 * to skip its "unknown field" error for that key.
 *
 * ## Errors
 *
 * Every failure throws {@link ConfigError}; its `reason` is nats-server's own
 * error text and its message is `file:line:column: reason`.
 *
 * ## nats-server quirks that are mirrored on purpose
 *
 * - A number directly followed by `]` is not a number: `[1, 2]` is a syntax
 *   error (write `[1, 2, ]` or one element per line); `[a, b]` is fine.
 * - Size suffixes apply to unquoted values, so `2m` is the integer 2000000
 *   (nats-server then reads an integer duration as seconds). `2s`, `1h30m`
 *   and `"2m"` stay strings; `1.5s` is a syntax error.
 * - An integer with an unknown suffix run (`1kbb`) sets nothing, silently.
 * - A key at the end of the input without a value is "config is invalid";
 *   a key followed by a newline takes the next line as its value.
 * - `include /abs/path` is joined to the including file's directory.
 *
 * ## Deliberate differences from nats-server 2.10.29
 *
 * - Include cycles and environment-variable reference cycles raise a
 *   ConfigError (2.10.29 overflows its stack; the cycle message is the one
 *   later nats-server versions use). Nesting deeper than 1000 levels of
 *   maps/arrays/braces is rejected.
 * - Text is returned as JavaScript strings, so bytes that are not valid UTF-8
 *   (in the file, or made with `\xNN` escapes such as `"\xe9"`) become U+FFFD;
 *   nats-server keeps the raw bytes. `"\xc3\xa9"` gives "é" in both.
 * - Errors nats-server reports without a column (variables, number ranges,
 *   dates, includes) get the offending token's position here; an error inside
 *   an included file is positioned in that file.
 * - Values read from the environment get the position of the `$name`
 *   reference (nats-server gives their inner values no position).
 * - Include read errors reuse Go's wording for the common errno codes only.
 */

import { readFileSync } from "node:fs";
import * as path from "node:path";
import { goReadFileError } from "../oserror.js";

// ---------------------------------------------------------------------------
// Public types

/** Where a value (or an error) is located. See the module comment for the column rules. */
export interface ConfigPosition {
  file: string;
  line: number;
  column: number;
}

interface ValueBase extends ConfigPosition {
  /** Set when this map entry has been referenced through `$name`. */
  usedVariable: boolean;
}

export interface ConfigString extends ValueBase {
  kind: "string";
  value: string;
}
/** int64 semantics (size suffixes wrap like Go's int64 arithmetic). `bigint` only outside the safe-integer range. */
export interface ConfigInteger extends ValueBase {
  kind: "integer";
  value: number | bigint;
}
export interface ConfigFloat extends ValueBase {
  kind: "float";
  value: number;
}
export interface ConfigBoolean extends ValueBase {
  kind: "boolean";
  value: boolean;
}
/** A `YYYY-MM-DDTHH:MM:SSZ` datetime, always UTC. */
export interface ConfigDate extends ValueBase {
  kind: "date";
  value: Date;
}
export interface ConfigMapValue extends ValueBase {
  kind: "map";
  value: ConfigMap;
}
export interface ConfigArray extends ValueBase {
  kind: "array";
  value: ConfigValue[];
}

export type ConfigValue =
  | ConfigString
  | ConfigInteger
  | ConfigFloat
  | ConfigBoolean
  | ConfigDate
  | ConfigMapValue
  | ConfigArray;

export type ConfigKind = ConfigValue["kind"];
export type ConfigScalar = string | number | bigint | boolean | Date;
export type ConfigData = ConfigValue["value"];
/** Key (as written) -> value, in source order. A repeated key keeps its first slot and takes the last value. */
export type ConfigMap = Map<string, ConfigValue>;

/** Go's `%T` of a config value, as nats-server's messages name types. */
export function goType(v: ConfigValue): string {
  switch (v.kind) {
    case "integer":
      return "int64";
    case "float":
      return "float64";
    case "boolean":
      return "bool";
    case "date":
      return "time.Time";
    case "array":
      return "[]interface {}";
    case "map":
      return "map[string]interface {}";
    default:
      return "string";
  }
}

/** A value with positions stripped: maps become plain objects. */
export type PlainValue = ConfigScalar | PlainValue[] | { [key: string]: PlainValue };

export interface ParseOptions {
  /** Environment used to resolve variables not defined in the file (default `process.env`). */
  env?: Record<string, string | undefined>;
}

/** A configuration that could not be read or parsed. */
export class ConfigError extends Error {
  /** File the problem is in (`''` for a string parsed without a name). */
  readonly file: string;
  /** 1-based line; 0 when the file itself could not be read. */
  readonly line: number;
  /** nats-server's column (see module comment); 0 when the file could not be read. */
  readonly column: number;
  /** The problem, worded as nats-server words it. */
  readonly reason: string;

  constructor(reason: string, where?: ConfigPosition, options?: { cause?: unknown }) {
    const file = where?.file ?? "";
    const line = where?.line ?? 0;
    const column = where?.column ?? 0;
    super(where && line > 0 ? `${file}:${line}:${column}: ${reason}` : reason, options);
    this.name = "ConfigError";
    this.file = file;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

/** `file:line:column` for a value, as used in nats-server messages. */
export function formatPosition(p: ConfigPosition): string {
  return `${p.file}:${p.line}:${p.column}`;
}

/** Strips positions: maps become plain objects, arrays plain arrays, scalars stay as they are. */
export function toPlain(v: ConfigValue | ConfigMap | ConfigValue[]): PlainValue {
  if (v instanceof Map) {
    // Object.fromEntries defines own properties, so a key like "__proto__" is safe.
    return Object.fromEntries([...v].map(([k, e]) => [k, toPlain(e)]));
  }
  if (Array.isArray(v)) return v.map((e) => toPlain(e));
  if (v.kind === "map" || v.kind === "array") return toPlain(v.value);
  return v.value;
}

/** Parses configuration text. `fileName` is used in positions and to resolve `include` paths. */
export function parseConfig(text: string, fileName = "", options: ParseOptions = {}): ConfigMap {
  const ctx = newContext(options);
  if (fileName !== "") ctx.includeChain.push(path.resolve(fileName));
  return new Parser(Buffer.from(text, "utf8"), fileName, ctx).run();
}

/** Reads and parses a configuration file; `include` paths are relative to its directory. */
export function parseConfigFile(filePath: string, options: ParseOptions = {}): ConfigMap {
  const ctx = newContext(options);
  ctx.includeChain.push(path.resolve(filePath));
  return new Parser(readSource(filePath), filePath, ctx).run();
}

// ---------------------------------------------------------------------------
// Characters

const EOF = 0; // end of input; a NUL byte in the input reads the same way, as in nats-server
const C = {
  tab: 0x09,
  nl: 0x0a,
  cr: 0x0d,
  space: 0x20,
  dquote: 0x22,
  hash: 0x23,
  dollar: 0x24,
  squote: 0x27,
  lparen: 0x28,
  rparen: 0x29,
  comma: 0x2c,
  minus: 0x2d,
  dot: 0x2e,
  slash: 0x2f,
  colon: 0x3a,
  semi: 0x3b,
  equals: 0x3d,
  lbracket: 0x5b,
  backslash: 0x5c,
  rbracket: 0x5d,
  lbrace: 0x7b,
  rbrace: 0x7d,
} as const;

const isBlank = (r: number): boolean => r === C.space || r === C.tab;
const isLineEnd = (r: number): boolean => r === C.nl || r === C.cr;
const isKeySep = (r: number): boolean => r === C.equals || r === C.colon;

/** Unicode White_Space, as Go's unicode.IsSpace. */
function isSpace(r: number): boolean {
  if (r <= 0xff) return (r >= 0x09 && r <= 0x0d) || r === 0x20 || r === 0x85 || r === 0xa0;
  return (
    r === 0x1680 ||
    (r >= 0x2000 && r <= 0x200a) ||
    r === 0x2028 ||
    r === 0x2029 ||
    r === 0x202f ||
    r === 0x205f ||
    r === 0x3000
  );
}

const DECIMAL_DIGIT = /^\p{Nd}$/u;
/** Unicode decimal digit (category Nd), as Go's unicode.IsDigit. */
function isDigit(r: number): boolean {
  if (r < 0x80) return r >= 0x30 && r <= 0x39;
  if (r <= 0xff) return false;
  return DECIMAL_DIGIT.test(String.fromCodePoint(r));
}

/** Letters that start a size suffix (k, m, g, t, p, e in either case). */
function isSizeLetter(r: number): boolean {
  switch (r | 0x20) {
    case 0x6b:
    case 0x6d:
    case 0x67:
    case 0x74:
    case 0x70:
    case 0x65:
      return true;
    default:
      return false;
  }
}

/**
 * Lower-casing as Go's strings.ToLower for the words compared against here:
 * Go maps U+0130 (dotted capital I) to a plain 'i', JavaScript to 'i' + U+0307.
 */
function lowerCase(s: string): string {
  return s.replace(/\u0130/g, "i").toLowerCase();
}

/** How a character is shown inside an error message (a newline as `\n`). */
function showRune(r: number): string {
  return r === C.nl ? "\\n" : String.fromCodePoint(r);
}

/** Decodes one UTF-8 sequence; invalid input yields U+FFFD over a single byte. */
function decodeRune(b: Uint8Array, i: number): [rune: number, width: number] {
  const b0 = b[i]!;
  if (b0 < 0x80) return [b0, 1];
  const n = b.length;
  const cont = (j: number, lo = 0x80, hi = 0xbf): number => {
    if (j >= n) return -1;
    const x = b[j]!;
    return x >= lo && x <= hi ? x & 0x3f : -1;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(i + 1);
    if (c1 >= 0) return [((b0 & 0x1f) << 6) | c1, 2];
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    const c1 = cont(i + 1, b0 === 0xe0 ? 0xa0 : 0x80, b0 === 0xed ? 0x9f : 0xbf);
    const c2 = c1 >= 0 ? cont(i + 2) : -1;
    if (c2 >= 0) return [((b0 & 0x0f) << 12) | (c1 << 6) | c2, 3];
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    const c1 = cont(i + 1, b0 === 0xf0 ? 0x90 : 0x80, b0 === 0xf4 ? 0x8f : 0xbf);
    const c2 = c1 >= 0 ? cont(i + 2) : -1;
    const c3 = c2 >= 0 ? cont(i + 3) : -1;
    if (c3 >= 0) return [((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3, 4];
  }
  return [0xfffd, 1];
}

// ---------------------------------------------------------------------------
// Lexer
//
// Produces tokens lazily (a generator), so the parser handles each token —
// and may fail on it — before anything after it is scanned, which keeps the
// first reported error the same as nats-server's.
//
// Token positions follow nats-server's arithmetic: `line` is the line count
// when the token is produced, `pos` is the token's end offset minus the
// (byte) length of its text, taken relative to the start of the line on
// which scanning of the token began. The cursor below keeps the same state
// (current line, offset of the last newline read, offset of the line where
// the pending token began) so that every position agrees.

type TokenType =
  | "error"
  | "eof"
  | "key"
  | "string"
  | "bool"
  | "integer"
  | "float"
  | "datetime"
  | "arrayStart"
  | "arrayEnd"
  | "mapStart"
  | "mapEnd"
  | "variable"
  | "include";

interface Token {
  type: TokenType;
  text: string;
  line: number;
  pos: number;
}

type TokenStream = Generator<Token, void, void>;

/** Deepest nesting of maps, arrays and top-level braces accepted. */
const MAX_NESTING = 1000;

class Lexer {
  private pos = 0;
  /** Start of the pending token's raw text. */
  private start = 0;
  /** Width of the last character read, for `back()`. */
  private width = 0;
  private line = 1;
  /** Offset of the last newline read (0 on line 1). */
  private lineStart = 0;
  /** `lineStart` as it was when the pending token began. */
  private tokenLineStart = 0;
  /** Decoded pieces of a string containing escapes. */
  private pieces: Uint8Array[] = [];
  private depth = 0;

  constructor(private readonly src: Buffer) {}

  // -- cursor ---------------------------------------------------------------

  private next(): number {
    if (this.pos >= this.src.length) {
      this.width = 0;
      return EOF;
    }
    const b = this.src[this.pos]!;
    if (b < 0x80) {
      if (b === C.nl) {
        this.line++;
        this.lineStart = this.pos;
      }
      this.width = 1;
      this.pos++;
      return b;
    }
    const [r, w] = decodeRune(this.src, this.pos);
    this.width = w;
    this.pos += w;
    return r;
  }

  /** Un-reads the last character read (by its width). */
  private back(): void {
    this.pos -= this.width;
    if (this.pos < this.src.length && this.src[this.pos] === C.nl) this.line--;
  }

  private peek(): number {
    const r = this.next();
    this.back();
    return r;
  }

  /** Drops what has been read so far: the next token starts here. */
  private skip(): void {
    this.start = this.pos;
    this.tokenLineStart = this.lineStart;
  }

  private make(type: TokenType): Token {
    let text: string;
    let byteLength: number;
    if (this.pieces.length > 0) {
      const bytes = Buffer.concat([...this.pieces, this.src.subarray(this.start, this.pos)]);
      this.pieces = [];
      text = bytes.toString("utf8");
      byteLength = bytes.length;
    } else {
      text = this.src.toString("utf8", this.start, this.pos);
      byteLength = this.pos - this.start;
    }
    const tok: Token = { type, text, line: this.line, pos: this.pos - this.tokenLineStart - byteLength };
    this.start = this.pos;
    this.tokenLineStart = this.lineStart;
    return tok;
  }

  private failure(message: string): Token {
    return { type: "error", text: message, line: this.line, pos: this.pos - this.lineStart };
  }

  /** Emits a final token; the parser never asks for more after it. */
  private *finish(tok: Token): TokenStream {
    yield tok;
    throw new Error("config lexer resumed after its last token");
  }

  private fail(message: string): TokenStream {
    return this.finish(this.failure(message));
  }

  /** Ends at a premature end of input: an error if anything is pending, else a plain EOF. */
  private endOfInput(): TokenStream {
    return this.pos > this.start ? this.fail("Unexpected EOF.") : this.finish(this.make("eof"));
  }

  /** Reads a comment body (the marker is already read), up to the end of the line. */
  private comment(): void {
    this.skip();
    for (;;) {
      const r = this.peek();
      if (isLineEnd(r) || r === EOF) break;
      this.next();
    }
    this.skip();
  }

  private *enter(): TokenStream {
    if (++this.depth > MAX_NESTING) yield* this.fail(`Maximum nesting depth of ${MAX_NESTING} exceeded.`);
  }

  // -- top level -------------------------------------------------------------

  *tokens(): TokenStream {
    for (;;) {
      const r = this.next();
      if (isSpace(r)) {
        this.skip();
        continue;
      }
      if (r === C.lbrace) {
        this.skip();
        yield* this.braces();
        continue;
      }
      if (r === C.hash) {
        this.comment();
        continue;
      }
      if (r === C.slash) {
        if (this.next() === C.slash) {
          this.comment();
          continue;
        }
        this.back();
        yield* this.endOfInput(); // a lone '/' here is reported as an unexpected end
      }
      if (r === EOF) yield* this.endOfInput();
      this.back();
      yield* this.keyAndValue();
      yield* this.afterTopValue();
    }
  }

  /** After a top-level entry: only blanks, then a line end, ';', ',', '}', a comment or EOF. */
  private *afterTopValue(): TokenStream {
    for (;;) {
      const r = this.next();
      if (r === C.hash) return this.comment();
      if (r === C.slash) {
        if (this.next() === C.slash) return this.comment();
        this.back();
        continue; // a single '/' is passed over
      }
      if (isBlank(r)) continue;
      if (isLineEnd(r) || r === EOF || r === C.semi || r === C.comma || r === C.rbrace) {
        this.skip();
        return;
      }
      yield* this.fail(
        `Expected a top-level value to end with a new line, comment or EOF, but got '${showRune(r)}' instead.`,
      );
    }
  }

  /**
   * A `{ ... }` wrapped around top-level entries (JSON style). Its entries go
   * into the same top-level map; the opening brace has been read.
   */
  private *braces(): TokenStream {
    yield* this.enter();
    let state: "key" | "afterValue" | "close" = "key";
    for (;;) {
      const r = this.next();
      if (state === "key") {
        if (isSpace(r)) {
          this.skip();
        } else if (r === C.lbrace) {
          this.skip();
          yield* this.braces();
          state = "close";
        } else if (r === C.rbrace) {
          this.skip();
          this.depth--;
          return;
        } else if (r === C.hash) {
          this.comment();
        } else if (r === C.slash) {
          if (this.next() === C.slash) {
            this.comment();
          } else {
            this.back();
            yield* this.endOfInput();
          }
        } else if (r === EOF) {
          yield* this.endOfInput();
        } else {
          this.back();
          yield* this.keyAndValue();
          state = "afterValue";
        }
      } else if (state === "afterValue") {
        if (r === C.hash) {
          this.comment();
        } else if (r === C.slash) {
          if (this.next() === C.slash) this.comment();
          else this.back(); // a single '/' is passed over
        } else if (isBlank(r)) {
          // keep going
        } else if (isLineEnd(r) || r === C.semi || r === C.comma) {
          this.skip();
          state = "key";
        } else if (r === C.rbrace) {
          this.back();
          state = "close";
        } else {
          yield* this.fail(
            `Expected a block-level value to end with a new line, comment or EOF, but got '${showRune(r)}' instead.`,
          );
        }
      } else {
        if (r === C.hash) {
          this.comment();
          state = "key";
        } else if (r === C.slash) {
          if (this.next() === C.slash) {
            this.comment();
            state = "key";
          } else {
            this.back(); // a single '/' is passed over
          }
        } else if (isLineEnd(r) || isBlank(r)) {
          // keep going
        } else if (r === C.semi || r === C.comma) {
          this.skip();
          state = "key";
        } else if (r === C.rbrace) {
          this.skip();
          this.depth--;
          return;
        } else {
          yield* this.fail(`Expected a block-level to end with a '}', but got '${showRune(r)}' instead.`);
        }
      }
    }
  }

  /** A top-level (or braces-level) key, its separator and its value; or an include. */
  private *keyAndValue(): TokenStream {
    for (;;) {
      const r = this.peek();
      if (isKeySep(r)) yield* this.fail(`Unexpected key separator '${showRune(r)}'`);
      if (isSpace(r)) {
        this.next();
        this.skip();
        continue;
      }
      if (r === C.dquote || r === C.squote) {
        this.next();
        this.skip();
        for (;;) {
          const c = this.peek();
          if (c === r) break;
          if (c === EOF) yield* this.endOfInput();
          this.next();
        }
        yield this.make("key");
        this.next();
        this.skip();
        break;
      }
      this.skip();
      this.next();
      for (;;) {
        const c = this.peek();
        if (isSpace(c)) {
          if (this.isIncludeKeyword()) {
            this.skip();
            return yield* this.include();
          }
          break;
        }
        if (isKeySep(c) || c === EOF) break;
        this.next();
      }
      yield this.make("key");
      break;
    }
    // Up to the value: any spaces (new lines included), then an optional separator.
    for (;;) {
      const r = this.next();
      if (isSpace(r)) {
        this.skip();
        continue;
      }
      if (isKeySep(r)) {
        this.skip();
        break;
      }
      if (r === EOF) yield* this.finish(this.make("eof"));
      this.back();
      break;
    }
    yield* this.value();
  }

  private isIncludeKeyword(): boolean {
    return lowerCase(this.src.toString("utf8", this.start, this.pos)) === "include";
  }

  /** The operand of `include` (the keyword has been read and dropped). */
  private *include(): TokenStream {
    for (;;) {
      const r = this.next();
      if (!isBlank(r)) {
        this.back();
        break;
      }
      this.skip();
    }
    const r = this.next();
    if (r === C.squote || r === C.dquote) {
      this.skip();
      for (;;) {
        const c = this.next();
        if (c === r) {
          this.back();
          yield this.make("include");
          this.next();
          this.skip();
          return;
        }
        if (c === EOF) {
          yield* this.fail(
            r === C.squote ? "Unexpected EOF in quoted include" : "Unexpected EOF in double quoted include",
          );
        }
      }
    }
    if (r === C.lbracket) yield* this.fail("Expected include value but found start of an array");
    if (r === C.lbrace) yield* this.fail("Expected include value but found start of a map");
    if (r === C.lparen) yield* this.fail("Expected include value but found start of a block");
    if (isDigit(r) || r === C.minus) yield* this.fail("Expected include value but found start of a number");
    if (r === C.backslash) yield* this.fail("Expected include value but found escape sequence");
    if (isLineEnd(r)) yield* this.fail("Expected include value but found new line");
    this.back();
    for (;;) {
      const c = this.next();
      if (isLineEnd(c) || c === EOF || c === C.semi || c === C.rbrace || isBlank(c)) {
        this.back();
        yield this.make("include");
        return;
      }
      if (c === C.squote) {
        this.back();
        yield this.make("include");
        this.next();
        this.skip();
        return;
      }
    }
  }

  // -- values ------------------------------------------------------------------

  private *value(): TokenStream {
    for (;;) {
      const r = this.next();
      if (isBlank(r)) {
        this.skip();
        continue;
      }
      switch (r) {
        case C.lbracket:
          yield* this.enter();
          this.skip();
          yield this.make("arrayStart");
          yield* this.arrayBody();
          this.depth--;
          return;
        case C.lbrace:
          yield* this.enter();
          this.skip();
          yield this.make("mapStart");
          yield* this.mapBody();
          this.depth--;
          return;
        case C.squote:
          this.skip();
          return yield* this.rawString();
        case C.dquote:
          this.skip();
          return yield* this.quotedString();
        case C.minus:
          return yield* this.negativeNumber();
        case C.lparen:
          this.skip();
          return yield* this.blockString();
      }
      if (isDigit(r)) {
        this.back();
        return yield* this.numberLike();
      }
      if (r === C.dot) yield* this.fail("Floats must start with a digit");
      if (isLineEnd(r)) yield* this.fail("Expected value but found new line");
      this.back();
      return yield* this.bareString();
    }
  }

  /** `'...'`: no escapes, may span lines. */
  private *rawString(): TokenStream {
    for (;;) {
      const r = this.next();
      if (r === C.squote) {
        this.back();
        yield this.make("string");
        this.next();
        this.skip();
        return;
      }
      if (r === EOF) yield* this.endOfInput();
    }
  }

  /** `"..."`: with escapes, may span lines. */
  private *quotedString(): TokenStream {
    for (;;) {
      const r = this.next();
      if (r === C.backslash) {
        yield* this.escape();
      } else if (r === C.dquote) {
        this.back();
        yield this.make("string");
        this.next();
        this.skip();
        return;
      } else if (r === EOF) {
        yield* this.endOfInput();
      }
    }
  }

  /**
   * An unquoted value: runs to a blank, line end, `,` `;` `]` `}` or EOF (or a
   * `'`, which is dropped). Becomes a boolean, a `$variable` or a string.
   */
  private *bareString(): TokenStream {
    for (;;) {
      const r = this.next();
      if (r === C.backslash) {
        yield* this.escape();
        continue;
      }
      if (
        isLineEnd(r) ||
        r === EOF ||
        r === C.semi ||
        r === C.comma ||
        r === C.rbracket ||
        r === C.rbrace ||
        isBlank(r)
      ) {
        this.back();
        if (this.pieces.length > 0) {
          yield this.make("string");
        } else if (BOOL_WORDS.has(lowerCase(this.src.toString("utf8", this.start, this.pos)))) {
          yield this.make("bool");
        } else if (this.start < this.src.length && this.src[this.start] === C.dollar) {
          this.start++;
          yield this.make("variable");
        } else {
          yield this.make("string");
        }
        return;
      }
      if (r === C.squote) {
        this.back();
        yield this.make("string");
        this.next();
        this.skip();
        return;
      }
    }
  }

  /** After a backslash in a double-quoted or bare string. */
  private *escape(): TokenStream {
    this.pieces.push(this.src.subarray(this.start, this.pos - 1));
    this.start = this.pos;
    const r = this.next();
    const simple = ESCAPES.get(r);
    if (simple !== undefined) {
      this.pieces.push(Buffer.from(simple));
      this.start = this.pos;
      return;
    }
    if (r !== 0x78 /* x */) {
      yield* this.fail(
        `Invalid escape character '${showRune(r)}'. Only the following escape characters are ` +
          'allowed: \\xXX, \\t, \\n, \\r, \\", \\\\.',
      );
    }
    for (let i = 0; i < 2; i++) {
      if (isLineEnd(this.next())) yield* this.fail("Expected two hexadecimal digits after '\\x', but hit end of line");
    }
    const hex = this.src.toString("utf8", this.pos - 2, this.pos);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
      yield* this.fail(`Expected two hexadecimal digits after '\\x', but got '${hex}'`);
    }
    this.pieces.push(Uint8Array.of(parseInt(hex, 16)));
    this.start = this.pos;
  }

  /** `( ... )`: raw text up to a `)` alone on its line (no indentation). */
  private *blockString(): TokenStream {
    for (;;) {
      const r = this.next();
      if (r === EOF) yield* this.fail("Unexpected EOF processing block.");
      if (r !== C.rparen) continue;
      // Is the ')' at the start of a line...
      this.back();
      this.back();
      if (this.next() !== C.nl) {
        this.next();
        continue;
      }
      this.next();
      // ...and followed by a line end or the end of input?
      const after = this.next();
      if (after === C.nl || after === EOF) {
        this.back();
        this.back();
        yield this.make("string");
        this.next();
        this.skip();
        return;
      }
      this.back();
    }
  }

  /** Something starting with a digit: integer, size, float, IP address, datetime, or a string. */
  private *numberLike(): TokenStream {
    const first = this.next();
    if (!isDigit(first)) {
      yield* this.fail(
        first === C.dot ? "Floats must start with a digit, not '.'." : `Expected a digit but got '${showRune(first)}'.`,
      );
    }
    for (;;) {
      const r = this.next();
      if (r === C.minus) {
        if (this.pos - this.start !== 5) yield* this.fail("All ISO8601 dates must be in full Zulu form.");
        return yield* this.datetime();
      }
      if (isDigit(r)) continue;
      if (r === C.dot) return yield* this.fraction();
      if (isSizeLetter(r)) return yield* this.sizeSuffix();
      if (!(isLineEnd(r) || r === EOF || r === C.rbrace || r === C.semi || r === C.comma || isBlank(r))) {
        // Not a number after all; the character just read belongs to the string.
        return yield* this.bareString();
      }
      this.back();
      yield this.make("integer");
      return;
    }
  }

  private *negativeNumber(): TokenStream {
    const first = this.next();
    if (!isDigit(first)) {
      yield* this.fail(
        first === C.dot ? "Floats must start with a digit, not '.'." : `Expected a digit but got '${showRune(first)}'.`,
      );
    }
    for (;;) {
      const r = this.next();
      if (isDigit(r)) continue;
      if (r === C.dot) return yield* this.fraction();
      if (isSizeLetter(r)) return yield* this.sizeSuffix();
      this.back();
      yield this.make("integer");
      return;
    }
  }

  /** After the size letter: any run of b/B/i/I, then it must end like a number. */
  private *sizeSuffix(): TokenStream {
    let r: number;
    do {
      r = this.next();
    } while (r === 0x62 || r === 0x42 || r === 0x69 || r === 0x49);
    this.back();
    if (isLineEnd(r) || r === EOF || r === C.rbrace || r === C.semi || r === C.comma || isBlank(r) || isDigit(r)) {
      yield this.make("integer");
      return;
    }
    yield* this.bareString();
  }

  /** After the '.' of a number. */
  private *fraction(): TokenStream {
    const first = this.next();
    if (!isDigit(first)) {
      yield* this.fail(`Floats must have a digit after the '.', but got '${showRune(first)}' instead.`);
    }
    for (;;) {
      const r = this.next();
      if (isDigit(r)) continue;
      if (r === C.dot) {
        // A second dot: an address such as 127.0.0.1 or 127.0.0.1:4222.
        let c: number;
        do {
          c = this.next();
        } while (isDigit(c) || c === C.dot || c === C.colon || c === C.minus);
        this.back();
        yield this.make("string");
        return;
      }
      this.back();
      yield this.make("float");
      return;
    }
  }

  /** The rest of `YYYY-MM-DDTHH:MM:SSZ` after `YYYY-`. */
  private *datetime(): TokenStream {
    for (const want of "00-00T00:00:00Z") {
      const r = this.next();
      if (want === "0") {
        if (!isDigit(r)) yield* this.fail(`Expected digit in ISO8601 datetime, but found '${showRune(r)}' instead.`);
      } else if (r !== want.charCodeAt(0)) {
        yield* this.fail(`Expected '${want}' in ISO8601 datetime, but found '${showRune(r)}' instead.`);
      }
    }
    yield this.make("datetime");
  }

  // -- arrays and maps -----------------------------------------------------------

  /** Elements after `[`, separated by commas and/or line ends, up to `]`. */
  private *arrayBody(): TokenStream {
    for (;;) {
      const r = this.next();
      if (isSpace(r)) {
        this.skip();
        continue;
      }
      if (r === C.hash) {
        this.comment();
        continue;
      }
      if (r === C.slash) {
        if (this.next() === C.slash) {
          this.comment();
          continue;
        }
        this.back();
        yield* this.fail("Unexpected array value terminator ','.");
      }
      if (r === C.comma) yield* this.fail("Unexpected array value terminator ','.");
      if (r === C.rbracket) {
        this.skip();
        yield this.make("arrayEnd");
        return;
      }
      this.back();
      yield* this.value();
      for (;;) {
        const c = this.next();
        if (isBlank(c)) {
          this.skip();
          continue;
        }
        if (c === C.hash) {
          this.comment();
          continue;
        }
        if (c === C.slash) {
          if (this.next() === C.slash) {
            this.comment();
            continue;
          }
          this.back(); // a single '/' separates like a comma
          this.skip();
          break;
        }
        if (c === C.comma || isLineEnd(c)) {
          this.skip();
          break;
        }
        if (c === C.rbracket) {
          this.skip();
          yield this.make("arrayEnd");
          return;
        }
        yield* this.fail(
          'Expected an array value terminator "," or an array terminator "]", ' + `but got '${showRune(c)}' instead.`,
        );
      }
    }
  }

  /** Entries after `{`, up to `}`. */
  private *mapBody(): TokenStream {
    for (;;) {
      // Key.
      const r = this.peek();
      if (isKeySep(r)) yield* this.fail(`Unexpected key separator '${showRune(r)}'.`);
      if (r === C.rbracket) yield* this.fail(`Unexpected array end '${showRune(r)}' processing map.`);
      if (isSpace(r)) {
        this.next();
        this.skip();
        continue;
      }
      if (r === C.rbrace) {
        this.next();
        return yield* this.mapEnd();
      }
      if (r === C.hash) {
        this.next();
        this.comment();
        continue;
      }
      if (r === C.squote || r === C.dquote) {
        this.next();
        this.skip();
        for (;;) {
          const c = this.peek();
          if (c === EOF) {
            yield* this.fail(
              r === C.squote
                ? "Unexpected EOF processing quoted map key."
                : "Unexpected EOF processing double quoted map key.",
            );
          }
          if (c === r) break;
          this.next();
        }
        yield this.make("key");
        this.next();
        this.skip();
      } else {
        if (r === C.slash) {
          this.next();
          if (this.next() === C.slash) {
            this.comment();
            continue;
          }
          this.back(); // a single '/' is dropped; the key starts after it
        } else if (r === EOF) {
          yield* this.fail("Unexpected EOF processing map.");
        }
        this.skip();
        this.next();
        let included = false;
        for (;;) {
          const c = this.peek();
          if (c === EOF) yield* this.fail("Unexpected EOF processing map key.");
          if (isSpace(c)) {
            if (this.isIncludeKeyword()) {
              this.skip();
              yield* this.include();
              included = true;
            } else {
              yield this.make("key");
            }
            break;
          }
          if (isKeySep(c)) {
            yield this.make("key");
            break;
          }
          this.next();
        }
        if (included) {
          if (yield* this.afterMapValue()) return;
          continue;
        }
      }
      // Separator: spaces (new lines included) and an optional '=' or ':'.
      for (;;) {
        const c = this.next();
        if (isSpace(c)) {
          this.skip();
          continue;
        }
        if (isKeySep(c)) this.skip();
        else this.back();
        break;
      }
      // Value.
      let ended = false;
      for (;;) {
        const c = this.next();
        if (isSpace(c)) {
          this.skip();
          continue;
        }
        if (c === C.comma) yield* this.fail('Unexpected map value terminator ",".');
        if (c === C.rbrace) {
          yield* this.mapEnd();
          ended = true;
          break;
        }
        this.back();
        yield* this.value();
        ended = yield* this.afterMapValue();
        break;
      }
      if (ended) return;
    }
  }

  /** After a map entry; returns true when the map's closing brace was read. */
  private *afterMapValue(): Generator<Token, boolean, void> {
    for (;;) {
      const r = this.next();
      if (isBlank(r)) {
        this.skip();
        continue;
      }
      if (r === C.hash) {
        this.comment();
        continue;
      }
      if (r === C.slash) {
        if (this.next() === C.slash) {
          this.comment();
          continue;
        }
        this.back(); // a single '/' separates like a comma
        this.skip();
        return false;
      }
      if (r === C.semi || r === C.comma || isLineEnd(r)) {
        this.skip();
        return false;
      }
      if (r === C.rbrace) {
        yield* this.mapEnd();
        return true;
      }
      yield* this.fail(
        'Expected a map value terminator "," or a map terminator "}", ' + `but got '${showRune(r)}' instead.`,
      );
    }
  }

  private *mapEnd(): TokenStream {
    this.skip();
    yield this.make("mapEnd");
  }
}

const BOOL_WORDS = new Set(["true", "false", "yes", "no", "on", "off"]);
const ESCAPES = new Map<number, string>([
  [0x74, "\t"],
  [0x6e, "\n"],
  [0x72, "\r"],
  [C.dquote, '"'],
  [C.backslash, "\\"],
]);

// ---------------------------------------------------------------------------
// Parser: turns the token stream into maps and arrays, resolving variables
// and includes as they come.

interface ParseContext {
  env: Record<string, string | undefined>;
  /** Environment variables being expanded, to stop reference cycles. */
  envInProgress: Set<string>;
  /** Absolute paths of the files being parsed, outermost first, to stop include cycles. */
  includeChain: string[];
}

function newContext(options: ParseOptions): ParseContext {
  return { env: options.env ?? process.env, envInProgress: new Set(), includeChain: [] };
}

/** Multipliers of the integer size suffixes (lower-cased). */
const SIZE_SUFFIXES = new Map<string, bigint>([["", 1n]]);
for (const [i, letter] of ["k", "m", "g", "t", "p", "e"].entries()) {
  SIZE_SUFFIXES.set(letter, 1000n ** BigInt(i + 1));
  for (const tail of ["b", "i", "ib"]) SIZE_SUFFIXES.set(letter + tail, 1024n ** BigInt(i + 1));
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Name of the key used to parse an environment variable's text. */
const ENV_KEY = "pk";

interface PendingKey {
  name: string;
  line: number;
  pos: number;
}

type Container = { kind: "map"; entries: ConfigMap } | { kind: "array"; items: ConfigValue[] };

class Parser {
  private readonly root: ConfigMap = new Map();
  private readonly containers: Container[] = [{ kind: "map", entries: this.root }];
  /**
   * Keys waiting for their value. A stack shared by all nesting levels, as in
   * nats-server; a key left without a value (e.g. `{a}` or an unknown size
   * suffix) therefore shifts which key the next value lands on, as it does there.
   */
  private readonly keys: PendingKey[] = [];

  constructor(
    private readonly src: Buffer,
    private readonly file: string,
    private readonly ctx: ParseContext,
  ) {}

  run(): ConfigMap {
    const tokens = new Lexer(this.src).tokens();
    let previous: Token | undefined;
    for (;;) {
      const step = tokens.next();
      if (step.done) throw new Error("config lexer ended without EOF");
      const tok = step.value;
      if (tok.type === "eof") {
        // A trailing key without a value is invalid, except a stray closing
        // brace (accepted so JSON-like files with an outer '}' parse).
        if (previous?.type === "key" && previous.text !== "}") {
          throw this.error(`config is invalid (${this.file}:${tok.line}:${tok.pos})`, tok);
        }
        return this.root;
      }
      previous = tok;
      this.handle(tok);
    }
  }

  private where(tok: Token): ConfigPosition {
    return { file: this.file, line: tok.line, column: tok.pos };
  }

  private error(reason: string, tok: Token): ConfigError {
    return new ConfigError(reason, this.where(tok));
  }

  private top(): Container {
    return this.containers[this.containers.length - 1]!;
  }

  private handle(tok: Token): void {
    switch (tok.type) {
      case "error":
        throw this.error(`Parse error on line ${tok.line}: '${tok.text}'`, tok);
      case "key":
        this.keys.push({ name: tok.text, line: tok.line, pos: tok.pos });
        return;
      case "mapStart":
        this.containers.push({ kind: "map", entries: new Map() });
        return;
      case "arrayStart":
        this.containers.push({ kind: "array", items: [] });
        return;
      case "mapEnd":
      case "arrayEnd": {
        const done = this.containers.pop()!;
        this.store(
          done.kind === "map"
            ? { kind: "map", value: done.entries, ...this.where(tok), usedVariable: false }
            : { kind: "array", value: done.items, ...this.where(tok), usedVariable: false },
        );
        return;
      }
      case "string":
        this.store({ kind: "string", value: tok.text, ...this.where(tok), usedVariable: false });
        return;
      case "bool":
        this.store({
          kind: "boolean",
          value: TRUE_WORDS.has(lowerCase(tok.text)),
          ...this.where(tok),
          usedVariable: false,
        });
        return;
      case "integer": {
        const value = this.integer(tok);
        if (value !== undefined) this.store({ kind: "integer", value, ...this.where(tok), usedVariable: false });
        return;
      }
      case "float": {
        const value = Number(tok.text);
        if (Number.isNaN(value)) throw this.error(`expected float, but got '${tok.text}'`, tok);
        if (!Number.isFinite(value)) throw this.error(`float '${tok.text}' is out of the range`, tok);
        this.store({ kind: "float", value, ...this.where(tok), usedVariable: false });
        return;
      }
      case "datetime": {
        const value = parseZulu(tok.text);
        if (!value) throw this.error(`expected Zulu formatted DateTime, but got '${tok.text}'`, tok);
        this.store({ kind: "date", value, ...this.where(tok), usedVariable: false });
        return;
      }
      case "variable":
        this.store(this.variable(tok));
        return;
      case "include":
        this.include(tok);
        return;
      case "eof":
        return;
    }
  }

  /** Integer with optional size suffix, int64 semantics; undefined for a suffix nats-server ignores. */
  private integer(tok: Token): number | bigint | undefined {
    const text = tok.text;
    const chars = [...text];
    let n = 0;
    while (n < chars.length && (isDigit(chars[n]!.codePointAt(0)!) || chars[n] === "-")) n++;
    const digits = chars.slice(0, n);
    if (digits.some((c) => c.length !== 1 || c.charCodeAt(0) >= 0x80) || !/^-?[0-9]+$/.test(digits.join(""))) {
      throw this.error(`expected integer, but got '${text}'`, tok);
    }
    const base = BigInt(digits.join(""));
    if (base < INT64_MIN || base > INT64_MAX) throw this.error(`integer '${text}' is out of the range`, tok);
    const multiplier = SIZE_SUFFIXES.get(chars.slice(n).join("").trim().toLowerCase());
    // nats-server silently sets nothing for a suffix it does not know (e.g. "1kbb").
    if (multiplier === undefined) return undefined;
    const value = BigInt.asIntN(64, base * multiplier);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  /** Puts a finished value into the innermost array or map. */
  private store(v: ConfigValue): void {
    const into = this.top();
    if (into.kind === "array") {
      into.items.push(v);
      return;
    }
    const key = this.keys.pop();
    if (!key) throw new ConfigError("internal error: config value without a key", v);
    // nats-server reports map entries at the position of their key.
    v.line = key.line;
    v.column = key.pos;
    into.entries.set(key.name, v);
  }

  private variable(tok: Token): ConfigValue {
    const name = tok.text;
    const at = this.where(tok);
    // "$2a$..." is a bcrypt hash, not a reference.
    if (name.startsWith("2a$")) return { kind: "string", value: `$${name}`, ...at, usedVariable: false };

    for (let i = this.containers.length - 1; i >= 0; i--) {
      const c = this.containers[i]!;
      if (c.kind !== "map") continue;
      const found = c.entries.get(name);
      if (found) {
        found.usedVariable = true;
        return { ...found, ...at, usedVariable: false } as ConfigValue;
      }
    }

    const failed = (detail: string, cause?: unknown): ConfigError =>
      new ConfigError(`variable reference for '${name}' on line ${tok.line} could not be parsed: ${detail}`, at, {
        cause,
      });
    if (this.ctx.envInProgress.has(name)) throw failed(`variable reference cycle for '${name}'`);
    const text = Object.hasOwn(this.ctx.env, name) ? this.ctx.env[name] : undefined;
    if (text !== undefined) {
      this.ctx.envInProgress.add(name);
      let parsed: ConfigMap;
      try {
        parsed = new Parser(Buffer.from(`${ENV_KEY}=${text}`, "utf8"), "", {
          env: this.ctx.env,
          envInProgress: this.ctx.envInProgress,
          includeChain: [],
        }).run();
      } catch (e) {
        throw e instanceof ConfigError ? failed(e.reason, e) : e;
      } finally {
        this.ctx.envInProgress.delete(name);
      }
      const v = parsed.get(ENV_KEY);
      if (v) return relocate(v, at);
    }
    throw this.error(`variable reference for '${name}' on line ${tok.line} can not be found`, tok);
  }

  private include(tok: Token): void {
    const target = joinPath(path.dirname(this.file), tok.text);
    const wrap = (inner: ConfigError, where: ConfigPosition): ConfigError =>
      new ConfigError(`error parsing include file '${tok.text}', ${inner.reason}`, where, { cause: inner });

    const resolved = path.resolve(target);
    const chain = this.ctx.includeChain;
    if (chain.includes(resolved)) {
      const cycle = [...chain.slice(chain.indexOf(resolved)), resolved].join(" -> ");
      throw new ConfigError(`error parsing include file '${tok.text}', include cycle: ${cycle}`, this.where(tok));
    }
    let included: ConfigMap;
    chain.push(resolved);
    try {
      included = new Parser(readSource(target), target, this.ctx).run();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      // A file that could not be read is reported at the include statement;
      // a problem inside it, where it is.
      throw wrap(e, e.line > 0 ? e : this.where(tok));
    } finally {
      chain.pop();
    }
    for (const [name, v] of included) {
      this.keys.push({ name, line: v.line, pos: v.column });
      this.store(v);
    }
  }
}

const TRUE_WORDS = new Set(["true", "yes", "on"]);

/** Gives a value taken from the environment (and everything inside it) the reference's position. */
function relocate(v: ConfigValue, at: ConfigPosition): ConfigValue {
  const out = { ...v, ...at, usedVariable: false } as ConfigValue;
  if (out.kind === "map") out.value = new Map([...out.value].map(([k, e]) => [k, relocate(e, at)]));
  else if (out.kind === "array") out.value = out.value.map((e) => relocate(e, at));
  return out;
}

/** `YYYY-MM-DDTHH:MM:SSZ` with the range checks Go's time.Parse applies. */
function parseZulu(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  if (day < 1 || day > monthDays) return undefined;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d;
}

/**
 * Joins like Go's filepath.Join: plain concatenation (an absolute include path
 * is still taken relative to the including file's directory), then cleaned,
 * without a trailing separator.
 */
function joinPath(dir: string, name: string): string {
  const joined = path.join(dir, name);
  return joined.length > 1 && joined.endsWith(path.sep) ? joined.replace(/[\\/]+$/, "") || path.sep : joined;
}

/** Reads a file, failing with nats-server's wording for the common errors. */
function readSource(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new ConfigError(goReadFileError(file, e), { file, line: 0, column: 0 }, { cause: e });
  }
}
