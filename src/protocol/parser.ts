// Incremental byte-level parser for the NATS text protocol.
//
// It accepts every operation either side may send (PUB, HPUB, SUB, UNSUB, PING, PONG,
// CONNECT, INFO, MSG, HMSG, +OK, -ERR); the handler decides which are allowed. Operation
// names are matched byte by byte, case-insensitively, so an unknown operation is reported
// at the first byte that cannot start or continue one, as nats-server does. A frame may be
// split across chunks at any byte; payloads that arrive whole are handed on as views of
// the input chunk (no copy, no string conversion).

export const enum Op {
  None = 0,
  Pub,
  Hpub,
  Sub,
  Unsub,
  Ping,
  Pong,
  Connect,
  Info,
  Msg,
  Hmsg,
  Ok,
  Err,
}

/** Why the parser stopped. */
export const enum ParseErrorKind {
  /** A byte that starts or continues no known operation, or a payload not followed by CRLF. */
  UnknownOp = 1,
  /** A control line longer than max_control_line. */
  MaxControlLine = 2,
}

/** The callbacks a connection implements. A `false` return stops parsing this chunk for good. */
export interface ParserHandler {
  /** PUB/HPUB (or MSG/HMSG) control line parsed; fields are on the parser. */
  onMsgArgs(p: Parser): boolean;
  /**
   * The payload of the message whose args were just reported (headers included), without
   * CRLF, as the range [start, end) of buf. The bytes are only valid during the call.
   */
  onMsgPayload(p: Parser, buf: Buffer, start: number, end: number): boolean;
  /** Any other operation with its argument text (latin1; empty for PING/PONG/+OK). */
  onOp(op: Op, arg: string): boolean;
  /** A protocol error; the handler sends what it must and closes. */
  onParseError(kind: ParseErrorKind, arg: Buffer | null): void;
}

const enum S {
  Start = 0,
  OpName, // matching the letters of an operation name
  OpSpace, // op name done, need at least one space/tab (PUB, SUB, ...)
  SkipSpace, // skipping spaces/tabs before the argument
  Arg, // collecting the argument up to LF
  WaitLF, // PING/PONG/+OK: ignore everything up to LF
  Payload,
  EndR,
  EndN,
}

const OP_NAMES: readonly string[] = [
  "",
  "PUB",
  "HPUB",
  "SUB",
  "UNSUB",
  "PING",
  "PONG",
  "CONNECT",
  "INFO",
  "MSG",
  "HMSG",
  "+OK",
  "-ERR",
];

/** Ops whose name must be followed by a space or tab. CONNECT/INFO may start the arg at once. */
function needsSpace(op: Op): boolean {
  return op !== Op.Connect && op !== Op.Info;
}

function noArg(op: Op): boolean {
  return op === Op.Ping || op === Op.Pong || op === Op.Ok;
}

function upper(b: number): number {
  return b >= 97 && b <= 122 ? b - 32 : b;
}

export class Parser {
  // message args of the current PUB/HPUB/MSG/HMSG (valid during onMsgArgs/onMsgPayload)
  subject = "";
  reply = "";
  sid = "";
  /** Total payload size, headers included. */
  size = 0;
  /** Header size for HPUB/HMSG, -1 for PUB/MSG. */
  hdr = -1;
  op: Op = Op.None;

  maxControlLine: number;
  private state: S = S.Start;
  private nameIdx = 0;
  private name = "";
  private argChunks: Buffer[] | null = null;
  private argLen = 0;
  private msgBuf: Buffer | null = null;
  private msgPos = 0;
  private readonly handler: ParserHandler;
  // scratch for splitting args: [start, end) pairs
  private readonly argPos = new Int32Array(12);

  constructor(handler: ParserHandler, maxControlLine = 4096) {
    this.handler = handler;
    this.maxControlLine = maxControlLine;
  }

  /** Parse one chunk. Returns false when the handler stopped parsing (connection closing). */
  parse(buf: Buffer): boolean {
    const h = this.handler;
    const n = buf.length;
    let i = 0;
    while (i < n) {
      switch (this.state) {
        case S.Start: {
          // fast path for the most common operation: "PUB " (any case) in one step
          if (
            i + 3 < n &&
            (buf[i] | 32) === 112 &&
            (buf[i + 1] | 32) === 117 &&
            (buf[i + 2] | 32) === 98 &&
            (buf[i + 3] === 32 || buf[i + 3] === 9)
          ) {
            this.op = Op.Pub;
            this.state = S.SkipSpace;
            i += 4;
            break;
          }
          const b = upper(buf[i]);
          let op: Op;
          switch (b) {
            case 80: // P: PUB, PING, PONG
              op = Op.Pub; // refined at the second byte
              break;
            case 72: // H: HPUB, HMSG
              op = Op.Hpub;
              break;
            case 83:
              op = Op.Sub;
              break;
            case 85:
              op = Op.Unsub;
              break;
            case 67:
              op = Op.Connect;
              break;
            case 73:
              op = Op.Info;
              break;
            case 77:
              op = Op.Msg;
              break;
            case 43:
              op = Op.Ok;
              break;
            case 45:
              op = Op.Err;
              break;
            default:
              this.op = Op.None;
              h.onParseError(ParseErrorKind.UnknownOp, null);
              return false;
          }
          this.op = op;
          this.name = OP_NAMES[op];
          this.nameIdx = 1;
          this.state = S.OpName;
          i++;
          break;
        }
        case S.OpName: {
          const b = upper(buf[i]);
          if (this.nameIdx === 1) {
            // disambiguate P* and H*
            if (this.op === Op.Pub) {
              if (b === 73) this.op = Op.Ping;
              else if (b === 79) this.op = Op.Pong;
            } else if (this.op === Op.Hpub) {
              if (b === 77) this.op = Op.Hmsg;
            }
            this.name = OP_NAMES[this.op];
          }
          if (b !== this.name.charCodeAt(this.nameIdx)) {
            h.onParseError(ParseErrorKind.UnknownOp, null);
            return false;
          }
          i++;
          if (++this.nameIdx === this.name.length) {
            const op = this.op;
            this.state = noArg(op) ? S.WaitLF : needsSpace(op) ? S.OpSpace : S.SkipSpace;
          }
          break;
        }
        case S.OpSpace: {
          const b = buf[i];
          if (b !== 32 && b !== 9) {
            h.onParseError(ParseErrorKind.UnknownOp, null);
            return false;
          }
          this.state = S.SkipSpace;
          i++;
          break;
        }
        case S.SkipSpace: {
          const b = buf[i];
          if (b === 32 || b === 9) {
            i++;
          } else {
            this.state = S.Arg;
            this.argChunks = null;
            this.argLen = 0;
          }
          break;
        }
        case S.WaitLF: {
          const nl = buf.indexOf(10, i);
          if (nl < 0) {
            i = n;
            break;
          }
          i = nl + 1;
          this.state = S.Start;
          if (!h.onOp(this.op, "")) return this.stop(i);
          break;
        }
        case S.Arg: {
          // control lines are short: a plain loop beats a native call for the first bytes
          let nl = -1;
          const lim = i + 128 < n ? i + 128 : n;
          for (let k = i; k < lim; k++) {
            if (buf[k] === 10) {
              nl = k;
              break;
            }
          }
          if (nl < 0 && lim < n) nl = buf.indexOf(10, lim);
          if (nl < 0) {
            // partial control line: keep it and check the limit
            const part = buf.subarray(i);
            (this.argChunks ??= []).push(part);
            this.argLen += part.length;
            // a CR whose LF has not arrived yet is not part of the argument
            if (this.argLen - (buf[n - 1] === 13 ? 1 : 0) > this.maxControlLine) {
              h.onParseError(ParseErrorKind.MaxControlLine, Buffer.concat(this.argChunks));
              return false;
            }
            i = n;
            break;
          }
          // the argument is ab[as, ae): a range of this chunk, or of the joined pieces
          let ab = buf;
          let as = i;
          let ae = nl;
          if (this.argChunks !== null) {
            this.argChunks.push(buf.subarray(i, nl));
            ab = Buffer.concat(this.argChunks);
            this.argChunks = null;
            as = 0;
            ae = ab.length;
          }
          if (ae > as && ab[ae - 1] === 13) ae--;
          i = nl + 1;
          if (ae - as > this.maxControlLine) {
            h.onParseError(ParseErrorKind.MaxControlLine, ab.subarray(as, ae));
            return false;
          }
          const op = this.op;
          if (op === Op.Pub || op === Op.Hpub || op === Op.Msg || op === Op.Hmsg) {
            this.parseMsgArgs(ab, as, ae);
            if (!h.onMsgArgs(this)) return this.stop(i);
            if (this.size < 0) {
              // a handler must stop on malformed args; never read a payload of unknown size
              h.onParseError(ParseErrorKind.UnknownOp, null);
              return false;
            }
            this.state = S.Payload;
            this.msgBuf = null;
            this.msgPos = 0;
            // fast path: the whole payload and its CRLF are in this chunk
            const end = i + this.size;
            if (end + 2 <= n) {
              if (buf[end] !== 13 || buf[end + 1] !== 10) {
                h.onParseError(ParseErrorKind.UnknownOp, null);
                return false;
              }
              this.state = S.Start;
              const ok = h.onMsgPayload(this, buf, i, end);
              i = end + 2;
              if (!ok) return this.stop(i);
            }
          } else {
            this.state = S.Start;
            if (!h.onOp(op, ab.toString("latin1", as, ae))) return this.stop(i);
          }
          break;
        }
        case S.Payload: {
          const size = this.size;
          if (this.msgBuf === null) {
            this.msgBuf = Buffer.allocUnsafe(size);
            this.msgPos = 0;
          }
          const want = size - this.msgPos;
          const take = Math.min(want, n - i);
          if (take > 0) {
            buf.copy(this.msgBuf, this.msgPos, i, i + take);
            this.msgPos += take;
            i += take;
          }
          if (this.msgPos === size) this.state = S.EndR;
          break;
        }
        case S.EndR:
          if (buf[i] !== 13) {
            h.onParseError(ParseErrorKind.UnknownOp, null);
            return false;
          }
          this.state = S.EndN;
          i++;
          break;
        case S.EndN: {
          if (buf[i] !== 10) {
            h.onParseError(ParseErrorKind.UnknownOp, null);
            return false;
          }
          i++;
          this.state = S.Start;
          const payload = this.msgBuf as Buffer;
          this.msgBuf = null;
          if (!h.onMsgPayload(this, payload, 0, payload.length)) return this.stop(i);
          break;
        }
      }
    }
    return true;
  }

  /**
   * Why the last PUB/HPUB/MSG/HMSG line is malformed ("" when it is not): "parse" (wrong
   * number of args), "hdr" (bad header size), "size" (bad size), "hdrsize" (header > total).
   */
  argError = "";
  /** Where parsing stopped when parse() returned false. */
  stopAt = 0;
  private lastArg: Buffer | null = null;
  private lastArgStart = 0;
  private lastArgEnd = 0;

  private stop(i: number): boolean {
    this.stopAt = i;
    return false;
  }

  /** Drop references to input buffers (the connection is done with this parser). */
  release(): void {
    this.lastArg = null;
    this.argChunks = null;
    this.msgBuf = null;
  }

  /** The argument text of the last PUB-like control line (for traces and errors). */
  lastArgText(): string {
    return this.lastArg === null ? "" : this.lastArg.toString("latin1", this.lastArgStart, this.lastArgEnd);
  }

  /** nats-server's wording for argError. */
  argErrorText(): string {
    const fn = this.op === Op.Hpub || this.op === Op.Hmsg ? "processHeaderPub" : "processPub";
    const what =
      this.argError === "parse"
        ? "Parse Error"
        : this.argError === "hdr"
          ? "Bad or Missing Header Size"
          : this.argError === "hdrsize"
            ? "Header Size larger then TotalSize"
            : fn === "processPub"
              ? "Bad or Missing Size"
              : "Bad or Missing Total Size";
    return `${fn} ${what}: "${this.lastArgText()}"`;
  }

  private parseMsgArgs(arg: Buffer, from: number, to: number): void {
    this.lastArg = arg;
    this.lastArgStart = from;
    this.lastArgEnd = to;
    const pos = this.argPos;
    let count = 0;
    let start = -1;
    for (let k = from; k < to; k++) {
      const b = arg[k];
      if (b === 32 || b === 9) {
        if (start >= 0) {
          if (count < 6) {
            pos[count * 2] = start;
            pos[count * 2 + 1] = k;
          }
          count++;
          start = -1;
        }
      } else if (start < 0) start = k;
    }
    if (start >= 0) {
      if (count < 6) {
        pos[count * 2] = start;
        pos[count * 2 + 1] = to;
      }
      count++;
    }
    this.argError = "";
    this.reply = "";
    this.sid = "";
    this.hdr = -1;
    const op = this.op;
    // number of fixed args: PUB subject [reply] size; HPUB subject [reply] hdr size;
    // MSG subject sid [reply] size; HMSG subject sid [reply] hdr size
    const base = op === Op.Pub ? 2 : op === Op.Hpub || op === Op.Msg ? 3 : 4;
    if (count !== base && count !== base + 1) {
      this.argError = "parse";
      this.size = -1;
      this.subject = count > 0 ? arg.toString("latin1", pos[0], pos[1]) : "";
      return;
    }
    let k = 0;
    this.subject = this.subjectString(arg, pos[0], pos[1]);
    k++;
    if (op === Op.Msg || op === Op.Hmsg) {
      this.sid = arg.toString("latin1", pos[2], pos[3]);
      k++;
    }
    if (count === base + 1) {
      this.reply = arg.toString("latin1", pos[k * 2], pos[k * 2 + 1]);
      k++;
    }
    if (op === Op.Hpub || op === Op.Hmsg) {
      this.hdr = parseSize(arg, pos[k * 2], pos[k * 2 + 1]);
      k++;
    }
    this.size = parseSize(arg, pos[k * 2], pos[k * 2 + 1]);
    if (this.hdr === -1 && (op === Op.Hpub || op === Op.Hmsg)) this.argError = "hdr";
    else if (this.size < 0) this.argError = "size";
    else if (this.hdr > this.size) this.argError = "hdrsize";
  }

  // Publishers tend to repeat subjects: reuse the last string when the bytes are the same.
  private lastSubj = "";
  private readonly lastSubjBytes = Buffer.alloc(64);
  private lastSubjLen = -1;

  private subjectString(b: Buffer, start: number, end: number): string {
    const len = end - start;
    if (len === this.lastSubjLen) {
      const lb = this.lastSubjBytes;
      let k = 0;
      while (k < len && lb[k] === b[start + k]) k++;
      if (k === len) return this.lastSubj;
    }
    const s = b.toString("latin1", start, end);
    if (len <= 64) {
      b.copy(this.lastSubjBytes, 0, start, end);
      this.lastSubjLen = len;
      this.lastSubj = s;
    }
    return s;
  }

  /** Name of the operation being parsed, for traces and errors. */
  get opName(): string {
    return OP_NAMES[this.op];
  }
}

/** nats-server's parseSize: 1 to 9 ASCII digits, else -1. */
export function parseSize(b: Buffer, start: number, end: number): number {
  const l = end - start;
  if (l <= 0 || l > 9) return -1;
  let n = 0;
  for (let k = start; k < end; k++) {
    const d = b[k] - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
