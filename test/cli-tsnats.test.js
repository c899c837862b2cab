// Black-box tests of the `tsnats` CLI (dist/cli/tsnats.js run as child processes): pub, sub,
// request, reply, rtt, bench and server ping|info, the connection and auth flags, and usage
// errors. Every case runs against tsnats-server and, when installed, Debian's nats-server.
// Expected output is the nats CLI's (natscli's cli/*_command.go): stdout carries the messages,
// stderr the "15:04:05 ..." log lines.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createUser } from "@nats-io/nkeys";
import { ROOT, serverKinds, startServer, freePort } from "./helpers/servers.js";
import { waitUntil } from "./helpers/wait.js";
import { makeOperatorMode } from "./helpers/operator.js";

const CLI = path.join(ROOT, "dist", "cli", "tsnats.js");
const kinds = serverKinds();
const LOG = "\\d\\d:\\d\\d:\\d\\d "; // Go's log.Ltime prefix

/** Every CLI process this file started; killed (by its own handle) if still running at the end. */
const children = new Set();

/**
 * Start `tsnats ...args`. The handle collects stdout and stderr, and can wait for output.
 * @returns {{proc: import("node:child_process").ChildProcess, stdout: string, stderr: string,
 *   exited: Promise<{code: number|null, signal: string|null}>, waitFor: (stream: "stdout"|"stderr", re: RegExp, ms?: number) => Promise<void>}}
 */
function cliStart(args, opts = {}) {
  const proc = spawn(process.execPath, [CLI, ...args], {
    stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    env: { ...process.env, ...(opts.env ?? {}) },
    cwd: ROOT,
  });
  children.add(proc);
  const h = { proc, stdout: "", stderr: "" };
  const waiters = new Set();
  const wake = () => {
    for (const w of waiters) w();
  };
  proc.stdout.on("data", (d) => ((h.stdout += d), wake()));
  proc.stderr.on("data", (d) => ((h.stderr += d), wake()));
  if (opts.input !== undefined) proc.stdin.end(opts.input);
  const killer = setTimeout(() => proc.kill("SIGKILL"), opts.killAfterMs ?? 30000);
  h.exited = new Promise((resolve) =>
    proc.once("exit", (code, signal) => {
      clearTimeout(killer);
      children.delete(proc);
      h.exit = { code, signal };
      resolve(h.exit);
      wake();
    }),
  );
  h.waitFor = (stream, re, ms = 10000) =>
    new Promise((resolve, reject) => {
      let w;
      const timer = setTimeout(() => {
        waiters.delete(w);
        reject(
          new Error(
            `timed out waiting for ${re} on ${stream} of tsnats ${args.join(" ")}:\nstdout:\n${h.stdout}\nstderr:\n${h.stderr}`,
          ),
        );
      }, ms);
      w = () => {
        if (re.test(h[stream])) {
          clearTimeout(timer);
          waiters.delete(w);
          resolve();
        } else if (h.exit) {
          clearTimeout(timer);
          waiters.delete(w);
          reject(
            new Error(
              `tsnats ${args.join(" ")} exited (${h.exit.code ?? h.exit.signal}) before ${re} on ${stream}:\nstdout:\n${h.stdout}\nstderr:\n${h.stderr}`,
            ),
          );
        }
      };
      waiters.add(w);
      w();
    });
  return h;
}

/** Run `tsnats ...args` to its end. */
async function cli(args, opts) {
  const h = cliStart(args, opts);
  const { code, signal } = await h.exited;
  return { code, signal, stdout: h.stdout, stderr: h.stderr };
}

/** Start a `tsnats sub` and wait until its subscription is in place (it logs "Subscribing on" after a flush). */
async function subReady(args) {
  const h = cliStart(["sub", ...args]);
  await h.waitFor("stderr", /Subscribing on /);
  return h;
}

/** Start a `tsnats reply` and wait until it listens. */
async function replyReady(args) {
  const h = cliStart(["reply", ...args]);
  await h.waitFor("stderr", /Listening on /);
  return h;
}

function assertOk(r, what) {
  assert.equal(r.code, 0, `${what}: exit ${r.code ?? r.signal}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}

after(() => {
  for (const p of children) p.kill("SIGKILL");
});

for (const kind of kinds) {
  describe(`tsnats CLI against ${kind}`, () => {
    let srv;
    let s;
    before(async () => {
      srv = await startServer(kind);
      s = ["-s", srv.url];
    });
    after(() => srv.stop());

    describe("pub and sub", () => {
      it("prints each message as nats sub does, and pub logs each publish", async () => {
        const sub = await subReady([...s, "cli.a", "--count", "2"]);
        const pub = await cli([...s, "pub", "cli.a", "msg {{Count}}", "--count", "2"]);
        assertOk(pub, "pub");
        assert.match(
          pub.stderr,
          new RegExp(`^${LOG}Published 5 bytes to "cli.a"\n${LOG}Published 5 bytes to "cli.a"\n$`),
        );
        assert.equal(pub.stdout, "");
        const { code } = await sub.exited;
        assert.equal(code, 0, sub.stderr);
        assert.equal(sub.stdout, '[#1] Received on "cli.a"\nmsg 1\n\n\n[#2] Received on "cli.a"\nmsg 2\n\n\n');
        assert.match(sub.stderr, new RegExp(`^${LOG}Subscribing on cli.a \n$`));
      });

      it("shows headers (with templates), the reply subject, and a body ending in a newline once", async () => {
        const sub = await subReady([...s, "cli.h", "--count", "1"]);
        const pub = await cli([...s, "pub", "cli.h", "line\n", "-H", "A:1", "-H", "B: n{{Count}}", "--reply", "cli.r"]);
        assertOk(pub, "pub");
        await sub.exited;
        assert.equal(sub.stdout, '[#1] Received on "cli.h" with reply "cli.r"\nA: 1\nB: n1\n\nline\n\n');
      });

      it("--raw prints only the bodies; an empty body is 'nil body'", async () => {
        // --raw logs nothing (as nats sub), so readiness is a probe message it prints.
        const sub = cliStart([...s, "sub", "cli.raw", "cli.raw.probe", "--raw", "--count", "3"]);
        for (let i = 0; !sub.stdout.includes("probe\n"); i++) {
          assert.ok(i < 50 && !sub.exit, `sub --raw never printed the probe: ${sub.stderr}`);
          assertOk(await cli([...s, "pub", "-q", "cli.raw.probe", "probe"]), "probe");
        }
        sub.stdout = sub.stdout.replaceAll("probe\n", "");
        assertOk(await cli([...s, "pub", "cli.raw", "one"]), "pub one");
        assertOk(await cli([...s, "pub", "cli.raw", ""]), "pub empty");
        await sub.exited;
        assert.equal(sub.stdout, "one\nnil body\n");
        assert.equal(sub.stderr, "", "--raw logs nothing");
      });

      it("publishes stdin when no body is given", async () => {
        const sub = await subReady([...s, "cli.in", "--count", "1"]);
        const pub = await cli([...s, "pub", "cli.in"], { input: "from stdin" });
        assertOk(pub, "pub");
        assert.match(pub.stderr, /Reading payload from STDIN\n.*Published 10 bytes to "cli.in"\n$/);
        await sub.exited;
        assert.equal(sub.stdout, '[#1] Received on "cli.in"\nfrom stdin\n\n\n');
      });

      it("subscribes to several subjects and wildcards", async () => {
        const sub = await subReady([...s, "cli.w.*", "cli.x", "--count", "2", "--subjects-only"]);
        assertOk(await cli([...s, "pub", "cli.w.1", "a"]), "pub");
        assertOk(await cli([...s, "pub", "cli.x", "b"]), "pub");
        await sub.exited;
        assert.equal(sub.stdout, '[#1] Received on "cli.w.1"\n[#2] Received on "cli.x"\n');
        assert.match(sub.stderr, /Subscribing on cli.w.\*, cli.x /);
      });

      it("--headers-only prints the headers and not the body", async () => {
        const sub = await subReady([...s, "cli.ho", "--headers-only", "--count", "1"]);
        assertOk(await cli([...s, "pub", "cli.ho", "secret body", "-H", "K:v"]), "pub");
        await sub.exited;
        assert.equal(sub.stdout, '[#1] Received on "cli.ho"\nK: v\n\n');
      });

      it("-t and -d stamp the lines; --wait ends a quiet subscription; a bad template is sent as it is", async () => {
        const sub = await subReady([...s, "cli.ts", "-t", "--count", "1", "--subjects-only"]);
        const dsub = await subReady([...s, "cli.ts", "-d", "--count", "1", "--subjects-only"]);
        const pub = await cli([...s, "pub", "cli.ts", "x {{Nope}}"]);
        assertOk(pub, "pub");
        assert.match(pub.stderr, /Could not parse body template: template: body:1: function "Nope" not defined\n/);
        await Promise.all([sub.exited, dsub.exited]);
        assert.match(sub.stdout, /^\[#1\] @ [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d\.\d{6} Received on "cli.ts"\n$/);
        assert.match(dsub.stdout, /^\[#1\] @ \d+(\.\d+)?(ns|µs|ms|s) Received on "cli.ts"\n$/);
        const quiet = await cli([...s, "sub", "cli.quiet", "--wait", "200ms"]);
        assertOk(quiet, "sub --wait");
        assert.equal(quiet.stdout, "");
      });

      it("queue group members share the messages: each is delivered once", async () => {
        const a = await subReady([...s, "cli.q", "--queue", "workers"]);
        const b = await subReady([...s, "cli.q", "--queue", "workers"]);
        const pub = await cli([...s, "pub", "cli.q", "m{{Count}}", "--count", "30", "-q"]);
        assertOk(pub, "pub");
        const lines = () => (a.stdout + b.stdout).split("\n").filter((l) => /^m\d+$/.test(l));
        await waitUntil(() => lines().length >= 30, "30 messages over both queue members", 10000);
        a.proc.kill("SIGINT");
        b.proc.kill("SIGINT");
        assert.equal((await a.exited).code, 0, a.stderr);
        assert.equal((await b.exited).code, 0, b.stderr);
        const got = lines().sort();
        const want = Array.from({ length: 30 }, (_, i) => `m${i + 1}`).sort();
        assert.deepEqual(got, want);
      });
    });

    describe("request and reply", () => {
      it("reply answers with its body template; request prints the reply as nats request does", async () => {
        const rep = await replyReady([...s, "cli.svc", "pong {{Request}} #{{Count}}", "--count", "1"]);
        assert.match(rep.stderr, /Listening on "cli.svc" in group "NATS-RPLY-22"/);
        const req = await cli([...s, "request", "cli.svc", "ping"]);
        assertOk(req, "request");
        assert.equal(req.stdout, "pong ping #0\n\n\n");
        assert.match(
          req.stderr,
          new RegExp(`^${LOG}Sending request on "cli.svc"\n${LOG}Received with rtt \\d+(\\.\\d+)?(ns|µs|ms|s)\n$`),
        );
        assert.equal((await rep.exited).code, 0, rep.stderr);
        assert.equal(rep.stdout, "\nping\n");
        assert.match(rep.stderr, /\[#0\] Received on subject "cli.svc":/);
      });

      it("request headers reach reply --echo, which echoes them with NATS-Reply-Counter", async () => {
        const rep = await replyReady([...s, "cli.echo", "--echo", "--count", "1"]);
        const req = await cli([...s, "request", "cli.echo", "hi", "-H", "X-Trace:7"]);
        assertOk(req, "request");
        assert.equal(req.stdout, "hi\n\n\n");
        assert.match(req.stderr, new RegExp(`${LOG}X-Trace: 7\n`));
        assert.match(req.stderr, new RegExp(`${LOG}NATS-Reply-Counter: 0\n${LOG}\n$`));
        await rep.exited;
        assert.match(rep.stderr, new RegExp(`${LOG}X-Trace: 7\n`));
      });

      it("reply --command answers with the command's output, subject tokens and body substituted", async () => {
        const rep = await replyReady([...s, "cli.cmd.>", "--command", "echo {{2}} {{Request}}", "--count", "1"]);
        const req = await cli([...s, "request", "cli.cmd.london", "weather", "--raw"]);
        assertOk(req, "request");
        assert.equal(req.stdout, "london weather\n\n");
        await rep.exited;
      });

      it("--replies waits for several responders", async () => {
        const r1 = await replyReady([...s, "cli.many", "one", "-q", "g1", "--count", "1"]);
        const r2 = await replyReady([...s, "cli.many", "two", "-q", "g2", "--count", "1"]);
        const req = await cli([...s, "request", "cli.many", "x", "--replies", "2", "--raw"]);
        assertOk(req, "request");
        assert.deepEqual(
          req.stdout
            .split("\n")
            .filter((l) => l)
            .sort(),
          ["one", "two"],
        );
        await Promise.all([r1.exited, r2.exited]);
      });

      it("--replies 0 takes every reply within --timeout; --count sends several requests", async () => {
        const r1 = await replyReady([...s, "cli.all", "a{{Count}}", "-q", "g1", "--count", "2"]);
        const r2 = await replyReady([...s, "cli.all", "b{{Count}}", "-q", "g2", "--count", "2"]);
        const req = await cli([
          ...s,
          "--timeout",
          "500ms",
          "request",
          "cli.all",
          "x",
          "--replies",
          "0",
          "--count",
          "2",
          "--raw",
        ]);
        assertOk(req, "request --replies 0 --count 2");
        assert.deepEqual(
          req.stdout
            .split("\n")
            .filter((l) => l)
            .sort(),
          ["a0", "a1", "b0", "b1"],
        );
        await Promise.all([r1.exited, r2.exited]);
      });

      it("no responders is reported as nats request does; a request nobody answers times out with an error", async () => {
        const none = await cli([...s, "request", "cli.nobody", "x"]);
        assertOk(none, "request without responders");
        assert.match(none.stderr, /No responders are available\n$/);
        const silent = await subReady([...s, "cli.silent"]);
        const t = await cli([...s, "--timeout", "200ms", "request", "cli.silent", "x"]);
        assert.equal(t.code, 1, t.stderr);
        assert.match(t.stderr, /tsnats: error: no reply received on "cli.silent" within 200ms\n$/);
        silent.proc.kill("SIGINT");
        await silent.exited;
      });
    });

    describe("rtt", () => {
      it("prints the round trip time to the server", async () => {
        const r = await cli([...s, "rtt", "3"]);
        assertOk(r, "rtt");
        const addr = `nats://127.0.0.1:${srv.port}`;
        assert.match(r.stdout, new RegExp(`^${addr}:\n\n {3}${addr}: \\d+(\\.\\d+)?(µs|ms|s)\n\n$`));
      });

      it("--json gives the results with the rtt in nanoseconds", async () => {
        const r = await cli([...s, "rtt", "--json"]);
        assertOk(r, "rtt --json");
        const [t] = JSON.parse(r.stdout);
        assert.equal(t.results[0].address, `nats://127.0.0.1:${srv.port}`);
        assert.ok(t.results[0].rtt > 0);
      });
    });

    describe("bench", () => {
      it("pub/sub: nats bench's report and the results table, with the message counts adding up", async () => {
        const r = await cli([
          ...s,
          "bench",
          "cli.bench",
          "--pub",
          "2",
          "--sub",
          "2",
          "--msgs",
          "2000",
          "--size",
          "64",
          "--no-progress",
        ]);
        assertOk(r, "bench");
        const out = r.stdout;
        const rate = "[\\d,]+ msgs/sec ~ [\\d.]+ (B|KB|MB|GB)/sec";
        assert.match(
          out,
          new RegExp(
            `^\nNATS Pub/Sub stats: ${rate}\n Pub stats: ${rate}\n  \\[1\\] ${rate} \\(1000 msgs\\)\n  \\[2\\] ${rate} \\(1000 msgs\\)\n  min [\\d,]+ \\| avg [\\d,]+ \\| max [\\d,]+ \\| stddev [\\d,]+ msgs\n Sub stats: ${rate}\n  \\[1\\] ${rate} \\(2000 msgs\\)\n  \\[2\\] ${rate} \\(2000 msgs\\)\n  min .* msgs\n\n`,
          ),
        );
        const rows = out
          .split("\n")
          .filter((l) => l.startsWith("│"))
          .map((l) =>
            l
              .split("│")
              .slice(1, -1)
              .map((c) => c.trim()),
          );
        assert.deepEqual(rows[0], ["", "Client", "Msgs", "Bytes", "Seconds", "Msgs/sec", "MB/sec"]);
        const msgs = (role, client) => rows.find((x) => x[0] === role && x[1] === client)?.[2];
        assert.equal(msgs("Pub", "1"), "1,000");
        assert.equal(msgs("Pub", "2"), "1,000");
        assert.equal(msgs("Pub", "all"), "2,000");
        assert.equal(msgs("Sub", "1"), "2,000");
        assert.equal(msgs("Sub", "all"), "4,000");
        assert.equal(msgs("Total", ""), "6,000");
        assert.equal(rows.find((x) => x[0] === "Total")[3], "384,000", "bytes: 6,000 messages of 64 B");
        assert.match(
          r.stderr,
          /Starting Core NATS pub\/sub benchmark \[subject=cli.bench, msgs=2,000, msgsize=64 B, pubs=2, subs=2/,
        );
      });

      it("--json: one line whose counts add up (pub/sub)", async () => {
        const r = await cli([...s, "bench", "cli.bj", "--pub", "1", "--sub", "3", "--msgs", "3000", "--json"]);
        assertOk(r, "bench --json");
        const lines = r.stdout.trim().split("\n");
        assert.equal(lines.length, 1, r.stdout);
        const j = JSON.parse(lines[0]);
        assert.equal(j.mode, "pubsub");
        assert.equal(j.pub.msgs, 3000);
        assert.equal(j.sub.msgs, 9000);
        assert.equal(j.msgs, 12000);
        assert.equal(j.bytes, 12000 * 128);
        assert.equal(j.lost, 0);
        assert.equal(j.ok, true);
        assert.ok(j.seconds > 0 && j.msgs_per_sec > 0 && j.pub_msgs_per_s > 0 && j.delivered_msgs_per_s > 0);
      });

      it("--queue: the group gets each message once", async () => {
        const r = await cli([
          ...s,
          "bench",
          "cli.bq",
          "--pub",
          "1",
          "--sub",
          "3",
          "--queue",
          "--msgs",
          "3000",
          "--json",
        ]);
        assertOk(r, "bench --queue");
        const j = JSON.parse(r.stdout);
        assert.equal(j.mode, "queue");
        assert.equal(j.sub.msgs, 3000);
        assert.equal(j.sub.clients, 3);
        assert.equal(j.lost, 0);
      });

      it("--request with --sub repliers: latency percentiles in order, every request answered", async () => {
        const r = await cli([
          ...s,
          "bench",
          "cli.brr",
          "--pub",
          "2",
          "--sub",
          "1",
          "--request",
          "--msgs",
          "300",
          "--json",
        ]);
        assertOk(r, "bench --request --json");
        const j = JSON.parse(r.stdout);
        assert.equal(j.mode, "reqrep");
        assert.equal(j.requests, 300);
        assert.equal(j.pub.msgs, 300);
        assert.equal(j.sub.msgs, 300);
        const l = j.latency_us;
        assert.ok(
          l.min > 0 && l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p99_9 && l.p99_9 <= l.max,
          JSON.stringify(l),
        );
        assert.equal(j.lat_p50_us, l.p50);
        const h = await cli([...s, "bench", "cli.brr", "--pub", "1", "--sub", "1", "--request", "--msgs", "50"]);
        assertOk(h, "bench --request");
        assert.match(h.stdout, / latencies per operation min [\d,.]+us \| avg .* \| P99\.9: [\d,.]+us\n/);
        assert.match(h.stdout, /│ Latency \(µs\) +│ +min │ +avg │ +P50 │ +P90 │ +P99 │ +P99\.9 │ +max │ +stddev │/);
        assert.match(h.stdout, /│ 50 requests +│/);
      });

      it("natscli's newer forms: bench pub|sub --clients and bench service request|serve", async () => {
        const sub = cliStart([...s, "bench", "sub", "cli.bsub", "--clients", "2", "--msgs", "1000", "--json"]);
        await sub.waitFor("stderr", /\[2\] Starting subscriber, expecting 1,000 messages/);
        const pub = await cli([...s, "bench", "pub", "cli.bsub", "--clients", "2", "--msgs", "1000", "--json"]);
        assertOk(pub, "bench pub");
        const p = JSON.parse(pub.stdout);
        assert.deepEqual([p.mode, p.pub.clients, p.pub.msgs, p.sub], ["pub", 2, 1000, null]);
        assert.equal((await sub.exited).code, 0, sub.stderr);
        const sj = JSON.parse(sub.stdout);
        assert.deepEqual([sj.mode, sj.sub.clients, sj.sub.msgs, sj.lost], ["sub", 2, 2000, 0]);

        const serve = cliStart([
          ...s,
          "bench",
          "service",
          "serve",
          "cli.bsvc",
          "--clients",
          "2",
          "--msgs",
          "200",
          "--json",
        ]);
        await serve.waitFor("stderr", /\[2\] Starting replier/);
        const req = await cli([
          ...s,
          "bench",
          "service",
          "request",
          "cli.bsvc",
          "--clients",
          "2",
          "--msgs",
          "200",
          "--json",
        ]);
        assertOk(req, "bench service request");
        const r = JSON.parse(req.stdout);
        assert.deepEqual([r.mode, r.pub.clients, r.requests], ["reqrep", 2, 200]);
        assert.equal((await serve.exited).code, 0, serve.stderr);
        const sv = JSON.parse(serve.stdout);
        assert.deepEqual([sv.mode, sv.sub.clients, sv.sub.msgs], ["reply", 2, 200]);
      });

      it("counts the messages a subscriber did not get: stopped after 5 of 10, it reports 5 lost and exits 1", async () => {
        const b = cliStart([...s, "bench", "cli.lost", "--sub", "1", "--msgs", "10", "--json"]);
        await b.waitFor("stderr", /\[1\] Starting subscriber, expecting 10 messages/);
        const marker = await subReady([...s, "cli.lost", "--count", "5"]);
        assertOk(await cli([...s, "pub", "cli.lost", "x", "--count", "5", "-q"]), "pub");
        await marker.exited; // the server has delivered the 5 messages to its subscribers
        b.proc.kill("SIGINT");
        const { code } = await b.exited;
        assert.equal(code, 1, b.stderr);
        const j = JSON.parse(b.stdout);
        assert.deepEqual([j.sub.msgs, j.lost, j.ok], [5, 5, false]);
        assert.match(b.stderr, /WARNING: 5 of 10 messages were not received\n/);
      });

      it("--csv writes nats bench's CSV", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "tsnats-cli-"));
        try {
          const file = path.join(dir, "b.csv");
          const r = await cli([...s, "bench", "cli.csv", "--pub", "1", "--sub", "1", "--msgs", "500", "--csv", file]);
          assertOk(r, "bench --csv");
          assert.match(r.stdout, new RegExp(`Saved metric data in csv file ${file}\n$`));
          const lines = readFileSync(file, "utf8").trim().split("\n");
          assert.equal(lines[0], "#RunID,ClientID,MsgCount,MsgBytes,MsgsPerSec,BytesPerSec,DurationSecs");
          assert.match(lines[1], /^\w+,P0,500,64000,\d+,[\d.]+,[\d.]+$/);
          assert.match(lines[2], /^\w+,S0,500,64000,\d+,[\d.]+,[\d.]+$/);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });

      it("the progress bar goes to stderr only when asked for (stderr is not a terminal here)", async () => {
        const bar = /^Publishing \d+s \[.+\] 100% \| 1000\/1000$/m;
        const on = await cli([
          ...s,
          "bench",
          "cli.prog",
          "--pub",
          "1",
          "--sub",
          "1",
          "--msgs",
          "1000",
          "--progress",
          "--json",
        ]);
        assertOk(on, "--progress");
        assert.match(on.stderr, bar);
        assert.match(on.stderr, /^Receiving {2}\d+s \[.+\] 100% \| 1000\/1000$/m);
        assert.equal(on.stdout.split("\n").filter((l) => l).length, 1, "stdout holds only the JSON line");
        const off = await cli([...s, "bench", "cli.prog", "--pub", "1", "--sub", "1", "--msgs", "1000", "--json"]);
        assertOk(off, "no --progress");
        assert.doesNotMatch(off.stderr, /Publishing|\[█/);
      });

      it("refuses a run with neither publishers nor subscribers", async () => {
        const r = await cli([...s, "bench", "cli.none"]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^tsnats: error: You must have at least one publisher or at least one subscriber/);
      });
    });

    describe("server ping and info", () => {
      it("a user outside the system account: a 503 status and exit 1", async () => {
        const r = await cli([...s, "server", "ping"]);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.equal(
          r.stderr,
          "tsnats: error: 503 status from $SYS.REQ.SERVER.PING, ensure a system account is used with appropriate permissions\n",
        );
        const i = await cli([...s, "server", "info"]);
        assert.equal(i.code, 1);
        assert.match(
          i.stderr,
          /^tsnats: error: no results received, ensure the account used has system privileges and appropriate permissions\n$/,
        );
      });
    });

    describe("connection and auth flags", () => {
      let userSrv;
      let tokenSrv;
      before(async () => {
        userSrv = await startServer(kind, ["--user", "alice", "--pass", "s3cret"]);
        tokenSrv = await startServer(kind, ["--auth", "tok3n"]);
      });
      after(async () => {
        await userSrv.stop();
        await tokenSrv.stop();
      });

      it("--user/--password connect; a wrong password is a clear error and exit 1", async () => {
        const ok = await cli(["-s", userSrv.url, "--user", "alice", "--password", "s3cret", "pub", "cli.auth", "x"]);
        assertOk(ok, "right password");
        const bad = await cli(["-s", userSrv.url, "--user", "alice", "--password", "wrong", "pub", "cli.auth", "x"]);
        assert.equal(bad.code, 1);
        assert.equal(bad.stderr, `tsnats: error: could not connect to ${userSrv.url}: Authorization Violation\n`);
        const none = await cli(["-s", userSrv.url, "pub", "cli.auth", "x"]);
        assert.equal(none.code, 1);
        assert.match(none.stderr, /^tsnats: error: could not connect to .*: Authorization Violation\n$/);
      });

      it("--token, --user without a password (a token, as in nats), and NATS_URL/NATS_TOKEN from the environment", async () => {
        assertOk(await cli(["-s", tokenSrv.url, "--token", "tok3n", "pub", "cli.t", "x"]), "--token");
        assertOk(await cli(["-s", tokenSrv.url, "--user", "tok3n", "pub", "cli.t", "x"]), "--user as token");
        assertOk(
          await cli(["pub", "cli.t", "x"], { env: { NATS_URL: tokenSrv.url, NATS_TOKEN: "tok3n" } }),
          "environment",
        );
        const bad = await cli(["-s", tokenSrv.url, "--token", "nope", "rtt"]);
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /Authorization Violation/);
      });
    });
  });
}

for (const kind of kinds)
  describe(`tsnats CLI: server ping and info with a system account (${kind})`, () => {
    let srv;
    let dir;
    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "tsnats-cli-sys-"));
      const conf = path.join(dir, "sys.conf");
      writeFileSync(
        conf,
        "server_name: oracle1\naccounts {\n  SYS { users = [{user: sys, password: sys}] }\n  APP { users = [{user: app, password: app}] }\n}\nsystem_account: SYS\n",
      );
      srv = await startServer(kind, ["-c", conf]);
    });
    after(async () => {
      await srv?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("server ping lists the server and its rtt, then the statistics", async () => {
      const r = await cli(["-s", srv.url, "--user", "sys", "--password", "sys", "server", "ping"]);
      assertOk(r, "server ping");
      assert.match(
        r.stdout,
        /^oracle1 {53} rtt=\d+(\.\d+)?(µs|ms|s)\n\n---- ping statistics ----\n1 replies max: \d+\.00 min: \d+\.00 avg: \d+\.00\n$/,
      );
    });

    it("server ping --id shows the server id", async () => {
      const r = await cli(["-s", srv.url, "--user", "sys", "--password", "sys", "server", "ping", "--id"]);
      assertOk(r, "server ping --id");
      assert.match(r.stdout, /^N[A-Z0-9]{55} oracle1 +rtt=/);
    });

    it("server info shows the varz sections", async () => {
      const r = await cli(["-s", srv.url, "--user", "sys", "--password", "sys", "server", "info", "oracle1"]);
      assertOk(r, "server info");
      assert.match(
        r.stdout,
        /^Server information for oracle1 \(N[A-Z0-9]{55}\)\n\nProcess Details:\n\n {18}Version: 2\.\d+\.\d+\n/,
      );
      for (const line of [
        "Connection Details:",
        "            Auth Required: true",
        `                     Host: 127.0.0.1:${srv.port}`,
        "Limits:",
        "          Maximum Payload: 1.0 MiB",
        "Statistics:",
      ]) {
        assert.ok(r.stdout.includes(`\n${line}\n`), `missing ${JSON.stringify(line)} in:\n${r.stdout}`);
      }
    });

    it("a user of another account gets the 503 status", async () => {
      const r = await cli(["-s", srv.url, "--user", "app", "--password", "app", "server", "ping"]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /503 status from \$SYS\.REQ\.SERVER\.PING/);
    });
  });

/** Start a server with a config file written into dir. */
function startWithConfig(kind, dir, name, text) {
  const conf = path.join(dir, name);
  writeFileSync(conf, text);
  return startServer(kind, ["-c", conf]);
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makeCerts(dir) {
  const ossl = (...args) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  ossl("req", "-x509", ...ec, "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2", "-subj", "/CN=tsnats test CA");
  for (const [who, ext] of [
    // nats.js checks an upgraded socket's certificate against "localhost" when the URL host is an IP.
    ["server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"],
    ["client", "extendedKeyUsage=clientAuth\n"],
  ]) {
    writeFileSync(path.join(dir, `${who}.ext`), ext);
    ossl("req", ...ec, "-keyout", `${who}-key.pem`, "-out", `${who}.csr`, "-subj", `/CN=${who}`);
    ossl(
      "x509",
      "-req",
      "-in",
      `${who}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca-key.pem",
      "-CAcreateserial",
      "-out",
      `${who}.pem`,
      "-days",
      "2",
      "-extfile",
      `${who}.ext`,
    );
  }
}

for (const kind of kinds) {
  describe(`tsnats CLI: TLS and NKey flags against ${kind}`, () => {
    let dir;
    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), "tsnats-cli-tls-"));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("--tlsca, --tlscert and --tlskey connect to a server that verifies client certificates", async () => {
      makeCerts(dir);
      const f = (n) => path.join(dir, n);
      const srv = await startWithConfig(
        kind,
        dir,
        "tls.conf",
        `tls {\n  cert_file: "${f("server.pem")}"\n  key_file: "${f("server-key.pem")}"\n  ca_file: "${f("ca.pem")}"\n  verify: true\n}\n`,
      );
      try {
        const url = `tls://127.0.0.1:${srv.port}`;
        const ok = await cli([
          "-s",
          url,
          "--tlsca",
          f("ca.pem"),
          "--tlscert",
          f("client.pem"),
          "--tlskey",
          f("client-key.pem"),
          "rtt",
          "1",
        ]);
        assertOk(ok, "rtt over TLS");
        assert.match(ok.stdout, new RegExp(`^${url}:\n\n {3}${url}: `));
        // (nats.js notices the refused client certificate only at its connect timeout.)
        const noCert = await cli(["-s", url, "--timeout", "1s", "--tlsca", f("ca.pem"), "pub", "x", "y"]);
        assert.equal(noCert.code, 1, "without a client certificate");
        assert.match(noCert.stderr, /^tsnats: error: could not connect to tls:\/\/127\.0\.0\.1:\d+: .+\n$/);
        const noCa = await cli([
          "-s",
          url,
          "--tlscert",
          f("client.pem"),
          "--tlskey",
          f("client-key.pem"),
          "pub",
          "x",
          "y",
        ]);
        assert.equal(noCa.code, 1, "without the CA the server certificate does not verify");
        const missing = await cli(["-s", url, "--tlsca", f("nope.pem"), "pub", "x", "y"]);
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /nope\.pem/);
      } finally {
        await srv.stop();
      }
    });

    it("--nkey signs the server's nonce with the seed in the file", async () => {
      const user = createUser();
      const other = createUser();
      const seedFile = path.join(dir, "user.nk");
      const otherFile = path.join(dir, "other.nk");
      writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()) + "\n");
      writeFileSync(otherFile, new TextDecoder().decode(other.getSeed()) + "\n");
      const srv = await startWithConfig(
        kind,
        dir,
        "nkey.conf",
        `authorization {\n  users = [ { nkey: ${user.getPublicKey()} } ]\n}\n`,
      );
      try {
        assertOk(await cli(["-s", srv.url, "--nkey", seedFile, "pub", "cli.nk", "x"]), "--nkey");
        const bad = await cli(["-s", srv.url, "--nkey", otherFile, "pub", "cli.nk", "x"]);
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /Authorization Violation/);
        const notSeed = await cli(["-s", srv.url, "--nkey", path.join(dir, "nkey.conf"), "pub", "cli.nk", "x"]);
        assert.equal(notSeed.code, 1);
        assert.match(notSeed.stderr, /^tsnats: error: no nkey seed found in .*nkey\.conf\n$/);
      } finally {
        await srv.stop();
      }
    });
  });
}

// nats-server 2.9 has no handshake_first (2.10 has): --tlsfirst runs against tsnats-server.
describe("tsnats CLI: --tlsfirst against tsnats-server with handshake_first", () => {
  let dir;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tsnats-cli-tlsfirst-"));
    makeCerts(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("pub/sub and rtt with --tlsfirst; without it the connect fails", async () => {
    const f = (n) => path.join(dir, n);
    const srv = await startWithConfig(
      "tsnats",
      dir,
      "tlsfirst.conf",
      `tls {\n  cert_file: "${f("server.pem")}"\n  key_file: "${f("server-key.pem")}"\n  handshake_first: true\n  timeout: 1\n}\n`,
    );
    try {
      const s = ["-s", `tls://127.0.0.1:${srv.port}`, "--tlsca", f("ca.pem")];
      const sub = await subReady([...s, "--tlsfirst", "tf.x", "--count", "1"]);
      assertOk(await cli([...s, "--tlsfirst", "pub", "tf.x", "over tls first"]), "pub --tlsfirst");
      await sub.exited;
      assert.equal(sub.stdout, '[#1] Received on "tf.x"\nover tls first\n\n\n');
      assertOk(await cli([...s, "--tlsfirst", "rtt", "1"]), "rtt --tlsfirst");
      const plain = await cli([...s, "--timeout", "1s", "pub", "tf.x", "y"]);
      assert.equal(plain.code, 1, "without --tlsfirst no INFO comes");
      assert.match(plain.stderr, /^tsnats: error: could not connect to tls:\/\/127\.0\.0\.1:\d+: .+\n$/);
    } finally {
      await srv.stop();
    }
  });
});

// tsnats-server has no operator mode (JWT accounts) yet: --creds runs against nats-server only,
// with an operator, accounts and users made at test time.
describe("tsnats CLI: --creds against nats-server in operator mode", () => {
  let dir;
  let op;
  let srv;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "tsnats-cli-creds-"));
    op = await makeOperatorMode(dir);
    srv = await startServer("nats-server", ["-c", op.conf]);
  });
  after(async () => {
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("pub/sub and request/reply with a user's creds file, and NATS_CREDS", async () => {
    const s = ["-s", srv.url, "--creds", op.app];
    const sub = await subReady([...s, "cr.x", "--count", "1"]);
    assertOk(await cli(["-s", srv.url, "pub", "cr.x", "signed"], { env: { NATS_CREDS: op.app } }), "pub NATS_CREDS");
    await sub.exited;
    assert.equal(sub.stdout, '[#1] Received on "cr.x"\nsigned\n\n\n');
    const rep = await replyReady([...s, "cr.svc", "pong", "--count", "1"]);
    const r = await cli([...s, "request", "cr.svc", "ping"]);
    assertOk(r, "request --creds");
    assert.equal(r.stdout, "pong\n\n\n");
    await rep.exited;
  });

  it("creds of an unknown account, no creds, or a file without creds: a clear error and exit 1", async () => {
    for (const args of [["--creds", op.stranger], [], ["--creds", op.conf]]) {
      const r = await cli(["-s", srv.url, ...args, "pub", "cr.x", "y"]);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /^tsnats: error: .+\n$/);
      if (args[1] !== op.conf) assert.match(r.stderr, /Authorization Violation/);
    }
  });

  it("server ping with the system account's creds lists the server", async () => {
    const r = await cli(["-s", srv.url, "--creds", op.sys, "server", "ping", "1"]);
    assertOk(r, "server ping --creds");
    assert.match(r.stdout, /---- ping statistics ----/);
  });
});

describe("tsnats CLI: usage errors", () => {
  const usage = async (args, re) => {
    const r = await cli(args);
    assert.equal(r.code, 1, `${args.join(" ")}: exit ${r.code}`);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, re);
  };

  it("a missing argument, an unknown verb or option, and bad values name the problem and the help", async () => {
    await usage(
      ["pub"],
      /^tsnats: error: missing required argument 'subject'\n\(run "tsnats pub --help" for usage\)\n$/,
    );
    await usage(["frobnicate"], /^tsnats: error: unknown command 'frobnicate'\n/);
    await usage(
      ["sub", "x", "--bogus"],
      /^tsnats: error: unknown option '--bogus'\n\(run "tsnats sub --help" for usage\)\n$/,
    );
    await usage(
      ["pub", "x", "--count", "many"],
      /^tsnats: error: option '--count <n>' argument 'many' is invalid\. expected a non-negative integer\n/,
    );
    await usage(
      ["pub", "x", "y", "--count", "2", "--sleep", "5"],
      /^tsnats: error: option '--sleep <duration>' argument '5' is invalid\. time: missing unit in duration "5"\n/,
    );
    await usage(
      ["server", "ping", "--bogus"],
      /^tsnats: error: unknown option '--bogus'\n\(run "tsnats server ping --help" for usage\)\n$/,
    );
  });

  it("bad input found after parsing: a header without a colon, a bad size, no subject, an unreachable server", async () => {
    const port = await freePort();
    const s = ["-s", `127.0.0.1:${port}`];
    await usage([...s, "reply", "x", "-H", "nocolon"], /^tsnats: error: invalid header "nocolon"\n$/);
    await usage(
      [...s, "bench", "x", "--pub", "1", "--size", "big"],
      /^tsnats: error: Can not parse or invalid the value specified for the message size: big\n$/,
    );
    await usage([...s, "sub"], /^tsnats: error: subject is required\n$/);
    await usage(
      [...s, "--creds", "/nonexistent/user.creds", "pub", "x", "y"],
      /^tsnats: error: could not read the credentials file \/nonexistent\/user\.creds: ENOENT\n$/,
    );
    await usage(
      [...s, "--timeout", "soon", "pub", "x", "y"],
      /^tsnats: error: invalid --timeout "soon": time: invalid duration "soon"\n$/,
    );
    await usage(
      [...s, "pub", "x", "y"],
      new RegExp(`^tsnats: error: could not connect to 127\\.0\\.0\\.1:${port}: .+\n$`),
    );
  });

  it("--help and --version", async () => {
    const h = await cli(["--help"]);
    assertOk(h, "--help");
    for (const verb of ["pub", "sub", "request", "reply", "rtt", "bench", "server"])
      assert.match(h.stdout, new RegExp(`\n  ${verb}\\b`));
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
    const v = await cli(["--version"]);
    assert.equal(v.stdout, `${pkg.version}\n`);
    assert.equal(pkg.bin.tsnats, "dist/cli/tsnats.js");
  });
});
