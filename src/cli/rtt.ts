// tsnats rtt: the nats CLI's `rtt` verb: the average round trip time to each server address.
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { Command } from "commander";
import { openConnection, globals, describeError, type GlobalOptions } from "./options.js";
import { humanizeDuration, log } from "./format.js";
import { intArg, sleep } from "./verb.js";

interface RttResult {
  time: string;
  address: string;
  rtt: number; // nanoseconds, as Go's time.Duration marshals
  url: string;
}

interface RttTarget {
  url: string;
  results: RttResult[];
}

/** Each server URL with the addresses it resolves to (every IP of a host name, as the nats CLI tests). */
function targetsFor(servers: string): Promise<RttTarget[]> {
  return Promise.all(
    servers
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "")
      .map(async (s) => {
        const withScheme = s.includes("://") ? s : `nats://${s}`;
        const u = new URL(withScheme);
        const scheme = u.protocol.replace(/:$/, "");
        const host = u.hostname.replace(/^\[|\]$/g, "");
        const port = u.port || "4222";
        const join = (h: string) => `${scheme}://${isIP(h) === 6 ? `[${h}]` : h}:${port}`;
        const target: RttTarget = { url: withScheme, results: [] };
        if (isIP(host)) {
          target.results.push({ time: "", address: join(host), rtt: 0, url: "" });
          return target;
        }
        const addrs = await lookup(host, { all: true }).catch(() => []);
        if (addrs.length === 0) target.results.push({ time: "", address: join(host), rtt: 0, url: "" });
        for (const a of addrs) target.results.push({ time: "", address: join(a.address), rtt: 0, url: "" });
        return target;
      }),
  );
}

async function measure(g: GlobalOptions, r: RttResult, iterations: number): Promise<void> {
  r.time = new Date().toISOString();
  try {
    const nc = await openConnection({ ...g, server: r.address }, { reconnect: false });
    try {
      await sleep(25);
      let total = 0;
      // nc.rtt() measures in whole milliseconds; timing the same PING/PONG (flush) gives nanoseconds.
      for (let i = 0; i < iterations; i++) {
        const start = process.hrtime.bigint();
        await nc.flush();
        total += Number(process.hrtime.bigint() - start);
      }
      r.rtt = Math.round(total / iterations);
      r.url = nc.getServer();
    } finally {
      await nc.close();
    }
  } catch (err) {
    log(`Failed to compute rtt for ${r.address}: ${describeError(err)}`);
  }
}

export function register(program: Command): void {
  program
    .command("rtt")
    .description("Compute round-trip time to NATS server")
    .argument("[iterations]", "How many round trips to do when testing", intArg, 5)
    .option("-j, --json", "Produce JSON output")
    .action(async (iterations: number, opts: { json?: boolean }, cmd: Command) => {
      if (iterations < 1) throw new Error("iterations must be at least 1");
      const g = globals(cmd);
      const targets = await targetsFor(g.server);
      for (const t of targets) for (const r of t.results) await measure(g, r, iterations);
      if (opts.json) {
        process.stdout.write(JSON.stringify(targets, null, 2) + "\n");
        return;
      }
      const width = Math.max(3, ...targets.flatMap((t) => t.results.map((r) => r.address.length + 3)));
      let out = "";
      for (const t of targets) {
        out += `${t.url}:\n\n`;
        for (const r of t.results)
          out += `${r.address.padStart(width)}: ${r.rtt > 0 ? humanizeDuration(r.rtt) : "failed"}\n`;
        out += "\n";
      }
      process.stdout.write(out);
      if (targets.every((t) => t.results.every((r) => r.rtt === 0))) process.exitCode = 1;
    });
}
