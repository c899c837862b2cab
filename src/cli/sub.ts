// tsnats sub: the nats CLI's `subscribe` verb (core NATS only), printing messages as it does.
import type { Command } from "commander";
import { createInbox, type Msg, type Subscription } from "./connection.js";
import { openConnection, globals } from "./options.js";
import { formatDuration, log } from "./format.js";
import { bodyCompact, bodyFull, durationArg, headerLines, intArg, interrupted, q } from "./verb.js";

interface SubOptions {
  queue?: string;
  count?: number;
  raw?: boolean;
  headersOnly?: boolean;
  subjectsOnly?: boolean;
  timestamp?: boolean;
  deltaTime?: boolean;
  wait?: number;
  inbox?: boolean;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Go's time.StampMicro: "Jan _2 15:04:05.000000". */
function stampMicro(d: Date, micros: number): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(micros, 6)}`;
}

export function register(program: Command): void {
  program
    .command("sub")
    .alias("subscribe")
    .description("Generic subscription client")
    .argument("[subjects...]", "Subjects to subscribe to")
    .option("--queue <group>", "Subscribe to a named queue group")
    .option("--count <n>", "Quit after receiving this many messages", intArg)
    .option("-r, --raw", "Show the raw data received")
    .option("--headers-only", "Do not render any data, shows only headers")
    .option("--subjects-only", "Prints only the messages' subjects")
    .option("-t, --timestamp", "Show timestamps in output")
    .option("-d, --delta-time", "Show time since start in output")
    .option("--wait <duration>", "Unsubscribe after this amount of time without any traffic", durationArg)
    .option("-i, --inbox", "Subscribes to a generated inbox")
    .action(async (subjects: string[], opts: SubOptions, cmd: Command) => {
      if (opts.inbox) subjects = [createInbox()];
      if (subjects.length === 0) throw new Error("subject is required");
      const nc = await openConnection(globals(cmd));
      const start = process.hrtime.bigint();
      let counter = 0;
      const stop = interrupted();
      let finish: () => void = () => {};
      const finished = new Promise<void>((r) => (finish = r));
      let idle: NodeJS.Timeout | undefined;
      const armIdle = () => {
        if (!opts.wait) return;
        if (idle) clearTimeout(idle);
        idle = setTimeout(finish, opts.wait / 1e6);
      };
      let failure: Error | undefined;
      const fail = (err: Error) => {
        failure = err;
        finish();
      };
      const subs: Subscription[] = [];
      const out: string[] = [];
      const onMsg = (m: Msg) => {
        if (opts.count && counter >= opts.count) return; // already delivered before the UNSUB took effect
        counter++;
        out.length = 0;
        if (opts.raw) {
          out.push(bodyCompact(m.data));
        } else {
          let ts = "";
          if (opts.timestamp) {
            const t = performance.timeOrigin + performance.now();
            ts = ` @ ${stampMicro(new Date(Math.floor(t)), Math.floor((t % 1000) * 1000))}`;
          } else if (opts.deltaTime) {
            ts = ` @ ${formatDuration(Number(process.hrtime.bigint() - start))}`;
          }
          out.push(`[#${counter}]${ts} Received on ${q(m.subject)}${m.reply ? ` with reply ${q(m.reply)}` : ""}\n`);
          if (!opts.subjectsOnly) {
            const hl = headerLines(m.headers);
            if (hl.length) out.push(hl.join("\n") + "\n\n");
            if (!opts.headersOnly) out.push(bodyFull(m.data));
          }
        }
        process.stdout.write(out.join(""));
        if (opts.count && counter >= opts.count) {
          for (const s of subs) s.unsubscribe();
          finish();
          return;
        }
        armIdle();
      };
      for (const subject of subjects) {
        subs.push(nc.subscribe(subject, { queue: opts.queue, callback: (err, m) => (err ? fail(err) : onMsg(m)) }));
      }
      await nc.flush();
      if (!opts.raw) log(`Subscribing on ${subjects.join(", ")} `);
      armIdle();
      const closed = nc.closed().then((err) => {
        if (err) fail(err);
        else finish();
      });
      await Promise.race([finished, stop.promise]);
      stop.cancel();
      if (idle) clearTimeout(idle);
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
      await closed;
      if (failure) throw failure;
    });
}
