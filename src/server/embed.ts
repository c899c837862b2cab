// The embedding API: start a tsnats server inside the current Node.js process (tests, dev
// tools, apps) with one call, and get back its URLs, counters, events and lifecycle methods.
// Nothing here is global: every call builds its own Server, Logger and timers, so several
// servers run side by side in one process and a stopped one leaves no handle behind.
import { Server, type ServerEvents } from "./server.js";
import { Logger, FdSink, type LogSink } from "./logger.js";
import { defaultOptions, type PartialOptions, type ServerOptions } from "./options.js";
import { loadConfigOptions } from "./config/load.js";
import { serverCounters } from "./monitor-view.js";
import type { Authenticator } from "./auth/authenticator.js";

/** Where an embedded server's log goes. */
export type EmbedLogger = "silent" | "stderr" | Logger | LogSink;

/** Settings of the embedding itself (not server options). */
export interface EmbedExtras {
  /**
   * "silent" (the default, unless the options name a log_file): nothing is logged.
   * "stderr": nats-server's log format on stderr, honouring debug/trace/logtime/logtime_utc.
   * A LogSink (e.g. a MemorySink): the same lines, written to it.
   * A Logger: used as is (debug/trace options, when given, are applied to it).
   */
  logger?: EmbedLogger;
  /** Replace the authentication built from the `authorization` options. */
  authenticator?: Authenticator;
}

/** Lifecycle state of an embedded server. */
export type EmbeddedState = "running" | "lame_duck" | "stopping" | "stopped";

/** Counters with nats-server's /varz names. */
export interface EmbeddedStats {
  /** Open client connections. */
  connections: number;
  /** Connections accepted since start. */
  total_connections: number;
  /** Subscriptions currently registered. */
  subscriptions: number;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  slow_consumers: number;
}

/** Options of {@link EmbeddedServer.once}. */
export interface OnceOptions<A extends unknown[]> {
  /** Only settle for an event whose arguments pass this test. */
  filter?: (...args: A) => boolean;
  /** Reject after this many ms (default 10000; 0 waits forever). */
  timeout?: number;
  /** Reject when this signal aborts. */
  signal?: AbortSignal;
}

export type ServerEventName = keyof ServerEvents;

/** Embedding defaults that differ from the command line: loopback only, a random port. */
export const EMBED_DEFAULTS: Readonly<PartialOptions> = Object.freeze({ host: "127.0.0.1", port: -1 });

const DEFAULT_ONCE_TIMEOUT = 10_000;

/** Hosts that mean "every interface": clients reach them through loopback. */
function connectHost(host: string): string {
  if (host === "" || host === "0.0.0.0") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "::1";
  return host;
}

function urlHost(host: string): string {
  const h = connectHost(host);
  return h.includes(":") ? `[${h}]` : h;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Check an options object given by code (the config file loader checks its own): every key
 * must be a server option and every value of the option's type, so a typo fails loudly
 * instead of being ignored. Keys whose value is undefined are dropped.
 */
export function checkEmbedOptions(options: unknown): PartialOptions {
  if (options === undefined || options === null) return {};
  if (!isPlainObject(options))
    throw new TypeError("tsnats: server options must be a plain object or a config file path");
  const defaults = defaultOptions() as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(defaults, key)) {
      throw new TypeError(`tsnats: unknown server option "${key}"`);
    }
    const want = defaults[key];
    if (isPlainObject(want)) {
      if (!isPlainObject(value)) throw new TypeError(`tsnats: server option "${key}" must be an object`);
    } else if (typeof value !== typeof want) {
      throw new TypeError(
        `tsnats: server option "${key}" must be a ${typeof want}, got ${value === null ? "null" : typeof value}`,
      );
    }
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new TypeError(`tsnats: server option "${key}" must be a finite number`);
    }
    out[key] = value;
  }
  for (const k of ["max_payload", "max_control_line"]) {
    // an int32 in nats-server, which refuses more in a config file: "max_payload value is too big"
    const v = out[k];
    if (typeof v === "number" && v > 2 ** 31 - 1)
      throw new RangeError(`tsnats: server option "${k}": ${k} value is too big (at most 2147483647)`);
  }
  const port = out.port;
  if (typeof port === "number" && (!Number.isInteger(port) || port < -1 || port > 65535)) {
    throw new RangeError(
      `tsnats: server option "port" must be an integer from -1 to 65535 (0 or -1: a random port), got ${port}`,
    );
  }
  return out as PartialOptions;
}

/** Config file values, then the given options over them (authorization merged), as the CLI merges flags. */
function mergeOver(base: PartialOptions, over: PartialOptions): PartialOptions {
  const merged: PartialOptions = { ...base, ...over };
  if (base.authorization !== undefined && over.authorization !== undefined) {
    merged.authorization = { ...base.authorization, ...over.authorization };
  }
  return merged;
}

function buildLogger(choice: EmbedLogger | undefined, o: PartialOptions): Logger | undefined {
  const style = {
    debug: o.debug ?? false,
    trace: o.trace ?? false,
    time: o.logtime ?? true,
    utc: o.logtime_utc ?? false,
  };
  if (choice === undefined) {
    // a log file named in the options is honoured; otherwise embedded servers are quiet
    if (o.log_file !== undefined && o.log_file !== "") return undefined;
    return new Logger(SILENT, { debug: false, trace: false, time: false });
  }
  if (choice === "silent") return new Logger(SILENT, { debug: false, trace: false, time: false });
  if (choice === "stderr") return new Logger(new FdSink(2), style);
  if (choice instanceof Logger) {
    const set: { debug?: boolean; trace?: boolean } = {};
    if (o.debug !== undefined) set.debug = o.debug;
    if (o.trace !== undefined) set.trace = o.trace;
    choice.configure(set);
    return choice;
  }
  if (typeof choice === "object" && choice !== null && typeof (choice as LogSink).write === "function") {
    return new Logger(choice as LogSink, style);
  }
  throw new TypeError(`tsnats: logger must be "silent", "stderr", a Logger or a LogSink`);
}

const SILENT: LogSink = { write() {} };

/** A server running in this process. Create one with {@link startServer}. */
export class EmbeddedServer implements AsyncDisposable {
  /** The underlying server (clients, sublist, options, raw events). */
  readonly server: Server;
  private stopped = false;
  private stopPromise: Promise<void> | null = null;

  /** @internal use startServer() */
  constructor(server: Server) {
    this.server = server;
    server.once("shutdown", () => {
      this.stopped = true;
    });
  }

  /** Host clients connect to (0.0.0.0 and :: are reached through loopback). */
  get host(): string {
    return connectHost(this.server.opts.host);
  }

  /** The port actually listened on (the random one when started with -1 or 0). */
  get port(): number {
    return this.server.port;
  }

  /** Client URL, e.g. nats://127.0.0.1:41234 (tls://... when TLS is required). */
  get url(): string {
    const o = this.server.opts;
    return `${o.tls !== null && !o.allow_non_tls ? "tls" : "nats"}://${urlHost(o.host)}:${this.server.port}`;
  }

  /** Monitoring URL (http://host:port), or undefined when monitoring is off. */
  get monitorUrl(): string | undefined {
    const m = this.server.monitorAddress;
    if (m === null || m === undefined) return undefined;
    return `${this.server.opts.https_port !== 0 ? "https" : "http"}://${urlHost(m.host)}:${m.port}`;
  }

  /** Server id (an NKey public key, as in INFO server_id). */
  get id(): string {
    return this.server.id;
  }

  /** Server name (server_name, or the id). */
  get name(): string {
    return this.server.name;
  }

  /** The effective options, defaults filled in. */
  get options(): Readonly<ServerOptions> {
    return this.server.opts;
  }

  get state(): EmbeddedState {
    if (this.stopped) return "stopped";
    if (!this.server.running) return "stopping";
    if (this.server.lameDuck) return "lame_duck";
    return "running";
  }

  /** A snapshot of the counters (nats-server /varz names). */
  stats(): EmbeddedStats {
    const c = serverCounters(this.server);
    return {
      connections: c.connections,
      total_connections: c.totalConnections,
      subscriptions: c.subscriptions,
      in_msgs: c.inMsgs,
      out_msgs: c.outMsgs,
      in_bytes: c.inBytes,
      out_bytes: c.outBytes,
      slow_consumers: c.slowConsumers,
    };
  }

  /**
   * Apply changed options to the running server, as a config reload does: the options given
   * are laid over the current ones (`reload({ debug: true })` changes only debug; an
   * `authorization` object replaces the whole block; ms for durations). Rejects, changing
   * nothing, when an option cannot change at runtime or the server is shutting down.
   */
  async reload(options: PartialOptions = {}): Promise<void> {
    if (this.state === "stopped" || this.state === "stopping")
      throw new Error("tsnats: cannot reload a server that is shutting down");
    await this.server.reload(checkEmbedOptions(options));
  }

  /**
   * Lame duck mode: stop accepting, tell clients (INFO ldm) so they move elsewhere, close
   * them over lame_duck_duration, then shut down. Resolves when the server has stopped.
   */
  async enterLameDuck(): Promise<void> {
    if (this.stopped) return;
    await this.server.enterLameDuck();
    await this.shutdown();
  }

  /**
   * Close the listener and every connection. Resolves once every socket, timer and file the
   * server opened is closed. Safe to call more than once (and after lame duck mode).
   */
  shutdown(): Promise<void> {
    this.stopPromise ??= this.server.shutdown().then(
      // two turns of the event loop: a flush scheduled before the close runs (no Immediate
      // left pending) and libuv finishes closing the listener (its handle is released in
      // the close-callbacks phase, after net.Server's "close" event)
      () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve))),
    );
    return this.stopPromise;
  }

  /** `await using srv = await startServer()` shuts the server down at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  /**
   * Resolve with the arguments of the next `event` (that passes `filter`). Rejects after
   * `timeout` ms (default 10 s, 0 for never), when `signal` aborts, or when the server shuts
   * down first. Events: client:connect [client], client:close [client, reason],
   * slow_consumer [client], ready [], shutdown []. A wait for "ready" on a started server or
   * for "shutdown" on a stopped one resolves at once.
   */
  once<E extends ServerEventName>(event: E, opts: OnceOptions<ServerEvents[E]> = {}): Promise<ServerEvents[E]> {
    const srv = this.server;
    const { filter, signal } = opts;
    const timeout = opts.timeout ?? DEFAULT_ONCE_TIMEOUT;
    // events that already happened for good: "shutdown" once stopped, "ready" while serving
    if (event === "shutdown" && this.stopped) return Promise.resolve([] as unknown as ServerEvents[E]);
    if (event === "ready" && !this.stopped && this.server.address !== null)
      return Promise.resolve([] as unknown as ServerEvents[E]);
    return new Promise<ServerEvents[E]>((resolve, reject) => {
      let timer: NodeJS.Timeout | null = null;
      // the emitter's listener type is per event; one untyped listener serves them all
      const emitter = srv as unknown as NodeJS.EventEmitter;
      const cleanup = () => {
        emitter.off(event, onEvent);
        if (event !== "shutdown") emitter.off("shutdown", onShutdown);
        if (timer !== null) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const onEvent = (...args: unknown[]) => {
        const a = args as ServerEvents[E];
        if (filter !== undefined) {
          let ok: boolean;
          try {
            ok = (filter as (...x: unknown[]) => boolean)(...args);
          } catch (e) {
            cleanup();
            reject(e as Error);
            return;
          }
          if (!ok) return;
        }
        cleanup();
        resolve(a);
      };
      const onShutdown = () => {
        cleanup();
        reject(new Error(`tsnats: server shut down while waiting for "${event}"`));
      };
      const onAbort = () => {
        cleanup();
        reject(
          signal?.reason instanceof Error ? signal.reason : new Error(`tsnats: aborted while waiting for "${event}"`),
        );
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      if (this.stopped && event !== "shutdown") {
        reject(new Error(`tsnats: server is stopped; "${event}" will not happen`));
        return;
      }
      emitter.on(event, onEvent);
      if (event !== "shutdown") emitter.on("shutdown", onShutdown);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeout > 0) {
        timer = setTimeout(() => {
          cleanup();
          reject(new Error(`tsnats: timed out after ${timeout} ms waiting for "${event}"`));
        }, timeout);
      }
    });
  }

  /** Subscribe to a server event (see {@link once} for the list); returns a function that unsubscribes. */
  on<E extends ServerEventName>(event: E, listener: (...args: ServerEvents[E]) => void): () => void {
    const emitter = this.server as unknown as NodeJS.EventEmitter;
    const l = listener as (...args: unknown[]) => void;
    emitter.on(event, l);
    return () => {
      emitter.off(event, l);
    };
  }
}

/**
 * Start a NATS server in this process.
 *
 * `options` is an object with the config file's option names (durations in ms), or the path
 * of a config file; with `config_file` in the object, that file is loaded and the other
 * options override it. Unless set, host is 127.0.0.1 and the port is random. Resolves once
 * the server accepts clients; rejects with a clear error (bad option, config file error as
 * `file:line:col: message`, port in use) leaving nothing open.
 */
export async function startServer(options?: PartialOptions | string, extra: EmbedExtras = {}): Promise<EmbeddedServer> {
  if (extra === null || typeof extra !== "object")
    throw new TypeError("tsnats: the second argument of startServer must be an object");
  let given: PartialOptions;
  if (typeof options === "string") {
    if (options === "") throw new TypeError("tsnats: config file path is empty");
    given = loadConfigOptions(options);
  } else {
    given = checkEmbedOptions(options);
    if (given.config_file !== undefined && given.config_file !== "") {
      given = mergeOver(loadConfigOptions(given.config_file), given);
    }
  }
  const opts: PartialOptions = { ...EMBED_DEFAULTS, ...given };
  const logger = buildLogger(extra.logger, opts);
  const server = new Server(opts, { logger, authenticator: extra.authenticator });
  try {
    await server.start();
  } catch (e) {
    // close whatever start() opened (log file, a listener) before reporting
    await server.shutdown().catch(() => undefined);
    throw startError(e, server.opts);
  }
  return new EmbeddedServer(server);
}

function startError(e: unknown, o: ServerOptions): Error {
  const err = e as NodeJS.ErrnoException;
  if (err !== null && typeof err === "object" && typeof err.code === "string" && err.syscall === "listen") {
    const where = `${o.host.includes(":") ? `[${o.host}]` : o.host}:${o.port}`;
    const why =
      err.code === "EADDRINUSE"
        ? "address already in use"
        : err.code === "EACCES"
          ? "permission denied"
          : err.code === "EADDRNOTAVAIL"
            ? "address not available on this machine"
            : err.message;
    const out = new Error(`tsnats: cannot listen for clients on ${where}: ${why} (${err.code})`, {
      cause: err,
    }) as NodeJS.ErrnoException;
    out.code = err.code;
    return out;
  }
  return err instanceof Error ? err : new Error(String(e));
}
