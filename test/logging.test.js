// Black-box tests of logging: the log file (log_file / -l), its rotation (logfile_size_limit,
// logfile_max_num), SIGUSR1 re-open as logrotate uses it, logtime_utc, the -DV/-VV/-DVV and
// trace_verbose switches, and the acceptance configuration file. Each case runs against
// tsnats-server and, when installed, Debian's nats-server 2.9 as the oracle, except where 2.9
// lacks the feature (logfile_max_num is 2.10): those cases say so and run against tsnats only.
// Expectations were checked in nats-server v2.10.29's logger/log.go and server/log.go.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, TSNATS_BIN, freePort, natsServerBin, serverKinds } from "./helpers/servers.js";
import { requirePrereqs } from "../scripts/prereqs.mjs";
import { RawConn, rawConnect } from "./helpers/raw.js";
import { waitUntil } from "./helpers/wait.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const kinds = serverKinds();
const exeName = (kind) => (kind === "tsnats" ? "tsnats-server" : "nats-server");
const LINE_RE =
  /^\[(\d+)\] (\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{6}) \[(INF|DBG|TRC|WRN|ERR|FTL)\] ([^\n]*)$/;

// ------------------------------------------------------------------------------------ processes

const children = new Set();
const sockets = new Set();
let tmp;

before(() => {
  tmp = mkdtempSync(path.join(tmpdir(), "tsnats-logging-"));
});

after(async () => {
  for (const c of sockets) c.close();
  for (const p of [...children]) {
    if (p.exitCode === null && p.signalCode === null) {
      p.kill("SIGKILL");
      await new Promise((r) => p.once("exit", r));
    }
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

let dirSeq = 0;
/** A fresh directory inside this run's temp directory. */
function tmpDir(name) {
  const d = path.join(tmp, `${++dirSeq}-${name}`);
  mkdirSync(d);
  return d;
}

/** Spawn a server process with exactly these flags; records stdout/stderr. */
function spawnServer(kind, args, env = {}) {
  const [cmd, argv] = kind === "tsnats" ? [process.execPath, [TSNATS_BIN, ...args]] : [natsServerBin(), args];
  const proc = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"], cwd: ROOT, env: { ...process.env, ...env } });
  children.add(proc);
  const h = { proc, pid: proc.pid, stdout: "", stderr: "", exit: null };
  proc.stdout.on("data", (d) => (h.stdout += d.toString()));
  proc.stderr.on("data", (d) => (h.stderr += d.toString()));
  h.exited = new Promise((resolve) =>
    proc.once("close", (code, signal) => {
      children.delete(proc);
      h.exit = { code, signal };
      resolve(h.exit);
    }),
  );
  h.signal = (sig) => {
    if (h.exit === null) proc.kill(sig);
  };
  /** SIGINT, then SIGKILL if it has not exited within 5 s. */
  h.stop = async () => {
    h.signal("SIGINT");
    const t = setTimeout(() => h.signal("SIGKILL"), 5000);
    await h.exited;
    clearTimeout(t);
  };
  return h;
}

/** Run to completion (for -t); SIGKILL after 5 s. */
async function runToExit(kind, args) {
  const h = spawnServer(kind, args);
  const t = setTimeout(() => h.signal("SIGKILL"), 5000);
  const r = await h.exited;
  clearTimeout(t);
  return { ...r, stdout: h.stdout, stderr: h.stderr };
}

const read = (f) => (existsSync(f) ? readFileSync(f, "utf8") : "");

/** Start a server that logs to logFile; resolves once "Server is ready" is in the file. */
async function startLogging(kind, args, logFile, env) {
  const h = spawnServer(kind, ["-a", "127.0.0.1", "-p", "-1", ...args], env);
  try {
    await waitUntil(
      () => h.exit !== null || /Server is ready/.test(read(logFile)),
      "Server is ready in the log file",
      5000,
    );
  } catch (e) {
    await h.stop();
    throw e;
  }
  if (h.exit !== null) throw new Error(`server exited ${JSON.stringify(h.exit)}: ${h.stderr}\n${read(logFile)}`);
  h.port = Number(/Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(read(logFile))[1]);
  return h;
}

/** Start a server that logs to stderr; resolves once it is ready. */
async function startStderr(kind, args, env) {
  const h = spawnServer(kind, ["-a", "127.0.0.1", "-p", "-1", ...args], env);
  await waitUntil(() => h.exit !== null || /Server is ready/.test(h.stderr), "Server is ready on stderr", 5000).catch(
    async (e) => {
      await h.stop();
      throw e;
    },
  );
  if (h.exit !== null) throw new Error(`server exited ${JSON.stringify(h.exit)}: ${h.stderr}`);
  h.port = Number(/Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(h.stderr)[1]);
  return h;
}

async function raw(port) {
  const r = await rawConnect(port);
  sockets.add(r.c);
  return r;
}

/** The log files of `base` in dir, oldest first: the backups by name (their timestamp), then base. */
function logFiles(dir, base) {
  const backups = readdirSync(dir)
    .filter((n) => n.startsWith(base + "."))
    .sort();
  return [...backups.map((n) => path.join(dir, n)), path.join(dir, base)];
}

/** Split a file into lines, asserting that it ends with a complete line. */
function fileLines(f) {
  const t = readFileSync(f, "utf8");
  if (t === "") return [];
  assert.ok(t.endsWith("\n"), `${f} ends in the middle of a line: ${JSON.stringify(t.slice(-80))}`);
  return t.slice(0, -1).split("\n");
}

/** A burst of PUBs from several connections at once: client k publishes burst.<k>.<i>. */
async function publishBurst(port, clients, perClient) {
  const conns = [];
  for (let k = 0; k < clients; k++) conns.push((await raw(port)).c);
  await Promise.all(
    conns.map(async (c, k) => {
      let batch = "";
      for (let i = 0; i < perClient; i++) batch += `PUB burst.${k}.${i} 3\r\nabc\r\n`;
      c.write(batch);
      await c.flush(10000);
    }),
  );
  for (const c of conns) c.close();
}

/** The (k, i) of every traced `<<- [PUB burst.k.i 3]` in the lines, in order. */
function burstPubs(lines) {
  const out = [];
  for (const l of lines) {
    const m = /<<- \[PUB burst\.(\d+)\.(\d+) 3\]$/.exec(l);
    if (m) out.push([Number(m[1]), Number(m[2])]);
  }
  return out;
}

// ------------------------------------------------------------------------------------ the cases

for (const kind of kinds) {
  const exe = exeName(kind);
  const is29 = kind === "nats-server";

  describe(`logging [${kind}]`, () => {
    describe("the issue's acceptance file (port 4222, http_port 8222, log_file, logtime, logfile_size_limit: 1G, debug)", () => {
      let dir;
      let conf;
      let logFile;
      before(() => {
        dir = tmpDir("accept");
        logFile = path.join(dir, "nats-server.log");
        conf = path.join(dir, "server.conf");
        writeFileSync(
          conf,
          `port: 4222\nhttp_port: 8222\nlog_file: "${logFile}"\nlogtime: true\nlogfile_size_limit: 1G\ndebug: true\n`,
        );
      });

      it("-t accepts it (configuration file ... is valid, exit 0) and creates no log file", async () => {
        const r = await runToExit(kind, ["-t", "-c", conf]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(
          r.stderr,
          new RegExp(`${exe}: configuration file ${conf.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is valid`),
        );
        assert.equal(existsSync(logFile), false);
      });

      it("-c runs it (ports overridden by -p/-m): the log file has timed debug lines of a client's connect and close", async () => {
        const h = await startLogging(kind, ["-c", conf, "-m", String(await freePort())], logFile);
        try {
          const c = await RawConn.connect(h.port);
          sockets.add(c);
          const info = await c.readInfo();
          const cport = c.sock.localPort;
          c.write('CONNECT {"verbose":false}\r\n');
          await c.flush();
          c.close();
          await waitUntil(() => /Client connection closed/.test(read(logFile)), "the close debug line");
          const lines = fileLines(logFile);
          assert.equal(h.stderr, "");
          for (const l of lines) {
            const m = LINE_RE.exec(l);
            assert.ok(m, `not a timed log line: ${JSON.stringify(l)}`);
            assert.equal(Number(m[1]), h.pid);
          }
          const dbg = lines.filter((l) => / \[DBG\] /.test(l)).map((l) => LINE_RE.exec(l)[10]);
          assert.ok(
            dbg.includes(`127.0.0.1:${cport} - cid:${info.client_id} - Client connection created`),
            dbg.join("\n"),
          );
          assert.ok(
            dbg.includes(`127.0.0.1:${cport} - cid:${info.client_id} - Client connection closed: Client Closed`),
            dbg.join("\n"),
          );
          // the flags won over the file's port 4222
          assert.ok(lines.some((l) => l.endsWith(`Listening for client connections on 127.0.0.1:${h.port}`)));
          assert.notEqual(h.port, 4222);
        } finally {
          await h.stop();
        }
        assert.match(read(logFile), /\[INF\] Server Exiting\.\.\n$/);
      });
    });

    describe("rotation: logfile_size_limit 4KB under a burst of trace lines from 4 connections", () => {
      const LIMIT = 4096;
      let dir;
      let files;
      let lines;
      before(async () => {
        dir = tmpDir("rotate");
        const logFile = path.join(dir, "s.log");
        const conf = path.join(dir, "s.conf");
        writeFileSync(conf, `log_file: "${logFile}"\nlogfile_size_limit: 4KB\ntrace: true\n`);
        const h = await startLogging(kind, ["-c", conf], logFile);
        try {
          await publishBurst(h.port, 4, 300);
        } finally {
          await h.stop();
        }
        files = logFiles(dir, "s.log");
        lines = files.map(fileLines);
      });

      it("rotates many times; each backup is named <file>.YYYY.MM.DD.hh.mm.ss.nnnnnnnnn", () => {
        assert.ok(files.length > 20, `only ${files.length} files`);
        for (const f of files.slice(0, -1)) {
          assert.match(path.basename(f), /^s\.log\.\d{4}\.\d{2}\.\d{2}\.\d{2}\.\d{2}\.\d{2}\.\d{9}$/);
        }
      });

      it("a backup is cut at the first line that takes it past the limit, never inside a line", () => {
        for (const f of files.slice(0, -1)) {
          const size = statSync(f).size;
          const last = fileLines(f).at(-1);
          assert.ok(size > LIMIT, `${f}: ${size} bytes`);
          assert.ok(
            size - Buffer.byteLength(last + "\n") <= LIMIT,
            `${f}: ${size} bytes, already full before its last line`,
          );
        }
      });

      it('every new file starts with "[INF] Rotated log, backup saved as <previous backup>" (CRLF-terminated, as nats-server writes it)', () => {
        for (let i = 1; i < files.length; i++) {
          const first = lines[i][0];
          const m = LINE_RE.exec(first);
          assert.ok(m, first);
          assert.equal(m[9], "INF");
          assert.equal(m[10], `Rotated log, backup saved as ${JSON.stringify(files[i - 1])}\r`);
        }
      });

      it("every traced PUB appears exactly once across the files, each connection's in order", () => {
        const pubs = burstPubs(lines.flat());
        assert.equal(pubs.length, 4 * 300);
        const next = [0, 0, 0, 0];
        for (const [k, i] of pubs) {
          assert.equal(i, next[k], `connection ${k}: PUB ${i} where ${next[k]} was expected`);
          next[k]++;
        }
        // and the connection's next line is the PUB's payload (nats-server's connections run in
        // parallel, so another connection's lines may come in between, or a rotation)
        const all = lines.flat();
        all.forEach((l, j) => {
          const m = / (cid:\d+ - )<<- \[PUB burst\./.exec(l);
          if (m === null) return;
          const next = all.slice(j + 1).find((x) => x.includes(m[1]));
          assert.match(next ?? "", /<<- MSG_PAYLOAD: \["abc"\]$/, `after ${l}`);
        });
      });

      it("every line of every file is a whole log line; the last file ends with Server Exiting..", () => {
        for (const ls of lines) for (const l of ls) assert.match(l, LINE_RE);
        assert.match(lines.at(-1).at(-1), /\[INF\] Server Exiting\.\.$/);
        assert.match(lines[0][0], /\[INF\] Starting /);
      });
    });

    it("a log file already past the limit at start-up: 'Rotating logfile...' in it, then rotated", async () => {
      const dir = tmpDir("prefull");
      const logFile = path.join(dir, "s.log");
      const old = "x".repeat(99) + "\n";
      writeFileSync(logFile, old.repeat(50));
      const h = await startLogging(kind, ["-l", logFile, "--log_size_limit", "1000"], logFile);
      await h.stop();
      const files = logFiles(dir, "s.log");
      assert.equal(files.length, 2, files.join(" "));
      const backup = fileLines(files[0]);
      assert.equal(backup.length, 51);
      assert.match(backup[50], /\[INF\] Rotating logfile\.\.\.$/);
      assert.equal(
        LINE_RE.exec(fileLines(files[1])[0])[10],
        `Rotated log, backup saved as ${JSON.stringify(files[0])}\r`,
      );
      assert.match(read(logFile), /\[INF\] Starting /);
    });

    it("-l to a file in a missing directory: exit 1, 'error opening file: open <file>: no such file or directory'", async () => {
      const f = path.join(tmp, "no-such-dir", "s.log");
      const h = spawnServer(kind, ["-a", "127.0.0.1", "-p", "-1", "-l", f]);
      const t = setTimeout(() => h.signal("SIGKILL"), 5000);
      const r = await h.exited;
      clearTimeout(t);
      assert.equal(r.code, 1);
      assert.ok(h.stderr.includes(`error opening file: open ${f}: no such file or directory`), h.stderr);
    });

    describe("SIGUSR1 re-opens the log file (logrotate: move the file away, then signal)", () => {
      let dir;
      let logFile;
      let moved;
      let cidBefore;
      let cidBetween;
      let cidAfter;
      let pid;
      before(async () => {
        dir = tmpDir("reopen");
        logFile = path.join(dir, "s.log");
        moved = path.join(dir, "s.log.1");
        const h = await startLogging(kind, ["-D", "-l", logFile], logFile);
        pid = h.pid;
        try {
          const a = await raw(h.port);
          cidBefore = a.info.client_id;
          await a.c.flush();
          renameSync(logFile, moved);
          // still written to the moved file until the signal
          const b = await raw(h.port);
          cidBetween = b.info.client_id;
          await b.c.flush();
          if (kind === "tsnats") {
            // --signal reopen=<pid> is the way to send it
            const r = await runToExit("tsnats", ["--signal", `reopen=${h.pid}`]);
            assert.equal(r.code, 0, r.stderr);
          } else {
            h.signal("SIGUSR1");
          }
          await waitUntil(() => /File log re-opened/.test(read(logFile)), "File log re-opened in the new file");
          const c = await raw(h.port);
          cidAfter = c.info.client_id;
          await c.c.flush();
          await waitUntil(
            () => read(logFile).includes(`cid:${cidAfter} - Client connection created`),
            "the new client in the new file",
          );
        } finally {
          await h.stop();
        }
      });

      it("the moved file keeps everything up to the trapped signal, and nothing after it", () => {
        const old = fileLines(moved);
        assert.match(old[0], /\[INF\] Starting /);
        assert.ok(old.some((l) => l.endsWith(`cid:${cidBefore} - Client connection created`)));
        assert.ok(old.some((l) => l.endsWith(`cid:${cidBetween} - Client connection created`)));
        // 2.10 logs the trapped signal as a notice (signal.go); the 2.9 oracle as a debug line
        assert.ok(old.at(-1).endsWith(`[${is29 ? "DBG" : "INF"}] Trapped "user defined signal 1" signal`), old.at(-1));
      });

      it('the new file starts with "File log re-opened" and has the later lines, up to Server Exiting..', () => {
        const now = fileLines(logFile);
        assert.ok(now[0].endsWith("[INF] File log re-opened"), now[0]);
        assert.ok(now.some((l) => l.endsWith(`cid:${cidAfter} - Client connection created`)));
        assert.ok(!now.some((l) => l.includes(`cid:${cidBefore} - Client connection created`)));
        assert.match(now.at(-1), /\[INF\] Server Exiting\.\.$/);
        for (const l of now) assert.equal(Number(LINE_RE.exec(l)[1]), pid);
      });
    });

    it('SIGUSR1 while logging to stderr: "File log re-open ignored, not a file logger", keeps running', async () => {
      const h = await startStderr(kind, []);
      try {
        h.signal("SIGUSR1");
        await waitUntil(() => /File log re-open ignored, not a file logger/.test(h.stderr), "the ignored line");
        const { c } = await raw(h.port);
        assert.equal(await c.flush(), "");
        assert.equal(h.exit, null);
      } finally {
        await h.stop();
      }
      assert.match(h.stderr, /\[INF\] File log re-open ignored, not a file logger\n/);
    });

    it("on a terminal the level labels are coloured ([\\x1b[32mINF\\x1b[0m]), as nats-server's", async () => {
      requirePrereqs(["script"], "the log colour test");
      const [cmd, argv] = kind === "tsnats" ? [process.execPath, [TSNATS_BIN]] : [natsServerBin(), []];
      const line = [cmd, ...argv, "-a", "127.0.0.1", "-p", "-1", "-D"].map((a) => `'${a}'`).join(" ");
      const proc = spawn("script", ["-qec", line, "/dev/null"], { stdio: ["ignore", "pipe", "pipe"] });
      children.add(proc);
      let out = "";
      proc.stdout.on("data", (d) => (out += d.toString()));
      const exited = new Promise((r) => proc.once("exit", r));
      try {
        await waitUntil(() => /Server is ready/.test(out), "Server is ready on the terminal", 5000);
      } finally {
        // the server is script's child: stop it by the pid it logs, then script ends
        const pid = Number(/^\[(\d+)\]/.exec(out)?.[1]);
        if (pid > 0) {
          try {
            process.kill(pid, "SIGINT");
          } catch {
            // already gone
          }
        }
        const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(t);
        children.delete(proc);
      }
      assert.match(out, /^\[\d+\] [\d/]+ [\d:.]+ \[\x1b\[32mINF\x1b\[0m\] Starting /m);
      assert.match(out, /\[\x1b\[32mINF\x1b\[0m\] Server is ready/);
      assert.match(out, /\[\x1b\[36mDBG\x1b\[0m\] /);
    });

    describe("times: local by default, UTC with logtime_utc (process TZ America/New_York)", () => {
      const TZ = "America/New_York";
      const stamp = (l) => {
        const m = LINE_RE.exec(l);
        assert.ok(m, l);
        return { y: +m[2], mo: +m[3] - 1, d: +m[4], h: +m[5], mi: +m[6], s: +m[7] };
      };
      const nyOffsetMs = (t) => {
        // New York's offset from UTC at t (-5 h or -4 h), from Intl
        const p = Object.fromEntries(
          new Intl.DateTimeFormat("en-US", {
            timeZone: TZ,
            hourCycle: "h23",
            year: "numeric",
            month: "numeric",
            day: "numeric",
            hour: "numeric",
            minute: "numeric",
            second: "numeric",
          })
            .formatToParts(t)
            .map((x) => [x.type, x.value]),
        );
        return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(t / 1000) * 1000;
      };

      it("logtime_utc: true prints UTC", { skip: is29 && "logtime_utc is new in nats-server 2.10" }, async () => {
        const dir = tmpDir("utc");
        const conf = path.join(dir, "s.conf");
        writeFileSync(conf, "logtime_utc: true\n");
        const h = await startStderr(kind, ["-c", conf], { TZ });
        await h.stop();
        const t = stamp(h.stderr.split("\n")[0]);
        const asUtc = Date.UTC(t.y, t.mo, t.d, t.h, t.mi, t.s);
        assert.ok(Math.abs(asUtc - Date.now()) < 60000, `${h.stderr.split("\n")[0]} is not UTC now`);
      });

      it("by default the time is the process's local time", async () => {
        const h = await startStderr(kind, [], { TZ });
        await h.stop();
        const t = stamp(h.stderr.split("\n")[0]);
        const asUtc = Date.UTC(t.y, t.mo, t.d, t.h, t.mi, t.s) - nyOffsetMs(Date.now());
        assert.ok(Math.abs(asUtc - Date.now()) < 60000, `${h.stderr.split("\n")[0]} is not New York's time now`);
      });

      it("--logtime_utc prints UTC too", { skip: is29 && "logtime_utc is new in nats-server 2.10" }, async () => {
        const h = await startStderr(kind, ["--logtime_utc"], { TZ });
        await h.stop();
        const t = stamp(h.stderr.split("\n")[0]);
        assert.ok(Math.abs(Date.UTC(t.y, t.mo, t.d, t.h, t.mi, t.s) - Date.now()) < 60000);
      });
    });

    describe("debug and trace switches", () => {
      /** Start with these flags, run one client session, return the levels seen and the output. */
      async function session(args, confText) {
        const extra = [];
        if (confText !== undefined) {
          const conf = path.join(tmpDir("sw"), "s.conf");
          writeFileSync(conf, confText);
          extra.push("-c", conf);
        }
        const h = await startStderr(kind, [...extra, ...args]);
        const { c } = await raw(h.port);
        c.write("SUB foo 1\r\nPUB foo 2\r\nhi\r\n");
        await c.flush();
        c.close();
        await sleep(100);
        await h.stop();
        const levels = new Set(
          h.stderr
            .trimEnd()
            .split("\n")
            .map((l) => LINE_RE.exec(l)?.[9]),
        );
        return { levels, out: h.stderr };
      }

      it("-DV: debug and trace lines", async () => {
        const { levels } = await session(["-DV"]);
        assert.ok(levels.has("DBG") && levels.has("TRC"));
      });

      it("-VV: trace without debug; -DVV: both", async () => {
        const vv = await session(["-VV"]);
        assert.ok(vv.levels.has("TRC") && !vv.levels.has("DBG"), [...vv.levels].join());
        const dvv = await session(["-DVV"]);
        assert.ok(dvv.levels.has("TRC") && dvv.levels.has("DBG"));
      });

      // (nats-server applies a file's keys in Go map order, at random, so a file with both
      // trace and trace_verbose has no fixed outcome there; tsnats applies them in file order)
      it("trace_verbose: true turns trace on; trace_verbose: false leaves it off", async () => {
        const on = await session([], "trace_verbose: true\n");
        assert.ok(on.levels.has("TRC"));
        assert.match(on.out, /<<- \[PUB foo 2\]/);
        const off = await session([], "trace_verbose: false\n");
        assert.ok(!off.levels.has("TRC"), off.out);
      });

      it("-V on the command line beats trace: false in the file", async () => {
        const r = await session(["-V"], "trace: false\n");
        assert.match(r.out, /<<- \[PUB foo 2\]/);
      });

      it("a closing connection's subscriptions are traced as <-> [DELSUB sid] after its close line", async () => {
        const { out } = await session(["-DV"]);
        const ls = out.split("\n");
        const closed = ls.findIndex((l) => /Client connection closed/.test(l));
        assert.ok(closed > 0);
        assert.match(ls[closed + 1], / - <-> \[DELSUB 1\]$/);
      });
    });
  });
}

// ------------------------------------------------------------------ tsnats only (2.10 features)

describe("logging [tsnats]: logfile_max_num (nats-server 2.10; the 2.9 oracle does not know it)", () => {
  describe("logfile_max_num 3 with logfile_size_limit 2KB under a burst", () => {
    let dir;
    let files;
    let lines;
    before(async () => {
      dir = tmpDir("maxnum");
      const logFile = path.join(dir, "s.log");
      const conf = path.join(dir, "s.conf");
      writeFileSync(conf, `log_file: "${logFile}"\nlogfile_size_limit: 2KB\nlogfile_max_num: 3\ntrace: true\n`);
      const h = await startLogging("tsnats", ["-c", conf], logFile);
      try {
        await publishBurst(h.port, 2, 200);
      } finally {
        await h.stop();
      }
      files = logFiles(dir, "s.log");
      lines = files.map(fileLines);
    });

    it("at most logfile_max_num files remain (the current one and 2 backups)", () => {
      assert.equal(files.length, 3, readdirSync(dir).join(" "));
    });

    it('each rotation purges the oldest backup with "Purged log file <name>"', () => {
      // the new file: Rotated line, then the purge of the backup three rotations back
      const cur = lines[2];
      assert.match(cur[0], /Rotated log, backup saved as /);
      assert.match(cur[1], /\[INF\] Purged log file "s\.log\.\d{4}(\.\d{2}){5}\.\d{9}"\r$/);
      const purged = JSON.parse(/Purged log file (".*")\r$/.exec(cur[1])[1]);
      assert.ok(purged < path.basename(files[0]), `purged ${purged}, kept ${files[0]}`);
      assert.equal(existsSync(path.join(dir, purged)), false);
    });

    it("the surviving files hold the end of the burst without gaps or repeats", () => {
      const pubs = burstPubs(lines.flat());
      assert.ok(pubs.length > 10);
      const byConn = [[], []];
      for (const [k, i] of pubs) byConn[k].push(i);
      for (const seq of byConn) {
        if (seq.length === 0) continue;
        for (let j = 1; j < seq.length; j++) assert.equal(seq[j], seq[j - 1] + 1);
      }
      // the last connection to finish got all of its tail
      assert.ok(byConn.some((seq) => seq.at(-1) === 199));
    });
  });

  it("files not named <file>.<timestamp> are never purged", async () => {
    const dir = tmpDir("keep");
    const logFile = path.join(dir, "s.log");
    writeFileSync(path.join(dir, "s.log.old"), "keep me\n");
    writeFileSync(path.join(dir, "s.log.2026.13.01.00.00.00.000000000"), "not a valid month\n");
    const h = await startLogging("tsnats", ["-l", logFile, "--log_size_limit", "1500", "-V"], logFile);
    try {
      await publishBurst(h.port, 1, 50);
    } finally {
      await h.stop();
    }
    assert.ok(existsSync(path.join(dir, "s.log.old")));
    assert.ok(existsSync(path.join(dir, "s.log.2026.13.01.00.00.00.000000000")));
  });

  it("syslog is refused clearly: -s, remote_syslog and syslog: true; syslog: false is accepted", async () => {
    const s = await runToExit("tsnats", ["-s"]);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /syslog is not supported by tsnats-server yet/);
    const dir = tmpDir("syslog");
    for (const [text, ok] of [
      ["syslog: true\n", false],
      ['remote_syslog: "udp://127.0.0.1:514"\n', false],
      ["syslog: false\n", true],
    ]) {
      const conf = path.join(dir, `${ok}-${text.length}.conf`);
      writeFileSync(conf, text);
      const r = await runToExit("tsnats", ["-t", "-c", conf]);
      if (ok) assert.equal(r.code, 0, r.stderr);
      else {
        assert.equal(r.code, 1, text);
        assert.match(
          r.stderr,
          new RegExp(
            `${conf.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:1:\\d+: syslog \\("\\w+"\\) is not supported by tsnats-server yet`,
          ),
        );
      }
    }
  });
});

// ------------------------------------------------------------------ in-process (embedding API)

describe("Logger in process: reconfigure (what a config reload uses) and FileSink", async () => {
  const { Logger, FileSink } = await import("../dist/server/logger.js");
  const base = {
    log_file: "",
    logtime: true,
    logtime_utc: false,
    debug: false,
    trace: false,
    logfile_size_limit: 0,
    logfile_max_num: 0,
  };

  it("reconfigure moves logging to a new file with new levels and closes the old one", () => {
    const dir = tmpDir("reconf");
    const a = path.join(dir, "a.log");
    const b = path.join(dir, "b.log");
    const l = Logger.fromOptions({ ...base, log_file: a });
    l.noticef("to a");
    l.debugf("not shown");
    l.reconfigure({ ...base, log_file: b, debug: true, logtime: false });
    l.noticef("to b");
    l.debugf("shown");
    l.sink.close();
    assert.deepEqual(
      fileLines(a).map((x) => LINE_RE.exec(x)?.[10]),
      ["to a"],
    );
    assert.deepEqual(fileLines(b), [`[${process.pid}] [INF] to b`, `[${process.pid}] [DBG] shown`]);
  });

  it("reconfigure to a file that cannot be opened throws and keeps the current sink", () => {
    const dir = tmpDir("reconf-bad");
    const a = path.join(dir, "a.log");
    const l = Logger.fromOptions({ ...base, log_file: a });
    assert.throws(
      () => l.reconfigure({ ...base, log_file: path.join(dir, "missing", "b.log") }),
      /error opening file: open .*: no such file or directory/,
    );
    l.noticef("still a");
    l.sink.close();
    assert.match(read(a), /\[INF\] still a\n$/);
  });

  it("stderr that nobody reads: lines are dropped whole after a few tries, not retried in a busy loop", async () => {
    const d = tmpDir("full-pipe");
    const script = path.join(d, "child.mjs");
    writeFileSync(
      script,
      [
        // count the write attempts (the sink's named import of writeSync follows the patched one)
        'import fs from "node:fs";',
        'import { syncBuiltinESMExports } from "node:module";',
        "const realWrite = fs.writeSync;",
        "let writes = 0;",
        "fs.writeSync = (...a) => (writes++, realWrite(...a));",
        "syncBuiltinESMExports();",
        `const { Logger, FdSink } = await import(${JSON.stringify(path.join(ROOT, "dist", "server", "index.js"))});`,
        "process.stderr; // libuv sets the stderr pipe non-blocking",
        "const l = new Logger(new FdSink(2), { time: false });",
        'for (let i = 0; i < 300; i++) l.noticef(`${String(i).padStart(3, "0")} ${"y".repeat(1000)}`);',
        'process.stdout.write(JSON.stringify({ writes }) + "\\n");',
        "process.exit(0);",
        "",
      ].join("\n"),
    );
    const proc = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "pipe"] });
    children.add(proc);
    // stderr is not read while the child writes: the pipe fills up
    let err = "";
    proc.stderr.on("data", (x) => (err += x));
    proc.stderr.pause();
    let out = "";
    proc.stdout.on("data", (x) => (out += x));
    const closed = new Promise((r) => proc.once("close", (c) => r(c)));
    // the child has written everything (and exited) before its stderr is read at all
    await new Promise((r) => proc.once("exit", r));
    proc.stderr.resume();
    const code = await closed;
    children.delete(proc);
    assert.equal(code, 0);
    const { writes } = JSON.parse(out);
    // a few tries per line at most (FULL_WAITS_MS in logger.ts), not a retry loop of 1000
    assert.ok(writes >= 300 && writes <= 300 * 4, `${writes} write attempts for 300 lines to a full pipe`);
    const lines = err.split("\n");
    assert.equal(lines.pop(), "", "the output ends with a whole line");
    assert.ok(lines.length > 0 && lines.length < 300, `some lines dropped (${lines.length} written)`);
    for (const l of lines) assert.match(l, /^\[\d+\] \[INF\] \d{3} y{1000}$/);
  });

  it("FileSink rotates at a line boundary and writes nothing after close", () => {
    const dir = tmpDir("sink");
    const f = path.join(dir, "s.log");
    const sink = new FileSink(f, { sizeLimit: 100, maxFiles: 2, time: false, prefix: "" });
    for (let i = 0; i < 30; i++) sink.write(`line ${String(i).padStart(3, "0")} ${"x".repeat(20)}\n`);
    sink.close();
    sink.write("after close\n");
    const files = logFiles(dir, "s.log");
    assert.equal(files.length, 2);
    const all = files.flatMap(fileLines).filter((x) => x.startsWith("line "));
    const nums = all.map((x) => Number(x.slice(5, 8)));
    for (let i = 1; i < nums.length; i++) assert.equal(nums[i], nums[i - 1] + 1);
    assert.equal(nums.at(-1), 29);
    assert.ok(!read(f).includes("after close"));
  });
});
