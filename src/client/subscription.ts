// Subscriptions: a callback, or an async iterator over a queue with pending limits
// (messages and bytes, nats.c's semantics): a message that does not fit is dropped and
// counted, and the first drop of an episode raises a slowConsumer status.
import { ClosedConnectionError, InvalidOperationError, TimeoutError } from "./errors.js";
import type { MsgImpl, Msg } from "./msg.js";
import { AsyncQueue } from "./queue.js";

export type MsgCallback<T> = (err: Error | null, msg: T) => void | Promise<never>;

export interface SubOpts<T> {
  queue?: string;
  max?: number;
  timeout?: number;
  callback?: MsgCallback<T>;
  /** nats.js: raise a slowConsumer status when more than this many messages are pending (iterators only). */
  slow?: number;
  /** Pending limits of the iterator's queue (default: the connection's maxPendingMsgs/Bytes; <= 0 no limit). */
  pendingMsgsLimit?: number;
  pendingBytesLimit?: number;
}
export type SubscriptionOptions = SubOpts<Msg>;

export interface Subscription extends AsyncIterable<Msg> {
  closed: Promise<void | Error>;
  unsubscribe(max?: number): void;
  drain(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
  isDraining(): boolean;
  isClosed(): boolean;
  callback: MsgCallback<Msg>;
  getSubject(): string;
  getReceived(): number;
  getProcessed(): number;
  getPending(): number;
  getID(): number;
  getMax(): number | undefined;
  /** nats.c extras: pending limits, dropped count. */
  setPendingLimits(msgs: number, bytes: number): void;
  getPendingLimits(): { msgs: number; bytes: number };
  getPendingBytes(): number;
  getDropped(): number;
}

/** What a subscription asks of its connection. */
export interface SubOwner {
  sendUnsub(sub: SubscriptionImpl, max: number): void;
  removeSub(sub: SubscriptionImpl): void;
  flush(): Promise<void>;
  slowConsumer(sub: SubscriptionImpl): void;
  isClosed(): boolean;
}

export class SubscriptionImpl implements Subscription {
  readonly sid: number;
  readonly subject: string;
  readonly queue: string;
  /** Total messages after which the subscription ends (0: none). */
  max: number;
  received = 0;
  processed = 0;
  dropped = 0;
  pendingBytes = 0;
  limitMsgs: number;
  limitBytes: number;
  /** In a slow-consumer episode (reset when the queue has room again). */
  slow = false;
  draining = false;
  done = false;
  /** nats.js's `slow` threshold (0: none) and whether it has been reported for this episode. */
  private readonly slowAt: number;
  private slowNotified = false;
  cb: MsgCallback<Msg> | null;
  private readonly q: AsyncQueue<Msg> | null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly owner: SubOwner;
  readonly closed: Promise<void | Error>;
  private resolveClosed!: (v: void | Error) => void;
  /** Set by the request multiplexer or requestMany. */
  requestSubject = "";

  constructor(
    owner: SubOwner,
    sid: number,
    subject: string,
    opts: SubscriptionOptions,
    limitMsgs: number,
    limitBytes: number,
  ) {
    this.owner = owner;
    this.sid = sid;
    this.subject = subject;
    this.queue = opts.queue ?? "";
    this.max = opts.max !== undefined && opts.max > 0 ? opts.max : 0;
    this.limitMsgs = opts.pendingMsgsLimit ?? limitMsgs;
    this.limitBytes = opts.pendingBytesLimit ?? limitBytes;
    this.cb = opts.callback ?? null;
    this.slowAt = opts.slow !== undefined && opts.slow > 0 ? opts.slow : 0;
    if (this.slowAt > 0 && this.cb !== null)
      throw new InvalidOperationError("callbacks don't support slow notifications");
    this.closed = new Promise((r) => (this.resolveClosed = r));
    if (this.cb === null) {
      const q = new AsyncQueue<Msg>();
      q.onTake = (m) => {
        this.processed++;
        this.pendingBytes -= m.data.length;
        if (this.slow && this.fits(0)) this.slow = false;
        if (this.slowNotified && q.length <= this.slowAt) this.slowNotified = false;
        if (this.done && q.length === 0) this.finish(undefined);
      };
      q.onReturn = () => this.unsubscribe();
      this.q = q;
    } else this.q = null;
    if (opts.timeout !== undefined && opts.timeout > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        if (this.received === 0) this.fail(new TimeoutError());
      }, opts.timeout);
    }
  }

  private fits(size: number): boolean {
    const q = this.q as AsyncQueue<Msg>;
    return (
      (this.limitMsgs <= 0 || q.length < this.limitMsgs) &&
      (this.limitBytes <= 0 || this.pendingBytes + size <= this.limitBytes)
    );
  }

  /** A message for this subscription (called from the read loop). */
  deliver(m: MsgImpl): void {
    if (this.done) return;
    this.received++;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const cb = this.cb;
    if (cb !== null) {
      try {
        cb(null, m);
      } catch (err) {
        // a throwing callback must not break the read loop; report it like nats.js does
        queueMicrotask(() => {
          throw err;
        });
      }
      this.processed++;
    } else {
      const size = m.data.length;
      if (!this.fits(size)) {
        this.dropped++;
        if (!this.slow) {
          this.slow = true;
          this.owner.slowConsumer(this);
        }
      } else {
        this.pendingBytes += size;
        const q = this.q as AsyncQueue<Msg>;
        q.push(m);
        if (this.slowAt > 0 && !this.slowNotified && q.length > this.slowAt) {
          this.slowNotified = true;
          this.owner.slowConsumer(this);
        }
      }
    }
    if (this.max > 0 && this.received >= this.max) this.close(undefined);
  }

  /** The subscription failed (timeout, permission): callback or iterator sees `err`, then it is closed. */
  fail(err: Error): void {
    if (this.done) return;
    this.owner.sendUnsub(this, 0);
    if (this.cb !== null) {
      try {
        // nats.js hands the callback an empty object with the error, not undefined
        this.cb(err, {} as Msg);
      } catch {
        // ignored, as above
      }
    }
    this.close(err);
  }

  /** No more messages: remove from the connection; the iterator ends after what is queued. */
  close(err: Error | undefined): void {
    if (this.done) return;
    this.done = true;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.owner.removeSub(this);
    if (this.q !== null) {
      this.q.end(err);
      if (this.q.length === 0 || err !== undefined) this.finish(err);
    } else this.finish(err);
  }

  private finish(err: Error | undefined): void {
    this.resolveClosed(err);
  }

  unsubscribe(max?: number): void {
    if (this.done) return;
    if (max !== undefined && max > 0) {
      this.max = max;
      this.owner.sendUnsub(this, max);
      if (this.received >= max) this.close(undefined);
      return;
    }
    this.owner.sendUnsub(this, 0);
    this.close(undefined);
  }

  async drain(): Promise<void> {
    if (this.owner.isClosed()) throw new ClosedConnectionError();
    if (this.done) return;
    if (!this.draining) {
      this.draining = true;
      this.owner.sendUnsub(this, 0);
      try {
        await this.owner.flush();
      } finally {
        this.close(undefined);
      }
    }
    await this.closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.done) await this.drain();
  }

  [Symbol.asyncIterator](): AsyncIterator<Msg> {
    if (this.q === null) throw new InvalidOperationError("iterator cannot be used when a callback is registered");
    return this.q;
  }

  get callback(): MsgCallback<Msg> {
    return this.cb ?? (() => {});
  }

  isDraining(): boolean {
    return this.draining;
  }
  isClosed(): boolean {
    return this.done;
  }
  getSubject(): string {
    return this.subject;
  }
  getReceived(): number {
    return this.received;
  }
  getProcessed(): number {
    return this.processed;
  }
  getPending(): number {
    return this.q === null ? 0 : this.q.length;
  }
  getID(): number {
    return this.sid;
  }
  getMax(): number | undefined {
    return this.max > 0 ? this.max : undefined;
  }
  setPendingLimits(msgs: number, bytes: number): void {
    this.limitMsgs = msgs;
    this.limitBytes = bytes;
  }
  getPendingLimits(): { msgs: number; bytes: number } {
    return { msgs: this.limitMsgs, bytes: this.limitBytes };
  }
  getPendingBytes(): number {
    return this.pendingBytes;
  }
  getDropped(): number {
    return this.dropped;
  }
}
