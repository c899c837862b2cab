#!/usr/bin/env node
// tsnats: the NATS command line client (the nats CLI's pub, sub, request, reply, rtt, bench and
// server ping|info verbs, flags and output). Usage errors and failures print
// "tsnats: error: ..." on stderr and exit 1, as the nats CLI does.
import { Command, CommanderError } from "commander";
import { addGlobalOptions, describeError } from "./options.js";
import { TSNATS_VERSION } from "../server/version.js";
import * as pub from "./pub.js";
import * as sub from "./sub.js";
import * as request from "./request.js";
import * as reply from "./reply.js";
import * as rtt from "./rtt.js";
import * as bench from "./bench.js";
import * as serverCommand from "./server-command.js";

const EXE = "tsnats";

function program(): Command {
  const p = new Command(EXE)
    .description("NATS Utility (tsnats)")
    .version(TSNATS_VERSION, "--version", "Show application version.")
    .showHelpAfterError(`(run "${EXE} <command> --help" for usage)`)
    .configureOutput({ outputError: (str, write) => write(`${EXE}: ${str}`) })
    .exitOverride();
  addGlobalOptions(p);
  for (const verb of [pub, sub, request, reply, rtt, bench, serverCommand]) verb.register(p);
  // Every verb reports its errors like the program does.
  const apply = (c: Command) => {
    c.exitOverride().configureOutput({ outputError: (str, write) => write(`${EXE}: ${str}`) });
    c.showHelpAfterError(`(run "${EXE} ${fullName(c)} --help" for usage)`);
    c.commands.forEach(apply);
  };
  p.commands.forEach(apply);
  return p;
}

function fullName(c: Command): string {
  const names: string[] = [];
  for (let x: Command | null = c; x && x.parent; x = x.parent) names.unshift(x.name());
  return names.join(" ");
}

async function main(): Promise<void> {
  const p = program();
  try {
    await p.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has printed the message (or the help/version text) already.
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`${EXE}: error: ${describeError(err)}\n`);
    process.exitCode = 1;
  }
}

void main();
