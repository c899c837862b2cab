// tsnats request: the nats CLI's `request` verb: send a request, print the replies.
import type { Command } from "commander";
import { createInbox, type Msg, type NatsConnection } from "./connection.js";
import { openConnection, globals, timeoutMs } from "./options.js";
import { formatDuration, log } from "./format.js";
import { expandOrKeep, parseHeaders } from "./template.js";
import { bodyFull, collect, durationArg, headerLines, intArg, q, readStdin, sleep, stdinLines } from "./verb.js";
import { startProgress } from "./progress.js";
import { TEMPLATE_HELP } from "./pub.js";

interface ReqOptions {
  header: string[];
  count: number;
  replies: number;
  replyTimeout: number;
  waitForEmpty?: boolean;
  raw?: boolean;
  templates: boolean;
  sleep?: number;
  sendOn: string;
}

export function register(program: Command): void {
  program
    .command("request")
    .alias("req")
    .description("Generic request-reply request utility")
    .argument("<subject>", "Subject to send the request to")
    .argument("[body]", "Message body (read from stdin when not given)")
    .option("-r, --raw", "Show just the output received")
    .option("-H, --header <K:V>", "Adds headers to the message using K:V format", collect, [])
    .option("--count <n>", "Publish multiple messages", intArg, 1)
    .option("--replies <n>", "Wait for multiple replies from services. 0 waits until timeout", intArg, 1)
    .option(
      "--reply-timeout <duration>",
      "Maximum time between replies when waiting for more than one",
      durationArg,
      300e6,
    )
    .option("--wait-for-empty", "Wait for multiple replies until a empty message is received")
    .option("--sleep <duration>", "When sending multiple requests, wait this long between them", durationArg)
    .option("--no-templates", "Disables template functions in the body and subject")
    .option("--send-on <when>", "When to send data from stdin: 'eof' (default) or 'newline'", "eof")
    .addHelpText("after", TEMPLATE_HELP.replaceAll("tsnats pub", "tsnats request"))
    .action(async (subject: string, body: string | undefined, opts: ReqOptions, cmd: Command) => {
      const g = globals(cmd);
      const timeout = timeoutMs(g);
      const nc = await openConnection(g);
      try {
        const send = (text: string) => requests(nc, subject, text, opts, timeout);
        if (body !== undefined) return await send(body);
        log("Reading payload from STDIN");
        if (opts.sendOn === "newline") {
          for await (const line of stdinLines()) await send(line);
        } else {
          await send(Buffer.from(await readStdin()).toString("utf8"));
        }
      } finally {
        await nc.close();
      }
    });
}

export class NoReplyError extends Error {}

/** Wait for the next message of a subscription, or undefined after ms. */
function nextMsg(queue: Msg[], wake: { fn: (() => void) | null }, ms: number): Promise<Msg | undefined> {
  if (queue.length) return Promise.resolve(queue.shift());
  return new Promise((resolve) => {
    const t = setTimeout(
      () => {
        wake.fn = null;
        resolve(undefined);
      },
      Math.max(0, ms),
    );
    wake.fn = () => {
      clearTimeout(t);
      wake.fn = null;
      resolve(queue.shift());
    };
  });
}

async function requests(
  nc: NatsConnection,
  subject: string,
  text: string,
  opts: ReqOptions,
  timeout: number,
): Promise<void> {
  const count = opts.count < 1 ? 32767 : opts.count;
  const replyCount = opts.waitForEmpty ? 32767 : opts.replies;
  const progress = count > 20 && !opts.raw ? startProgress(count, false) : undefined;
  const logOutput = !opts.raw && !progress;
  try {
    for (let i = 1; i <= count; i++) {
      const data = opts.templates ? expandOrKeep(text, i, "body", log) : text;
      const subj = opts.templates ? expandOrKeep(subject, i, "subject", log) : subject;
      if (logOutput) log(`Sending request on ${q(subj)}`);
      const hdrs = parseHeaders(opts.header, i);
      const inbox = createInbox();
      const queue: Msg[] = [];
      const wake: { fn: (() => void) | null } = { fn: null };
      const sub = nc.subscribe(inbox, {
        callback: (err, m) => {
          if (err) return;
          queue.push(m);
          wake.fn?.();
        },
      });
      const start = performance.now();
      nc.publish(subj, data, { reply: inbox, headers: hdrs });
      progress?.increment();
      let wait = timeout;
      let received = 0;
      let rttSum = 0;
      for (;;) {
        const m = await nextMsg(queue, wake, wait);
        if (!m) break;
        if (m.headers?.code === 503 && m.data.length === 0) {
          sub.unsubscribe();
          log("No responders are available");
          return;
        }
        const rtt = performance.now() - start;
        if (opts.raw) {
          process.stdout.write(bodyFull(m.data));
        } else if (logOutput) {
          log(`Received with rtt ${formatDuration(Math.round(rtt * 1e6))}`);
          const hl = headerLines(m.headers);
          if (hl.length) {
            for (const l of hl) log(l);
            log();
          }
          process.stdout.write(bodyFull(m.data));
        }
        received++;
        if (replyCount > 0 && received === replyCount) break;
        if (replyCount > 0 && m.data.length === 0) break;
        if (replyCount === 0) {
          wait = timeout - (performance.now() - start);
        } else {
          rttSum += rtt;
          wait = rttSum / received + opts.replyTimeout / 1e6;
        }
      }
      sub.unsubscribe();
      if (received === 0 && replyCount !== 0) {
        throw new NoReplyError(`no reply received on ${q(subj)} within ${formatDuration(timeout * 1e6)}`);
      }
      if (count > 1 && opts.sleep) {
        const rest = opts.sleep / 1e6 - (performance.now() - start);
        if (rest > 0) await sleep(rest);
      }
    }
  } finally {
    progress?.stop();
  }
}
