// tsnats bench: nats bench's core NATS benchmark in one command (natscli's classic form,
// `nats bench SUBJECT --pub N --sub M [--request|--reply]`), with a queue-group mode, a live
// progress bar, nats bench's report, a results table, and one JSON line for bench/run.js.
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { nuid } from "@nats-io/nuid";
import type { Msg, NatsConnection } from "./connection.js";
import { openConnection, globals, timeoutMs, describeError, type GlobalOptions } from "./options.js";
import { comma, formatDuration, ibytes, log, parseSize } from "./format.js";
import { durationArg, intArg, interrupted, sleep } from "./verb.js";
import { progressWanted, startBars, type Bar } from "./progress.js";
import { csv, group, latencyStats, rate, report, seconds, tables, throughput, type Sample } from "./bench-stats.js";

interface BenchOptions {
  pub: number;
  sub: number;
  msgs: number;
  size: string;
  queue?: string | boolean;
  request?: boolean;
  reply?: boolean;
  pubsleep?: number;
  progress?: boolean;
  csv?: string;
  json?: boolean;
}

/** nats.go bench's MsgsPerClient: n split as evenly as possible, the first clients taking the rest. */
export function msgsPerClient(n: number, clients: number): number[] {
  if (clients === 0) return [];
  const base = Math.floor(n / clients);
  return Array.from({ length: clients }, (_, i) => base + (i < n % clients ? 1 : 0));
}

/** Milliseconds (a double: no allocation per message, unlike hrtime.bigint()). */
const now = () => performance.now();
/** Messages between flushes (a PING/PONG): bounds what one publisher has in flight to ~8 MB. */
const flushEvery = (size: number) => Math.max(16, Math.min(131072, Math.floor((8 << 20) / (size + 32))));

interface Sub {
  received: number;
  first?: number;
  last?: number;
}

class BenchRun {
  readonly size: number;
  readonly payload: Uint8Array;
  readonly conns: NatsConnection[] = [];
  readonly subs: Sub[] = [];
  readonly errors: string[] = [];
  private wake: (() => void) | null = null;
  private interrupted = false;

  constructor(
    readonly subject: string,
    readonly o: BenchOptions,
    readonly g: GlobalOptions,
    readonly timeout: number,
  ) {
    this.size = parseSize(o.size);
    this.payload = new Uint8Array(this.size);
  }

  get queueGroup(): string | undefined {
    if (this.o.reply || (this.o.request && this.o.sub > 0)) return "bench-reply";
    if (this.o.queue === true) return "bench-queue";
    return typeof this.o.queue === "string" ? this.o.queue : undefined;
  }

  /** Messages all subscribers together must get (queue group or repliers: the total; else each all). */
  expected(): number {
    if (this.o.pub === 0 && this.o.reply) return this.o.msgs;
    return this.queueGroup ? this.o.msgs : this.o.msgs * this.o.sub;
  }

  /** Messages all subscribers got so far. */
  total = 0;

  received(): number {
    return this.total;
  }

  subsDone(): boolean {
    return this.queueGroup ? this.received() >= this.o.msgs : this.subs.every((s) => s.received >= this.o.msgs);
  }

  notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  stop(): void {
    this.interrupted = true;
    this.notify();
  }

  async connect(): Promise<NatsConnection> {
    const nc = await openConnection(this.g, { maxReconnectAttempts: 0 });
    this.conns.push(nc);
    nc.closed().then((err) => {
      if (err) this.errors.push(`connection closed: ${describeError(err)}`);
      this.notify();
    });
    return nc;
  }

  async startSubscriber(i: number, bar: Bar): Promise<void> {
    const nc = await this.connect();
    const s: Sub = { received: 0 };
    this.subs.push(s);
    const replies = this.o.reply || (this.o.request && this.o.sub > 0);
    const share = this.queueGroup ? undefined : this.o.msgs;
    nc.subscribe(this.subject, {
      queue: this.queueGroup,
      callback: (err, m: Msg) => {
        if (err) {
          this.errors.push(`subscriber ${i + 1}: ${err.message}`);
          return this.notify();
        }
        const t = now();
        if (s.received === 0) s.first = t;
        s.received++;
        this.total++;
        s.last = t;
        if (replies) m.respond("ok");
        bar.increment();
        if (share !== undefined ? s.received === share : this.total === this.expected()) this.notify();
      },
    });
    await nc.flush();
  }

  async publisher(nc: NatsConnection, n: number, bar: Bar): Promise<Sample> {
    const every = flushEvery(this.size);
    const start = now();
    let latencies: Float64Array | undefined;
    if (this.o.request) {
      latencies = new Float64Array(n);
      for (let i = 0; i < n && !this.interrupted; i++) {
        const t = now();
        try {
          await nc.request(this.subject, this.payload, { timeout: this.timeout });
        } catch (err) {
          throw new Error(`requesting: ${describeError(err)}`);
        }
        latencies[i] = (now() - t) * 1e6;
        bar.increment();
        if (this.o.pubsleep) await sleep(this.o.pubsleep / 1e6);
      }
    } else {
      for (let i = 0; i < n && !this.interrupted; ) {
        const from = i;
        const stop = Math.min(n, i + every);
        for (; i < stop; i++) nc.publish(this.subject, this.payload);
        bar.increment(stop - from);
        await nc.flush();
        if (this.o.pubsleep) await sleep(this.o.pubsleep / 1e6);
      }
    }
    const end = now();
    const msgs = latencies ? latencies.length : n;
    return { msgs, bytes: msgs * this.size, start, end, latencies };
  }

  /** Wait until the subscribers have what they expect, or no message arrived for `timeout` ms after the publishers finished. */
  async drainSubscribers(pubsDone: boolean): Promise<void> {
    let seen = this.received();
    let idleSince = Date.now();
    while (!this.subsDone() && !this.interrupted && this.errors.length === 0) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 250);
        this.wake = () => (clearTimeout(t), r());
      });
      const got = this.received();
      if (got !== seen) {
        seen = got;
        idleSince = Date.now();
      } else if (pubsDone && Date.now() - idleSince > this.timeout) {
        break;
      }
    }
  }
}

/**
 * The options every form of `bench` takes. commander gives an option that `bench` and its
 * subcommand both define to `bench` wherever it stands, so the subcommands list them without
 * defaults (for their --help) and read them merged with bench's (optsWithGlobals).
 */
function common(c: Command, defaults: boolean): Command {
  const d = <T>(v: T) => (defaults ? v : undefined);
  return c
    .option("--msgs <n>", "Number of messages to publish", intArg, d(100000))
    .option("--size <size>", "Size of the test messages", d("128"))
    .option("--progress", "Show the progress bar (default: only when stderr is a terminal)")
    .option("--no-progress", "Disable the progress bar")
    .option("--csv <file>", "Save benchmark data to CSV file")
    .option("--json", "Print one JSON result line instead of the report (for bench/run.js)");
}

async function start(subject: string, o: BenchOptions, cmd: Command): Promise<void> {
  if (o.msgs <= 0) throw new Error("number of messages should be greater than 0");
  if (o.pub === 0 && o.sub === 0) {
    throw new Error(
      "You must have at least one publisher or at least one subscriber... try adding --pub 1 and/or --sub 1 to the arguments",
    );
  }
  if (o.request && o.reply) {
    throw new Error(
      "Request-reply mode error: can not be both a requester and a replier at the same time, please use at least two instances of tsnats bench to benchmark request/reply, or --request with --sub",
    );
  }
  if (o.reply && o.pub > 0) throw new Error("Request-reply mode error: can not have a publisher while in --reply mode");
  if (o.queue !== undefined && (o.request || o.reply))
    throw new Error("--queue does not apply to request-reply mode (repliers always form the queue group bench-reply)");
  try {
    parseSize(o.size);
  } catch {
    throw new Error(`Can not parse or invalid the value specified for the message size: ${o.size}`);
  }
  const g = globals(cmd);
  await runBench(new BenchRun(subject, o, g, timeoutMs(g)));
}

interface ClientsOptions extends Omit<BenchOptions, "pub" | "sub"> {
  clients: number;
  sleep?: number;
}

export function register(program: Command): void {
  const bench = common(
    program
      .command("bench")
      .description("Benchmark utility (core NATS publish/subscribe, queue groups, request/reply)")
      .argument("<subject>", "Subject to use for the benchmark")
      .option("--pub <n>", "Number of concurrent publishers", intArg, 0)
      .option("--sub <n>", "Number of concurrent subscribers", intArg, 0)
      .option(
        "--queue [group]",
        "Subscribers join a queue group (default name bench-queue): together they get each message once",
      )
      .option(
        "--request",
        "Request-Reply mode: publishers send requests and wait for a reply (the --sub subscribers reply)",
      )
      .option("--reply", "Request-Reply mode: subscribers send replies (to requesters elsewhere)")
      .option(
        "--pubsleep <duration>",
        "Sleep for the specified interval after publishing each batch of messages (each request)",
        durationArg,
      ),
    true,
  ).action((subject: string, o: BenchOptions, cmd: Command) => start(subject, o, cmd));

  // natscli's newer forms: `bench pub|sub SUBJECT --clients N`, `bench service request|serve SUBJECT`.
  const clients = (c: Command, sleepHelp?: string) => {
    common(
      c
        .argument("<subject>", "Subject to use for the benchmark")
        .option("--clients <n>", "Number of concurrent clients", intArg, 1),
      false,
    );
    if (sleepHelp) c.option("--sleep <duration>", sleepHelp, durationArg);
    return c;
  };
  const as = (pub: boolean, extra: Partial<BenchOptions>) => (subject: string, _o: ClientsOptions, cmd: Command) => {
    const { clients: n, sleep: pause, ...all } = cmd.optsWithGlobals() as ClientsOptions & BenchOptions;
    const o: Omit<BenchOptions, "pub" | "sub"> = {
      msgs: all.msgs,
      size: all.size,
      progress: all.progress,
      csv: all.csv,
      json: all.json,
    };
    return start(subject, { ...o, pub: pub ? n : 0, sub: pub ? 0 : n, pubsleep: pause, ...extra }, cmd);
  };
  clients(
    bench.command("pub").description("Publish Core NATS messages"),
    "Sleep for the specified interval between publications",
  ).action(as(true, {}));
  clients(bench.command("sub").description("Subscribe to Core NATS messages")).action(as(false, {}));
  const service = bench.command("service").description("Micro-service mode");
  clients(
    service.command("request").description("Send a request and wait for its reply"),
    "Sleep for the specified interval between requests",
  ).action(as(true, { request: true }));
  clients(service.command("serve").description("Service requests")).action(as(false, { reply: true }));
}

function mode(o: BenchOptions, queue: string | undefined): string {
  if (o.request) return "reqrep";
  if (o.reply) return "reply";
  if (o.pub && !o.sub) return "pub";
  if (!o.pub && o.sub) return queue ? "queue-sub" : "sub";
  return queue ? "queue" : "pubsub";
}

async function runBench(run: BenchRun): Promise<void> {
  const { o, subject } = run;
  const queue = run.queueGroup;
  const m = mode(o, queue);
  const label = o.request || o.reply ? "request-reply" : queue ? "Core NATS queue group" : "Core NATS pub/sub";
  log(
    `Starting ${label} benchmark [subject=${subject}, msgs=${comma(o.msgs)}, msgsize=${ibytes(run.size)}, pubs=${o.pub}, subs=${o.sub}` +
      `${queue ? `, queue=${queue}` : ""}${o.request ? ", request=true" : ""}${o.reply ? ", reply=true" : ""}, pubsleep=${formatDuration(o.pubsleep ?? 0)}]`,
  );
  const bars = startBars(progressWanted(o.progress));
  const stopSig = interrupted();
  void stopSig.promise.then(() => run.stop());
  const pubSamples: Sample[] = [];
  const subSamples: Sample[] = [];
  try {
    // Each start line is logged once that client's subscription is in place (after a flush).
    for (let i = 0; i < o.sub; i++) {
      const total = o.reply || queue || o.request ? msgsPerClient(o.msgs, o.sub)[i] : o.msgs;
      await run.startSubscriber(i, bars.add(total, o.reply || o.request ? "Replying  " : "Receiving "));
      if (o.reply) log(`[${i + 1}] Starting replier, hit control-c to stop`);
      else if (!o.request) log(`[${i + 1}] Starting subscriber, expecting ${comma(total)} messages`);
    }
    const counts = msgsPerClient(o.msgs, o.pub);
    const pubConns: NatsConnection[] = [];
    for (let i = 0; i < o.pub; i++) pubConns.push(await run.connect());
    const pubBars = counts.map((n) => bars.add(n, o.request ? "Requesting" : "Publishing"));
    for (const [i, n] of counts.entries()) {
      log(`[${i + 1}] Starting ${o.request ? "requester, requesting" : "publisher, publishing"} ${comma(n)} messages`);
    }
    const results = await Promise.allSettled(counts.map((n, i) => run.publisher(pubConns[i], n, pubBars[i])));
    for (const r of results) {
      if (r.status === "fulfilled") pubSamples.push(r.value);
      else run.errors.push(describeError(r.reason));
    }
    if (o.sub > 0) await run.drainSubscribers(o.pub > 0);
  } finally {
    stopSig.cancel();
    bars.stop();
    await Promise.allSettled(run.conns.map((nc) => nc.close()));
  }
  for (const s of run.subs) {
    if (s.first !== undefined && s.last !== undefined)
      subSamples.push({ msgs: s.received, bytes: s.received * run.size, start: s.first, end: s.last });
  }
  if (run.errors.length && pubSamples.length === 0 && subSamples.length === 0) throw new Error(run.errors[0]);
  const received = run.received();
  const published = pubSamples.reduce((n, s) => n + s.msgs, 0);
  // Requests are answered or fail; plain subscribers are owed every message published (each
  // subscriber all of them, a queue group or repliers each message once).
  const counted = o.sub > 0 && !o.request;
  const expectedTotal = !counted ? 0 : o.pub > 0 ? (queue ? published : published * o.sub) : run.expected();
  const lost = counted ? Math.max(0, expectedTotal - received) : 0;
  const extra = counted ? Math.max(0, received - expectedTotal) : 0;
  if (o.json) {
    process.stdout.write(JSON.stringify(jsonResult(run, m, pubSamples, subSamples, lost, extra)) + "\n");
  } else {
    let out = "\n" + report("NATS", pubSamples, subSamples) + "\n";
    out += tables(pubSamples, subSamples, o.request ? "Req" : "Pub", o.request || o.reply ? "Rep" : "Sub");
    process.stdout.write(out);
  }
  if (lost > 0) log(`WARNING: ${comma(lost)} of ${comma(expectedTotal)} messages were not received`);
  if (extra > 0) log(`WARNING: ${comma(extra)} messages more than expected were received`);
  for (const e of run.errors) log(`Error: ${e}`);
  if (o.csv) {
    writeFileSync(o.csv, csv(nuid.next(), pubSamples, subSamples), { mode: 0o600 });
    if (!o.json) process.stdout.write(`Saved metric data in csv file ${o.csv}\n`);
  }
  if (run.errors.length || lost > 0) process.exitCode = 1;
}

function jsonResult(run: BenchRun, m: string, pubs: Sample[], subs: Sample[], lost: number, extra: number) {
  const part = (samples: Sample[]) => {
    const g = group(samples);
    if (!g) return null;
    return {
      clients: samples.length,
      msgs: g.msgs,
      bytes: g.bytes,
      seconds: seconds(g),
      msgs_per_sec: rate(g),
      mb_per_sec: throughput(g) / 1048576,
    };
  };
  const all = group([...pubs, ...subs]);
  const pub = part(pubs);
  const sub = part(subs);
  const lat = latencyStats(pubs);
  const r: Record<string, unknown> = {
    tool: "tsnats bench",
    mode: m,
    subject: run.subject,
    pubs: run.o.pub,
    subs: run.o.sub,
    size: run.size,
    msgs: all?.msgs ?? 0,
    bytes: all?.bytes ?? 0,
    seconds: all ? seconds(all) : 0,
    msgs_per_sec: all ? rate(all) : 0,
    lost,
    extra,
    ok: lost === 0 && extra === 0 && run.errors.length === 0,
    errors: run.errors,
    pub,
    sub,
    // The field names natsbench gives the same figures, so bench/run.js reads either tool.
    pub_msgs_per_s: pub?.msgs_per_sec ?? 0,
    pub_mb_per_s: pub?.mb_per_sec ?? 0,
    delivered_msgs_per_s: sub?.msgs_per_sec ?? 0,
  };
  if (lat) {
    r.latency_us = {
      min: lat.min,
      avg: lat.avg,
      p50: lat.p50,
      p90: lat.p90,
      p99: lat.p99,
      p99_9: lat.p99_9,
      max: lat.max,
      stddev: lat.stddev,
    };
    r.lat_p50_us = lat.p50;
    r.lat_p90_us = lat.p90;
    r.lat_p99_us = lat.p99;
    r.lat_p999_us = lat.p99_9;
    r.requests = lat.count;
  }
  return r;
}
