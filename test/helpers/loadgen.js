// Run the load generator bench/loadgen; its last stdout line starting with "{" is the result.
import { execFile } from "node:child_process";

/** @returns {Promise<{code: number, stdout: string, stderr: string, out: string, result: object|null}>} */
export function runLoadgen(bin, args, timeout = 60000) {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout }, (err, stdout, stderr) => {
      const line = stdout
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .pop();
      resolve({
        code: err ? (err.code ?? 1) : 0,
        stdout,
        stderr,
        out: stdout + stderr,
        result: line ? JSON.parse(line) : null,
      });
    });
  });
}
