// Logging in nats-server's format: `[PID] 2006/01/02 15:04:05.000000 [INF] message`.
// Each level is a method; callers check `debugEnabled`/`traceEnabled` before building a
// message, so logging that is off costs one property read.
import { closeSync, openSync, writeSync } from "node:fs";

export interface LogSink {
  write(line: string): void;
  close?(): void;
}

/** Writes straight to a file descriptor (stderr by default), synchronously, like Go's logger. */
export class FdSink implements LogSink {
  constructor(private readonly fd = 2) {}
  write(line: string): void {
    try {
      writeSync(this.fd, line);
    } catch {
      // nothing sensible to do when stderr is gone
    }
  }
}

/** Appends to a log file (log_file / -l). Rotation arrives with the configuration work. */
export class FileSink implements LogSink {
  private fd: number;
  constructor(readonly path: string) {
    this.fd = openSync(path, "a");
  }
  write(line: string): void {
    try {
      writeSync(this.fd, line);
    } catch {
      // the file went away; keep serving
    }
  }
  close(): void {
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

export class Logger {
  debugEnabled: boolean;
  traceEnabled: boolean;
  time: boolean;
  utc: boolean;
  private prefix: string;
  sink: LogSink;

  constructor(sink: LogSink = new FdSink(2), opts: LoggerOptions = {}) {
    this.sink = sink;
    this.debugEnabled = opts.debug ?? false;
    this.traceEnabled = opts.trace ?? false;
    this.time = opts.time ?? true;
    this.utc = opts.utc ?? false;
    this.prefix = opts.pid === false ? "" : `[${process.pid}] `;
  }

  configure(opts: LoggerOptions): void {
    if (opts.debug !== undefined) this.debugEnabled = opts.debug;
    if (opts.trace !== undefined) this.traceEnabled = opts.trace;
    if (opts.time !== undefined) this.time = opts.time;
    if (opts.utc !== undefined) this.utc = opts.utc;
    if (opts.pid !== undefined) this.prefix = opts.pid ? `[${process.pid}] ` : "";
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
    this.log("[INF] ", msg);
  }
  warnf(msg: string): void {
    this.log("[WRN] ", msg);
  }
  errorf(msg: string): void {
    this.log("[ERR] ", msg);
  }
  fatalf(msg: string): void {
    this.log("[FTL] ", msg);
  }
  debugf(msg: string): void {
    if (this.debugEnabled) this.log("[DBG] ", msg);
  }
  tracef(msg: string): void {
    if (this.traceEnabled) this.log("[TRC] ", msg);
  }
}
