// The accounts fixture shared by the isolation suites (nats.js and nats.c): two accounts with
// two users each, a user of the global account $G, and no_auth_user landing in account A.
// One description, rendered as a nats-server config file (both servers run from the same
// file) and as embedding-API options (the same users with `account` set, for tsnats in process).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { startServer as startEmbedded } from "../../dist/server/embed.js";
import { MemorySink } from "../../dist/server/logger.js";
import { freePort, serverKinds, startServer } from "./servers.js";
import { waitUntil } from "./wait.js";

/**
 * account name -> [user, password][]; "$G" is the global account (users outside `accounts`).
 * Optional: `mappings` (account name, or "$G" for the top level -> { from: to }),
 * `noAuthUser`, `systemAccount`, `noSystemAccount`.
 */
export const ISOLATION = {
  accounts: {
    A: [
      ["a1", "pa1"],
      ["a2", "pa2"],
    ],
    B: [
      ["b1", "pb1"],
      ["b2", "pb2"],
    ],
  },
  global: [["g1", "pg1"]],
  noAuthUser: "a2",
};

/** A user of a fixture: [user, password], or { nkey } for an nkey user. */
const userEntry = (u) => (Array.isArray(u) ? `{user: ${u[0]}, password: ${u[1]}}` : `{nkey: ${u.nkey}}`);

/** The user as the options hold it (an nkey user is named by its public key, without password). */
const userOption = (u) =>
  Array.isArray(u) ? { user: u[0], password: u[1] } : { user: u.nkey, password: "", nkey: u.nkey };

/**
 * nats-server config text for a fixture: `accounts { A { users [...] } ... }`, the global
 * users in `authorization`, and no_auth_user. `extra` is appended as is.
 */
export function accountsConfig(fx, extra = "") {
  const maps = (m, indent) =>
    `${indent}mappings {\n${Object.entries(m)
      .map(([from, to]) => `${indent}  "${from}": "${to}"`)
      .join("\n")}\n${indent}}\n`;
  const accs = Object.entries(fx.accounts)
    .map(
      ([name, users]) =>
        `  "${name}" {\n    users [\n${users.map((u) => `      ${userEntry(u)}`).join("\n")}\n    ]\n` +
        `${fx.mappings?.[name] ? maps(fx.mappings[name], "    ") : ""}  }`,
    )
    .join("\n");
  let text = `accounts {\n${accs}\n}\n`;
  if (fx.mappings?.$G) text += maps(fx.mappings.$G, "");
  if ((fx.global ?? []).length > 0) {
    text += `authorization {\n  users [\n${fx.global.map((u) => `    ${userEntry(u)}`).join("\n")}\n  ]\n}\n`;
  }
  if (fx.noAuthUser) text += `no_auth_user: ${fx.noAuthUser}\n`;
  if (fx.systemAccount) text += `system_account: "${fx.systemAccount}"\n`;
  if (fx.noSystemAccount) text += "no_system_account: true\n";
  return text + extra;
}

/**
 * The same fixture as embedding-API options: the `accounts` entries, and the users (with their
 * account) in `authorization`, as the config loader gives them. Options the fixture leaves out
 * get their defaults, so that a reload with them replaces what an earlier fixture set.
 */
export function accountsOptions(fx) {
  const users = [];
  const accounts = [];
  for (const [name, list] of Object.entries(fx.accounts)) {
    accounts.push({ name, exports: [], imports: [], mappings: mappingOptions(fx.mappings?.[name]) });
    for (const entry of list) users.push({ ...userOption(entry), account: name });
  }
  for (const entry of fx.global ?? []) users.push(userOption(entry));
  return {
    accounts,
    authorization: { users },
    no_auth_user: fx.noAuthUser ?? "",
    system_account: fx.systemAccount ?? "",
    no_system_account: fx.noSystemAccount ?? false,
    mappings: mappingOptions(fx.mappings?.$G),
  };
}

/** { from: to } as the options' mappings (one destination, all the weight). */
function mappingOptions(m = {}) {
  return Object.entries(m).map(([subject, to]) => ({ subject, destinations: [{ subject: to, weight: 100 }] }));
}

/** The account a user of the fixture is in ("$G" for global users). */
export function accountOf(fx, user) {
  for (const [name, list] of Object.entries(fx.accounts))
    if (list.some((e) => Array.isArray(e) && e[0] === user)) return name;
  return "$G";
}

/**
 * Where the isolation suites run: each server kind from the same config file, and tsnats
 * embedded in this process with the same users given as options (the embedding API's path
 * to accounts).
 */
export function isolationTargets() {
  return [...serverKinds(), "tsnats-embedded"];
}

/**
 * Start one target with a fixture. Returns { kind, port, hostport, url, stop() } and, for the
 * reload suites, `reload(fx)` (the config file rewritten and SIGHUP sent, or Server.reload with
 * the fixture's options) resolving to "" on success or the error text, `output()` (the log so
 * far), `monitorUrl` (with `monitor: true`) and, embedded, `server` (the Server). `debug: true` logs at debug level. The config
 * file, when there is one, is written into `dir` (which the caller removes).
 */
export async function startAccountsServer(target, fx, dir, { debug = false, monitor = false } = {}) {
  if (target === "tsnats-embedded") {
    const sink = new MemorySink();
    const srv = await startEmbedded(
      { ...accountsOptions(fx), host: "127.0.0.1", port: -1, debug, ...(monitor ? { http_port: -1 } : {}) },
      { logger: sink },
    );
    return {
      kind: target,
      port: srv.port,
      hostport: `127.0.0.1:${srv.port}`,
      url: srv.url,
      monitorUrl: srv.monitorUrl,
      server: srv.server,
      output: () => sink.lines.join(""),
      reload: (next) =>
        srv.reload(accountsOptions(next)).then(
          () => "",
          (e) => e.message,
        ),
      stop: () => srv.shutdown(),
    };
  }
  const conf = path.join(dir, `${target}-${++confSeq}.conf`);
  writeFileSync(conf, accountsConfig(fx));
  const args = ["-c", conf];
  if (debug) args.push("-D");
  let mport = 0;
  if (monitor) {
    mport = await freePort();
    args.push("-m", String(mport));
  }
  const srv = await startServer(target, args);
  let reloads = 0;
  const outcome = /Reloaded server configuration|Failed to reload server configuration: (.*)/g;
  return {
    ...srv,
    monitorUrl: monitor ? `http://127.0.0.1:${mport}` : undefined,
    async reload(next) {
      writeFileSync(conf, accountsConfig(next));
      const n = ++reloads;
      process.kill(srv.pid, "SIGHUP");
      await waitUntil(
        () => [...srv.output().matchAll(outcome)].length >= n,
        `reload #${n} of ${target}:\n${srv.output().slice(-1500)}`,
        5000,
      );
      return [...srv.output().matchAll(outcome)][n - 1][1] ?? "";
    },
  };
}

let confSeq = 0;
