// A client connection's outbound side: the bytes queued for its socket (an OutboundBuffer,
// written by the protocol's encoders), handed to the socket once per event-loop turn; the
// batches held back while the socket is not keeping up; and the write deadline. Producer
// pausing (stall.ts) listens to its progress through `afterWrite` and `onDrain`'s answer.
import { OutboundBuffer } from "../../protocol/outbound.js";
import { formatGoDuration, timerMs } from "../duration.js";
import type { ClientConnection } from "./client.js";

const OUT_SLAB = 64 * 1024;
const OUT_SMALL = 2048;
/**
 * At most this much is handed to a socket that is not keeping up; the rest waits here for its
 * 'drain'. Node completes everything queued behind a busy write as one request, so without a
 * cap a backlog of tens of MB would show no progress until all of it was written.
 */
const WRITE_BATCH = 1024 * 1024;

export class Outbound {
  /** What is queued and not yet handed to the socket: [buf.start, buf.pos). */
  readonly buf = new OutboundBuffer(OUT_SLAB, OUT_SMALL);
  /** Filled buffers not yet handed to the socket (it has WRITE_BATCH in flight), oldest first. */
  private held: Buffer[] | null = null;
  heldBytes = 0;
  private wdTimer: NodeJS.Timeout | null = null;
  /**
   * Called when each write completes, while set: producers paused on this backlog
   * (stall.ts) learn when it has gone down.
   */
  afterWrite: (() => void) | null = null;

  constructor(private readonly c: ClientConnection) {}

  /** Bytes queued here (not yet in the socket), held batches included. */
  get queued(): number {
    return this.buf.pos - this.buf.start + this.heldBytes;
  }

  /**
   * Make room for n more bytes. A full buffer is handed to the socket as it is (one write of
   * many messages) rather than copied into a larger one.
   */
  ensure(n: number): void {
    const b = this.buf;
    if (b.buf.length - b.pos >= n) return;
    if (b.pos > b.start) this.writeOut();
    // the socket may have taken everything at once, making the whole buffer free again;
    // a small buffer that filled up is replaced by a slab, so busy connections write big chunks
    if (b.pos === 0 && b.buf.length >= n && b.buf.length >= OUT_SLAB) return;
    b.fresh(b.buf.length === 0 && n <= OUT_SMALL / 2 ? OUT_SMALL : Math.max(OUT_SLAB, n + OUT_SMALL));
  }

  /** Queue bytes as they are. */
  enqueue(data: Buffer): void {
    this.ensure(data.length);
    this.buf.putBytes(data);
  }

  /** Queue a string of chars < 256, one byte each. */
  enqueueLatin1(s: string): void {
    this.ensure(s.length);
    this.buf.putLatin1(s);
  }

  /** Write what is queued. */
  flush(): void {
    if (this.buf.pos !== this.buf.start) this.writeOut();
  }

  /** Hand the queued bytes to the socket, or hold them while it has a batch in flight. */
  private writeOut(): void {
    const s = this.c.socket;
    const chunk = this.buf.take();
    if (this.held !== null || (s.writableNeedDrain && s.writableLength >= WRITE_BATCH)) {
      (this.held ??= []).push(chunk);
      this.heldBytes += chunk.length;
      return;
    }
    const cb = this.afterWrite;
    const ok = cb !== null ? s.write(chunk, cb) : s.write(chunk);
    // written synchronously: the buffer can be reused from the start, unless a burst made it
    // large, in which case it goes back to the allocator
    if (s.writableLength === 0) this.buf.reuse();
    else if (!ok) this.armWriteDeadline();
  }

  /** A write is waiting for the socket: it must finish within write_deadline. */
  private armWriteDeadline(): void {
    const wd = this.c.server.opts.write_deadline;
    if (this.wdTimer === null && wd > 0) {
      this.wdTimer = setTimeout(() => this.writeDeadlineExceeded(), timerMs(wd));
    }
  }

  /**
   * The socket's 'drain': hand it the next held batch. True when the backlog is down far
   * enough (a quarter of max_pending) for paused producers to go on.
   */
  onDrain(): boolean {
    if (this.wdTimer !== null) {
      clearTimeout(this.wdTimer);
      this.wdTimer = null;
    }
    if (this.held === null) return true;
    this.writeHeld();
    return this.c.pendingBytes < this.c.server.opts.max_pending / 4;
  }

  /** The socket took its batch: hand it the next one (up to WRITE_BATCH) of what is held. */
  private writeHeld(): void {
    const list = this.held;
    if (list === null || this.c.closed) return;
    const s = this.c.socket;
    const cb = this.afterWrite;
    let i = 0;
    let ok = true;
    s.cork();
    while (i < list.length && s.writableLength < WRITE_BATCH) {
      const b = list[i++];
      this.heldBytes -= b.length;
      ok = cb !== null ? s.write(b, cb) : s.write(b);
    }
    s.uncork();
    if (i === list.length) this.held = null;
    else list.splice(0, i);
    if (!ok) this.armWriteDeadline();
  }

  /** The write deadline passed with a write still waiting: a slow consumer. */
  writeDeadlineExceeded(): void {
    this.wdTimer = null;
    const c = this.c;
    if (c.closed) return;
    c.server.slowConsumers++;
    // the whole backlog, as nats-server counts it: in the socket and held back here
    const chunks =
      ((c.socket as unknown as { writableBuffer?: unknown[] }).writableBuffer?.length ?? 1) + (this.held?.length ?? 0);
    c.noticef(
      `Slow Consumer Detected: WriteDeadline of ${formatGoDuration(c.server.opts.write_deadline)} exceeded with ${chunks} chunks of ${c.socket.writableLength + this.heldBytes} total bytes.`,
    );
    c.close("Slow Consumer (Write Deadline)");
  }

  /**
   * The connection is closing: write what is queued (held batches first), or drop it when
   * `drop` (slow consumers, broken sockets). Returns the bytes dropped unsent, those already
   * in the socket included; the memory is let go either way.
   */
  close(drop: boolean): number {
    if (this.wdTimer !== null) clearTimeout(this.wdTimer);
    this.wdTimer = null;
    const s = this.c.socket;
    let dropped = 0;
    if (drop) dropped = this.queued + (s.destroyed ? 0 : s.writableLength);
    else if (!s.destroyed) {
      if (this.held !== null) for (const b of this.held) s.write(b);
      if (this.buf.pos > this.buf.start) s.write(this.buf.take());
    }
    this.held = null;
    this.heldBytes = 0;
    this.afterWrite = null;
    this.buf.release();
    return dropped;
  }
}
