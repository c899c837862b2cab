// Checking one config file with `nats-server -t` (the oracle) and with tsnats's own -t path, and
// comparing the two answers: the same verdict, and the same lines (in any order: nats-server
// checks top-level keys in Go map order), up to the two differences tsnats makes on purpose
// (docs/config.md, "Errors"):
// - where nats-server prints no position (syntax errors, variables, integers out of range),
//   tsnats puts `file:line:column: ` in front of the same text;
// - where nats-server prints Go's panic text for a wrong type (`interface conversion: ...`, and
//   after one inside authorization a second `runtime error: invalid memory address ...` line),
//   tsnats names the field at the same position: `error parsing <field>: expected ...`.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { loadConfigOptions } from "../../dist/server/config/load.js";
import { isOracle29, natsServerBin } from "./servers.js";

/** Run nats-server -t on a file: "" when valid, else its error text (without the exe prefix). */
export function oracleCheck(file) {
  return new Promise((resolve) => {
    execFile(natsServerBin(), ["-t", "-c", file], { timeout: 5000 }, (err, stdout, stderr) => {
      const text = stderr.trim().replace(/^nats-server: /, "");
      resolve(err ? text : "");
    });
  });
}

/**
 * tsnats's -t path, in process (as src/cli/server.ts): load the file; warnings fail the check.
 * Returns the error text, or "" when the file is valid.
 */
export function tsnatsCheck(file) {
  try {
    const warnings = [];
    loadConfigOptions(file, warnings);
    if (warnings.length > 0) return warnings.join("\n");
    return "";
  } catch (e) {
    return e.message;
  }
}

const WRONG_TYPE = "<wrong type>";
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Assert that tsnats's answer `got` for `file` is the oracle's answer `want`, as above. */
export function assertSameCheck(file, want, got) {
  if (want === "") {
    assert.equal(got, "", `nats-server accepts it, tsnats says: ${got}`);
    return;
  }
  assert.notEqual(got, "", `nats-server refuses it (${want}), tsnats accepts it`);
  const w = want.split("\n").filter((l) => l.trim() !== "" && !/: runtime error: invalid memory address/.test(l));
  const g = got.split("\n");
  const both = `\nnats-server:\n${want}\ntsnats:\n${got}`;
  assert.equal(g.length, w.length, `as many lines${both}`);
  const pos = new RegExp(`^${esc(file)}:\\d+:\\d+: `);
  const rest = [...g];
  // where nats-server gives no position, tsnats gives one in front of the same text
  for (const u of w.filter((l) => !l.startsWith(file))) {
    const i = rest.findIndex((l) => pos.test(l) && l.replace(pos, "") === u);
    assert.ok(i >= 0, `tsnats has "file:line:col: ${u}"${both}`);
    rest.splice(i, 1);
  }
  const norm = (l) =>
    l.replace(/^(.*?:\d+:\d+: )(interface conversion: .*|error parsing [\w.]+: expected .*)$/, `$1${WRONG_TYPE}`);
  // nats-server checks a file's top-level keys in Go map order (random): compare as sets
  assert.deepEqual(
    rest.map(norm).sort(),
    w
      .filter((l) => l.startsWith(file))
      .map(norm)
      .sort(),
    both,
  );
}

/** -t on both servers: tsnats's answer for `file` is the oracle's, as assertSameCheck has it. */
export async function assertSameAsOracle(file) {
  assertSameCheck(file, await oracleCheck(file), tsnatsCheck(file));
}

/**
 * Where the 2.9 oracle differs from nats-server 2.10: tsnats's -t answer for `file` is 2.10's
 * `want` (`FILE` for the file's path, "" = valid), and the oracle's when it is not 2.9.
 */
export async function assertCheck210(file, want) {
  const got = tsnatsCheck(file);
  assert.equal(got, want.replaceAll("FILE", file));
  if (!isOracle29("nats-server")) assertSameCheck(file, await oracleCheck(file), got);
}
