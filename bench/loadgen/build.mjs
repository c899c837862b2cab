#!/usr/bin/env node
// Build the load generator (bench/loadgen/*.go) into bench/.cache/loadgen, only when its sources
// (or Debian's nats.go) changed since the last build. Offline: GOPATH mode against Debian's
// nats.go sources in /usr/share/gocode, no module proxy, no cgo.
//
// usage: node bench/loadgen/build.mjs     (prints the binary's path)
// In code: buildLoadgen() returns the path, building first when needed.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { GOCODE, NATS_GO_DIR, findCommand, requirePrereqs } from "../../scripts/prereqs.mjs";

const SRC = path.dirname(fileURLToPath(import.meta.url));
export const CACHE = path.resolve(SRC, "..", ".cache");
export const LOADGEN_BIN = path.join(CACHE, "loadgen");
const STAMP = path.join(CACHE, "loadgen.stamp");

/** A digest of everything the binary is built from. */
function sourceDigest() {
  const h = createHash("sha256");
  for (const f of readdirSync(SRC)
    .filter((f) => f.endsWith(".go"))
    .sort()) {
    h.update(f)
      .update("\0")
      .update(readFileSync(path.join(SRC, f)))
      .update("\0");
  }
  const natsGo = path.join(NATS_GO_DIR, "nats.go");
  h.update(`nats.go ${existsSync(natsGo) ? statSync(natsGo).mtimeMs : "missing"}`);
  return h.digest("hex");
}

/**
 * The load generator's path, built first when it is missing or its sources changed.
 * @param {{ log?: (line: string) => void }} [opts]
 */
export function buildLoadgen(opts = {}) {
  const digest = sourceDigest();
  if (existsSync(LOADGEN_BIN) && existsSync(STAMP) && readFileSync(STAMP, "utf8").trim() === digest) return LOADGEN_BIN;
  requirePrereqs(["go", "nats.go"], "building the load generator bench/loadgen");
  mkdirSync(CACHE, { recursive: true });
  opts.log?.(`building the load generator into ${path.relative(process.cwd(), LOADGEN_BIN) || LOADGEN_BIN} ...`);
  const tmp = `${LOADGEN_BIN}.${process.pid}.tmp`;
  try {
    execFileSync(findCommand("go"), ["build", "-o", tmp, "."], {
      cwd: SRC,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 600000,
      env: {
        ...process.env,
        GO111MODULE: "off",
        GOPATH: GOCODE,
        GOCACHE: path.join(CACHE, "go-build"),
        GOFLAGS: "",
        GOPROXY: "off",
        CGO_ENABLED: "0",
      },
    });
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new Error(`go build of bench/loadgen failed:\n${e.stderr?.toString() ?? e.message}`);
  }
  renameSync(tmp, LOADGEN_BIN);
  writeFileSync(STAMP, digest + "\n");
  return LOADGEN_BIN;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.stdout.write(buildLoadgen({ log: (s) => process.stderr.write(s + "\n") }) + "\n");
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exitCode = 1;
  }
}
