// What the bench scripts share: their options, and a server process from start-up to stop.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

/** The value of option `flag` as a non-negative integer; throws naming the flag otherwise. */
export function intArg(flag, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${flag} needs a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

/** A script's usage: its leading `//` comment lines (after the #! line), without the `//`. */
export function headerComment(moduleUrl) {
  const lines = readFileSync(fileURLToPath(moduleUrl), "utf8").split("\n").slice(1);
  const end = lines.findIndex((l) => !l.startsWith("//"));
  return `${lines
    .slice(0, end < 0 ? lines.length : end)
    .map((l) => l.replace(/^\/\/ ?/, ""))
    .join("\n")}\n`;
}

/**
 * Stopping a server process: SIGTERM, SIGKILL after 5 s; resolves once it has exited. Make it
 * right after the spawn (it listens for the exit from then on).
 */
export function stopper(proc) {
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  return async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
  };
}

const LISTEN_RE = /Listening for client connections on [^\s]*:(\d+)/;

/**
 * Wait for a server process (tsnats-server or nats-server) to be ready: its output has
 * "Listening for client connections on ...:PORT" and "Server is ready". Resolves
 * { port, readyAt (performance.now() then), output() (the first 64 KiB of its stdout and
 * stderr) }; rejects when it exits first or is not ready within `timeoutMs` (then `stop()`s it).
 */
export function serverReady(proc, kind, stop, timeoutMs = 20000) {
  let out = "";
  const output = () => out;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${kind} did not start within ${timeoutMs / 1000} s:\n${out.slice(-2000)}`));
    }, timeoutMs);
    let ready = false;
    const onData = (d) => {
      if (out.length < 1 << 16) out += d.toString();
      if (ready) return;
      const m = LISTEN_RE.exec(out);
      if (m && out.includes("Server is ready")) {
        ready = true;
        clearTimeout(timer);
        resolve({ port: Number(m[1]), readyAt: performance.now(), output });
      }
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", onData);
    proc.once("exit", (code, sig) => {
      if (ready) return;
      clearTimeout(timer);
      reject(new Error(`${kind} exited (${code ?? sig}) during start-up:\n${out.slice(-2000)}`));
    });
  });
}
