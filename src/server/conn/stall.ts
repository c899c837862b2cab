// Producer pausing, nats-server's stall: a producer stops being read while a subscriber it
// feeds (itself included) is over half of max_pending, until that subscriber drains to a
// quarter, or makes no progress for STALL_MAX_MS (then the producer goes on, and a reader
// that stays stuck becomes a slow consumer). Each client connection has one Stall: its side
// as a producer (`stalled`) and as a reader holding producers (`stallers`).
import type { ClientConnection } from "./client.js";

/** How long a producer waits for a subscriber to make progress before going on. */
const STALL_MAX_MS = 500;

export class Stall {
  /** As a producer: paused until a subscriber that fell behind drains (or a timeout). */
  stalled = false;
  private timer: NodeJS.Timeout | null = null;
  /** As a subscriber: the producers paused on this connection's backlog. */
  private stallers: ClientConnection[] | null = null;

  constructor(private readonly c: ClientConnection) {}

  /**
   * Pause this producer until `sub` has worked its backlog down, for as long as `sub` keeps
   * making progress (checked every STALL_MAX_MS). `sub` may be this connection itself.
   */
  stallOn(sub: ClientConnection): void {
    if (this.stalled) return;
    this.stalled = true;
    sub.stall.addStaller(this.c);
    let lastPending = sub.pendingBytes;
    const check = () => {
      // a reader that is making progress keeps the producer waiting; one that made none
      // for STALL_MAX_MS lets it go on until its next message for that reader, which
      // stalls it again: a reader that stays stuck is fed a trickle and becomes a slow
      // consumer (max_pending or write_deadline), as with nats-server's per-message wait
      const now = sub.pendingBytes;
      if (!sub.closed && now < lastPending) {
        lastPending = now;
        this.timer = setTimeout(check, STALL_MAX_MS);
        return;
      }
      sub.stall.removeStaller(this.c);
      this.unstall();
    };
    this.timer = setTimeout(check, STALL_MAX_MS);
  }

  /** A producer paused on this connection's backlog: learn of every write's completion. */
  private addStaller(p: ClientConnection): void {
    (this.stallers ??= []).push(p);
    this.c.out.afterWrite = this.afterWrite;
  }

  private removeStaller(p: ClientConnection): void {
    const list = this.stallers;
    if (list === null) return;
    const i = list.indexOf(p);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.clearStallers();
  }

  private clearStallers(): void {
    this.stallers = null;
    this.c.out.afterWrite = null;
  }

  /** Go on reading this producer. */
  unstall(): void {
    if (!this.stalled) return;
    this.stalled = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.c.resumeInput();
  }

  /** Let every producer paused on this connection go on. */
  releaseStallers(): void {
    const list = this.stallers;
    if (list === null) return;
    this.clearStallers();
    // not synchronously: this may run in the middle of another producer's fan-out
    queueMicrotask(() => {
      for (const p of list) p.stall.unstall();
    });
  }

  /** A write finished: let paused producers go once the backlog is down to a quarter. */
  private readonly afterWrite = (): void => {
    if (this.stallers !== null && this.c.pendingBytes < this.c.server.opts.max_pending / 4) {
      this.releaseStallers();
    }
  };

  /** The connection closed: no more waiting as a producer, none on it as a reader. */
  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.releaseStallers();
  }
}
