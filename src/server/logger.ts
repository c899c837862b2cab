// Logging in nats-server's format: `[PID] 2006/01/02 15:04:05.000000 [INF] message`.
// Each level is a method; callers check `debugEnabled`/`traceEnabled` before building a
// message, so logging that is off costs one property read.
//
// Lines are written synchronously and in order (as Go's logger does): a line is either
// entirely in a file or not at all, and nothing is held in memory that a crash could lose.
import { closeSync, fstatSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { isatty } from "node:tty";
import { goQuote } from "../protocol/quote.js";
import { goOpenError } from "./oserror.js";

export interface LogSink {
  write(line: string): void;
  close?(): void;
}

/**
 * Writes straight to a file descriptor (stderr by default), synchronously, like Go's logger.
 * A pipe or terminal that nobody reads fills up: a line is then waited for a few
 * milliseconds at most (sleeping, not spinning) and dropped whole after that, and later lines
 * are not waited for until the descriptor takes a line again, so a server never stalls on
 * its log. When only part of a line fits, the rest is kept and written before the next line,
 * so lines are never cut or mixed.
 */
export class FdSink implements LogSink {
  private rest: Buffer | null = null;
  /** The last line did not fit: don't wait for the descriptor again until one does. */
  private full = false;
  constructor(private readonly fd = 2) {}
  write(line: string): void {
    if (this.rest !== null) {
      const n = writeOut(this.fd, this.rest, false);
      if (n >= 0 && n < this.rest.length) {
        // still full: this line is dropped
        this.rest = this.rest.subarray(n);
        return;
      }
      this.rest = null;
    }
    const buf = Buffer.from(line, "utf8");
    const n = writeOut(this.fd, buf, !this.full);
    if (n < 0) return;
    this.full = n < buf.length;
    if (n > 0 && n < buf.length) this.rest = buf.subarray(n);
  }
}

/** How long to sleep, each time in turn, on a descriptor that is full (EAGAIN), before giving up. */
const FULL_WAITS_MS = [1, 2, 4];
const napCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Write `buf` to `fd`; the number of bytes written: all of them, unless the descriptor is
 * full (EAGAIN) and stays so through FULL_WAITS_MS (or at once, without `wait`); -1 on any
 * other error.
 */
function writeOut(fd: number, buf: Buffer, wait: boolean): number {
  let off = 0;
  let waits = 0;
  while (off < buf.length) {
    let n = 0;
    try {
      n = writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") return -1;
    }
    if (n > 0) {
      off += n;
      continue;
    }
    if (!wait || waits >= FULL_WAITS_MS.length) break;
    Atomics.wait(napCell, 0, 0, FULL_WAITS_MS[waits++]);
  }
  return off;
}

/** Write a line to a log file (or stderr, for the rotation's own errors); bytes written, or -1. */
function writeFully(fd: number, line: string): number {
  const n = writeOut(fd, Buffer.from(line, "utf8"), true);
  return n > 0 ? n : -1;
}

/** %q of a file name (UTF-8 kept as is, like Go). */
function quoteName(s: string): string {
  return Buffer.from(goQuote(Buffer.from(s, "utf8").toString("latin1")), "latin1").toString("utf8");
}

const LOG_PERMS = 0o640;

// A backup's suffix: .YYYY.MM.DD.hh.mm.ss.nnnnnnnnn (local time), the fraction optional.
const BACKUP_STAMP = /^(\d{4})\.(\d{2})\.(\d{2})\.(\d{2})\.(\d{2})\.(\d{2})(\.\d{1,9})?$/;

function isBackupStamp(stamp: string): boolean {
  const m = BACKUP_STAMP.exec(stamp);
  if (m === null) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59 || d < 1) return false;
  return d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

export interface FileSinkOptions {
  /** Rotate when the file grows past this many bytes (logfile_size_limit); 0 = never. */
  sizeLimit?: number;
  /** Keep at most this many files, the current one included (logfile_max_num); 0 = all. */
  maxFiles?: number;
  /** Whether lines carry a time (logtime): also used for the rotation's own lines. */
  time?: boolean;
  /** The `[pid] ` prefix of the rotation's own lines. */
  prefix?: string;
}

/**
 * Appends to a log file (log_file / -l), rotating it as nats-server does: after a line
 * takes the file past `sizeLimit`, the file is renamed `<file>.YYYY.MM.DD.hh.mm.ss.nnnnnnnnn`
 * (local time), a new file is started with a "Rotated log, backup saved as" line, and
 * backups beyond `maxFiles - 1` are removed, oldest first. A line is never split.
 */
export class FileSink implements LogSink {
  private fd: number;
  private out: number;
  private limit: number;
  private readonly olimit: number;
  private readonly maxFiles: number;
  private readonly time: boolean;
  private readonly prefix: string;
  private lastStampNs = 0n;
  private closed = false;

  constructor(
    readonly path: string,
    opts: FileSinkOptions = {},
  ) {
    try {
      this.fd = openSync(path, "a", LOG_PERMS);
    } catch (e) {
      throw new Error(`error opening file: ${goOpenError(path, e)}`);
    }
    try {
      this.out = fstatSync(this.fd).size;
    } catch {
      this.out = 0;
    }
    this.olimit = this.limit = Math.max(0, opts.sizeLimit ?? 0);
    this.maxFiles = Math.max(0, opts.maxFiles ?? 0);
    this.time = opts.time ?? true;
    this.prefix = opts.prefix ?? `[${process.pid}] `;
  }

  /** The file is already past its limit (nats-server then logs "Rotating logfile..."). */
  get overLimit(): boolean {
    return this.limit > 0 && this.out > this.limit;
  }

  write(line: string): void {
    if (this.closed) return;
    if (this.fd < 0 && !this.reopenAfterFailure()) return;
    const n = writeFully(this.fd, line);
    if (n < 0) return;
    this.out += n;
    if (this.limit > 0 && this.out > this.limit) this.rotate();
  }

  private rotate(): void {
    try {
      closeSync(this.fd);
    } catch (e) {
      this.limit *= 2;
      this.direct(
        "[ERR] ",
        `Unable to close logfile for rotation (${(e as Error).message}), will attempt next rotation at size ${this.limit}`,
      );
      return;
    }
    const bak = this.path + this.backupSuffix();
    try {
      renameSync(this.path, bak);
    } catch {
      // as nats-server: the file is reopened either way
    }
    try {
      this.fd = openSync(this.path, "a", LOG_PERMS);
    } catch (e) {
      this.fd = -1;
      writeFully(
        2,
        `Unable to re-open the logfile ${quoteName(this.path)} after rotation: ${goOpenError(this.path, e)}\n`,
      );
      return;
    }
    this.out = this.direct("[INF] ", `Rotated log, backup saved as ${quoteName(bak)}`);
    this.limit = this.olimit;
    if (this.maxFiles > 0) this.purge();
  }

  /** After a failed re-open at rotation, try again (at most once per line written). */
  private reopenAfterFailure(): boolean {
    try {
      this.fd = openSync(this.path, "a", LOG_PERMS);
      this.out = fstatSync(this.fd).size;
      return true;
    } catch {
      return false;
    }
  }

  /** `.YYYY.MM.DD.hh.mm.ss.nnnnnnnnn` in local time, strictly increasing. */
  private backupSuffix(): string {
    let ns = BigInt(nowMicros()) * 1000n + (process.hrtime.bigint() % 1000n);
    if (ns <= this.lastStampNs) ns = this.lastStampNs + 1n;
    this.lastStampNs = ns;
    const d = new Date(Number(ns / 1000000n));
    const frac = Number(ns % 1000000000n);
    return `.${d.getFullYear()}.${pad(d.getMonth() + 1, 2)}.${pad(d.getDate(), 2)}.${pad(d.getHours(), 2)}.${pad(d.getMinutes(), 2)}.${pad(d.getSeconds(), 2)}.${pad(frac, 9)}`;
  }

  /** A line the rotation writes itself: local time, CRLF-terminated (as nats-server's). */
  private direct(label: string, msg: string): number {
    if (this.fd < 0) return 0;
    let line = this.prefix;
    if (this.time) {
      const us = nowMicros();
      line += formatTime(new Date(Math.floor(us / 1000)), false, us % 1000000) + " ";
    }
    const n = writeFully(this.fd, line + label + msg + "\r\n");
    return n < 0 ? 0 : n;
  }

  /** Remove the oldest backups so that at most maxFiles - 1 remain. */
  private purge(): void {
    const dir = path.dirname(this.path);
    const base = path.basename(this.path);
    let names: string[];
    try {
      names = readdirSync(dir, { withFileTypes: true })
        .filter(
          (e) =>
            !e.isDirectory() &&
            e.name !== base &&
            e.name.startsWith(base + ".") &&
            isBackupStamp(e.name.slice(base.length + 1)),
        )
        .map((e) => e.name);
    } catch (e) {
      this.direct(
        "[ERR] ",
        `Unable to read directory ${quoteName(dir)} for log purge (${(e as Error).message}), will attempt next rotation`,
      );
      return;
    }
    names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const excess = names.length - (this.maxFiles - 1);
    for (let i = 0; i < excess; i++) {
      try {
        unlinkSync(path.join(dir, names[i]));
      } catch (e) {
        this.direct(
          "[ERR] ",
          `Unable to remove backup log file ${quoteName(names[i])} (${(e as Error).message}), will attempt next rotation`,
        );
        return;
      }
      this.direct("[INF] ", `Purged log file ${quoteName(names[i])}`);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fd < 0) return;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

/** Collects lines in memory (embedded servers, tests). */
export class MemorySink implements LogSink {
  lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
}

export interface LoggerOptions {
  debug?: boolean;
  trace?: boolean;
  /** Print the date and time on each line (nats-server's logtime, default true). */
  time?: boolean;
  utc?: boolean;
  /** Include `[pid] ` at the start of a line (nats-server does for files and stderr). */
  pid?: boolean;
  /** Colored level labels (nats-server uses them when stderr is a terminal). */
  colors?: boolean;
}

function pad(n: number, w: number): string {
  const s = String(n);
  return s.length >= w ? s : "0".repeat(w - s.length) + s;
}

export function formatTime(d: Date, utc: boolean, micros: number): string {
  if (utc) {
    return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1, 2)}/${pad(d.getUTCDate(), 2)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(micros, 6)}`;
  }
  return `${d.getFullYear()}/${pad(d.getMonth() + 1, 2)}/${pad(d.getDate(), 2)} ${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.${pad(micros, 6)}`;
}

// Wall-clock time in microseconds, from a monotonic clock anchored to Date.now() (so
// timestamps never go backwards), re-anchored if the wall clock jumps.
let anchorUs = Date.now() * 1000 - Number(process.hrtime.bigint() / 1000n);
function nowMicros(): number {
  let us = anchorUs + Number(process.hrtime.bigint() / 1000n);
  const wall = Date.now();
  if (Math.abs(us / 1000 - wall) > 1000) {
    anchorUs = wall * 1000 - Number(process.hrtime.bigint() / 1000n);
    us = anchorUs + Number(process.hrtime.bigint() / 1000n);
  }
  return us;
}

const PLAIN = { inf: "[INF] ", wrn: "[WRN] ", err: "[ERR] ", ftl: "[FTL] ", dbg: "[DBG] ", trc: "[TRC] " };
const colored = (code: string, label: string) => `[\x1b[${code}m${label}\x1b[0m] `;
const COLORED = {
  inf: colored("32", "INF"),
  wrn: colored("0;93", "WRN"),
  err: colored("31", "ERR"),
  ftl: colored("31", "FTL"),
  dbg: colored("36", "DBG"),
  trc: colored("33", "TRC"),
};

/** The logging options of ServerOptions (nats-server's names). */
export interface LogOptions {
  log_file: string;
  logtime: boolean;
  logtime_utc: boolean;
  debug: boolean;
  trace: boolean;
  logfile_size_limit: number;
  logfile_max_num: number;
}

/** The sink nats-server would log to for these options: the log file, else stderr. */
export function logSinkFromOptions(o: LogOptions): LogSink {
  if (o.log_file === "") return new FdSink(2);
  return new FileSink(o.log_file, { sizeLimit: o.logfile_size_limit, maxFiles: o.logfile_max_num, time: o.logtime });
}

export class Logger {
  debugEnabled: boolean;
  traceEnabled: boolean;
  time: boolean;
  utc: boolean;
  private prefix: string;
  private labels: typeof PLAIN;
  sink: LogSink;

  constructor(sink: LogSink = new FdSink(2), opts: LoggerOptions = {}) {
    this.sink = sink;
    this.debugEnabled = opts.debug ?? false;
    this.traceEnabled = opts.trace ?? false;
    this.time = opts.time ?? true;
    this.utc = opts.utc ?? false;
    this.prefix = opts.pid === false ? "" : `[${process.pid}] `;
    this.labels = opts.colors === true ? COLORED : PLAIN;
  }

  /** A logger as nats-server configures one from its options (file or stderr). */
  static fromOptions(o: LogOptions): Logger {
    const sink = logSinkFromOptions(o);
    const l = new Logger(sink, {
      debug: o.debug,
      trace: o.trace,
      time: o.logtime,
      utc: o.logtime_utc,
      colors: sink instanceof FdSink && isatty(2),
    });
    l.announceOverLimit();
    return l;
  }

  /**
   * Log to a new sink from now on (SIGUSR1 re-open, reload), closing the previous one.
   * A file already past its size limit says so, as nats-server does, and rotates.
   */
  replaceSink(sink: LogSink, colors = false): void {
    const old = this.sink;
    this.sink = sink;
    this.labels = colors ? COLORED : PLAIN;
    if (old !== sink) old.close?.();
    this.announceOverLimit();
  }

  /**
   * Apply logging options anew, as nats-server's ConfigureLogger on a config reload: a new
   * sink (the log file, opened again, or stderr), levels and time format. `sink`, when
   * given, is the new sink already opened for these options (a reload opens it before it
   * changes anything); otherwise it is opened here. Throws, changing nothing, when the new
   * log file cannot be opened.
   */
  reconfigure(o: LogOptions, sink: LogSink = logSinkFromOptions(o)): void {
    this.configure({ debug: o.debug, trace: o.trace, time: o.logtime, utc: o.logtime_utc });
    this.replaceSink(sink, sink instanceof FdSink && isatty(2));
  }

  private announceOverLimit(): void {
    if (this.sink instanceof FileSink && this.sink.overLimit) this.noticef("Rotating logfile...");
  }

  configure(opts: LoggerOptions): void {
    if (opts.debug !== undefined) this.debugEnabled = opts.debug;
    if (opts.trace !== undefined) this.traceEnabled = opts.trace;
    if (opts.time !== undefined) this.time = opts.time;
    if (opts.utc !== undefined) this.utc = opts.utc;
    if (opts.pid !== undefined) this.prefix = opts.pid ? `[${process.pid}] ` : "";
    if (opts.colors !== undefined) this.labels = opts.colors ? COLORED : PLAIN;
  }

  private log(label: string, msg: string): void {
    let line = this.prefix;
    if (this.time) {
      const us = nowMicros();
      line += formatTime(new Date(Math.floor(us / 1000)), this.utc, us % 1000000) + " ";
    }
    this.sink.write(line + label + msg + "\n");
  }

  noticef(msg: string): void {
    this.log(this.labels.inf, msg);
  }
  warnf(msg: string): void {
    this.log(this.labels.wrn, msg);
  }
  errorf(msg: string): void {
    this.log(this.labels.err, msg);
  }
  fatalf(msg: string): void {
    this.log(this.labels.ftl, msg);
  }
  debugf(msg: string): void {
    if (this.debugEnabled) this.log(this.labels.dbg, msg);
  }
  tracef(msg: string): void {
    if (this.traceEnabled) this.log(this.labels.trc, msg);
  }
}
