// Black-box tests of the server process: flags, log output, pid and ports files, config checking,
// signals, lame duck mode and slow consumers. Every case runs against tsnats-server and, when it
// is installed, Debian's nats-server as the oracle. Expectations are nats-server 2.10's (checked in
// the v2.10.29 source); where the 2.9 oracle differs, the case says so and asserts 2.9's own output.
// Differences from nats-server that are on purpose (README.md) are not asserted: the executable
// name in messages, the "Starting ..." line and the -v text.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import net from "node:net";
import path from "node:path";
import { ROOT, TSNATS_BIN, freePort, natsServerBin, serverKinds, startServer } from "./helpers/servers.js";
import { RawConn, rawConnect } from "./helpers/raw.js";
import { isOracle29 } from "./helpers/protocol-cases.js";
import { waitUntil } from "./helpers/wait.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const kinds = serverKinds();

/** The name the executable gives itself in messages and in the ports file name. */
const exeName = (kind) => (kind === "tsnats" ? "tsnats-server" : "nats-server");

// ------------------------------------------------------------------------------------ processes

/** Every child process this file started, killed (by its own handle) if still running at the end. */
const children = new Set();

function commandFor(kind, args) {
  if (kind === "tsnats") return [process.execPath, [TSNATS_BIN, ...args]];
  return [natsServerBin(), args];
}

/**
 * Spawn a server process (no default flags) and record its output.
 * @returns {{proc: import("node:child_process").ChildProcess, pid: number, stdout: string, stderr: string,
 *   all: string, exited: Promise<{code: number|null, signal: string|null, at: number}>,
 *   waitFor: (re: RegExp, ms?: number) => Promise<RegExpExecArray>, waitExit: (ms?: number) => Promise<object|null>,
 *   signal: (sig: string) => void}}
 */
function spawnServer(kind, args, opts = {}) {
  const [cmd, argv] = commandFor(kind, args);
  const proc = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"], cwd: opts.cwd ?? ROOT });
  children.add(proc);
  const h = { proc, pid: proc.pid, stdout: "", stderr: "", all: "" };
  const waiters = new Set();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  proc.stdout.on("data", (d) => {
    h.stdout += d.toString();
    h.all += d.toString();
    wake();
  });
  proc.stderr.on("data", (d) => {
    h.stderr += d.toString();
    h.all += d.toString();
    wake();
  });
  h.exited = new Promise((resolve) => {
    proc.once("close", (code, signal) => {
      children.delete(proc);
      h.exit = { code, signal, at: performance.now() };
      resolve(h.exit);
      wake();
    });
  });
  /** Wait until the combined output matches re. */
  h.waitFor = (re, ms = 5000) =>
    new Promise((resolve, reject) => {
      let w;
      const timer = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`timed out after ${ms} ms waiting for ${re}; output:\n${h.all}`));
      }, ms);
      w = () => {
        const m = re.exec(h.all);
        if (m) {
          clearTimeout(timer);
          waiters.delete(w);
          resolve(m);
        } else if (h.exit) {
          clearTimeout(timer);
          waiters.delete(w);
          reject(new Error(`process exited (${h.exit.code ?? h.exit.signal}) waiting for ${re}; output:\n${h.all}`));
        }
      };
      waiters.add(w);
      w();
    });
  /** Wait for the exit up to ms; null when still running then. */
  h.waitExit = (ms = 5000) => Promise.race([h.exited, sleep(ms).then(() => h.exit ?? null)]);
  h.signal = (sig) => {
    if (!h.exit) proc.kill(sig);
  };
  /** Kill (SIGKILL) if still running and wait for the exit. */
  h.kill = async () => {
    if (!h.exit) {
      proc.kill("SIGKILL");
      await h.exited;
    }
  };
  return h;
}

/** Run the executable to completion (for -h, -v, -t, --signal); kills it after timeoutMs. */
async function runToExit(kind, args, timeoutMs = 5000) {
  const h = spawnServer(kind, args);
  const r = await h.waitExit(timeoutMs);
  if (r === null) {
    await h.kill();
    return { code: null, signal: "timeout", timedOut: true, stdout: h.stdout, stderr: h.stderr };
  }
  return { code: r.code, signal: r.signal, timedOut: false, stdout: h.stdout, stderr: h.stderr };
}

/** A started server from helpers/servers.js, remembered for cleanup. */
const started = new Set();
async function start(kind, args = [], opts = {}) {
  const s = await startServer(kind, args, opts);
  started.add(s);
  children.add(s.proc);
  s.exited = new Promise((resolve) =>
    s.proc.once("close", (code, signal) => {
      children.delete(s.proc);
      resolve({ code, signal, at: performance.now() });
    }),
  );
  /** The exit, or null when still running after ms. */
  s.waitExit = (ms) => Promise.race([s.exited, sleep(ms).then(() => null)]);
  return s;
}

const sockets = new Set();
async function raw(port, fields = { verbose: false, pedantic: false }) {
  const r = await rawConnect(port, fields);
  sockets.add(r.c);
  return r;
}

let tmp;
before(() => {
  tmp = mkdtempSync(path.join(tmpdir(), "tsnats-cli-"));
});

after(async () => {
  for (const c of sockets) c.close();
  for (const s of started) await s.stop("SIGKILL");
  for (const p of [...children]) {
    if (p.exitCode === null && p.signalCode === null) {
      p.kill("SIGKILL");
      await new Promise((r) => p.once("exit", r));
    }
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

let fileSeq = 0;
/** Write a file in this run's temp directory; returns its absolute path. */
function tmpFile(name, content) {
  const p = path.join(tmp, `${++fileSeq}-${name}`);
  if (content !== undefined) writeFileSync(p, content);
  return p;
}

const LEVEL = "(?:INF|DBG|TRC|WRN|ERR|FTL)";
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The trace/debug lines of one connection, with everything up to "cid:N - " removed. */
function connLines(output, cid) {
  const re = new RegExp(`^\\[\\d+\\] .*?\\[(?:TRC|DBG)\\] 127\\.0\\.0\\.1:\\d+ - cid:${cid} - (.*)$`);
  return output
    .split("\n")
    .map((l) => re.exec(l))
    .filter((m) => m !== null)
    .map((m) => m[1]);
}

// ------------------------------------------------------------------------------------ the cases

for (const kind of kinds) {
  const exe = exeName(kind);
  const oracle29 = isOracle29(kind);

  describe(`server process [${kind}]`, () => {
    // ---------------------------------------------------------------- listening, name, auth

    it("-p -1 listens on a random port, logs it, then logs Server is ready; -a sets the address", async () => {
      const h = spawnServer(kind, ["-a", "127.0.0.1", "-p", "-1"]);
      try {
        await h.waitFor(/Server is ready/);
        const m = /\[INF\] Listening for client connections on 127\.0\.0\.1:(\d+)\n/.exec(h.all);
        assert.ok(m, `no Listening line in:\n${h.all}`);
        const port = Number(m[1]);
        assert.ok(port > 0 && port !== 4222, `random port expected, got ${port}`);
        assert.ok(h.all.indexOf("Listening for client connections") < h.all.indexOf("Server is ready"));
        const { c, info } = await raw(port, null);
        assert.equal(info.port, port);
        assert.equal(info.host, "127.0.0.1");
        c.close();
      } finally {
        await h.kill();
      }
    });

    it("--client_advertise replaces INFO host and port; a bare host keeps the listen port; a bad value stops the start", async () => {
      const s1 = await start(kind, ["--client_advertise", "adv.example:7777"]);
      const { c: c1, info: i1 } = await raw(s1.port, null);
      assert.equal(i1.host, "adv.example");
      assert.equal(i1.port, 7777);
      c1.close();
      await s1.stop("SIGKILL");
      const s2 = await start(kind, ["--client_advertise", "adv.example"]);
      const { c: c2, info: i2 } = await raw(s2.port, null);
      assert.equal(i2.host, "adv.example");
      assert.equal(i2.port, s2.port);
      c2.close();
      await s2.stop("SIGKILL");
      const h = spawnServer(kind, ["-a", "127.0.0.1", "-p", "-1", "--client_advertise", "a:b:c"]);
      try {
        const code = await h.exited;
        assert.notEqual(code, 0);
        assert.match(
          h.all,
          /Error setting server INFO with ClientAdvertise value of a:b:c, err=address a:b:c: too many colons in address/,
        );
      } finally {
        await h.kill();
      }
    });

    it("zero means the default (setBaselineOptions): max_control_line, max_connections, max_payload, ping_*, auth timeout 0", async () => {
      const f = tmpFile(
        "zeros.conf",
        [
          "max_control_line: 0",
          "max_connections: 0",
          "max_payload: 0",
          "max_pending: 0",
          'ping_interval: "0s"',
          "ping_max: 0",
          'write_deadline: "0s"',
          "authorization { user: a, password: b, timeout: 0 }",
          "",
        ].join("\n"),
      );
      const s = await start(kind, ["-c", f]);
      const { c, info } = await raw(s.port, null);
      assert.equal(info.max_payload, 1024 * 1024);
      // an auth timeout of 0 would have closed the connection by now
      await sleep(150);
      const subject = `long.${"s".repeat(1000)}`;
      c.write(`CONNECT ${JSON.stringify({ verbose: false, pedantic: false, user: "a", pass: "b" })}\r\n`);
      c.write(`SUB ${subject} 1\r\nPUB ${subject} 100\r\n${"x".repeat(100)}\r\n`);
      assert.equal(await c.flush(), `MSG ${subject} 1 100\r\n${"x".repeat(100)}\r\n`);
      const { c: c2 } = await raw(s.port, { verbose: false, pedantic: false, user: "a", pass: "b" });
      assert.equal(await c2.flush(), "");
      // ping_interval 0 / ping_max 0 taken literally would ping at once and close as stale
      await sleep(300);
      assert.equal(await c.flush(), "");
      assert.ok(!c.closed && !c2.closed);
      c.close();
      c2.close();
      await s.stop("SIGKILL");
    });

    it("-n, --name and --server_name set the server name (INFO server_name and the Name: line)", async () => {
      for (const flag of ["-n", "--name", "--server_name"]) {
        const name = `cli-${flag.replace(/-/g, "")}`;
        const s = await start(kind, [flag, name]);
        const { c, info } = await raw(s.port, null);
        assert.equal(info.server_name, name, flag);
        assert.match(s.output(), new RegExp(`\\[INF\\]   Name:     ${name}\\n`), flag);
        c.close();
        await s.stop("SIGKILL");
      }
    });

    it("--user/--pass require a user and password", async () => {
      const s = await start(kind, ["--user", "alice", "--pass", "s3cret"]);
      const { c: probe, info } = await raw(s.port, null);
      assert.equal(info.auth_required, true);
      probe.close();
      const { c: ok } = await raw(s.port, { verbose: false, pedantic: false, user: "alice", pass: "s3cret" });
      assert.equal(await ok.flush(), "");
      ok.close();
      const { c: bad } = await raw(s.port, { verbose: false, pedantic: false, user: "alice", pass: "wrong" });
      bad.write("PING\r\n");
      assert.ok(await bad.waitClosed(2000), "the server closes the connection");
      assert.equal(bad.text(), "-ERR 'Authorization Violation'\r\n");
      const { c: none } = await raw(s.port, { verbose: false, pedantic: false });
      none.write("PING\r\n");
      assert.ok(await none.waitClosed(2000), "the server closes the connection");
      assert.equal(none.text(), "-ERR 'Authorization Violation'\r\n");
      await s.stop("SIGKILL");
    });

    it("--auth requires a token", async () => {
      const s = await start(kind, ["--auth", "t0ken"]);
      const { c: probe, info } = await raw(s.port, null);
      assert.equal(info.auth_required, true);
      probe.close();
      const { c: ok } = await raw(s.port, { verbose: false, pedantic: false, auth_token: "t0ken" });
      assert.equal(await ok.flush(), "");
      ok.close();
      const { c: bad } = await raw(s.port, { verbose: false, pedantic: false, auth_token: "nope" });
      bad.write("PING\r\n");
      assert.ok(await bad.waitClosed(2000), "the server closes the connection");
      assert.equal(bad.text(), "-ERR 'Authorization Violation'\r\n");
      await s.stop("SIGKILL");
    });

    // ---------------------------------------------------------------- pid, ports and log files

    it("-P writes the pid file before Server is ready and leaves it after exit", async () => {
      const pidFile = tmpFile("server.pid");
      const h = spawnServer(kind, ["-a", "127.0.0.1", "-p", "-1", "-P", pidFile]);
      try {
        await h.waitFor(/Server is ready/);
        // nats-server writes it in Start() before the listener (server.go logPid)
        assert.ok(existsSync(pidFile), "pid file missing when Server is ready was logged");
        assert.equal(readFileSync(pidFile, "utf8"), String(h.pid));
        h.signal("SIGINT");
        const r = await h.waitExit(3000);
        assert.equal(r?.code, 0);
        // nats-server 2.10 never removes the pid file (only logPid writes it; nothing deletes it)
        assert.ok(existsSync(pidFile), "pid file removed on exit; nats-server leaves it in place");
      } finally {
        await h.kill();
      }
    });

    it("--ports_file_dir writes <exe>_<pid>.ports with the client URL and removes it on exit", async () => {
      const dir = path.join(tmp, `ports-${kind}`);
      mkdirSync(dir);
      const h = spawnServer(kind, ["-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", dir]);
      try {
        const m = await h.waitFor(/Listening for client connections on 127\.0\.0\.1:(\d+)/);
        await h.waitFor(/Server is ready/);
        const port = Number(m[1]);
        // nats-server writes it from a goroutine once the listeners are up: poll for it
        await waitUntil(() => readdirSync(dir).length > 0, "the ports file");
        // name: filepath.Base(os.Args[0]) + "_" + pid + ".ports" (server.go portFile)
        assert.deepEqual(readdirSync(dir), [`${exe}_${h.pid}.ports`]);
        let ports;
        await waitUntil(() => {
          try {
            ports = JSON.parse(readFileSync(path.join(dir, `${exe}_${h.pid}.ports`), "utf8"));
            return true;
          } catch {
            return false;
          }
        }, "a complete ports file");
        assert.deepEqual(ports, { nats: [`nats://127.0.0.1:${port}`] });
        h.signal("SIGINT");
        const r = await h.waitExit(3000);
        assert.equal(r?.code, 0);
        assert.deepEqual(readdirSync(dir), [], "ports file left behind");
      } finally {
        await h.kill();
      }
    });

    it("-l writes the log to the file and nothing to stderr", async () => {
      const logFile = tmpFile("server.log");
      const h = spawnServer(kind, ["-a", "127.0.0.1", "-p", "-1", "-l", logFile]);
      try {
        await waitUntil(
          () => existsSync(logFile) && readFileSync(logFile, "utf8").includes("Server is ready"),
          "Server is ready in the log file",
        );
        const port = Number(
          /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(readFileSync(logFile, "utf8"))[1],
        );
        const { c } = await raw(port);
        await c.flush();
        c.close();
        h.signal("SIGINT");
        const r = await h.waitExit(3000);
        assert.equal(r?.code, 0);
        const log = readFileSync(logFile, "utf8");
        assert.match(log, new RegExp(`^\\[${h.pid}\\] \\d{4}/\\d{2}/\\d{2} [\\d:.]+ \\[INF\\] `));
        assert.match(log, /\[INF\] Server Exiting\.\.\n$/);
        assert.equal(h.stderr, "");
        assert.equal(h.stdout, "");
      } finally {
        await h.kill();
      }
    });

    // ---------------------------------------------------------------- log format, -D, -V

    it("-T=false drops the timestamps: [pid] [INF] ...", async () => {
      const s = await start(kind, ["-T=false"]);
      const lines = s.output().trimEnd().split("\n");
      assert.ok(lines.length >= 3);
      for (const l of lines) assert.match(l, new RegExp(`^\\[${s.pid}\\] \\[${LEVEL}\\] `), l);
      assert.ok(lines.includes(`[${s.pid}] [INF] Server is ready`));
      await s.stop("SIGKILL");
    });

    describe("log line format [pid] YYYY/MM/DD HH:MM:SS.uuuuuu [LVL] msg", () => {
      let lines = [];
      let pid;
      before(async () => {
        const s = await start(kind, ["-DV"]);
        pid = s.pid;
        const { c } = await raw(s.port);
        // a burst of trace lines spread over a few milliseconds
        c.write("PING\r\n".repeat(300));
        await c.waitFor((t) => t.split("PONG\r\n").length > 300);
        c.close();
        await sleep(100);
        await s.stop("SIGINT");
        lines = s.output().trimEnd().split("\n");
      });

      it("every line matches, with the process id and the local time", () => {
        const re = new RegExp(
          `^\\[(\\d+)\\] (\\d{4})/(\\d{2})/(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2})\\.(\\d{6}) \\[${LEVEL}\\] .+$`,
        );
        assert.ok(lines.length > 600, `expected the trace lines, got ${lines.length} lines`);
        for (const l of lines) {
          const m = re.exec(l);
          assert.ok(m, `bad log line: ${JSON.stringify(l)}`);
          assert.equal(Number(m[1]), pid);
          const t = new Date(+m[2], +m[3] - 1, +m[4], +m[5], +m[6], +m[7]).getTime();
          assert.ok(Math.abs(t - Date.now()) < 5 * 60 * 1000, `log time ${l.slice(0, 40)} is not local now`);
        }
      });

      it("timestamps never go backwards", () => {
        let prev = "";
        for (const l of lines) {
          const ts = l.slice(l.indexOf("] ") + 2, l.indexOf("] ") + 2 + 26);
          assert.ok(ts >= prev, `timestamp went backwards: ${prev} then ${ts}`);
          prev = ts;
        }
      });
    });

    it("-D logs client connection created / closed with address and cid", async () => {
      const s = await start(kind, ["-D"]);
      const c = await RawConn.connect(s.port);
      sockets.add(c);
      const info = await c.readInfo();
      const port = c.sock.localPort;
      c.write('CONNECT {"verbose":false,"pedantic":false}\r\n');
      await c.flush();
      c.close();
      const cid = info.client_id;
      assert.equal(typeof cid, "number");
      await waitUntil(() => /Client connection closed/.test(s.output()), "the close debug line");
      const out = s.output();
      assert.match(out, new RegExp(`\\[DBG\\] 127\\.0\\.0\\.1:${port} - cid:${cid} - Client connection created\\n`));
      assert.match(
        out,
        new RegExp(`\\[DBG\\] 127\\.0\\.0\\.1:${port} - cid:${cid} - Client connection closed: Client Closed\\n`),
      );
      await s.stop("SIGKILL");
    });

    describe("-V traces the client protocol as nats-server does", () => {
      let out = "";
      let cid1;
      let cid2;
      before(async () => {
        const s = await start(kind, ["-V"]);
        // session 1: the brief one
        const a = await raw(s.port);
        cid1 = a.info.client_id;
        a.c.write("SUB foo 1\r\nPUB foo 5\r\nhello\r\n");
        assert.equal(await a.c.flush(), "MSG foo 1 5\r\nhello\r\n");
        // session 2: verbose, named, with a password to redact, UNSUB
        const b = await raw(s.port, {
          verbose: true,
          pedantic: false,
          name: "tester",
          lang: "node",
          version: "1.0",
          user: "u",
          pass: "secret",
        });
        cid2 = b.info.client_id;
        b.c.write("SUB foo 1\r\nPUB foo 5\r\nhello\r\nUNSUB 1\r\n");
        await b.c.flush();
        await waitUntil(() => connLines(s.output(), cid2).some((l) => l.endsWith("->> [PONG]")), "the traced PONG");
        out = s.output();
        await s.stop("SIGKILL");
      });

      it("<<- [PUB foo 5] and ->> [MSG foo 1 5] with the connection label", () => {
        assert.match(out, new RegExp(`\\[TRC\\] 127\\.0\\.0\\.1:\\d+ - cid:${cid1} - <<- \\[PUB foo 5\\]\\n`));
        assert.match(out, new RegExp(`\\[TRC\\] 127\\.0\\.0\\.1:\\d+ - cid:${cid1} - ->> \\[MSG foo 1 5\\]\\n`));
      });

      it('<<- MSG_PAYLOAD: ["hello"] (payload Go-quoted, client.go traceMsg)', () => {
        assert.ok(connLines(out, cid1).includes('<<- MSG_PAYLOAD: ["hello"]'), connLines(out, cid1).join("\n"));
      });

      it("a whole verbose session traces line for line as nats-server's", () => {
        const L = '"v1.0:node:tester" - ';
        assert.deepEqual(connLines(out, cid2), [
          '<<- [CONNECT {"verbose":true,"pedantic":false,"name":"tester","lang":"node","version":"1.0","user":"u","pass":"[REDACTED]"}]',
          `${L}->> [OK]`,
          `${L}<<- [SUB foo 1]`,
          `${L}->> [OK]`,
          `${L}<<- [PUB foo 5]`,
          `${L}<<- MSG_PAYLOAD: ["hello"]`,
          `${L}->> [OK]`,
          `${L}->> [MSG foo 1 5]`,
          `${L}<<- [UNSUB 1]`,
          `${L}->> [OK]`,
          `${L}<-> [DELSUB 1]`,
          `${L}<<- [PING]`,
          `${L}->> [PONG]`,
        ]);
      });
    });

    it('--max_traced_msg_len 3 traces <<- MSG_PAYLOAD: ["hel..."]', async () => {
      const s = await start(kind, ["-V", "--max_traced_msg_len", "3"]);
      const { c, info } = await raw(s.port);
      c.write("PUB foo 5\r\nhello\r\n");
      await c.flush();
      await waitUntil(
        () => connLines(s.output(), info.client_id).some((l) => l.endsWith("->> [PONG]")),
        "the traced PONG",
      );
      assert.ok(connLines(s.output(), info.client_id).includes('<<- MSG_PAYLOAD: ["hel..."]'), s.output());
      await s.stop("SIGKILL");
    });

    // ---------------------------------------------------------------- -h, -v, bad flags

    it("-h prints the usage on stdout and exits 0", async () => {
      const r = await runToExit(kind, ["-h"]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`Usage: ${exe} \\[options\\]`));
      assert.match(r.stdout, /-p, --port <port>/);
      assert.doesNotMatch(r.stdout + r.stderr, /Listening for client connections/);
    });

    it("-v prints a version and exits 0", async () => {
      const r = await runToExit(kind, ["-v"]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`^${exe}: v\\d+\\.\\d+\\.\\d+`));
    });

    // Go's flag package prints the error, then calls fs.Usage, which nats-server's main.go sets to
    // a function printing the usage on stdout and calling os.Exit(0): a bad flag exits 0.
    it("an unknown flag: 'flag provided but not defined' on stderr, usage on stdout, exit 0 (as nats-server)", async () => {
      const r = await runToExit(kind, ["--bogus"]);
      assert.match(r.stderr, /^flag provided but not defined: -bogus\n/);
      assert.doesNotMatch(r.stdout + r.stderr, /Server is ready/);
      assert.equal(r.code, 0, `exit code ${r.code}; nats-server exits 0 (main.go usage() → os.Exit(0))`);
      assert.match(r.stdout, new RegExp(`Usage: ${exe} \\[options\\]`));
    });

    it("-p abc: 'invalid value' on stderr, does not start, exit 0 (as nats-server)", async () => {
      const r = await runToExit(kind, ["-p", "abc"]);
      assert.match(r.stderr, /^invalid value "abc" for flag -p: parse error\n/);
      assert.doesNotMatch(r.stdout + r.stderr, /Server is ready/);
      assert.equal(r.code, 0, `exit code ${r.code}; nats-server exits 0 (main.go usage() → os.Exit(0))`);
      assert.match(r.stdout, new RegExp(`Usage: ${exe} \\[options\\]`));
    });

    // ---------------------------------------------------------------- -c file -t

    describe("-c file -t checks the configuration", () => {
      it("a valid file: 'configuration file <file> is valid', exit 0, no listening", async () => {
        const port = await freePort();
        const f = tmpFile("valid.conf", `port: ${port}\nserver_name: "checked"\nmax_payload: 512KB\n`);
        const r = await runToExit(kind, ["-c", f, "-t"]);
        assert.equal(r.code, 0);
        assert.equal(r.stderr, `${exe}: configuration file ${f} is valid\n`);
        assert.equal(r.stdout, "");
      });

      it("a syntax error: exit 1, 'Parse error on line N' as nats-server prints it", async () => {
        const f = tmpFile("syntax.conf", "port: 4333\nauthorization {\n  user: a\n  password: b\n");
        const r = await runToExit(kind, ["-c", f, "-t"]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /Parse error on line 5: 'Unexpected EOF processing map\.'/);
        assert.doesNotMatch(r.stderr, /is valid/);
        // conf/parse.go: fmt.Errorf("Parse error on line %d: '%s'", it.line, it.val), no file or column.
        // tsnats names file:line:column in front of the same text, on purpose (README).
        if (kind === "tsnats") {
          assert.equal(r.stderr.trimEnd(), `${exe}: ${f}:5:1: Parse error on line 5: 'Unexpected EOF processing map.'`);
        } else {
          assert.equal(r.stderr.trimEnd(), `${exe}: Parse error on line 5: 'Unexpected EOF processing map.'`);
        }
      });

      it("an unknown field: exit 1, '<file>:line:col: unknown field'", async () => {
        const f = tmpFile("unknown.conf", "port: 4333\n\nbogus_field: 1\n");
        const r = await runToExit(kind, ["-c", f, "-t"]);
        assert.equal(r.code, 1);
        assert.equal(r.stderr.trimEnd(), `${exe}: ${f}:3:1: unknown field "bogus_field"`);
      });

      it("-t without -c: exit 1 with nats-server's message", async () => {
        const r = await runToExit(kind, ["-t"]);
        assert.equal(r.code, 1);
        assert.equal(
          r.stderr.trimEnd(),
          `${exe}: must specify [-c, --config] option to check configuration file syntax`,
        );
      });

      it('lame_duck_duration "2s" is refused (minimum 30 seconds)', async () => {
        const f = tmpFile("ldm2.conf", 'lame_duck_duration: "2s"\nlame_duck_grace_period: "500ms"\n');
        const r = await runToExit(kind, ["-c", f, "-t"]);
        assert.equal(r.code, 1);
        assert.match(
          r.stderr,
          new RegExp(`^${exe}: ${escapeRe(f)}:1:\\d+: invalid lame_duck_duration of 2s, minimum is 30 seconds\\n`),
        );
      });

      it("a negative lame_duck_grace_period is refused", async () => {
        const f = tmpFile("ldmneg.conf", 'lame_duck_duration: "30s"\nlame_duck_grace_period: "-1s"\n');
        const r = await runToExit(kind, ["-c", f, "-t"]);
        assert.equal(r.code, 1);
        assert.match(
          r.stderr,
          new RegExp(`^${exe}: ${escapeRe(f)}:2:\\d+: invalid lame_duck_grace_period, needs to be positive\\n`),
        );
      });

      it("a grace period not below the duration stops the start-up", async () => {
        const f = tmpFile("ldmgt.conf", 'lame_duck_duration: "30s"\nlame_duck_grace_period: "40s"\n');
        const r = await runToExit(kind, ["-c", f, "-a", "127.0.0.1", "-p", "-1"], 2000);
        assert.equal(r.timedOut, false, `the server started:\n${r.stderr}`);
        assert.equal(r.code, 1);
        assert.equal(
          r.stderr.trimEnd(),
          `${exe}: lame duck grace period (40s) should be strictly lower than lame duck duration (30s)`,
        );
      });
    });

    // ---------------------------------------------------------------- signals

    /** Three connected clients: an idle one, a subscriber that stopped reading, a publisher. */
    async function connectedClients(port) {
      const idle = (await raw(port)).c;
      await idle.flush();
      const sub = (await raw(port)).c;
      sub.write("SUB foo 1\r\n");
      await sub.flush();
      sub.sock.pause();
      const pub = (await raw(port)).c;
      for (let i = 0; i < 50; i++) pub.write(`PUB foo 1024\r\n${"x".repeat(1024)}\r\n`);
      await pub.flush();
      return [idle, sub, pub];
    }

    it("SIGINT: Trapped line, Server Exiting.., exit 0 with clients connected (one of them blocked)", async () => {
      const s = await start(kind);
      const clients = await connectedClients(s.port);
      s.proc.kill("SIGINT");
      // below the 10 s write deadline: the exit does not wait for the blocked subscriber
      const exit = await s.waitExit(5000);
      assert.ok(exit, "did not exit within 5 s");
      assert.equal(exit.code, 0);
      assert.match(s.output(), /\[INF\] Server Exiting\.\.\n/);
      if (!oracle29) {
        // signal.go: s.Noticef("Trapped %q signal", sig); 2.9 logs it with Debugf (only with -D)
        assert.match(s.output(), /\[INF\] Trapped "interrupt" signal\n/);
      }
      clients[1].sock.resume();
      for (const c of clients) assert.ok(await c.waitClosed(1000), "client not closed");
    });

    it("SIGTERM: exit code 1 (signal.go: os.Exit(1) unless in lame duck mode)", async () => {
      const s = await start(kind);
      const { c } = await raw(s.port);
      await c.flush();
      s.proc.kill("SIGTERM");
      const exit = await s.waitExit(3000);
      assert.ok(exit, "did not exit within 3 s");
      // same exit code in 2.9 and 2.10
      assert.equal(exit.code, 1);
      assert.match(s.output(), /\[INF\] Server Exiting\.\.\n/);
      if (!oracle29) assert.match(s.output(), /\[INF\] Trapped "terminated" signal\n/);
    });

    describe("SIGUSR2: lame duck mode (lame_duck_duration 30s, grace 500ms)", () => {
      // nats-server refuses lame_duck_duration below 30s, so 30s it is; with two or three
      // clients they are closed one per ~0.5-1 s after the grace period.
      const obs = {};
      before(async () => {
        const conf = tmpFile("ldm.conf", 'lame_duck_duration: "30s"\nlame_duck_grace_period: "500ms"\n');
        const s = await start(kind, ["-c", conf]);
        obs.output = () => s.output();
        const v1 = { verbose: false, pedantic: false, protocol: 1 };
        const a = await raw(s.port, v1);
        const b = await raw(s.port, v1);
        const old = await raw(s.port, { verbose: false, pedantic: false, protocol: 0 });
        for (const x of [a, b, old]) await x.c.flush();
        obs.clients = [a, b];
        obs.old = old;
        const t0 = performance.now();
        s.proc.kill("SIGUSR2");
        // new connections are refused once the ldm INFO is out
        await a.c.waitFor(/INFO .*\r\n/, 3000).catch(() => {});
        obs.newConn = await new Promise((resolve) => {
          const sock = net.connect({ host: "127.0.0.1", port: s.port });
          sock.once("error", (e) => resolve(e.code));
          sock.once("data", () => {
            sock.destroy();
            resolve("accepted");
          });
          sock.once("close", () => resolve("closed"));
        });
        obs.closedAt = await Promise.all(
          [a, b, old].map(async (x) => ((await x.c.waitClosed(5000)) ? performance.now() - t0 : null)),
        );
        obs.exit = await s.waitExit(3000);
      });

      it("connected clients get an INFO with ldm:true", () => {
        for (const { c } of obs.clients) {
          const m = /^INFO (.*) \r\n/.exec(c.text());
          assert.ok(m, `no INFO: ${JSON.stringify(c.text())}`);
          assert.equal(JSON.parse(m[1]).ldm, true);
        }
      });

      it("the process refuses new connections, closes clients after the grace period and exits 0", () => {
        assert.notEqual(obs.newConn, "accepted");
        for (const t of obs.closedAt) {
          assert.ok(t !== null, "a client was not closed within 5 s");
          assert.ok(t >= 450 && t < 30000, `closed at ${t.toFixed(0)} ms`);
        }
        assert.ok(obs.exit, "the process did not exit");
        assert.equal(obs.exit.code, 0);
        assert.match(obs.output(), /\[INF\] Entering lame duck mode, stop accepting new clients\n/);
        assert.match(obs.output(), /\[INF\] Closing existing clients\n/);
      });

      it("closes are spread, one client at a time, over lame_duck_duration minus the grace period", () => {
        // server.go lameDuckMode: si = min(1 s, (30 s - 500 ms) / 3 clients) = 1 s, and each pause
        // between two closes is random in [si/2, si); all at once would leave gaps of ~0 ms, and
        // a pause of (duration - grace) / clients without the 1 s cap would be ~9.8 s
        const at = obs.closedAt.filter((t) => t !== null).sort((x, y) => x - y);
        assert.equal(at.length, 3, "every client was closed");
        // the first at the end of the grace period, not one interval later
        assert.ok(at[0] >= 450 && at[0] < 2500, `first close at ${at[0].toFixed(0)} ms`);
        const gaps = at.slice(1).map((t, i) => t - at[i]);
        for (const g of gaps)
          assert.ok(g >= 300 && g < 2500, `closes at ${at.map((t) => t.toFixed(0))} ms: a gap of ${g.toFixed(0)} ms`);
      });

      it("the ldm INFO is per client (client_id, client_ip), as generateClientInfoJSON builds it", () => {
        for (const { c, info } of obs.clients) {
          const ldm = JSON.parse(/^INFO (.*) \r\n/.exec(c.text())[1]);
          assert.equal(ldm.client_id, info.client_id);
          assert.equal(ldm.client_ip, "127.0.0.1");
        }
      });

      it("clients that did not CONNECT with protocol 1 get no async INFO (route.go sendAsyncInfoToClients)", () => {
        // a keep-alive PING may arrive meanwhile (servers ping clients from ~2 s on); no INFO may
        assert.equal(obs.old.c.text().replace(/PING\r\n/g, ""), "");
      });
    });

    it("--signal quit=<pid> stops a running server", async () => {
      const s = await start(kind);
      const r = await runToExit(kind, ["--signal", `quit=${s.pid}`]);
      assert.equal(r.code, 0, r.stderr);
      const exit = await s.waitExit(3000);
      assert.ok(exit, "server did not exit");
      assert.equal(exit.code, 0);
    });

    it("--signal ldm=<pidfile> puts a server in lame duck mode; with no clients it exits at once", async () => {
      const pidFile = tmpFile("ldm.pid");
      const h = spawnServer(kind, ["-a", "127.0.0.1", "-p", "-1", "-P", pidFile]);
      try {
        await h.waitFor(/Server is ready/);
        await waitUntil(() => existsSync(pidFile), "the pid file");
        const r = await runToExit(kind, ["--signal", `ldm=${pidFile}`]);
        assert.equal(r.code, 0, r.stderr);
        await h.waitFor(/Entering lame duck mode, stop accepting new clients/, 2000);
        // server.go lameDuckMode: no clients → Shutdown() right away, no grace period wait
        const exit = await h.waitExit(3000);
        assert.ok(exit, `did not exit within 3 s of the ldm signal:\n${h.all}`);
        assert.equal(exit.code, 0);
      } finally {
        await h.kill();
      }
    });

    // ---------------------------------------------------------------- slow consumer

    // 200 x 32KB: enough to fill the stalled subscriber's socket buffers (~4 MB on loopback) and go
    // past max_pending. nats-server stalls a producer briefly when a consumer's pending bytes pass
    // 3/4 of max_pending (client.go stalledWait; 100ms-1s in 2.9, 2-5ms in 2.10), which lets
    // consumers that do read keep up with the flood.
    describe("slow consumer (max_pending 100KB): the stalled subscriber is cut, the others are not", () => {
      const N = 200;
      const SIZE = 32 * 1024;
      const obs = {};
      before(async () => {
        const conf = tmpFile("slow.conf", "max_pending: 100KB\nmax_payload: 32KB\n");
        const s = await start(kind, ["-c", conf]);
        obs.output = () => s.output();
        // a well-behaved subscriber that reads everything, counting MSG frames as they stream in
        const good = await goodSubscriber(s.port);
        obs.good = good;
        obs.goodCid = good.cid;
        const slow = await raw(s.port);
        obs.slowCid = slow.info.client_id;
        slow.c.write("SUB foo 1\r\n");
        await slow.c.flush();
        slow.c.sock.pause(); // stops reading: the kernel buffers fill, then the server's pending bytes grow
        const pub = await raw(s.port);
        const frame = Buffer.from(`PUB foo ${SIZE}\r\n${"x".repeat(SIZE)}\r\n`);
        for (let i = 0; i < N; i++) pub.c.write(frame);
        const pubDone = pub.c.flush(15000).then(
          () => "ok",
          (e) => e.message,
        );
        await waitUntil(() => /Slow Consumer Detected/.test(s.output()), "Slow Consumer Detected", 10000).catch(
          () => {},
        );
        // read again: nats-server closes the socket once its blocked write returns
        slow.c.sock.resume();
        obs.slowClosed = await slow.c.waitClosed(5000);
        obs.slowText = slow.c.text();
        obs.pub = await pubDone;
        await waitUntil(() => good.msgs >= N || good.closed, "the good subscriber", 5000).catch(() => {});
        await sleep(50);
      });

      it('the server logs "Slow Consumer Detected: MaxPending of 102400 Exceeded" for the stalled one', () => {
        assert.match(
          obs.output(),
          new RegExp(`- cid:${obs.slowCid} - Slow Consumer Detected: MaxPending of 102400 Exceeded\\n`),
        );
      });

      it("the stalled subscriber is closed without any -ERR", () => {
        assert.equal(obs.slowClosed, true);
        assert.doesNotMatch(obs.slowText, /-ERR/);
      });

      it("the well-behaved subscriber on the same server gets every message and stays connected", () => {
        assert.equal(obs.pub, "ok");
        assert.equal(
          obs.good.closed,
          false,
          `well-behaved subscriber was closed after ${obs.good.msgs} of ${N} messages:\n${obs
            .output()
            .match(/.*Slow Consumer.*/g)
            ?.join("\n")}`,
        );
        assert.deepEqual(obs.good.other, []);
        assert.equal(obs.good.msgs, N);
        assert.doesNotMatch(obs.output(), new RegExp(`- cid:${obs.goodCid} - Slow Consumer Detected`));
      });
    });
  });
}

/** A subscriber on "foo" that counts MSG frames without keeping payloads; answers PINGs. */
async function goodSubscriber(port) {
  const sock = net.connect({ host: "127.0.0.1", port });
  sock.setNoDelay(true);
  const g = { msgs: 0, other: [], closed: false, cid: 0 };
  let line = "";
  let skip = 0;
  let infoSeen = false;
  let ready;
  const readyP = new Promise((r) => (ready = r));
  sock.on("data", (d) => {
    let i = 0;
    while (i < d.length) {
      if (skip > 0) {
        const n = Math.min(skip, d.length - i);
        skip -= n;
        i += n;
        continue;
      }
      const nl = d.indexOf(10, i);
      if (nl < 0) {
        line += d.toString("latin1", i);
        break;
      }
      line += d.toString("latin1", i, nl + 1);
      i = nl + 1;
      const l = line;
      line = "";
      const m = /^MSG \S+ \S+ (?:\S+ )?(\d+)\r\n$/.exec(l);
      if (m) {
        g.msgs++;
        skip = Number(m[1]) + 2;
      } else if (l === "PING\r\n") sock.write("PONG\r\n");
      else if (!infoSeen && l.startsWith("INFO ")) {
        infoSeen = true;
        g.cid = JSON.parse(l.slice(5)).client_id;
        sock.write('CONNECT {"verbose":false,"pedantic":false}\r\nSUB foo 1\r\nPING\r\n');
      } else if (l === "PONG\r\n" && g.cid !== 0 && !g.ready) {
        g.ready = true;
        ready();
      } else g.other.push(l);
    }
  });
  sock.on("close", () => {
    g.closed = true;
    ready();
  });
  sock.on("error", () => {});
  sockets.add({ close: () => sock.destroy() });
  await readyP;
  return g;
}

// ------------------------------------------------------------------------------------ start-up time

describe("start-up time (reported, not asserted)", () => {
  for (const kind of kinds) {
    it(`${kind}: spawn → "Server is ready" and → first INFO on a TCP connection`, async (t) => {
      const runs = [];
      for (let i = 0; i < 3; i++) {
        const port = await freePort();
        const t0 = performance.now();
        const h = spawnServer(kind, ["-a", "127.0.0.1", "-p", String(port)]);
        let tInfo = null;
        const probe = (async () => {
          while (tInfo === null && !h.exit) {
            tInfo = await new Promise((resolve) => {
              const s = net.connect({ host: "127.0.0.1", port });
              s.once("data", () => {
                s.destroy();
                resolve(performance.now() - t0);
              });
              s.once("error", () => {
                s.destroy();
                setTimeout(() => resolve(null), 1);
              });
            });
          }
        })();
        await h.waitFor(/Server is ready/, 10000);
        const tReady = performance.now() - t0;
        await probe;
        h.signal("SIGINT");
        await h.waitExit(3000);
        await h.kill();
        runs.push({ ready: tReady, info: tInfo });
      }
      const fmt = (xs) => xs.map((x) => (x === null ? "-" : x.toFixed(1))).join(", ");
      const msg = `${kind} start-up: spawn→"Server is ready" ${fmt(runs.map((r) => r.ready))} ms; spawn→first INFO ${fmt(runs.map((r) => r.info))} ms`;
      t.diagnostic(msg);
      console.log(msg);
    });
  }
});
