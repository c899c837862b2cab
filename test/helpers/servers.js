// Test harness: start tsnats-server or Debian's nats-server as a child process
// on a random loopback port, and stop it again by its pid.
import net from "node:net";
import { execFile, execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { PREREQS, requirePrereqs } from "../../scripts/prereqs.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, "..", "..");
export const TSNATS_BIN = path.join(ROOT, "dist", "cli", "server.js");

let natsServerPath;
/**
 * Path of Debian's nats-server binary. Throws, naming the package to install, when it is missing:
 * the oracle runs are never dropped silently (`npm test` installs it or stops before any test).
 */
export function natsServerBin() {
  if (natsServerPath) return natsServerPath;
  requirePrereqs(["nats-server"], "the tests against Debian's nats-server (the oracle)");
  natsServerPath = PREREQS["nats-server"].find();
  return natsServerPath;
}

let oracleVersionCache;
/** Version string ("2.9.10") of the installed nats-server binary, or null. */
export function oracleVersion() {
  if (oracleVersionCache !== undefined) return oracleVersionCache;
  oracleVersionCache = null;
  const bin = natsServerBin();
  if (bin) {
    try {
      const out = execFileSync(bin, ["--version"], { encoding: "utf8" });
      const m = /v?(\d+\.\d+\.\d+)/.exec(out);
      if (m) oracleVersionCache = m[1];
    } catch {
      oracleVersionCache = null;
    }
  }
  return oracleVersionCache;
}

/** True when `kind` is the nats-server oracle and it is a 2.9.x release. */
export function isOracle29(kind) {
  return kind === "nats-server" && /^2\.9\./.test(oracleVersion() ?? "");
}

/**
 * The server kinds to test against: "tsnats" and "nats-server" (the oracle, which must be installed).
 * TEST_SERVER_KINDS=nats-server (comma-separated) restricts a run to some of them.
 */
export function serverKinds() {
  const only = process.env.TEST_SERVER_KINDS;
  const kinds = ["tsnats", "nats-server"].filter((k) => !only || only.split(",").includes(k));
  if (kinds.includes("nats-server")) natsServerBin();
  return kinds;
}

const LISTEN_RE = /Listening for client connections on [^\s]*:(\d+)/;

/**
 * Start a server child process listening on 127.0.0.1 with a random port.
 * @param {"tsnats"|"nats-server"} kind
 * @param {string[]} [args] extra command-line flags (nats-server flag names)
 * @param {{ timeoutMs?: number, env?: Record<string,string>, cwd?: string, noDefaults?: boolean }} [opts]
 * @returns {Promise<{kind: string, port: number, url: string, hostport: string, proc: import("node:child_process").ChildProcess, pid: number, output: () => string, stop: (signal?: string) => Promise<number|null>}>}
 */
export function startServer(kind, args = [], opts = {}) {
  const base = opts.noDefaults ? [] : ["-a", "127.0.0.1", "-p", "-1"];
  let cmd;
  let argv;
  if (kind === "tsnats") {
    cmd = process.execPath;
    argv = [TSNATS_BIN, ...base, ...args];
  } else if (kind === "nats-server") {
    try {
      cmd = natsServerBin();
    } catch (e) {
      return Promise.reject(e);
    }
    argv = [...base, ...args];
  } else {
    return Promise.reject(new Error(`unknown server kind ${kind}`));
  }
  const proc = spawn(cmd, argv, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...(opts.env ?? {}) },
    cwd: opts.cwd ?? ROOT,
  });
  let out = "";
  // 'close', not 'exit': only then has all of the child's output been read
  const exited = new Promise((resolve) => proc.once("close", (code, sig) => resolve(code ?? sig)));
  const stop = async (signal = "SIGTERM") => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill(signal);
      const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
      const r = await exited;
      clearTimeout(t);
      return r;
    }
    return exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop("SIGKILL");
      reject(new Error(`${kind} did not start within ${opts.timeoutMs ?? 5000} ms:\n${out}`));
    }, opts.timeoutMs ?? 5000);
    const onData = (d) => {
      out += d.toString();
      const m = LISTEN_RE.exec(out);
      if (m && /Server is ready/.test(out)) {
        clearTimeout(timer);
        const port = Number(m[1]);
        resolve({
          kind,
          port,
          hostport: `127.0.0.1:${port}`,
          url: `nats://127.0.0.1:${port}`,
          proc,
          pid: proc.pid,
          output: () => out,
          stop,
        });
      }
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", onData);
    proc.once("close", (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${kind} exited (${code ?? sig}) during start-up:\n${out}`));
    });
  });
}

/**
 * Run a server with `args` (nothing added) until it exits: a refused config, -t, a bad flag.
 * Killed after `timeoutMs`. Resolves { code (0, the exit code, or the signal), killed, stdout, stderr }.
 */
export function runServerToExit(kind, args, timeoutMs = 5000) {
  const [cmd, argv] = kind === "tsnats" ? [process.execPath, [TSNATS_BIN, ...args]] : [natsServerBin(), args];
  return new Promise((resolve) => {
    const p = execFile(cmd, argv, { timeout: timeoutMs }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code ?? err.signal) : 0, killed: err?.killed === true, stdout, stderr }),
    );
    p.stdin?.end();
  });
}

/** A free loopback port (bound, then released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen({ host: "127.0.0.1", port: 0 }, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
