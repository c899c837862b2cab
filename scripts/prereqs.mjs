#!/usr/bin/env node
// The system prerequisites of `npm test` and `npm run bench`, in one place.
//
// usage: node scripts/prereqs.mjs test|bench [--no-build]
//
// Checks every prerequisite of the command (files on disk, nothing is run). When all are there it
// prints one line and exits 0 at once. When some are missing:
//   - on Debian as root it installs them (apt-get update once, then apt-get install -y), checks
//     again and goes on;
//   - otherwise it prints what is missing and the one `apt-get install -y ...` line that brings
//     it, and exits 1 before any test runs.
// Then it builds the load generator (bench/loadgen) unless it is up to date or --no-build is given.
//
// NATS_SERVER_BIN names another nats-server to use as the oracle, CHROMIUM_PATH another browser.
// TSNATS_PREREQS_INSTALL=0 never installs (acts as a user that is not root), =1 installs even when
// not root (the apt-get found on PATH must then cope). The tests and bench/run.js import
// `missing`, `requirePrereqs` and `findCommand` from here, so every message names the same packages.
import { accessSync, constants, existsSync } from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Debian's Go sources (GOPATH layout), among them nats.go's. */
export const GOCODE = "/usr/share/gocode";
export const NATS_GO_DIR = `${GOCODE}/src/github.com/nats-io/nats.go`;
export const NATS_C_HEADER = "/usr/include/nats/nats.h";

/** Where nats-server is looked for besides PATH (Debian puts it in /usr/sbin, often not on a user's PATH). */
const SBIN = ["/usr/sbin", "/usr/local/sbin", "/usr/local/bin", "/usr/bin"];

function executable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of an executable on PATH (then in `extraDirs`), or null. Runs nothing. */
export function findCommand(name, extraDirs = []) {
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  for (const dir of [...dirs, ...extraDirs]) {
    const file = path.join(dir, name);
    if (executable(file)) return path.resolve(file);
  }
  return null;
}

export function chromiumPath() {
  return process.env.CHROMIUM_PATH || "/usr/bin/chromium";
}

/**
 * Every prerequisite: the Debian package that brings it, what needs it, and how it is found
 * (a function returning what was found, or null).
 */
export const PREREQS = {
  "nats-server": {
    pkg: "nats-server",
    why: "the reference server (the oracle) the tests compare tsnats with, and npm run bench measures (or set NATS_SERVER_BIN)",
    find: () =>
      process.env.NATS_SERVER_BIN
        ? executable(process.env.NATS_SERVER_BIN)
          ? path.resolve(process.env.NATS_SERVER_BIN)
          : null
        : findCommand("nats-server", SBIN),
  },
  "libnats-dev": {
    pkg: "libnats-dev",
    why: "nats.c headers and library for test/interop-natsc.test.js",
    find: () => (existsSync(NATS_C_HEADER) ? NATS_C_HEADER : null),
  },
  gcc: { pkg: "gcc", why: "compiles the nats.c interop program", find: () => findCommand("gcc") },
  go: {
    pkg: "golang-go",
    why: "builds the load generator bench/loadgen (nats.go interop, npm run bench)",
    find: () => findCommand("go"),
  },
  "nats.go": {
    pkg: "golang-github-nats-io-go-nats-dev",
    why: "the official Go client's sources the load generator is built against",
    find: () => (existsSync(path.join(NATS_GO_DIR, "nats.go")) ? NATS_GO_DIR : null),
  },
  chromium: {
    pkg: "chromium",
    why: "the dashboard tests run in a real headless browser (or set CHROMIUM_PATH)",
    find: () => (executable(chromiumPath()) ? chromiumPath() : null),
  },
  openssl: { pkg: "openssl", why: "the TLS tests make their certificates with it", find: () => findCommand("openssl") },
  script: {
    pkg: "bsdutils",
    why: "script(1) gives a server a terminal in the log colour tests",
    find: () => findCommand("script"),
  },
};

/** What each command needs. */
export const PROFILES = {
  test: Object.keys(PREREQS),
  bench: ["nats-server", "go", "nats.go"],
};

/** The prerequisites among `names` that are missing: [{name, pkg, why}]. */
export function missing(names) {
  return names.filter((n) => !PREREQS[n].find()).map((n) => ({ name: n, pkg: PREREQS[n].pkg, why: PREREQS[n].why }));
}

/** The one install line for these missing prerequisites. */
export function installLine(miss) {
  return `apt-get install -y ${[...new Set(miss.map((m) => m.pkg))].join(" ")}`;
}

/** A description of what is missing, ending with the install line. */
export function describeMissing(miss, what) {
  const lines = miss.map((m) => `  - ${m.name} (Debian package ${m.pkg}): ${m.why}`);
  return `${what} needs what is not installed:\n${lines.join("\n")}\nInstall ${miss.length > 1 ? "them" : "it"} (Debian, as root), then run the command again:\n  ${installLine(miss)}`;
}

/** Throw an Error naming what is missing and the install line (for tests and tools that need them). */
export function requirePrereqs(names, what) {
  const miss = missing(names);
  if (miss.length > 0) throw new Error(describeMissing(miss, what));
}

function shouldInstall() {
  const force = process.env.TSNATS_PREREQS_INSTALL;
  if (force === "0") return false;
  if (force === "1") return findCommand("apt-get") !== null;
  return process.getuid?.() === 0 && findCommand("apt-get") !== null;
}

function apt(args) {
  const r = spawnSync(findCommand("apt-get"), args, {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  return r.status === 0;
}

/** The command line: check, maybe install, build the load generator. Returns the exit code. */
export async function main(argv) {
  const profile = argv.find((a) => !a.startsWith("--"));
  const build = !argv.includes("--no-build");
  const unknown = argv.filter((a) => a.startsWith("--") && a !== "--no-build");
  if (!PROFILES[profile] || unknown.length > 0) {
    process.stderr.write(`usage: node scripts/prereqs.mjs ${Object.keys(PROFILES).join("|")} [--no-build]\n`);
    return 2;
  }
  const what = `npm ${profile === "test" ? "test" : "run bench"}`;
  let miss = missing(PROFILES[profile]);
  if (miss.length > 0) {
    if (!shouldInstall()) {
      process.stderr.write(`prereqs: ${describeMissing(miss, what)}\n`);
      return 1;
    }
    const pkgs = [...new Set(miss.map((m) => m.pkg))];
    process.stdout.write(
      `prereqs: installing ${pkgs.join(" ")} for ${what} (apt-get update, then apt-get install -y)\n`,
    );
    const ok = apt(["update", "-qq"]) && apt(["install", "-y", "-qq", ...pkgs]);
    miss = missing(PROFILES[profile]);
    if (!ok || miss.length > 0) {
      process.stderr.write(
        `prereqs: apt-get ${ok ? "finished" : "failed"}, and ${what} still ${miss.length > 0 ? describeMissing(miss, "").trimStart() : "cannot go on"}\n`,
      );
      return 1;
    }
  }
  if (build) {
    const { buildLoadgen } = await import(
      pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "bench", "loadgen", "build.mjs")).href
    );
    try {
      buildLoadgen({ log: (s) => process.stdout.write(`prereqs: ${s}\n`) });
    } catch (e) {
      process.stderr.write(`prereqs: ${e.message}\n`);
      return 1;
    }
  }
  process.stdout.write(`prereqs: everything ${what} needs is installed (${PROFILES[profile].join(", ")})\n`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
