// An operator, an application account, a system account and users, made at test time with
// @nats-io/jwt and @nats-io/nkeys, for nats-server in operator mode (`resolver: MEMORY`).
// tsnats-server has no operator mode yet, so only nats-server runs with this config.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { createAccount, createOperator, createUser } from "@nats-io/nkeys";
import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from "@nats-io/jwt";

/**
 * Write `operator.conf` and creds files into dir.
 * @param {string} dir
 * @returns {Promise<{conf: string, app: string, sys: string, stranger: string}>} the config file,
 *   creds of a user of the application account, of the system account, and of a user signed by
 *   an account the server does not know
 */
export async function makeOperatorMode(dir) {
  const op = createOperator();
  const sysAcc = createAccount();
  const appAcc = createAccount();
  const unknownAcc = createAccount();
  const opJwt = await encodeOperator("TEST-OP", op, { system_account: sysAcc.getPublicKey() });
  // @nats-io/jwt leaves unset account limits at 0 (nothing allowed): -1 is "no limit"
  const limits = { conn: -1, subs: -1, payload: -1, data: -1, imports: -1, exports: -1, leaf: -1, wildcards: true };
  const sysJwt = await encodeAccount("SYS", sysAcc, { limits }, { signer: op });
  const appJwt = await encodeAccount("APP", appAcc, { limits }, { signer: op });
  const creds = async (name, acc) => {
    const u = createUser();
    const file = path.join(dir, `${name}.creds`);
    writeFileSync(file, fmtCreds(await encodeUser(name, u, acc, { subs: -1, payload: -1, data: -1 }), u));
    return file;
  };
  const conf = path.join(dir, "operator.conf");
  writeFileSync(
    conf,
    [
      `operator: ${opJwt}`,
      `system_account: ${sysAcc.getPublicKey()}`,
      "resolver: MEMORY",
      "resolver_preload: {",
      `  ${sysAcc.getPublicKey()}: ${sysJwt}`,
      `  ${appAcc.getPublicKey()}: ${appJwt}`,
      "}",
      "",
    ].join("\n"),
  );
  return {
    conf,
    app: await creds("app", appAcc),
    sys: await creds("sys", sysAcc),
    stranger: await creds("stranger", unknownAcc),
  };
}
