// NKey users (`nkey: U...` in authorization users), against tsnats-server and Debian's
// nats-server with the same assertions: the nonce in INFO only when nkey users exist, nats.js
// logins with nkeyAuthenticator, permissions of nkey users, and the refusals (bad, missing,
// malformed and replayed signatures, unknown keys) with nats-server's -ERR and log line.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { createUser } from "@nats-io/nkeys";
import { connect, nkeyAuthenticator } from "@nats-io/transport-node";
import { serverKinds, startServer, TSNATS_BIN, natsServerBin } from "./helpers/servers.js";
import { RawConn } from "./helpers/raw.js";
import { waitUntil } from "./helpers/wait.js";

const kinds = serverKinds();
let dir;
const alice = createUser();
const bob = createUser();
const stranger = createUser();

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "tsnats-nkeys-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function conf(name, text) {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

const CONFIG = () => `authorization { users: [
  { nkey: ${alice.getPublicKey()}, permissions: { publish: "alice.>", subscribe: ["alice.>", "_INBOX.>"] } }
  { nkey: ${bob.getPublicKey()} }
  { user: carol, password: pw }
] }\n`;

const sign = (kp, nonce) => Buffer.from(kp.sign(Buffer.from(nonce))).toString("base64url");

async function raw(port) {
  const c = await RawConn.connect(port);
  const info = await c.readInfo();
  return { c, info };
}

async function refused(c, connect) {
  c.write(`CONNECT ${JSON.stringify({ verbose: false, ...connect })}\r\nPING\r\n`);
  assert.equal(await c.waitClosed(3000), true, "closed");
  assert.equal(c.text(), "-ERR 'Authorization Violation'\r\n");
}

for (const kind of kinds) {
  describe(`NKey users (${kind})`, () => {
    let srv;
    before(async () => {
      srv = await startServer(kind, ["-D", "-c", conf(`${kind}.conf`, CONFIG())]);
    });
    after(() => srv?.stop());

    it("INFO carries a nonce (only when nkey users are configured)", async () => {
      const { c, info } = await raw(srv.port);
      c.close();
      assert.match(info.nonce, /^[A-Za-z0-9_-]{15}$/);
      assert.equal(info.auth_required, true);
      const { c: c2, info: info2 } = await raw(srv.port);
      c2.close();
      assert.notEqual(info2.nonce, info.nonce, "a new nonce per connection");
      const plain = await startServer(kind, []);
      try {
        const p = await raw(plain.port);
        p.c.close();
        assert.equal(p.info.nonce, undefined);
      } finally {
        await plain.stop();
      }
    });

    it("nats.js logs in with nkeyAuthenticator; an nkey user's permissions apply", async () => {
      const nc = await connect({ servers: srv.url, authenticator: nkeyAuthenticator(alice.getSeed()) });
      const sub = nc.subscribe("alice.x", { max: 1 });
      const got = (async () => {
        for await (const m of sub) return m.string();
      })();
      nc.publish("alice.x", "hi");
      assert.equal(await got, "hi");
      await nc.close();
      // raw: alice may not publish to bob.x
      const { c, info } = await raw(srv.port);
      c.write(
        `CONNECT ${JSON.stringify({ verbose: false, pedantic: false, nkey: alice.getPublicKey(), sig: sign(alice, info.nonce) })}\r\nPUB bob.x 1\r\nx\r\n`,
      );
      assert.equal(await c.flush(), "-ERR 'Permissions Violation for Publish to \"bob.x\"'\r\n");
      c.close();
      // user/password users still log in alongside nkey users
      const nc2 = await connect({ servers: srv.url, user: "carol", pass: "pw" });
      await nc2.flush();
      await nc2.close();
    });

    it("a signature made with another key is refused, logged with the nkey", async () => {
      const { c, info } = await raw(srv.port);
      await refused(c, { nkey: bob.getPublicKey(), sig: sign(alice, info.nonce) });
      await waitUntil(() => srv.output().includes(`authentication error - Nkey "${bob.getPublicKey()}"`), "logged");
      assert.match(srv.output(), /\[DBG\] 127\.0\.0\.1:\d+ - cid:\d+ - Signature not verified\n/);
    });

    it("a replayed signature (of another connection's nonce) is refused", async () => {
      const a = await raw(srv.port);
      const b = await raw(srv.port);
      await refused(b.c, { nkey: bob.getPublicKey(), sig: sign(bob, a.info.nonce) });
      // the connection the nonce belongs to still logs in with it
      a.c.write(
        `CONNECT ${JSON.stringify({ verbose: false, nkey: bob.getPublicKey(), sig: sign(bob, a.info.nonce) })}\r\n`,
      );
      assert.equal(await a.c.flush(), "");
      a.c.close();
    });

    it("missing, malformed and standard-base64 signatures; unknown nkeys", async () => {
      let r = await raw(srv.port);
      await refused(r.c, { nkey: bob.getPublicKey() });
      await waitUntil(() => / - Signature missing\n/.test(srv.output()), "Signature missing logged");
      r = await raw(srv.port);
      await refused(r.c, { nkey: bob.getPublicKey(), sig: "not*base64!" });
      await waitUntil(() => / - Signature not valid base64\n/.test(srv.output()), "Signature not valid base64 logged");
      r = await raw(srv.port);
      await refused(r.c, { nkey: stranger.getPublicKey(), sig: sign(stranger, r.info.nonce) });
      // nats-server falls back to standard base64
      r = await raw(srv.port);
      const std = Buffer.from(bob.sign(Buffer.from(r.info.nonce))).toString("base64");
      r.c.write(`CONNECT ${JSON.stringify({ verbose: false, nkey: bob.getPublicKey(), sig: std })}\r\n`);
      assert.equal(await r.c.flush(), "");
      r.c.close();
    });

    it("a bad nkey in the config is refused with nats-server's text", () => {
      const f = conf(`bad-${kind}.conf`, "authorization { users: [ { nkey: UNOTAKEY } ] }\n");
      const [cmd, args] =
        kind === "tsnats" ? [process.execPath, [TSNATS_BIN, "-t", "-c", f]] : [natsServerBin(), ["-t", "-c", f]];
      let err = "";
      try {
        execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
      } catch (e) {
        err = String(e.stderr);
      }
      assert.match(err, /Not a valid public nkey for a user/);
    });
  });
}
