// The tsnats client over TLS and with authentication. Certificates are made at test time
// with openssl (a CA, a server certificate for 127.0.0.1/localhost, a client certificate).
// TLS and auth run against both server kinds; the creds (JWT) case runs against nats-server
// only, in operator mode, because tsnats-server has no operator mode yet.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import tls from "node:tls";
import { writeFileSync, readFileSync } from "node:fs";
import { createUser } from "@nats-io/nkeys";
import {
  connect,
  errors,
  nkeyAuthenticator,
  credsAuthenticator,
  credsFileAuthenticator,
  jwtAuthenticator,
} from "../dist/client/index.js";
import { freePort, serverKinds, startServer } from "./helpers/servers.js";
import { makeCerts } from "./helpers/certs.js";
import { makeOperatorMode } from "./helpers/operator.js";
import { waitUntil } from "./helpers/wait.js";

// the CA, server and client certificates of test/helpers/certs.js (client: CN=alice)
let certs;
after(() => certs?.cleanup());
const f = (n) => certs.file(n);

function startTls(kind, extra = [], port = null) {
  const args = ["--tls", "--tlscert", f("server.pem"), "--tlskey", f("server-key.pem"), ...extra];
  if (port !== null) args.unshift("-a", "127.0.0.1", "-p", String(port));
  return startServer(kind, args, port !== null ? { noDefaults: true } : {});
}

before(() => {
  certs = makeCerts();
});

for (const kind of serverKinds()) {
  describe(`tsnats client TLS [${kind}]`, () => {
    it("tls:// with the CA: encrypted, verified, messages flow", async () => {
      const srv = await startTls(kind);
      try {
        const nc = await connect({
          servers: `tls://127.0.0.1:${srv.port}`,
          tls: { caFile: f("ca.pem") },
          reconnect: false,
        });
        assert.equal(nc.info.tls_required, true);
        const sub = nc.subscribe("tls.x", { max: 1 });
        nc.publish("tls.x", "secret");
        for await (const m of sub) assert.equal(m.string(), "secret");
        await nc.close();
        // a server certificate the client cannot verify is refused
        await assert.rejects(connect({ servers: `tls://127.0.0.1:${srv.port}`, reconnect: false }), Error);
        // a client that insists on TLS, against a server without it
      } finally {
        await srv.stop();
      }
    });

    it("client certificates (tlsverify), and TLS again on reconnect", async () => {
      const port = await freePort();
      const extra = ["--tlsverify", "--tlscacert", f("ca.pem")];
      let srv = await startTls(kind, extra, port);
      const nc = await connect({
        servers: `127.0.0.1:${port}`,
        tls: { caFile: f("ca.pem"), certFile: f("client.pem"), keyFile: f("client-key.pem") },
        reconnectTimeWait: 100,
        reconnectJitterTLS: 50,
        maxReconnectAttempts: -1,
      });
      const events = [];
      (async () => {
        for await (const s of nc.status()) events.push(s.type);
      })();
      try {
        const got = [];
        nc.subscribe("tlsr.x", { callback: (_e, m) => got.push(m.string()) });
        nc.publish("tlsr.x", "before");
        await nc.flush();
        await srv.stop("SIGKILL");
        await waitUntil(() => events.includes("disconnect"), "the disconnect", 5000);
        nc.publish("tlsr.x", "buffered");
        srv = await startTls(kind, extra, port);
        await waitUntil(() => events.includes("reconnect"), "the reconnect", 10000);
        await nc.flush();
        assert.deepEqual(got, ["before", "buffered"]);
        await nc.close();
        // without a client certificate the server refuses the handshake
        await assert.rejects(
          connect({ servers: `127.0.0.1:${port}`, tls: { caFile: f("ca.pem") }, reconnect: false }),
          Error,
        );
      } finally {
        if (!nc.isClosed()) await nc.close();
        await srv.stop();
      }
    });

    it("a client asking for TLS from a server without it gets a clear error", async () => {
      const srv = await startServer(kind);
      try {
        await assert.rejects(
          connect({ servers: srv.url, tls: { caFile: f("ca.pem") }, reconnect: false }),
          (e) => e instanceof errors.InvalidArgumentError && /tls/.test(e.message),
        );
      } finally {
        await srv.stop();
      }
    });
  });

  describe(`tsnats client auth [${kind}]`, () => {
    it("user/pass and token", async () => {
      const srv = await startServer(kind, ["--user", "alice", "--pass", "s3cret"]);
      try {
        const nc = await connect({ servers: srv.url, user: "alice", pass: "s3cret", reconnect: false });
        await nc.flush();
        await nc.close();
        await assert.rejects(
          connect({ servers: srv.url, user: "alice", pass: "wrong", reconnect: false }),
          (e) => e instanceof errors.AuthorizationError,
        );
        // credentials in the URL, when the options give none
        const viaUrl = await connect({ servers: `nats://alice:s3cret@127.0.0.1:${srv.port}`, reconnect: false });
        await viaUrl.flush();
        await viaUrl.close();
        await assert.rejects(
          connect({ servers: `nats://alice:nope@127.0.0.1:${srv.port}`, reconnect: false }),
          (e) => e instanceof errors.AuthorizationError,
        );
      } finally {
        await srv.stop();
      }
      const srv2 = await startServer(kind, ["--auth", "tok123"]);
      try {
        const nc = await connect({ servers: srv2.url, token: "tok123", reconnect: false });
        await nc.flush();
        await nc.close();
        await assert.rejects(
          connect({ servers: srv2.url, token: "nope", reconnect: false }),
          (e) => e instanceof errors.AuthorizationError,
        );
        const viaUrl = await connect({ servers: `nats://tok123@127.0.0.1:${srv2.port}`, reconnect: false });
        await viaUrl.flush();
        await viaUrl.close();
      } finally {
        await srv2.stop();
      }
    });

    it("permission violations: the subscription fails with PermissionViolationError, a status error for publish", async () => {
      const conf = f(`perm-${kind}.conf`);
      writeFileSync(
        conf,
        'authorization { users: [ { user: a, password: b, permissions: { publish: { deny: "nopub.>" }, subscribe: { deny: "nosub.>" } } } ] }\n',
      );
      const srv = await startServer(kind, ["-c", conf]);
      try {
        const nc = await connect({ servers: srv.url, user: "a", pass: "b", reconnect: false });
        const events = [];
        (async () => {
          for await (const s of nc.status()) events.push(s);
        })();
        const sub = nc.subscribe("nosub.x");
        const err = await sub.closed;
        assert.ok(err instanceof errors.PermissionViolationError, `sub.closed gave ${err}`);
        assert.equal(err.operation, "subscription");
        assert.equal(err.subject, "nosub.x");
        assert.equal(sub.isClosed(), true);
        nc.publish("nopub.y", "x");
        await nc.flush();
        await waitUntil(
          () => events.some((e) => e.type === "error" && e.error.operation === "publish"),
          "the publish violation",
        );
        assert.equal(events.find((e) => e.error?.operation === "publish").error.subject, "nopub.y");
        assert.equal(nc.state, "CONNECTED");
        await nc.close();
      } finally {
        await srv.stop();
      }
    });

    it("nkey seed: the server's nonce is signed", async () => {
      const kp = createUser();
      const seed = new TextDecoder().decode(kp.getSeed());
      const conf = f(`nkey-${kind}.conf`);
      writeFileSync(conf, `authorization { users: [ { nkey: ${kp.getPublicKey()} } ] }\n`);
      const srv = await startServer(kind, ["-c", conf]);
      try {
        const nc = await connect({ servers: srv.url, authenticator: nkeyAuthenticator(seed), reconnect: false });
        await nc.flush();
        await nc.close();
        const other = new TextDecoder().decode(createUser().getSeed());
        await assert.rejects(
          connect({ servers: srv.url, authenticator: nkeyAuthenticator(other), reconnect: false }),
          (e) => e instanceof errors.AuthorizationError,
        );
      } finally {
        await srv.stop();
      }
    });
  });
}

describe("handshakeFirst", () => {
  // nats-server 2.9 has no handshake_first (2.10 has), so it is tested against tsnats-server
  // with `tls { handshake_first: true }`, and against a stand-in TLS server that records the
  // CONNECT.
  it("against tsnats-server with handshake_first: messages flow; a client without it is refused", async () => {
    const conf = f("tlsfirst.conf");
    writeFileSync(
      conf,
      `tls {\n  cert_file: "${f("server.pem")}"\n  key_file: "${f("server-key.pem")}"\n  handshake_first: true\n  timeout: 1\n}\n`,
    );
    const srv = await startServer("tsnats", ["-c", conf]);
    try {
      const url = `tls://127.0.0.1:${srv.port}`;
      const nc = await connect({ servers: url, tls: { caFile: f("ca.pem"), handshakeFirst: true }, reconnect: false });
      assert.equal(nc.info.tls_required, true);
      const sub = nc.subscribe("tlsfirst.x", { max: 1 });
      nc.publish("tlsfirst.x", "first");
      for await (const m of sub) assert.equal(m.string(), "first");
      await nc.close();
      // a client that waits for a plaintext INFO gets none: its connect fails
      await assert.rejects(
        connect({ servers: url, tls: { caFile: f("ca.pem") }, reconnect: false, timeout: 1500 }),
        (e) => e instanceof errors.ConnectionError,
      );
    } finally {
      await srv.stop();
    }
  });

  it("does the TLS handshake before the server's INFO", async () => {
    const lines = [];
    const srv = tls.createServer(
      { cert: readFileSync(f("server.pem")), key: readFileSync(f("server-key.pem")) },
      (s) => {
        s.write(
          'INFO {"server_id":"TLSFIRST","version":"2.10.0","proto":1,"headers":true,"max_payload":1048576,"tls_required":true}\r\n',
        );
        s.on("data", (d) => {
          lines.push(...d.toString().split("\r\n").filter(Boolean));
          if (d.toString().includes("PING")) s.write("PONG\r\n");
        });
      },
    );
    await new Promise((r) => srv.listen(0, "127.0.0.1", r));
    try {
      const nc = await connect({
        servers: `tls://127.0.0.1:${srv.address().port}`,
        tls: { caFile: f("ca.pem"), handshakeFirst: true },
        reconnect: false,
      });
      assert.equal(nc.info.server_id, "TLSFIRST");
      await nc.flush();
      const c = JSON.parse(lines.find((l) => l.startsWith("CONNECT ")).slice(8));
      assert.equal(c.tls_required, true);
      await nc.close();
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });
});

describe("creds authenticator against nats-server in operator mode", () => {
  // tsnats-server has no operator mode (JWT accounts) yet, so this runs against nats-server only.
  it("a creds file made at test time (operator, account, user) connects; others are refused", async () => {
    const op = await makeOperatorMode(certs.dir);
    const srv = await startServer("nats-server", ["-c", op.conf]);
    try {
      const nc = await connect({ servers: srv.url, authenticator: credsFileAuthenticator(op.app), reconnect: false });
      const sub = nc.subscribe("creds.x", { max: 1 });
      nc.publish("creds.x", "signed");
      for await (const m of sub) assert.equal(m.string(), "signed");
      await nc.close();
      const nc2 = await connect({
        servers: srv.url,
        authenticator: credsAuthenticator(readFileSync(op.app)),
        reconnect: false,
      });
      await nc2.flush();
      await nc2.close();
      for (const authenticator of [credsFileAuthenticator(op.stranger), undefined]) {
        await assert.rejects(
          connect({ servers: srv.url, authenticator, reconnect: false }),
          (e) => e instanceof errors.AuthorizationError,
        );
      }
    } finally {
      await srv.stop();
    }
  });
});

describe("creds authenticator", () => {
  it("reads the JWT and seed blocks of a creds file and signs the nonce", () => {
    const kp = createUser();
    const seed = new TextDecoder().decode(kp.getSeed());
    const creds = `-----BEGIN NATS USER JWT-----\neyJhbGciOi.fake.jwt\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\nNKEY Seed printed below.\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`;
    writeFileSync(f("u.creds"), creds);
    const a = credsAuthenticator(readFileSync(f("u.creds")))("nonce-1");
    assert.equal(a.jwt, "eyJhbGciOi.fake.jwt");
    assert.equal(a.nkey, kp.getPublicKey());
    assert.equal(kp.verify(Buffer.from("nonce-1"), Buffer.from(a.sig, "base64url")), true);
    const b = jwtAuthenticator("j", seed)("n");
    assert.equal(b.jwt, "j");
    assert.throws(() => credsAuthenticator(Buffer.from("nothing here"))("x"), /unable to parse credentials/);
  });
});
