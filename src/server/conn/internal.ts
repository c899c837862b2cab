// An internal connection: the server's own participant in an account, with no socket. Its
// subscriptions call back in-process (the system account's event and request handlers now,
// JetStream's API and consumers later); what it publishes goes through the same delivery path
// as a client's publish. nats-server's kinds SYSTEM, JETSTREAM and ACCOUNT.
import { InMsg, Subscription, type Conn, type ConnKind, type MsgCallback } from "./conn.js";
import type { Account } from "../account.js";

/** Where an internal connection reports a callback that threw (the server's logger). */
export interface InternalHost {
  logError(msg: string): void;
}

export class InternalConnection implements Conn {
  readonly subs = new Map<string, Subscription>();
  private sidSeq = 0;
  private readonly msg = new InMsg();
  /** Nesting of publishes (a callback that publishes): nested ones get their own InMsg. */
  private depth = 0;
  closed = false;
  /** Messages delivered to this connection's callbacks, and their bytes. */
  outMsgs = 0;
  outBytes = 0;

  constructor(
    private readonly host: InternalHost,
    readonly kind: ConnKind,
    readonly cid: number,
    readonly acc: Account,
    /** A label for logs, e.g. "SYSTEM" or "JetStream". */
    readonly name: string,
  ) {
    this.msg.origin = this;
    this.msg.kind = kind;
  }

  /**
   * Subscribe with an in-process callback. The callback runs synchronously inside the
   * publisher's delivery; it gets the message under InMsg's lifetime contract (copy the
   * payload to keep it). Throws SublistError for an invalid subject.
   */
  subscribe(subject: string, cb: MsgCallback, queue: string | null = null): Subscription {
    const sid = String(++this.sidSeq);
    const sub = new Subscription(this, subject, queue, sid, cb);
    this.acc.addSub(sub);
    this.subs.set(sid, sub);
    return sub;
  }

  unsubscribe(sub: Subscription): void {
    if (sub.closed) return;
    sub.closed = true;
    this.subs.delete(sub.sid);
    this.acc.removeSub(sub);
  }

  /**
   * Publish into the account. `headers` is a complete NATS/1.0 header block (ending in
   * \r\n\r\n) or null. Returns true when anyone took the message.
   */
  publish(subject: string, reply: string, payload: Uint8Array | string, headers: Uint8Array | null = null): boolean {
    if (this.closed) return false;
    const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
    const hdr = headers === null ? 0 : headers.length;
    let buf: Buffer;
    if (hdr === 0) buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    else buf = Buffer.concat([headers as Uint8Array, body]);
    return this.publishRaw(subject, reply, hdr, buf, 0, buf.length);
  }

  /** Publish buf[start, end), whose first `hdr` bytes are headers, without copying. */
  publishRaw(subject: string, reply: string, hdr: number, buf: Buffer, start: number, end: number): boolean {
    if (this.closed) return false;
    const m = this.depth === 0 ? this.msg : new InMsg();
    if (m !== this.msg) {
      m.origin = this;
      m.kind = this.kind;
    }
    this.depth++;
    try {
      return this.acc.deliver(m.set(subject, reply, hdr, buf, start, end));
    } finally {
      this.depth--;
    }
  }

  deliver(sub: Subscription, m: InMsg): boolean {
    if (this.closed || sub.closed || sub.cb === null) return false;
    const nm = ++sub.nm;
    if (sub.max > 0 && nm > sub.max) {
      this.unsubscribe(sub);
      return false;
    }
    this.outMsgs++;
    this.outBytes += m.end - m.start;
    try {
      sub.cb(sub, m);
    } catch (e) {
      this.host.logError(`${this.name} internal subscription on "${sub.subject}" failed: ${(e as Error).message}`);
    }
    if (sub.max > 0 && nm === sub.max) this.unsubscribe(sub);
    return true;
  }

  /** Remove every subscription; the connection publishes nothing more. */
  close(): void {
    if (this.closed) return;
    for (const sub of [...this.subs.values()]) this.unsubscribe(sub);
    this.closed = true;
  }
}
