// A FIFO async iterator: producers push, one consumer awaits. Used by subscriptions,
// status() and requestMany(). Items live in an array with a moving head, so a long queue
// costs no shifting; the array is compacted when the head passes half of it.

export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private head = 0;
  private waiter: ((r: IteratorResult<T>) => void) | null = null;
  private failer: ((e: Error) => void) | null = null;
  private done = false;
  private err: Error | null = null;

  get length(): number {
    return this.items.length - this.head;
  }

  get isDone(): boolean {
    return this.done;
  }

  push(v: T): void {
    if (this.done) return;
    const w = this.waiter;
    if (w !== null) {
      this.waiter = this.failer = null;
      w({ value: v, done: false });
      return;
    }
    this.items.push(v);
  }

  /** No more items: the consumer gets what is queued, then the end (or `err`). */
  end(err?: Error): void {
    if (this.done) return;
    this.done = true;
    if (err !== undefined) this.err = err;
    if (this.waiter !== null && this.length === 0) this.finish();
  }

  private finish(): void {
    const w = this.waiter;
    const f = this.failer;
    this.waiter = this.failer = null;
    if (this.err !== null && f !== null) {
      const e = this.err;
      this.err = null;
      f(e);
    } else if (w !== null) w({ value: undefined, done: true });
  }

  /** Drop what is queued (returns the dropped items). */
  clear(): T[] {
    const out = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return out;
  }

  /** Remove the oldest item, if any (the consumer has not taken it). */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head];
    this.items[this.head++] = undefined as T;
    this.compact();
    return v;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Called when the consumer takes an item (for pending counts). */
  onTake: ((v: T) => void) | null = null;

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.items.length) {
      const v = this.shift() as T;
      if (this.onTake !== null) this.onTake(v);
      return Promise.resolve({ value: v, done: false });
    }
    if (this.done) {
      if (this.err !== null) {
        const e = this.err;
        this.err = null;
        return Promise.reject(e);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiter = (r) => {
        if (!r.done && this.onTake !== null) this.onTake(r.value);
        resolve(r);
      };
      this.failer = reject;
    });
  }

  /** The consumer left the loop (break/return). */
  onReturn: (() => void) | null = null;

  return(): Promise<IteratorResult<T>> {
    if (this.onReturn !== null) this.onReturn();
    this.done = true;
    this.clear();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
