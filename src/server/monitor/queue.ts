// Monitoring work in bounded slices, so it never holds up the messages sharing this thread.
//
// A request for a potentially large endpoint (/connz, /subsz, /accountz, /accstatz,
// /metrics) is not answered where it is parsed: it joins a queue. Each event-loop turn, after
// socket I/O has been polled, the queue gets one slice of about SLICE_MS: it builds and
// serializes the head job's answer piece by piece (goJSONParts, LazyArray), then writes it to
// the job's waiting responses, and stops at the end of the slice wherever it is. Messages,
// PINGs and new requests are handled between slices.
//
// Requests that ask for exactly the same thing (same endpoint and query) while a job for it
// is still waiting to start share that job: its answer is built after every one of them
// arrived, so it is a valid answer to each, and it is built and encoded once.
import type http from "node:http";
import { performance } from "node:perf_hooks";

/** The most a turn spends on monitoring before it yields to socket I/O. */
export const SLICE_MS = 2;
/** Serialized text is turned into bytes in pieces of about this many characters. */
const BUFFER_CHARS = 64 * 1024;

/** An answer being made: its status and headers, and a source of its body text. */
export interface Rendering {
  status: number;
  headers: ReadonlyArray<readonly [string, string]>;
  parts: Iterator<string, void, undefined>;
}

/** What a queued request asks for: begin() renders it; fail() renders an error begin() or the parts threw. */
export interface Work {
  begin(): Rendering;
  fail(e: unknown): Rendering;
}

class Job {
  readonly waiters: http.ServerResponse[] = [];
  private r: Rendering | null = null;
  private readonly body: Buffer[] = [];
  private length = 0;
  private pend: string[] = [];
  private pendChars = 0;
  private built = false;
  private delivered = 0;

  constructor(
    readonly key: string,
    private readonly work: Work,
  ) {}

  /** Work until done (true) or until the deadline passes (false). */
  step(deadline: number): boolean {
    if (this.r === null) {
      // every client gave up (a scrape timed out) before the work began: none is done
      if (this.waiters.every((w) => w.destroyed)) return true;
      this.r = this.guard(() => this.work.begin());
    }
    while (!this.built) {
      let p: IteratorResult<string, void>;
      try {
        p = this.r.parts.next();
      } catch (e) {
        this.restart(e);
        continue;
      }
      if (p.done === true) {
        this.flush();
        this.built = true;
        break;
      }
      this.pend.push(p.value);
      this.pendChars += p.value.length;
      if (this.pendChars >= BUFFER_CHARS) this.flush();
      if (performance.now() >= deadline) return false;
    }
    while (this.delivered < this.waiters.length) {
      this.deliver(this.waiters[this.delivered++]);
      if (performance.now() >= deadline) return this.delivered === this.waiters.length;
    }
    return true;
  }

  private guard(f: () => Rendering): Rendering {
    try {
      return f();
    } catch (e) {
      return this.work.fail(e);
    }
  }

  /** The body failed half-way: drop it and answer the error instead. */
  private restart(e: unknown): void {
    this.body.length = 0;
    this.length = 0;
    this.pend = [];
    this.pendChars = 0;
    this.r = this.work.fail(e);
  }

  private flush(): void {
    if (this.pend.length === 0) return;
    const b = Buffer.from(this.pend.length === 1 ? this.pend[0] : this.pend.join(""));
    this.pend = [];
    this.pendChars = 0;
    this.body.push(b);
    this.length += b.length;
  }

  private deliver(res: http.ServerResponse): void {
    if (res.destroyed || res.writableEnded) return;
    const r = this.r as Rendering;
    res.statusCode = r.status;
    for (const [k, v] of r.headers) res.setHeader(k, v);
    res.setHeader("Content-Length", this.length);
    const n = this.body.length;
    for (let i = 0; i < n - 1; i++) res.write(this.body[i]);
    if (n > 0) res.end(this.body[n - 1]);
    else res.end();
  }
}

export class MonitorQueue {
  private readonly jobs: (Job | undefined)[] = [];
  private head = 0;
  /** Jobs not started yet, by what they ask for: later identical requests join them (a job
   * leaves this map when it reaches the head of the queue, before its work begins). */
  private readonly waiting = new Map<string, Job>();
  private scheduled = false;
  private readonly tick = () => this.run();

  /** Answer res with work's result, in slices; key names what is asked (endpoint and query). */
  enqueue(key: string, work: Work, res: http.ServerResponse): void {
    let job = this.waiting.get(key);
    if (job === undefined) {
      job = new Job(key, work);
      this.waiting.set(key, job);
      this.jobs.push(job);
    }
    job.waiters.push(res);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.tick);
    }
  }

  /** Forget every queued request (the listener is closing and its sockets are gone). */
  clear(): void {
    this.jobs.length = 0;
    this.head = 0;
    this.waiting.clear();
  }

  private run(): void {
    this.scheduled = false;
    const deadline = performance.now() + SLICE_MS;
    while (this.head < this.jobs.length) {
      const job = this.jobs[this.head] as Job;
      if (this.waiting.get(job.key) === job) this.waiting.delete(job.key);
      if (!job.step(deadline)) break;
      this.jobs[this.head++] = undefined;
      if (performance.now() >= deadline) break;
    }
    if (this.head === this.jobs.length) {
      this.jobs.length = 0;
      this.head = 0;
    } else {
      if (this.head > 1024) {
        this.jobs.splice(0, this.head);
        this.head = 0;
      }
      this.scheduled = true;
      setImmediate(this.tick);
    }
  }
}
