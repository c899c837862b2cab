// The core asks an Authenticator about its configured users through the interface's optional
// methods (hasNkeys, hasUsers, hasUser, noAuthResult, userAccount, hasUserList), never by
// testing for ConfigAuthenticator: an embedding application's own authenticator gets the same
// behaviour (INFO nonce, no_auth_user, refusal log lines) by implementing them. In-process
// servers on random ports with a raw client.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Server, Logger, MemorySink } from "tsnats/server";
import { RawConn } from "./helpers/raw.js";
import { waitUntil } from "./helpers/wait.js";

async function withServer(opts, authenticator, fn) {
  const sink = new MemorySink();
  const srv = new Server(
    { host: "127.0.0.1", port: -1, ...opts },
    { logger: new Logger(sink, { time: false }), authenticator },
  );
  await srv.start();
  try {
    await fn(srv, sink);
  } finally {
    await srv.shutdown();
  }
}

/** A custom authenticator: one user "alice" with password "pw"; the optional parts as given. */
function custom(extra = {}) {
  return {
    authRequired: true,
    noAuthUser: "",
    authenticate(req) {
      return req.user === "alice" && req.pass === "pw" ? { user: "alice", permissions: null, account: "$G" } : null;
    },
    ...extra,
  };
}

describe("Authenticator's optional methods", () => {
  it("hasNkeys: INFO carries a nonce only when the authenticator says nkey users exist", async () => {
    await withServer({}, custom({ hasNkeys: () => true }), async (srv) => {
      const c = await RawConn.connect(srv.port);
      const info = await c.readInfo();
      assert.match(info.nonce ?? "", /^[A-Za-z0-9_-]{10,}$/);
      c.close();
    });
    await withServer({}, custom(), async (srv) => {
      const c = await RawConn.connect(srv.port);
      const info = await c.readInfo();
      assert.equal(info.nonce, undefined);
      c.close();
    });
  });

  it("hasUsers: a refusal's log line names the user only when users are configured", async () => {
    for (const [hasUsers, line] of [
      [true, 'authentication error - User "mallory"'],
      [false, "authentication error"],
    ]) {
      await withServer({}, custom({ hasUsers: () => hasUsers }), async (srv, sink) => {
        const c = await RawConn.connect(srv.port);
        await c.readInfo();
        c.write('CONNECT {"verbose":false,"user":"mallory","pass":"x"}\r\n');
        await c.waitFor("-ERR 'Authorization Violation'\r\n");
        await waitUntil(() => sink.lines.some((l) => l.includes("authentication error")), "the refusal's log line");
        const got = sink.lines.find((l) => l.includes("authentication error")).trimEnd();
        assert.match(got, new RegExp(` - cid:\\d+ - ${line}$`));
        c.close();
      });
    }
  });

  it("noAuthResult: a client without CONNECT is taken to be that user", async () => {
    const auth = custom({
      noAuthUser: "bob",
      hasUser: (n) => n === "bob",
      noAuthResult: () => ({ user: "bob", permissions: null, account: "$G" }),
    });
    await withServer({ no_auth_user: "bob" }, auth, async (srv) => {
      const c = await RawConn.connect(srv.port);
      const info = await c.readInfo();
      assert.equal(info.auth_required, undefined);
      // no CONNECT: verbose as nats-server's default, so each operation gets its +OK
      c.write("SUB foo 1\r\nPUB foo 2\r\nhi\r\n");
      assert.equal(await c.flush(), "+OK\r\n+OK\r\nMSG foo 1 2\r\nhi\r\n");
      c.close();
      await waitUntil(() => srv.clients.size === 0, "the client gone");
    });
    // without noAuthResult there is no such user: the first operation must be a CONNECT
    await withServer({}, custom(), async (srv) => {
      const c = await RawConn.connect(srv.port);
      await c.readInfo();
      c.write("SUB foo 1\r\n");
      await c.waitFor("-ERR 'Authorization Violation'\r\n");
      assert.ok(await c.waitClosed());
    });
  });

  it("hasUser: no_auth_user naming a user the authenticator does not have is refused", () => {
    const make = (extra) =>
      new Server(
        { host: "127.0.0.1", port: -1, no_auth_user: "bob" },
        { logger: new Logger(new MemorySink(), { time: false }), authenticator: custom(extra) },
      );
    assert.throws(() => make({ hasUser: (n) => n === "alice" }), {
      message: 'no_auth_user: "bob" not present as user or nkey in authorization block or account configuration',
    });
    // an authenticator that cannot say which users it has is trusted with the name
    assert.doesNotThrow(() => make({}));
    assert.doesNotThrow(() => make({ hasUser: (n) => n === "bob" }));
  });

  it("userAccount/hasUserList: a reload closes a client whose user is gone only when the authenticator keeps a users list", async () => {
    for (const [hasUserList, closed] of [
      [true, true],
      [false, false],
    ]) {
      const auth = custom({ userAccount: () => undefined, hasUserList: () => hasUserList });
      await withServer({}, auth, async (srv) => {
        const c = await RawConn.connect(srv.port);
        await c.readInfo();
        c.write('CONNECT {"verbose":false,"user":"alice","pass":"pw"}\r\n');
        assert.equal(await c.flush(), "");
        await srv.reload({ debug: true });
        assert.equal(await c.waitClosed(500), closed);
        c.close();
      });
    }
  });
});
