// Test harness: start tsnats-server or Debian's nats-server as a child process
// on a random loopback port, and stop it again by its pid.
import net from "node:net";
import { spawn, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, "..", "..");
export const TSNATS_BIN = path.join(ROOT, "dist", "cli", "server.js");

let natsServerPath;
/** Path of Debian's nats-server binary, or null when it is not installed. */
export function natsServerBin() {
  if (natsServerPath !== undefined) return natsServerPath;
  natsServerPath = null;
  for (const p of ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]) {
    if (existsSync(p)) {
      natsServerPath = p;
      break;
    }
  }
  if (natsServerPath === null) {
    try {
      natsServerPath = execFileSync("sh", ["-c", "command -v nats-server"], { encoding: "utf8" }).trim() || null;
    } catch {
      natsServerPath = null;
    }
  }
  return natsServerPath;
}

/**
 * The server kinds to test against: always "tsnats", plus "nats-server" when installed.
 * TEST_SERVER_KINDS=nats-server (comma-separated) restricts a run to some of them.
 */
export function serverKinds() {
  const all = natsServerBin() ? ["tsnats", "nats-server"] : ["tsnats"];
  const only = process.env.TEST_SERVER_KINDS;
  return only ? all.filter((k) => only.split(",").includes(k)) : all;
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
    cmd = natsServerBin();
    if (!cmd) return Promise.reject(new Error("nats-server is not installed"));
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
