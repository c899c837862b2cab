// The accounts fixture shared by the isolation suites (nats.js and nats.c): two accounts with
// two users each, a user of the global account $G, and no_auth_user landing in account A.
// One description, rendered as a nats-server config file (both servers run from the same
// file) and as embedding-API options (the same users with `account` set, for tsnats in process).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { startServer as startEmbedded } from "../../dist/server/embed.js";
import { serverKinds, startServer } from "./servers.js";

/** account name -> [user, password][]; "$G" is the global account (users outside `accounts`). */
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

const userEntry = ([u, p]) => `{user: ${u}, password: ${p}}`;

/**
 * nats-server config text for a fixture: `accounts { A { users [...] } ... }`, the global
 * users in `authorization`, and no_auth_user. `extra` is appended as is.
 */
export function accountsConfig(fx, extra = "") {
  const accs = Object.entries(fx.accounts)
    .map(([name, users]) => `  ${name} {\n    users [\n${users.map((u) => `      ${userEntry(u)}`).join("\n")}\n    ]\n  }`)
    .join("\n");
  let text = `accounts {\n${accs}\n}\n`;
  if ((fx.global ?? []).length > 0) {
    text += `authorization {\n  users [\n${fx.global.map((u) => `    ${userEntry(u)}`).join("\n")}\n  ]\n}\n`;
  }
  if (fx.noAuthUser) text += `no_auth_user: ${fx.noAuthUser}\n`;
  return text + extra;
}

/** The same fixture as embedding-API options: users carry their account. */
export function accountsOptions(fx) {
  const users = [];
  for (const [name, list] of Object.entries(fx.accounts)) {
    for (const [user, password] of list) users.push({ user, password, account: name });
  }
  for (const [user, password] of fx.global ?? []) users.push({ user, password });
  const o = { authorization: { users } };
  if (fx.noAuthUser) o.no_auth_user = fx.noAuthUser;
  return o;
}

/** The account a user of the fixture is in ("$G" for global users). */
export function accountOf(fx, user) {
  for (const [name, list] of Object.entries(fx.accounts)) if (list.some(([u]) => u === user)) return name;
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
 * Start one target with a fixture. Returns { kind, port, hostport, url, stop() }; the config
 * file, when there is one, is written into `dir` (which the caller removes).
 */
export async function startAccountsServer(target, fx, dir, extra = "") {
  if (target === "tsnats-embedded") {
    const srv = await startEmbedded({ ...accountsOptions(fx), host: "127.0.0.1", port: -1 });
    return { kind: target, port: srv.port, hostport: `127.0.0.1:${srv.port}`, url: srv.url, stop: () => srv.shutdown() };
  }
  const conf = path.join(dir, `${target}-${++confSeq}.conf`);
  writeFileSync(conf, accountsConfig(fx, extra));
  return startServer(target, ["-c", conf]);
}

let confSeq = 0;
