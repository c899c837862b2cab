#!/usr/bin/env node
// tsnats-server: the server process itself (no wrapper), flags as nats-server's.
import { Server } from "../server/server.js";
import { FlagError, USAGE, UnsupportedFlagError, parseFlags, type FlagResult } from "../server/config/flags.js";
import { resolveOptions, type PartialOptions } from "../server/options.js";
import { NATS_VERSION, TSNATS_VERSION } from "../server/version.js";
import { loadConfigOptions } from "../server/config/load.js";
import { tlsFromFlags } from "../server/config/tls.js";
import { sendSignal } from "../server/config/signal.js";

const EXE = "tsnats-server";

function die(msg: string, code = 1): never {
  process.stderr.write(`${EXE}: ${msg}\n`);
  process.exit(code);
}

/** Config file values first, then flags over them, as nats-server merges them. */
function mergeOptions(fileOpts: PartialOptions, flags: FlagResult): PartialOptions {
  const merged: PartialOptions = { ...fileOpts, ...flags.opts };
  // the --tls* flags replace the file's tls block (nats-server's overrideTLS)
  const tls = tlsFromFlags(flags.tls);
  if (tls !== undefined) merged.tls = tls;
  if (flags.opts.authorization !== undefined) {
    merged.authorization = { ...(fileOpts.authorization ?? {}), ...flags.opts.authorization };
  }
  return merged;
}

/**
 * SIGHUP: read the config file again, lay the command-line flags over it (they keep
 * priority, as in nats-server) and apply it. A bad file or a change that cannot be made at
 * runtime rejects, and the server keeps running with what it had.
 */
async function reloadFromFile(server: Server, flags: FlagResult): Promise<void> {
  const file = server.opts.config_file;
  if (file === "") throw new Error("can only reload config when a file is provided using -c or --config");
  const fileOpts = loadConfigOptions(file);
  await server.reload(resolveOptions(mergeOptions(fileOpts, flags)));
}

async function main(): Promise<void> {
  let flags: FlagResult;
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (e) {
    if (e instanceof FlagError) {
      // like Go's flag package under nats-server: the error on stderr, then the usage on
      // stdout, and exit status 0 (nats-server's usage function exits 0)
      process.stderr.write(`${e.message}\n`);
      process.stdout.write(USAGE + "\n");
      process.exit(0);
    }
    if (e instanceof UnsupportedFlagError) die(e.message);
    throw e;
  }
  if (flags.help) {
    process.stdout.write(USAGE + "\n");
    process.exit(0);
  }
  if (flags.version) {
    process.stdout.write(`${EXE}: v${TSNATS_VERSION} (nats-server v${NATS_VERSION} protocol)\n`);
    process.exit(0);
  }
  if (flags.signal !== "") {
    try {
      sendSignal(flags.signal);
    } catch (e) {
      die((e as Error).message);
    }
    process.exit(0);
  }
  let fileOpts: PartialOptions = {};
  if (flags.configFile !== "") {
    const warnings: string[] = [];
    try {
      fileOpts = loadConfigOptions(flags.configFile, warnings);
    } catch (e) {
      die((e as Error).message);
    }
    // as nats-server: -t fails on warnings; a normal start prints them and goes on
    if (warnings.length > 0) {
      if (flags.checkConfig) die(warnings.join("\n"));
      process.stderr.write(warnings.join("\n") + "\n");
    }
  } else if (flags.checkConfig) {
    die("must specify [-c, --config] option to check configuration file syntax");
  }
  let opts: ReturnType<typeof resolveOptions>;
  try {
    opts = resolveOptions(mergeOptions(fileOpts, flags));
  } catch (e) {
    die((e as Error).message);
  }
  if (flags.checkConfig) {
    // as nats-server: -t checks what the file says (syntax, fields, values), before any server
    // is built, so nothing is logged and no log file is created; combinations that only
    // NewServer rejects (no_auth_user not a user, max_payload above max_pending, the lame
    // duck grace period) pass -t and stop the start
    process.stderr.write(`${EXE}: configuration file ${flags.configFile} is valid\n`);
    process.exit(0);
  }
  let server: Server;
  try {
    server = new Server(opts);
  } catch (e) {
    die((e as Error).message);
  }
  process.on("uncaughtException", (err) => {
    server.logger.errorf(`Unexpected error: ${err.stack ?? err.message}`);
  });
  // signals are handled from before the listener opens, so a signal sent as soon as
  // "Server is ready" appears is never missed (nats-server does the same)
  const stop = (code: number) => {
    server.shutdown().then(() => process.exit(code));
  };
  process.on("SIGINT", () => {
    server.logger.noticef(`Trapped "interrupt" signal`);
    stop(0);
  });
  process.on("SIGTERM", () => {
    server.logger.noticef(`Trapped "terminated" signal`);
    if (!server.lameDuck) stop(1);
  });
  process.on("SIGUSR2", () => {
    server.logger.noticef(`Trapped "user defined signal 2" signal`);
    server.enterLameDuck().then(() => process.exit(0));
  });
  process.on("SIGUSR1", () => {
    server.logger.noticef(`Trapped "user defined signal 1" signal`);
    server.reopenLogFile();
  });
  server.configReload = () => reloadFromFile(server, flags);
  process.on("SIGHUP", () => {
    server.logger.noticef(`Trapped "hangup" signal`);
    reloadFromFile(server, flags).catch((e: Error) => {
      server.logger.errorf(`Failed to reload server configuration: ${e.message}`);
    });
  });
  try {
    await server.start();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code !== undefined)
      server.logger.fatalf(`Error listening on port: ${opts.host}:${opts.port}, "${err.message}"`);
    else server.logger.fatalf(err.message);
    process.exit(1);
  }
}

main().catch((e) => die(String((e as Error).stack ?? e)));
