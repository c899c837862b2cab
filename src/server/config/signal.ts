// `--signal <cmd>[=<pid|pidfile>]`: send a control signal to a running server, as
// nats-server's -sl does.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const COMMANDS: Record<string, NodeJS.Signals> = {
  stop: "SIGKILL",
  quit: "SIGINT",
  term: "SIGTERM",
  reopen: "SIGUSR1",
  reload: "SIGHUP",
  ldm: "SIGUSR2",
};

function resolvePid(target: string): number {
  if (/^\d+$/.test(target)) return Number(target);
  let text: string;
  try {
    text = readFileSync(target, "utf8").trim();
  } catch (e) {
    throw new Error(`unable to read pid file ${target}: ${(e as Error).message}`);
  }
  if (!/^\d+$/.test(text)) throw new Error(`invalid pid file ${target}: ${JSON.stringify(text)}`);
  return Number(text);
}

function findServers(): number[] {
  let out = "";
  try {
    out = execFileSync("pgrep", ["-f", "tsnats-server|dist/cli/server\\.js"], { encoding: "utf8" });
  } catch {
    return [];
  }
  return out
    .split("\n")
    .filter((l) => /^\d+$/.test(l.trim()))
    .map(Number)
    .filter((p) => p !== process.pid);
}

export function sendSignal(spec: string): void {
  const eq = spec.indexOf("=");
  const cmd = (eq >= 0 ? spec.slice(0, eq) : spec).toLowerCase();
  const sig = COMMANDS[cmd];
  if (sig === undefined) throw new Error(`unknown signal "${cmd}"`);
  let pids: number[];
  if (eq >= 0) {
    pids = [resolvePid(spec.slice(eq + 1))];
  } else {
    pids = findServers();
    if (pids.length === 0) throw new Error("no tsnats-server processes running");
    if (pids.length > 1) {
      throw new Error(`multiple tsnats-server processes running:\n${pids.join("\n")}`);
    }
  }
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch (e) {
      throw new Error(`unable to signal process ${pid}: ${(e as Error).message}`);
    }
  }
}
