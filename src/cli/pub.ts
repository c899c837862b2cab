// tsnats pub: the nats CLI's `publish` verb (core NATS only).
import type { Command } from "commander";
import { openConnection, globals } from "./options.js";
import { log } from "./format.js";
import { expandOrKeep, parseHeaders } from "./template.js";
import { collect, durationArg, intArg, q, readStdin, sleep, stdinLines } from "./verb.js";
import { startProgress } from "./progress.js";

const TEMPLATE_HELP = `
Body and Header values of the messages may use templates to create unique messages.

   tsnats pub test --count 10 "Message {{Count}} @ {{Time}}"

Multiple messages with random strings between 10 and 100 long:

   tsnats pub test --count 10 "Message {{Count}}: {{ Random 10 100 }}"

Available template functions are:

   Count            the message number
   TimeStamp        RFC3339 format current time
   Unix             seconds since 1970 in UTC
   UnixNano         nano seconds since 1970 in UTC
   Time             the current time
   ID               an unique ID
   Random(min, max) random string at least min long, at most max
`;

export { TEMPLATE_HELP };

interface PubOptions {
  reply?: string;
  header: string[];
  count: number;
  sleep?: number;
  quiet?: boolean;
  templates: boolean;
  forceStdin?: boolean;
  sendOn: string;
}

export function register(program: Command): void {
  program
    .command("pub")
    .alias("publish")
    .description("Generic data publish utility")
    .argument("<subject>", "Subject to publish to")
    .argument("[body]", "Message body (read from stdin when not given)")
    .option("--reply <subject>", "Sets a custom reply to subject")
    .option("-H, --header <K:V>", "Adds headers to the message using K:V format", collect, [])
    .option("--count <n>", "Publish multiple messages", intArg, 1)
    .option("--sleep <duration>", "When publishing multiple messages, sleep between publishes", durationArg)
    .option("-q, --quiet", "Show just the output received")
    .option("--no-templates", "Disables template functions in the body and subject")
    .option("--force-stdin", "Force reading from stdin")
    .option("--send-on <when>", "When to send data from stdin: 'eof' (default) or 'newline'", "eof")
    .addHelpText("after", TEMPLATE_HELP)
    .action(async (subject: string, body: string | undefined, opts: PubOptions, cmd: Command) => {
      if (opts.sendOn !== "eof" && opts.sendOn !== "newline") {
        cmd.error(`error: enum value must be one of eof,newline, got '${opts.sendOn}'`);
      }
      const nc = await openConnection(globals(cmd));
      try {
        await publish(nc, subject, body, opts);
      } finally {
        await nc.close();
      }
    });
}

async function publish(
  nc: Awaited<ReturnType<typeof openConnection>>,
  subject: string,
  body: string | undefined,
  opts: PubOptions,
): Promise<void> {
  const count = Math.max(1, opts.count);
  const useStdin = body === undefined; // --force-stdin: stdin is read whenever no body is given
  const progress = count > 20 ? startProgress(count, false) : undefined;
  const sendAll = async (text: string) => {
    for (let i = 1; i <= count; i++) {
      const data = opts.templates ? expandOrKeep(text, i, "body", log) : text;
      const subj = opts.templates ? expandOrKeep(subject, i, "subject", log) : subject;
      const hdrs = parseHeaders(opts.header, i);
      nc.publish(subj, data, { reply: opts.reply, headers: hdrs });
      await nc.flush();
      if (count > 1 && opts.sleep) await sleep(opts.sleep / 1e6);
      if (progress) progress.increment();
      else if (!opts.quiet) log(`Published ${Buffer.byteLength(data)} bytes to ${q(subj)}`);
    }
  };
  try {
    if (!useStdin) return await sendAll(body);
    if (!opts.quiet) log("Reading payload from STDIN");
    if (opts.sendOn === "newline") {
      for await (const line of stdinLines()) await sendAll(line);
    } else {
      await sendAll(Buffer.from(await readStdin()).toString("utf8"));
    }
  } finally {
    progress?.stop();
  }
}
