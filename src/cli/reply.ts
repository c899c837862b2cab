// tsnats reply: the nats CLI's `reply` verb: answer requests with a body, an echo, or a command's output.
import { spawn } from "node:child_process";
import type { Command } from "commander";
import { parse as shellParse } from "shell-quote";
import { headers as newHeaders, type Msg, type NatsConnection } from "./connection.js";
import { openConnection, globals } from "./options.js";
import { log } from "./format.js";
import { expandOrKeep, parseHeaders } from "./template.js";
import { collect, durationArg, headerLines, intArg, interrupted, q, sleep } from "./verb.js";

interface ReplyOptions {
  echo?: boolean;
  command?: string;
  queue: string;
  sleep?: number;
  header: string[];
  count?: number;
}

const HELP = `
The "command" supports extracting some information from the subject the request came in on.

When the subject being listened on is "weather.>" a request on "weather.london" can extract
the "london" part and use it in the command string:

  tsnats reply 'weather.>' --command "curl -s wttr.in/{{1}}?format=3"

Use {{Request}} to access the request body within the --command.

The command is spawned with two environment variables:
  NATS_REQUEST_SUBJECT
  NATS_REQUEST_BODY

The body and header values may use the templates of "tsnats pub --help", and {{Request}}.
`;

export function register(program: Command): void {
  program
    .command("reply")
    .description("Generic service reply utility")
    .argument("<subject>", "Subject to subscribe to")
    .argument("[body]", "Reply body")
    .option("--echo", "Echo back what is received")
    .option("--command <command>", "Runs a command and responds with the output if exit code was 0")
    .option("-q, --queue <group>", "Queue group name", "NATS-RPLY-22")
    .option("--sleep <duration>", "Inject a random sleep delay between replies up to this duration max", durationArg)
    .option("-H, --header <K:V>", "Adds headers to the message using K:V format", collect, [])
    .option("--count <n>", "Quit after receiving this many messages", intArg)
    .addHelpText("after", HELP)
    .action(async (subject: string, body: string | undefined, opts: ReplyOptions, cmd: Command) => {
      // Check the header flags before connecting, so a bad one is an error rather than silence.
      parseHeaders(opts.header, 0);
      const nc = await openConnection(globals(cmd));
      if (!body && !opts.command && !opts.echo) {
        log("No body or command supplied, enabling echo mode");
        opts.echo = true;
      }
      await serve(nc, subject, body ?? "", opts);
    });
}

/** Run the --command for a request: its combined stdout and stderr, and whether it failed. */
function runCommand(line: string, m: Msg, request: string): Promise<{ out: Buffer; err?: string }> {
  // Word splitting as /bin/sh does it, without expansion (as the nats CLI's shellquote.Split).
  const words: string[] = shellParse(line, (key) => `$${key}`).map((w): string =>
    typeof w === "string" ? w : "pattern" in w ? String(w.pattern) : "op" in w ? String(w.op) : "",
  );
  if (words.length === 0) return Promise.resolve({ out: Buffer.alloc(0), err: "empty command" });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const child = spawn(words[0], words.slice(1), {
      env: { ...process.env, NATS_REQUEST_SUBJECT: m.subject, NATS_REQUEST_BODY: request },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d: Buffer) => chunks.push(d));
    child.stderr.on("data", (d: Buffer) => chunks.push(d));
    child.once("error", (e) => resolve({ out: Buffer.concat(chunks), err: e.message }));
    child.once("close", (code, signal) =>
      resolve({
        out: Buffer.concat(chunks),
        err: code === 0 ? undefined : signal ? `signal: ${signal}` : `exit status ${code}`,
      }),
    );
  });
}

async function serve(nc: NatsConnection, subject: string, body: string, opts: ReplyOptions): Promise<void> {
  let i = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  // Requests are answered one at a time, in arrival order, as the nats CLI's handler does.
  let chain = Promise.resolve();
  const handle = async (m: Msg) => {
    log(`[#${i}] Received on subject ${q(m.subject)}:`);
    for (const l of headerLines(m.headers)) log(l);
    const request = m.string();
    process.stdout.write(`\n${request}\n`);
    if (opts.sleep) await sleep(Math.random() * (opts.sleep / 1e6));
    const hdrs = parseHeaders(opts.header, i) ?? (opts.echo ? newHeaders() : undefined);
    let data: Uint8Array | string;
    if (opts.echo) {
      if (m.headers) for (const [k, vals] of m.headers) for (const v of vals) hdrs!.append(k, v);
      hdrs!.append("NATS-Reply-Counter", String(i));
      data = m.data;
    } else if (opts.command) {
      let line = opts.command;
      for (const [n, tok] of m.subject.split(".").entries()) line = line.replaceAll(`{{${n}}}`, tok);
      line = expandOrKeep(line, i, "command", log, request);
      const r = await runCommand(line, m, request);
      if (r.err) log(`Command ${q(line)} failed to run: ${r.err}`);
      data = r.out;
    } else {
      data = expandOrKeep(body, i, "body", log, request);
    }
    if (!m.respond(data, { headers: hdrs })) log("Could not publish reply: the request has no reply subject");
    i++;
    if (opts.count && i === opts.count) {
      await nc.flush();
      done();
    }
  };
  const sub = nc.subscribe(subject, {
    queue: opts.queue,
    max: opts.count || undefined,
    callback: (err, m) => {
      if (err) {
        log(`Subscription error: ${err.message}`);
        return done();
      }
      chain = chain.then(() => handle(m)).catch((e: Error) => log(`Could not reply: ${e.message}`));
    },
  });
  await nc.flush();
  log(`Listening on ${q(subject)} in group ${q(opts.queue)}`);
  const stop = interrupted();
  const closed = nc.closed();
  await Promise.race([finished, stop.promise, closed]);
  stop.cancel();
  if (!nc.isClosed()) {
    log("\nDraining...");
    sub.unsubscribe();
    await chain;
    await nc.drain().catch(() => nc.close());
  }
  const err = await closed;
  if (err) throw err;
}
