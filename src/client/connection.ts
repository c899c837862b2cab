// The client connection: nats.js 3.x's NatsConnection surface with nats.c's states,
// defaults and reconnect rules, and accounting so no accepted publish is dropped silently.
//
// Outbound path: publish() encodes straight into one OutboundBuffer (`out`). While connected
// the buffer is handed to the transport once per event-loop turn, or at once when it passes
// ioBufSize. While disconnected it is the reconnect buffer (limit reconnectBufSize); after a
// reconnect the subscriptions are restored first, then the buffer is sent as it is, in order.
//
// Confirmation: every PONG confirms what was accepted before its PING. When written data is
// unconfirmed and no PING is on its way, a confirming PING follows within CONFIRM_DELAY_MS,
// or at once when CONFIRM_BYTES are unconfirmed. When a socket dies, what was written since
// the last confirmation is reported as `unconfirmed` in the disconnect status (it may or may
// not have reached the server, and is not resent, so there are no duplicates). What was never written (the buffer) is resent or, if the connection
// closes for good, reported as `discarded` in the close status and by closed().
import nuidPkg from "@nats-io/nuid";
import { Op, Parser, ParseErrorKind, type ParserHandler } from "../protocol/parser.js";
import { OutboundBuffer } from "../protocol/outbound.js";
import {
  encodeConnect,
  encodeHpub,
  encodePing,
  encodePong,
  encodePub,
  encodeSub,
  encodeUnsub,
} from "../protocol/encode.js";
import type { MsgHdrsImpl } from "../protocol/headers.js";
import {
  multiAuthenticator,
  usernamePasswordAuthenticator,
  tokenAuthenticator,
  type Authenticator,
} from "./authenticator.js";
import {
  AuthorizationError,
  ClosedConnectionError,
  ConnectionError,
  DataDiscardedError,
  DrainingConnectionError,
  InvalidArgumentError,
  InvalidOperationError,
  InvalidSubjectError,
  NoRespondersError,
  PermissionViolationError,
  ProtocolError,
  ReconnectBufferFullError,
  RequestError,
  TimeoutError,
  UserAuthenticationExpiredError,
} from "./errors.js";
import { MsgImpl, type Msg } from "./msg.js";
import {
  resolveOptions,
  ServerPool,
  type ConnectionOptions,
  type ResolvedOptions,
  type ServerImpl,
} from "./options.js";
import { AsyncQueue } from "./queue.js";
import { SubscriptionImpl, type SubOwner, type Subscription, type SubscriptionOptions } from "./subscription.js";
import { NodeTransport, type Transport } from "./transport.js";
import type {
  ConnectionState,
  DataCount,
  MsgHdrs,
  Payload,
  PublishOptions,
  RequestManyOptions,
  RequestOptions,
  Server,
  ServerInfo,
  Stats,
  Status,
} from "./types.js";

export const VERSION = "0.1.0";
export const LANG = "tsnats";

/** A new unique inbox subject. */
export function createInbox(prefix = ""): string {
  prefix = prefix || "_INBOX";
  if (/[\s*>]/.test(prefix)) throw InvalidArgumentError.format("prefix", `cannot have wildcards ('${prefix}')`);
  return `${prefix}.${nuidPkg.nuid.next()}`;
}

/** An empty payload. */
export const Empty: Uint8Array = new Uint8Array(0);

export interface NatsConnection {
  info?: ServerInfo;
  readonly state: ConnectionState;
  closed(): Promise<void | Error>;
  close(): Promise<void>;
  publish(subject: string, payload?: Payload, options?: PublishOptions): void;
  publishMessage(msg: Msg): void;
  respondMessage(msg: Msg): boolean;
  subscribe(subject: string, opts?: SubscriptionOptions): Subscription;
  request(subject: string, payload?: Payload, opts?: RequestOptions): Promise<Msg>;
  requestMany(subject: string, payload?: Payload, opts?: Partial<RequestManyOptions>): Promise<AsyncIterable<Msg>>;
  flush(): Promise<void>;
  drain(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
  isClosed(): boolean;
  isDraining(): boolean;
  getServer(): string;
  status(): AsyncIterable<Status>;
  stats(): Stats;
  rtt(): Promise<number>;
  reconnect(): Promise<void>;
  setServers(servers: string[]): void;
  getServers(): ReadonlyArray<Server>;
}

const enum PongKind {
  Flush,
  Ack,
  Interval,
}

/** A PING out or queued: who waits for its PONG, and what the PONG confirms. */
interface PongWaiter {
  kind: PongKind;
  resolve: (() => void) | null;
  reject: ((e: Error) => void) | null;
  /** Messages and payload bytes accepted before this PING (the PONG confirms them). */
  msgs: number;
  bytes: number;
}

/** Unconfirmed writes get a confirming PING after this long, or at once past CONFIRM_BYTES. */
const CONFIRM_DELAY_MS = 10;
const CONFIRM_BYTES = 64 * 1024;

/** The handshake in progress: what it waits for next. */
interface Handshake {
  phase: "info" | "pong";
  resolve: ((info?: ServerInfo) => void) | null;
  reject: ((e: Error) => void) | null;
  error: Error | null;
}

interface PendingRequest {
  resolve: (m: Msg) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  subject: string;
}

export class NatsConnectionImpl implements NatsConnection, ParserHandler, SubOwner {
  readonly options: ResolvedOptions;
  private st: ConnectionState = "CONNECTING";
  private serverInfo: ServerInfo | undefined = undefined;
  private readonly pool: ServerPool;
  private transport: Transport | null = null;
  private parser: Parser;
  /** A handshake finished on the current transport: writes go out. */
  private live = false;
  private closing = false;
  private readonly out: OutboundBuffer;
  private readonly ctl = new OutboundBuffer(4096);
  private readonly subs = new Map<number, SubscriptionImpl>();
  private ssid = 0;
  // PINGs out or queued, oldest first; pingsInOut of them (the newest) are still in `out`
  private pongs: PongWaiter[] = [];
  private pongHead = 0;
  private pingsInOut = 0;
  // monotonic counts of messages and payload bytes: accepted by publish(), handed to the
  // transport, confirmed by a PONG; accepted - written is what `out` holds
  private acceptedMsgs = 0;
  private acceptedBytes = 0;
  private writtenMsgs = 0;
  private writtenBytes = 0;
  private confirmedMsgs = 0;
  private confirmedBytes = 0;
  private confirmTimer: ReturnType<typeof setTimeout> | null = null;
  private flushScheduled = false;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pout = 0;
  private hs: Handshake | null = null;
  private readonly listeners: AsyncQueue<Status>[] = [];
  private readonly closedPromise: Promise<void | Error>;
  private resolveClosed!: (v: void | Error) => void;
  private sleepTimer: ReturnType<typeof setTimeout> | null = null;
  private wake: (() => void) | null = null;
  private draining = false;
  private drainPhase: "DRAINING_SUBS" | "DRAINING_PUBS" | null = null;
  private mux: SubscriptionImpl | null = null;
  private muxPrefix = "";
  private readonly reqs = new Map<string, PendingRequest>();
  private reqSeq = 0;
  private lastPubSubject: string | null = null;
  private lastRawSubject = "";
  private lastSubject = "";
  private readonly st4 = { inBytes: 0, outBytes: 0, inMsgs: 0, outMsgs: 0 };
  private readonly authenticator: Authenticator;

  constructor(opts: ResolvedOptions) {
    this.options = opts;
    this.out = new OutboundBuffer(Math.max(opts.ioBufSize * 2, 4096));
    this.pool = new ServerPool(opts.servers, !opts.noRandomize);
    this.parser = new Parser(this, 1 << 20);
    this.closedPromise = new Promise((r) => (this.resolveClosed = r));
    const list: Authenticator[] = [];
    if (opts.authenticator !== undefined) {
      if (Array.isArray(opts.authenticator)) list.push(...opts.authenticator);
      else list.push(opts.authenticator);
    }
    if (opts.user !== undefined || opts.pass !== undefined)
      list.push(usernamePasswordAuthenticator(opts.user ?? "", opts.pass));
    if (opts.token !== undefined) list.push(tokenAuthenticator(opts.token));
    this.authenticator = multiAuthenticator(list);
  }

  // ------------------------------------------------------------------ public surface

  get state(): ConnectionState {
    return this.st;
  }

  get info(): ServerInfo | undefined {
    return this.st === "CLOSED" ? undefined : this.serverInfo;
  }

  closed(): Promise<void | Error> {
    return this.closedPromise;
  }

  isClosed(): boolean {
    return this.st === "CLOSED";
  }

  isDraining(): boolean {
    return this.draining;
  }

  getServer(): string {
    return this.live && this.pool.current !== null ? this.pool.current.listen : "";
  }

  getServers(): ReadonlyArray<Server> {
    return [...this.pool.servers];
  }

  setServers(servers: string[]): void {
    const { added, deleted } = this.pool.update(servers);
    if (added.length > 0 || deleted.length > 0) this.emit({ type: "update", added, deleted, state: this.st });
  }

  stats(): Stats {
    return { ...this.st4 };
  }

  status(): AsyncIterable<Status> {
    const q = new AsyncQueue<Status>();
    if (this.st === "CLOSED") q.end();
    else {
      this.listeners.push(q);
      q.onReturn = () => {
        const i = this.listeners.indexOf(q);
        if (i >= 0) this.listeners.splice(i, 1);
      };
    }
    return q;
  }

  publish(subject: string, payload?: Payload, options?: PublishOptions): void {
    if (this.st !== "CONNECTED" || this.closing) this.checkPublish();
    if (subject !== this.lastPubSubject) this.checkSubject(subject);
    let size = 0;
    if (payload !== undefined && payload !== null) {
      if (typeof payload === "string") size = payload.length === 0 ? 0 : Buffer.byteLength(payload, "utf8");
      else if (payload instanceof Uint8Array) size = payload.length;
      else throw InvalidArgumentError.format("payload", "must be a Uint8Array or a string");
    } else payload = Empty;
    const out = this.out;
    const before = out.length;
    const reply = options?.reply ?? "";
    if (reply.length > 0 && !isToken(reply))
      throw InvalidArgumentError.format("reply", `'${reply}' is not a valid subject`);
    const h = options?.headers;
    let hdrLen = 0;
    if (h !== undefined) {
      const hb = encodeHeaders(h);
      hdrLen = hb.length;
      if (hdrLen > 0 && this.serverInfo !== undefined && !this.serverInfo.headers) {
        throw InvalidArgumentError.format("headers", "are not supported by the server");
      }
      this.checkPayload(size + hdrLen);
      if (hdrLen > 0) encodeHpub(out, subject, reply, hb, payload, size);
      else encodePub(out, subject, reply, payload, size);
    } else {
      if (this.serverInfo !== undefined && size > this.serverInfo.max_payload) this.checkPayload(size);
      encodePub(out, subject, reply, payload, size);
    }
    if (!this.live && out.length > this.options.reconnectBufSize) {
      // roll back: the message is refused whole, everything before it stays
      out.pos = out.start + before;
      out.msgs--;
      throw new ReconnectBufferFullError(before, this.options.reconnectBufSize);
    }
    this.acceptedMsgs++;
    this.acceptedBytes += size + hdrLen;
    this.st4.outMsgs++;
    this.st4.outBytes += size + hdrLen;
    if (this.live) {
      if (out.length >= this.options.ioBufSize) this.writeOut();
      else if (!this.flushScheduled) this.scheduleFlush();
    }
  }

  publishMessage(msg: Msg): void {
    this.publish(msg.subject, msg.data, { reply: msg.reply, headers: msg.headers });
  }

  respondMessage(msg: Msg): boolean {
    if (!msg.reply) return false;
    this.publish(msg.reply, msg.data, { headers: msg.headers });
    return true;
  }

  subscribe(subject: string, opts: SubscriptionOptions = {}): Subscription {
    if (this.st === "CLOSED" || this.closing) throw new ClosedConnectionError();
    if (this.draining) throw new DrainingConnectionError();
    if (!subject || /[\s]/.test(subject)) throw new InvalidSubjectError(subject);
    if (opts.queue !== undefined && (opts.queue === "" || /[\s]/.test(opts.queue))) {
      throw InvalidArgumentError.format("queue", "is not valid");
    }
    const sid = ++this.ssid;
    const sub = new SubscriptionImpl(
      this,
      sid,
      subject,
      opts,
      this.options.maxPendingMsgs,
      this.options.maxPendingBytes,
    );
    this.subs.set(sid, sub);
    if (this.live) {
      encodeSub(this.out, subject, sub.queue, sid);
      if (sub.max > 0) encodeUnsub(this.out, sid, sub.max);
      this.scheduleFlush();
    }
    return sub;
  }

  flush(): Promise<void> {
    if (this.st === "CLOSED" || this.closing) return Promise.reject(new ClosedConnectionError());
    return new Promise((resolve, reject) => {
      this.queuePing(PongKind.Flush, resolve, reject);
    });
  }

  async rtt(): Promise<number> {
    if (this.st === "CLOSED") throw new ClosedConnectionError();
    if (!this.live) throw new RequestError("connection disconnected");
    const start = performance.now();
    await this.flush();
    return performance.now() - start;
  }

  request(subject: string, payload?: Payload, opts: RequestOptions = { timeout: 1000 }): Promise<Msg> {
    if (this.st === "CLOSED" || this.closing) return Promise.reject(new ClosedConnectionError());
    if (this.draining) return Promise.reject(new DrainingConnectionError());
    try {
      this.checkSubject(subject);
    } catch (e) {
      return Promise.reject(e);
    }
    const timeout = opts.timeout || 1000;
    if (timeout < 1) return Promise.reject(InvalidArgumentError.format("timeout", "must be greater than 0"));
    if (!opts.noMux && opts.reply)
      return Promise.reject(InvalidArgumentError.format(["reply", "noMux"], "are mutually exclusive"));
    if (opts.noMux) return this.requestNoMux(subject, payload, opts, timeout);
    if (this.mux === null || this.mux.isClosed()) {
      this.muxPrefix = `${createInbox(this.options.inboxPrefix)}.`;
      this.mux = this.subscribe(`${this.muxPrefix}*`, { callback: this.onMuxMsg }) as SubscriptionImpl;
    }
    const token = (this.reqSeq++).toString(36);
    return new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.reqs.delete(token)) reject(new TimeoutError());
      }, timeout);
      this.reqs.set(token, { resolve, reject, timer, subject });
      try {
        this.publish(subject, payload, { reply: this.muxPrefix + token, headers: opts.headers });
      } catch (e) {
        clearTimeout(timer);
        this.reqs.delete(token);
        reject(e);
      }
    });
  }

  private readonly onMuxMsg = (err: Error | null, m: Msg): void => {
    if (err !== null) {
      for (const [t, r] of this.reqs) {
        this.reqs.delete(t);
        clearTimeout(r.timer);
        r.reject(new RequestError(err.message, { cause: err }));
      }
      return;
    }
    const token = m.subject.slice(this.muxPrefix.length);
    const r = this.reqs.get(token);
    if (r === undefined) return;
    this.reqs.delete(token);
    clearTimeout(r.timer);
    if (isNoResponders(m)) {
      const e = new NoRespondersError(r.subject);
      r.reject(new RequestError(e.message, { cause: e }));
    } else r.resolve(m);
  };

  private requestNoMux(
    subject: string,
    payload: Payload | undefined,
    opts: RequestOptions,
    timeout: number,
  ): Promise<Msg> {
    const inbox = opts.reply || createInbox(this.options.inboxPrefix);
    return new Promise<Msg>((resolve, reject) => {
      const sub = this.subscribe(inbox, {
        max: 1,
        timeout,
        callback: (err, m) => {
          if (err === null && isNoResponders(m)) err = new NoRespondersError(subject);
          if (err !== null) {
            reject(err instanceof TimeoutError ? err : new RequestError(err.message, { cause: err }));
            sub.unsubscribe();
          } else resolve(m);
        },
      });
      try {
        this.publish(subject, payload, { reply: inbox, headers: opts.headers });
      } catch (e) {
        sub.unsubscribe();
        reject(e);
      }
    });
  }

  requestMany(subject: string, payload?: Payload, opts: Partial<RequestManyOptions> = {}): Promise<AsyncIterable<Msg>> {
    if (this.st === "CLOSED" || this.closing) return Promise.reject(new ClosedConnectionError());
    if (this.draining) return Promise.reject(new DrainingConnectionError());
    const strategy = opts.strategy ?? "timer";
    const maxWait = opts.maxWait ?? 1000;
    const maxMessages = opts.maxMessages ?? -1;
    if (strategy === "count" && maxMessages <= 0)
      return Promise.reject(InvalidArgumentError.format("maxMessages", "must be greater than 0"));
    const stall = opts.stall ?? 300;
    const q = new AsyncQueue<Msg>();
    const inbox = createInbox(this.options.inboxPrefix);
    let count = 0;
    let stallTimer: ReturnType<typeof setTimeout> | null = null;
    let sub: Subscription | null = null;
    const finish = (err?: Error): void => {
      clearTimeout(waitTimer);
      if (stallTimer !== null) clearTimeout(stallTimer);
      if (sub !== null && !sub.isClosed()) sub.unsubscribe();
      q.end(err);
    };
    const waitTimer = setTimeout(() => finish(), maxWait);
    q.onReturn = () => finish();
    sub = this.subscribe(inbox, {
      callback: (err, m) => {
        if (err !== null) return finish(err);
        if (count === 0 && isNoResponders(m)) {
          const e = new NoRespondersError(subject);
          return finish(new RequestError(e.message, { cause: e }));
        }
        count++;
        q.push(m);
        // as nats.js: the empty sentinel is yielded, then the iterator ends
        if (strategy === "sentinel" && m.data.length === 0) return finish();
        if (strategy === "count" && count >= maxMessages) return finish();
        if (strategy === "stall") {
          if (stallTimer !== null) clearTimeout(stallTimer);
          stallTimer = setTimeout(() => finish(), stall);
        }
      },
    });
    try {
      this.publish(subject, payload, { reply: inbox, headers: opts.headers });
    } catch (e) {
      finish();
      return Promise.reject(e);
    }
    return Promise.resolve(q);
  }

  async drain(): Promise<void> {
    if (this.st === "CLOSED" || this.closing) throw new ClosedConnectionError();
    if (this.draining) throw new DrainingConnectionError();
    this.draining = true;
    this.drainPhase = "DRAINING_SUBS";
    this.setState("DRAINING_SUBS", { type: "drainingSubs", state: "DRAINING_SUBS" });
    const subs = [...this.subs.values()];
    for (const s of subs) {
      s.draining = true;
      this.sendUnsub(s, 0);
    }
    // messages sent before the server saw the UNSUBs are still delivered
    await this.flush().catch(() => {});
    for (const s of subs) s.close(undefined);
    if (this.isClosed()) return;
    this.drainPhase = "DRAINING_PUBS";
    this.setState("DRAINING_PUBS", { type: "drainingPubs", state: "DRAINING_PUBS" });
    await this.flush().catch(() => {});
    this.shutdown(undefined, true);
    await this.closedPromise;
  }

  async close(): Promise<void> {
    if (this.st === "CLOSED") return;
    if (this.closing) {
      await this.closedPromise;
      return;
    }
    if (this.live) {
      // everything published before close() reaches the server, if it answers in time
      const done = new Promise<void>((resolve) => {
        this.queuePing(PongKind.Flush, resolve, () => resolve());
        setTimeout(resolve, this.options.timeout).unref();
      });
      this.closing = true;
      await done;
    }
    this.closing = true;
    this.shutdown(undefined, true);
    await this.closedPromise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.st === "CLOSED") return;
    if (this.draining) {
      await this.closedPromise;
      return;
    }
    await this.drain();
  }

  async reconnect(): Promise<void> {
    if (this.st === "CLOSED") throw new ClosedConnectionError();
    if (this.draining) throw new DrainingConnectionError();
    if (!this.live) return;
    this.emit({ type: "forceReconnect", state: this.st });
    this.transportLost(this.transport as Transport, undefined);
  }

  // ------------------------------------------------------------------ SubOwner

  sendUnsub(sub: SubscriptionImpl, max: number): void {
    if (!this.live || !this.subs.has(sub.sid)) return;
    encodeUnsub(this.out, sub.sid, max);
    this.scheduleFlush();
  }

  removeSub(sub: SubscriptionImpl): void {
    this.subs.delete(sub.sid);
    if (sub === this.mux) this.mux = null;
  }

  slowConsumer(sub: SubscriptionImpl): void {
    this.emit({ type: "slowConsumer", sub, pending: sub.getPending(), dropped: sub.dropped, state: this.st });
  }

  // ------------------------------------------------------------------ checks

  private checkPublish(): void {
    if (this.st === "CLOSED" || this.closing) throw new ClosedConnectionError();
    if (this.st === "DRAINING_PUBS") throw new DrainingConnectionError();
  }

  private checkSubject(subject: string): void {
    if (typeof subject !== "string" || !isToken(subject)) throw new InvalidSubjectError(subject);
    this.lastPubSubject = subject;
  }

  private checkPayload(size: number): void {
    if (this.serverInfo !== undefined && size > this.serverInfo.max_payload) {
      throw InvalidArgumentError.format("payload", `size ${size} exceeds max_payload ${this.serverInfo.max_payload}`);
    }
  }

  // ------------------------------------------------------------------ output

  private scheduleFlush(): void {
    if (this.flushScheduled || !this.live) return;
    this.flushScheduled = true;
    setImmediate(this.flushTurn);
  }

  private readonly flushTurn = (): void => {
    this.flushScheduled = false;
    if (this.live) this.writeOut();
  };

  private queuePing(kind: PongKind, resolve: (() => void) | null, reject: ((e: Error) => void) | null): void {
    encodePing(this.out);
    this.pongs.push({ kind, resolve, reject, msgs: this.acceptedMsgs, bytes: this.acceptedBytes });
    this.pingsInOut++;
    this.scheduleFlush();
  }

  /** PINGs written to the transport and not answered yet. */
  private pingsInFlight(): number {
    return this.pongs.length - this.pongHead - this.pingsInOut;
  }

  /** Hand the buffered bytes to the transport; arrange a confirming PING when one is due. */
  private writeOut(): void {
    const t = this.transport;
    const out = this.out;
    if (t === null || !this.live) return;
    if (this.acceptedMsgs > this.confirmedMsgs && this.pingsInOut === 0 && this.pingsInFlight() === 0) {
      // a PING goes with this write when much is unconfirmed, else after a short delay
      if (this.acceptedBytes - this.confirmedBytes >= CONFIRM_BYTES) this.queuePing(PongKind.Ack, null, null);
      else this.armConfirm();
    }
    if (out.length === 0) return;
    this.writtenMsgs = this.acceptedMsgs;
    this.writtenBytes = this.acceptedBytes;
    this.pingsInOut = 0;
    t.write(out.take());
    if (t.writableLength === 0 && !t.encrypted) out.reuse();
  }

  private armConfirm(): void {
    if (this.confirmTimer !== null) return;
    this.confirmTimer = setTimeout(this.onConfirmTimer, CONFIRM_DELAY_MS);
    this.confirmTimer.unref?.();
  }

  private readonly onConfirmTimer = (): void => {
    this.confirmTimer = null;
    if (!this.live || this.writtenMsgs <= this.confirmedMsgs || this.pingsInOut > 0 || this.pingsInFlight() > 0) return;
    this.queuePing(PongKind.Ack, null, null);
    this.writeOut();
  };

  private onPong(): void {
    this.pout = 0;
    if (this.pongHead >= this.pongs.length) return;
    const w = this.pongs[this.pongHead];
    (this.pongs as (PongWaiter | undefined)[])[this.pongHead++] = undefined;
    if (this.pongHead === this.pongs.length) {
      this.pongs = [];
      this.pongHead = 0;
    } else if (this.pongHead > 256 && this.pongHead * 2 > this.pongs.length) {
      this.pongs = this.pongs.slice(this.pongHead);
      this.pongHead = 0;
    }
    // the server has processed everything sent before this PING
    if (w.msgs > this.confirmedMsgs) this.confirmedMsgs = w.msgs;
    if (w.bytes > this.confirmedBytes) this.confirmedBytes = w.bytes;
    if (w.resolve !== null) w.resolve();
    if (this.writtenMsgs > this.confirmedMsgs && this.pingsInOut === 0 && this.pingsInFlight() === 0) this.armConfirm();
  }

  // ------------------------------------------------------------------ input (ParserHandler)

  onData(b: Buffer): void {
    this.parser.parse(b);
  }

  onMsgArgs(p: Parser): boolean {
    if (p.argError !== "") {
      this.protocolFailure(new ProtocolError(`bad MSG arguments: ${p.lastArgText()}`));
      return false;
    }
    return true;
  }

  onMsgPayload(p: Parser, buf: Buffer, start: number, end: number): boolean {
    const size = end - start;
    this.st4.inMsgs++;
    this.st4.inBytes += size;
    const sid = sidNumber(p.sid);
    const sub = this.subs.get(sid);
    if (sub === undefined) return true;
    const raw = Buffer.allocUnsafe(size);
    if (size < 32) for (let k = 0; k < size; k++) raw[k] = buf[start + k];
    else raw.set(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
    let subject = p.subject;
    if (subject === this.lastRawSubject) subject = this.lastSubject;
    else {
      this.lastRawSubject = subject;
      subject = this.lastSubject = latin1ToUtf8(subject);
    }
    const reply = p.reply === "" ? "" : latin1ToUtf8(p.reply);
    sub.deliver(new MsgImpl(this, subject, sid, reply, raw, p.hdr));
    return this.st !== "CLOSED" && this.transport !== null;
  }

  onOp(op: Op, arg: string): boolean {
    switch (op) {
      case Op.Ping:
        if (this.live) {
          encodePong(this.out);
          this.scheduleFlush();
        } else if (this.transport !== null) {
          encodePong(this.ctl);
          this.transport.write(this.ctl.take());
        }
        break;
      case Op.Pong:
        if (this.hs !== null && this.hs.phase === "pong") this.hsResolve();
        else this.onPong();
        break;
      case Op.Info:
        this.onInfo(arg);
        break;
      case Op.Err:
        this.onErr(arg);
        break;
      case Op.Ok:
        break;
      default:
        this.protocolFailure(new ProtocolError(`unexpected operation from the server`));
        return false;
    }
    return this.st !== "CLOSED" && this.transport !== null;
  }

  onParseError(kind: ParseErrorKind): void {
    this.protocolFailure(
      new ProtocolError(
        kind === ParseErrorKind.MaxControlLine ? "control line too long" : "protocol error from the server",
      ),
    );
  }

  private onInfo(arg: string): void {
    let info: ServerInfo;
    try {
      info = JSON.parse(Buffer.from(arg, "latin1").toString("utf8")) as ServerInfo;
    } catch {
      this.protocolFailure(new ProtocolError(`bad INFO: ${arg}`));
      return;
    }
    if (this.hs !== null && this.hs.phase === "info") {
      this.serverInfo = info;
      this.hsResolve(info);
      return;
    }
    this.serverInfo = { ...this.serverInfo, ...info };
    if (info.connect_urls !== undefined && !this.options.ignoreClusterUpdates) {
      const { added, deleted } = this.pool.update(info.connect_urls);
      if (added.length > 0 || deleted.length > 0) this.emit({ type: "update", added, deleted, state: this.st });
    }
    if (info.ldm) this.emit({ type: "ldm", server: this.getServer(), state: this.st });
  }

  private onErr(arg: string): void {
    let text = arg.trim();
    if (text.startsWith("'") && text.endsWith("'") && text.length >= 2) text = text.slice(1, -1);
    const err =
      PermissionViolationError.parse(text) ??
      UserAuthenticationExpiredError.parse(text) ??
      AuthorizationError.parse(text) ??
      new ProtocolError(text);
    if (this.hs !== null) {
      this.hs.error = err;
      this.hsReject(err);
      return;
    }
    this.emit({ type: "error", error: err, state: this.st });
    if (err instanceof PermissionViolationError) {
      if (err.operation === "subscription") {
        for (const s of this.subs.values()) {
          if (s.subject === err.subject && (err.queue === undefined || err.queue === s.queue)) {
            s.fail(err);
            break;
          }
        }
      } else {
        for (const [t, r] of this.reqs) {
          if (r.subject === err.subject) {
            this.reqs.delete(t);
            clearTimeout(r.timer);
            r.reject(new RequestError(err.message, { cause: err }));
            break;
          }
        }
      }
    }
    // other errors: the server closes the connection; the close handler reconnects
  }

  // ------------------------------------------------------------------ status and state

  private emit(s: Status): void {
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i].push(s);
  }

  private setState(st: ConnectionState, event: Status | null): void {
    this.st = st;
    if (event !== null) this.emit(event);
  }

  // ------------------------------------------------------------------ dialing

  private hsResolve(info?: ServerInfo): void {
    const hs = this.hs;
    if (hs === null || hs.resolve === null) return;
    const r = hs.resolve;
    hs.resolve = hs.reject = null;
    r(info);
  }

  private hsReject(e: Error): void {
    const hs = this.hs;
    if (hs === null || hs.reject === null) return;
    const r = hs.reject;
    hs.resolve = hs.reject = null;
    r(e);
  }

  private hsWait<T>(phase: "info" | "pong"): Promise<T> {
    const hs = this.hs as Handshake;
    hs.phase = phase;
    return new Promise<T>((resolve, reject) => {
      if (hs.error !== null) return reject(hs.error);
      hs.resolve = resolve as (info?: ServerInfo) => void;
      hs.reject = reject;
    });
  }

  /** One connection attempt to srv, handshake included, within options.timeout. */
  private async dial(srv: ServerImpl): Promise<void> {
    const o = this.options;
    const t: Transport = new NodeTransport();
    const hs: Handshake = { phase: "info", resolve: null, reject: null, error: null };
    this.hs = hs;
    this.transport = t;
    this.parser = new Parser(this, 1 << 20);
    const wantTls = srv.tlsScheme || (o.tls !== undefined && o.tls !== null);
    const timer = setTimeout(() => {
      const e = new ConnectionError(`timeout connecting to ${srv.listen}`);
      hs.error = e;
      this.hsReject(e);
    }, o.timeout);
    const handler = {
      onData: (b: Buffer) => {
        if (this.transport === t) this.onData(b);
      },
      onClose: (err: Error | undefined) => this.onTransportClose(t, err),
    };
    try {
      await Promise.race([
        t.connect(srv, wantTls ? (o.tls ?? {}) : null, handler),
        new Promise<never>((_, reject) => {
          hs.reject = reject;
        }),
      ]).catch((e: NodeJS.ErrnoException) => {
        throw e instanceof ConnectionError
          ? e
          : new ConnectionError(
              e.code === "ECONNREFUSED" ? `connection refused: ${srv.listen}` : `${e.message}: ${srv.listen}`,
              { cause: e },
            );
      });
      hs.resolve = hs.reject = null;
      const info = await this.hsWait<ServerInfo>("info");
      if (!t.encrypted && (info.tls_required || (wantTls && info.tls_available))) {
        await Promise.race([t.startTLS(), this.hsWait<never>("info")]);
      }
      if (wantTls && !t.encrypted) throw InvalidArgumentError.format("tls", "is not available on this server");
      const auth = this.authenticator(info.nonce) ?? {};
      if (srv.auth !== null && Object.keys(auth).length === 0) Object.assign(auth, srv.auth);
      const connectOpts = {
        verbose: o.verbose,
        pedantic: o.pedantic,
        tls_required: t.encrypted,
        name: o.name,
        lang: LANG,
        version: VERSION,
        protocol: 1,
        headers: true,
        no_responders: true,
        echo: !o.noEcho,
        ...auth,
      };
      encodeConnect(this.ctl, connectOpts);
      encodePing(this.ctl);
      const pong = this.hsWait<void>("pong");
      t.write(this.ctl.take());
      await pong;
    } catch (e) {
      clearTimeout(timer);
      this.hs = null;
      if (this.transport === t) this.transport = null;
      t.destroy();
      throw e;
    }
    clearTimeout(timer);
    this.hs = null;
    // connected: restore subscriptions, then send what was buffered, in order
    srv.didConnect = true;
    srv.reconnects = 0;
    srv.lastConnect = Date.now();
    if (this.serverInfo?.connect_urls !== undefined && !o.ignoreClusterUpdates)
      this.pool.update(this.serverInfo.connect_urls);
    for (const s of this.subs.values()) {
      encodeSub(this.ctl, s.subject, s.queue, s.sid);
      if (s.max > 0) encodeUnsub(this.ctl, s.sid, Math.max(s.max - s.received, 1));
    }
    if (this.ctl.length > 0) t.write(this.ctl.take());
    this.live = true;
    this.pout = 0;
    if (o.pingInterval > 0) {
      this.pingTimer = setInterval(this.onPingTimer, o.pingInterval);
      this.pingTimer.unref?.();
    }
    this.writeOut();
  }

  private readonly onPingTimer = (): void => {
    if (!this.live) return;
    // nats.js's ping status: every tick, counting the PINGs out including this one
    this.emit({ type: "ping", pendingPings: this.pout + 1, state: this.st });
    if (this.pout >= this.options.maxPingOut) {
      this.emit({ type: "staleConnection", state: this.st });
      this.transportLost(this.transport as Transport, new ConnectionError("stale connection"));
      return;
    }
    this.pout++;
    this.queuePing(PongKind.Interval, null, null);
  };

  /** First connect: each server once; with waitOnFirstConnect, then the reconnect rules. */
  async initialConnect(): Promise<void> {
    let last: Error | null = null;
    const tried = [...this.pool.servers];
    for (let i = 0; i < tried.length; i++) {
      const srv = this.pool.next() as ServerImpl;
      srv.lastAttempt = Date.now();
      try {
        await this.dial(srv);
        this.st = "CONNECTED";
        return;
      } catch (e) {
        last = e as Error;
        if (e instanceof AuthorizationError || e instanceof InvalidArgumentError) break;
      }
    }
    if (!this.options.waitOnFirstConnect || last instanceof AuthorizationError) {
      this.shutdown(last ?? undefined, false);
      throw last ?? new ConnectionError("no servers");
    }
    await this.reconnectLoop(false);
    if (this.st === "CLOSED") {
      throw last ?? new ConnectionError("no servers");
    }
  }

  private onTransportClose(t: Transport, err: Error | undefined): void {
    if (t !== this.transport) return;
    if (this.hs !== null) {
      const e = new ConnectionError(
        `connection closed${err ? `: ${err.message}` : ""}`,
        err ? { cause: err } : undefined,
      );
      this.hs.error = e;
      this.hsReject(e);
      return;
    }
    this.transportLost(t, err);
  }

  private protocolFailure(err: Error): void {
    if (this.hs !== null) {
      this.hs.error = err;
      this.hsReject(err);
      return;
    }
    this.emit({ type: "error", error: err, state: this.st });
    if (this.transport !== null) this.transportLost(this.transport, err);
  }

  /** The live transport is gone: account for what was in flight, then reconnect or close. */
  private transportLost(t: Transport, err: Error | undefined): void {
    if (t !== this.transport || this.st === "CLOSED") return;
    this.transport = null;
    this.live = false;
    t.destroy();
    if (this.pingTimer !== null) {
      clearInterval(this.pingTimer);
      this.pingTimer = null;
    }
    // PINGs already written will never be answered; the ones still in `out` will be
    const lost = this.pongs.length - this.pongHead - this.pingsInOut;
    const kept = this.pongs.slice(this.pongHead + lost);
    for (let i = this.pongHead; i < this.pongHead + lost; i++) {
      const w = this.pongs[i];
      if (w.reject !== null) w.reject(new RequestError("connection disconnected"));
    }
    this.pongs = kept;
    this.pongHead = 0;
    if (this.confirmTimer !== null) clearTimeout(this.confirmTimer);
    this.confirmTimer = null;
    // written and never confirmed: reported, not resent
    const unconfirmed: DataCount = {
      msgs: this.writtenMsgs - this.confirmedMsgs,
      bytes: this.writtenBytes - this.confirmedBytes,
    };
    this.confirmedMsgs = this.writtenMsgs;
    this.confirmedBytes = this.writtenBytes;
    const server = this.pool.current?.listen ?? "";
    if (!this.options.reconnect || this.closing || this.draining) {
      this.shutdown(err, false, { type: "disconnect", server, unconfirmed, state: "CLOSED" });
      return;
    }
    this.setState("DISCONNECTED", { type: "disconnect", server, unconfirmed, state: "DISCONNECTED" });
    void this.reconnectLoop(true);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleepTimer = setTimeout(() => {
        this.sleepTimer = null;
        this.wake = null;
        resolve();
      }, ms);
    });
  }

  private async reconnectLoop(announce: boolean): Promise<void> {
    const o = this.options;
    let lastErr: Error | undefined;
    while (this.st !== "CLOSED" && !this.closing) {
      const srv = this.pool.next();
      if (srv === undefined) {
        this.shutdown(
          new ConnectionError("reconnect attempts exhausted", lastErr ? { cause: lastErr } : undefined),
          false,
        );
        return;
      }
      const jitter =
        Math.random() *
        (srv.tlsScheme || (o.tls !== undefined && o.tls !== null) ? o.reconnectJitterTLS : o.reconnectJitter);
      const delay = o.reconnectDelayHandler !== undefined ? o.reconnectDelayHandler() : o.reconnectTimeWait + jitter;
      const wait = srv.lastAttempt + delay - Date.now();
      if (wait > 0) await this.sleep(wait);
      if (this.isClosed() || this.closing) return;
      srv.reconnects++;
      srv.lastAttempt = Date.now();
      this.setState("RECONNECTING", {
        type: "reconnecting",
        server: srv.listen,
        attempt: srv.reconnects,
        state: "RECONNECTING",
      });
      try {
        await this.dial(srv);
      } catch (e) {
        lastErr = e as Error;
        if (o.maxReconnectAttempts >= 0 && srv.reconnects >= o.maxReconnectAttempts) this.pool.remove(srv);
        continue;
      }
      if (this.isClosed()) return;
      // a drain started while disconnected goes on where it was
      const st: ConnectionState = this.drainPhase ?? "CONNECTED";
      if (announce) this.setState(st, { type: "reconnect", server: srv.listen, state: st });
      else this.st = st;
      return;
    }
  }

  /** Closed for good: report what was accepted and never sent, release everything. */
  private shutdown(err: Error | undefined, graceful: boolean, disconnect: Status | null = null): void {
    if (this.st === "CLOSED") return;
    this.closing = true;
    // a dial in progress ends now rather than at its timeout
    if (this.hs !== null) {
      this.hs.error = new ClosedConnectionError();
      this.hsReject(this.hs.error);
    }
    const t = this.transport;
    this.transport = null;
    this.live = false;
    if (t !== null) {
      if (graceful) {
        this.flushTo(t);
        t.end();
      } else t.destroy();
    }
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
    if (this.sleepTimer !== null) clearTimeout(this.sleepTimer);
    this.sleepTimer = null;
    if (this.wake !== null) this.wake();
    this.wake = null;
    if (this.confirmTimer !== null) clearTimeout(this.confirmTimer);
    this.confirmTimer = null;
    const discarded: DataCount = {
      msgs: this.acceptedMsgs - this.writtenMsgs,
      bytes: this.acceptedBytes - this.writtenBytes,
    };
    this.out.clear();
    this.writtenMsgs = this.acceptedMsgs;
    this.writtenBytes = this.acceptedBytes;
    for (let i = this.pongHead; i < this.pongs.length; i++) {
      const w = this.pongs[i];
      if (w.reject !== null) w.reject(new ClosedConnectionError());
    }
    this.pongs = [];
    this.pongHead = 0;
    this.pingsInOut = 0;
    for (const [t2, r] of this.reqs) {
      this.reqs.delete(t2);
      clearTimeout(r.timer);
      r.reject(new RequestError("connection closed", { cause: new ClosedConnectionError() }));
    }
    for (const s of [...this.subs.values()]) s.close(undefined);
    this.st = "CLOSED";
    if (disconnect !== null) this.emit(disconnect);
    this.emit({ type: "close", discarded, state: "CLOSED" });
    for (const q of this.listeners) q.end();
    this.listeners.length = 0;
    this.resolveClosed(
      discarded.msgs > 0
        ? new DataDiscardedError(discarded.msgs, discarded.bytes, err ? { cause: err } : undefined)
        : err,
    );
  }

  /** Write what is buffered to a transport that is being closed gracefully. */
  private flushTo(t: Transport): void {
    if (this.out.length > 0) {
      this.writtenMsgs = this.acceptedMsgs;
      this.writtenBytes = this.acceptedBytes;
      t.write(this.out.take());
    }
  }
}

function encodeHeaders(h: MsgHdrs): Uint8Array {
  const e = (h as MsgHdrsImpl).encode;
  if (typeof e === "function") return e.call(h);
  throw new InvalidOperationError("headers must come from headers()");
}

/** Non-empty, and no byte that would break the protocol line (space, tab, CR, LF, controls). */
function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c === 127) return false;
  }
  return true;
}

function isNoResponders(m: Msg): boolean {
  return m.data.length === 0 && m.headers?.code === 503;
}

function sidNumber(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** The parser hands subjects over as latin1; bytes >= 0x80 are UTF-8 to the client. */
function latin1ToUtf8(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 128) return Buffer.from(s, "latin1").toString("utf8");
  }
  return s;
}

/** Connect to a server, with nats.js's options and nats.c's defaults. */
export async function connect(opts: ConnectionOptions = {}): Promise<NatsConnection> {
  const nc = new NatsConnectionImpl(resolveOptions(opts));
  await nc.initialConnect();
  return nc;
}
