// Small helpers nats.js exports beside its client, with the same names and behaviour, so
// programs that use them move over unchanged.
export { nuid, Nuid } from "@nats-io/nuid";

export type Nanos = number;

export function nanos(millis: number): Nanos {
  return millis * 1000000;
}

export function millis(ns: Nanos): number {
  return Math.floor(ns / 1000000);
}

export interface Deferred<T> extends Promise<T> {
  resolve: (v?: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

/** A promise with its resolve and reject attached. */
export function deferred<T>(): Deferred<T> {
  let resolve!: Deferred<T>["resolve"];
  let reject!: Deferred<T>["reject"];
  const p = new Promise<T>((res, rej) => {
    resolve = res as Deferred<T>["resolve"];
    reject = rej;
  }) as Deferred<T>;
  p.resolve = resolve;
  p.reject = reject;
  return p;
}

export interface Delay extends Promise<void> {
  cancel: () => void;
}

/** Resolves after ms; cancel() resolves it at once. */
export function delay(ms = 0): Delay {
  let done!: () => void;
  const p = new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    done = () => {
      clearTimeout(t);
      resolve();
    };
  }) as Delay;
  p.cancel = done;
  return p;
}

export interface SyncIterator<T> {
  next(): Promise<T | null>;
}

/** Pull one item at a time from an async iterable; null at the end. */
export function syncIterator<T>(src: AsyncIterable<T>): SyncIterator<T> {
  const it = src[Symbol.asyncIterator]();
  return {
    async next(): Promise<T | null> {
      const r = await it.next();
      return r.done ? null : r.value;
    },
  };
}
