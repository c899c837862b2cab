// The connection options every tsnats verb takes (the nats CLI's global flags, with its
// environment variables), and turning them into a client connection.
import { readFileSync } from "node:fs";
import { Option, type Command } from "commander";
import { connect, credsAuthenticator, nkeyAuthenticator, type NatsConnection } from "./connection.js";
import { parseDuration } from "./format.js";
import { TSNATS_VERSION } from "../server/version.js";

export type ConnectOptions = NonNullable<Parameters<typeof connect>[0]>;

export interface GlobalOptions {
  server: string;
  user?: string;
  password?: string;
  token?: string;
  creds?: string;
  nkey?: string;
  tlscert?: string;
  tlskey?: string;
  tlsca?: string;
  tlsfirst?: boolean;
  timeout: string;
  connectionName?: string;
}

export const DEFAULT_URL = "nats://127.0.0.1:4222";

/** Add the global connection flags to the program (commander accepts them before or after the verb). */
export function addGlobalOptions(program: Command): void {
  const opt = (flags: string, desc: string, env?: string) => {
    const o = new Option(flags, desc);
    if (env) o.env(env);
    program.addOption(o);
  };
  program.addOption(
    new Option("-s, --server <url>", "NATS server urls, comma separated").env("NATS_URL").default(DEFAULT_URL),
  );
  opt("--user <user>", "Username or Token", "NATS_USER");
  opt("--password <password>", "Password", "NATS_PASSWORD");
  opt("--token <token>", "Token", "NATS_TOKEN");
  opt("--creds <file>", "User credentials file", "NATS_CREDS");
  opt("--nkey <file>", "User NKEY seed file", "NATS_NKEY");
  opt("--tlscert <file>", "TLS public certificate", "NATS_CERT");
  opt("--tlskey <file>", "TLS private key", "NATS_KEY");
  opt("--tlsca <file>", "TLS certificate authority chain", "NATS_CA");
  opt("--tlsfirst", "Perform TLS handshake before expecting the server greeting");
  program.addOption(
    new Option("--timeout <duration>", "Time to wait on responses from NATS").env("NATS_TIMEOUT").default("5s"),
  );
  opt("--connection-name <name>", "Nickname to use for the underlying NATS Connection");
}

/** The global options as seen from a verb's command. */
export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** The --timeout value in milliseconds (a Go duration such as "5s" or "300ms"). */
export function timeoutMs(g: GlobalOptions): number {
  let ns: number;
  try {
    ns = parseDuration(g.timeout);
  } catch (err) {
    throw new Error(`invalid --timeout "${g.timeout}": ${(err as Error).message}`);
  }
  if (ns <= 0) throw new Error(`invalid --timeout "${g.timeout}": must be greater than 0`);
  return ns / 1e6;
}

function readFile(what: string, file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(
      `could not read the ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** The seed in an nkey file: the first word that looks like a user seed (SU...). */
function nkeySeed(file: string): Uint8Array {
  const text = new TextDecoder().decode(readFile("nkey", file));
  const m = /\bS[UA][A-Z2-7]{50,}\b/.exec(text);
  if (!m) throw new Error(`no nkey seed found in ${file}`);
  return new TextEncoder().encode(m[0]);
}

/** nats.js connection options for the global flags (plus the caller's extras). */
export function connectionOptions(g: GlobalOptions, extra: Partial<ConnectOptions> = {}): ConnectOptions {
  const servers = g.server
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const opts: ConnectOptions = {
    servers,
    name: g.connectionName ?? `tsnats CLI Version ${TSNATS_VERSION}`,
    timeout: timeoutMs(g),
    ...extra,
  };
  if (g.user !== undefined && (g.password === undefined || g.password === "")) {
    opts.token = g.user; // --user without --password is a token, as in the nats CLI
  } else if (g.user !== undefined) {
    opts.user = g.user;
    opts.pass = g.password;
  }
  if (g.token !== undefined) opts.token = g.token;
  if (g.creds !== undefined) opts.authenticator = credsAuthenticator(readFile("credentials", g.creds));
  else if (g.nkey !== undefined) opts.authenticator = nkeyAuthenticator(nkeySeed(g.nkey));
  const tlsWanted = g.tlscert || g.tlskey || g.tlsca || g.tlsfirst || servers.some((s) => s.startsWith("tls://"));
  if (tlsWanted) {
    opts.tls = {};
    if (g.tlscert) opts.tls.certFile = g.tlscert;
    if (g.tlskey) opts.tls.keyFile = g.tlskey;
    if (g.tlsca) opts.tls.caFile = g.tlsca;
    if (g.tlsfirst) opts.tls.handshakeFirst = true;
  }
  return opts;
}

/** Connect with the global flags; a failure becomes an error naming the servers tried. */
export async function openConnection(g: GlobalOptions, extra: Partial<ConnectOptions> = {}): Promise<NatsConnection> {
  const opts = connectionOptions(g, extra);
  try {
    return await connect(opts);
  } catch (err) {
    throw new Error(`could not connect to ${g.server}: ${describeError(err)}`);
  }
}

/** An error's message with its causes, for the one-line error reports. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let msg = (err.message || err.name).trim();
  const cause = (err as Error & { cause?: unknown }).cause;
  if (cause instanceof Error && cause.message && !msg.includes(cause.message.trim()))
    msg += `: ${cause.message.trim()}`;
  return msg.replace(/\s*\n\s*/g, " "); // one line (OpenSSL's texts end in a newline)
}
