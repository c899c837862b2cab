// Configuration reload: SIGHUP (and --signal reload=<pid>) re-reads the config file and
// applies what may change at runtime, as nats-server 2.10's reload.go does, while a
// publisher/subscriber pair keeps running and loses nothing. Every process scenario runs
// against tsnats-server and, when installed, Debian's nats-server 2.9.10 (the oracle); the
// in-process API (Server.reload) is tested on tsnats alone.
// Differences that show here: 2.9 logs `Trapped "hangup" signal` at debug level only (2.10 at
// info); for a syntax error nats-server (2.9 and 2.10) prints `Parse error on line N: ...`,
// which tsnats prefixes with `file:line:col: ` as it does at start-up.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, readFileSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TSNATS_BIN, freePort, natsServerBin, serverKinds, startServer } from "./helpers/servers.js";
import { rawConnect } from "./helpers/raw.js";
import { waitUntil } from "./helpers/wait.js";
import { Server, Logger, MemorySink, ReloadError } from "../dist/server/index.js";
import { connect } from "@nats-io/transport-node";

const dir = mkdtempSync(path.join(tmpdir(), "tsnats-reload-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** How many times re occurs in text. */
function count(text, re) {
  return (text.match(new RegExp(re.source, "g")) ?? []).length;
}

/** Send SIGHUP and wait for the n-th reload outcome (success or failure) in the log. */
async function hup(srv, n) {
  process.kill(srv.pid, "SIGHUP");
  await waitUntil(
    () => count(srv.output(), /Reloaded server configuration|Failed to reload server configuration/) >= n,
    `reload #${n} of ${srv.kind}:\n${srv.output().slice(-1500)}`,
    5000,
  );
}

/** A users block: each entry [user, password, permissions?]. */
function usersBlock(users) {
  const lines = users.map(
    ([u, p, perms]) => `    {user: ${u}, password: ${p}${perms ? `, permissions: ${perms}` : ""}}`,
  );
  return `authorization {\n  users = [\n${lines.join("\n")}\n  ]\n}\n`;
}

/**
 * A publisher and a subscriber (as user svc, when given) exchanging numbered messages on
 * "traffic" until finish(), which checks that every message arrived, once and in order.
 */
async function startTraffic(port, creds = {}) {
  const fields = { verbose: false, pedantic: false, ...creds };
  const { c: sub } = await rawConnect(port, fields);
  sub.write("SUB traffic 1\r\n");
  await sub.flush();
  const { c: pub } = await rawConnect(port, fields);
  await pub.flush();
  let sent = 0;
  let stop = false;
  const started = Date.now();
  const loop = (async () => {
    while (!stop && !pub.closed) {
      let batch = "";
      for (let i = 0; i < 5; i++) {
        const p = String(sent++);
        batch += `PUB traffic ${p.length}\r\n${p}\r\n`;
      }
      pub.write(batch);
      await sleep(5);
    }
  })();
  return {
    get sent() {
      return sent;
    },
    async finish() {
      // keep going a little past the last reload, so traffic spans all of them
      await waitUntil(() => sent >= 200 && Date.now() - started >= 200, "traffic to run a while", 10000);
      stop = true;
      await loop;
      try {
        await pub.flush(5000);
        sub.write("PING\r\n");
        await sub.waitFor("PONG\r\n", 5000);
        assert.ok(!pub.closed && !sub.closed, "the traffic pair stayed connected");
        const got = [];
        const re = /MSG traffic 1 \d+\r\n(\d+)\r\n/g;
        let m;
        while ((m = re.exec(sub.text())) !== null) got.push(Number(m[1]));
        assert.ok(sent > 0);
        assert.equal(got.length, sent, `received ${got.length} of ${sent} messages`);
        for (let i = 0; i < got.length; i++) if (got[i] !== i) assert.fail(`message ${i} arrived as ${got[i]}`);
        assert.doesNotMatch(pub.text() + sub.text(), /-ERR/);
      } finally {
        pub.close();
        sub.close();
      }
    },
  };
}

for (const kind of serverKinds()) {
  describe(`config reload via SIGHUP [${kind}]`, () => {
    it("users added, removed, password and permissions changed; traffic loses nothing", async () => {
      const conf = path.join(dir, `users-${kind}.conf`);
      const svc = ["svc", "s"];
      writeFileSync(
        conf,
        usersBlock([
          svc,
          ["alice", "pa"],
          ["dave", "pd"],
          ["bob", "pb", `{publish: {deny: ["x.>"]}, subscribe: {allow: ["foo.>", "bar", "q.>"]}}`],
        ]),
      );
      const srv = await startServer(kind, ["-c", conf]);
      const conns = [];
      try {
        const traffic = await startTraffic(srv.port, { user: "svc", pass: "s" });
        const login = async (user, pass) => {
          const { c } = await rawConnect(srv.port, { verbose: false, pedantic: false, user, pass });
          conns.push(c);
          return c;
        };
        const alice = await login("alice", "pa");
        const dave = await login("dave", "pd");
        const bob = await login("bob", "pb");
        bob.write("SUB foo.a 1\r\nSUB bar 2\r\nSUB q.a workers 3\r\n");
        assert.equal(await alice.flush(), "");
        assert.equal(await dave.flush(), "");
        assert.equal(await bob.flush(), "");
        // carol does not exist yet
        const early = await login("carol", "pc");
        await early.waitFor("-ERR 'Authorization Violation'\r\n");

        writeFileSync(
          conf,
          usersBlock([
            svc,
            ["carol", "pc"],
            ["dave", "pd2"],
            ["bob", "pb", `{publish: {deny: ["x.>", "y"]}, subscribe: {allow: ["foo.>", "q.> workers"]}}`],
          ]),
        );
        await hup(srv, 1);
        const out = srv.output();
        assert.match(out, /\[INF\] Reloaded: authorization users\n/);
        assert.match(out, /\[INF\] Reloaded: accounts\n/);
        assert.match(out, /\[INF\] Reloaded server configuration\n/);

        // removed user: closed without an -ERR (nats-server: "Client Closed", the user no
        // longer exists, clientHasMovedToDifferentAccount)
        assert.ok(await alice.waitClosed(3000), "alice's connection is closed");
        assert.doesNotMatch(alice.text(), /-ERR/);
        // changed password: the old credentials fail the re-check
        await dave.waitFor("-ERR 'Authorization Violation'\r\n");
        assert.ok(await dave.waitClosed(3000), "dave's connection is closed");
        // new user and new password work for new connections, the old password does not
        const carol = await login("carol", "pc");
        assert.equal(await carol.flush(), "");
        const dave2 = await login("dave", "pd2");
        assert.equal(await dave2.flush(), "");
        const daveOld = await login("dave", "pd");
        await daveOld.waitFor("-ERR 'Authorization Violation'\r\n");

        // bob keeps his connection, loses the subscriptions his new permissions refuse
        await bob.waitFor(`-ERR 'Permissions Violation for Subscription to "bar" (sid "2")'\r\n`);
        assert.match(srv.output(), /\[INF\] Removed sub "bar" \(sid "2"\) for User "bob" - not authorized\n/);
        assert.doesNotMatch(bob.text(), /sid "1"|sid "3"/, "allowed subscriptions are kept");
        bob.clear();
        // his new publish permissions apply to the open connection
        bob.write("PUB y 1\r\nz\r\nPUB foo.b 1\r\nz\r\n");
        assert.equal(await bob.flush(), `-ERR 'Permissions Violation for Publish to "y"'\r\n`);
        // what still reaches him: foo.a and the queue subscription, not bar
        carol.write("PUB bar 2\r\nno\r\nPUB foo.a 2\r\nok\r\nPUB q.a 2\r\nqq\r\n");
        await carol.flush();
        assert.equal(await bob.flush(), "MSG foo.a 1 2\r\nok\r\nMSG q.a 3 2\r\nqq\r\n");
        assert.ok(!bob.closed);

        await traffic.finish();
      } finally {
        for (const c of conns) c.close();
        await srv.stop();
      }
    });

    it("nats.js clients (users list) ride through reloads without a reconnect or a lost message", async () => {
      const conf = path.join(dir, `natsjs-${kind}.conf`);
      const base = [
        ["svc", "s"],
        ["other", "o"],
      ];
      writeFileSync(conf, usersBlock(base));
      const srv = await startServer(kind, ["-c", conf]);
      const ncs = [];
      try {
        const opts = { servers: srv.url, user: "svc", pass: "s", reconnect: false };
        const subNc = await connect(opts);
        const pubNc = await connect(opts);
        ncs.push(subNc, pubNc);
        const events = [];
        for (const nc of ncs) {
          (async () => {
            for await (const st of nc.status()) events.push(st.type);
          })().catch(() => {});
        }
        const got = [];
        subNc.subscribe("js.traffic", { callback: (_e, m) => got.push(Number(m.string())) });
        await subNc.flush();
        let sent = 0;
        const publishSome = async (n) => {
          for (let i = 0; i < n; i++) pubNc.publish("js.traffic", String(sent++));
          await pubNc.flush();
        };
        await publishSome(100);
        // each reload while messages are in flight: add a user, narrow another's permissions, debug on
        const steps = [
          usersBlock([...base, ["new", "n"]]),
          usersBlock([
            ["svc", "s"],
            ["other", "o", `{subscribe: {allow: ["x"]}}`],
            ["new", "n"],
          ]),
          "debug: true\n" +
            usersBlock([
              ["svc", "s"],
              ["other", "o", `{subscribe: {allow: ["x"]}}`],
              ["new", "n"],
            ]),
        ];
        for (let i = 0; i < steps.length; i++) {
          writeFileSync(conf, steps[i]);
          const p = publishSome(200);
          await hup(srv, i + 1);
          await p;
        }
        await publishSome(100);
        await subNc.flush();
        await waitUntil(() => got.length >= sent, `all ${sent} messages`, 5000);
        assert.deepEqual(
          got,
          Array.from({ length: sent }, (_, i) => i),
        );
        assert.ok(!subNc.isClosed() && !pubNc.isClosed());
        assert.deepEqual(
          events.filter((t) => t === "disconnect" || t === "reconnect" || t === "error"),
          [],
        );
        // the added user can log in
        const nn = await connect({ servers: srv.url, user: "new", pass: "n", reconnect: false });
        ncs.push(nn);
        await nn.flush();
      } finally {
        for (const nc of ncs) await nc.close().catch(() => {});
        await srv.stop();
      }
    });

    it("single user/password form: tsnats keeps the connection, nats-server closes it on every reload", async () => {
      // nats-server's clientHasMovedToDifferentAccount finds no users map for the single
      // user form, so it closes such a connection ("Client Closed", no -ERR) on any reload.
      // tsnats differs on purpose (the issue asks for reloads that drop no one): the
      // connection is re-checked and stays while its credentials pass. A token is kept by both.
      const conf = path.join(dir, `single-${kind}.conf`);
      writeFileSync(conf, "authorization { user: sam, password: ps }\n");
      const srv = await startServer(kind, ["-c", conf]);
      const conns = [];
      try {
        const { c: sam } = await rawConnect(srv.port, { verbose: false, pedantic: false, user: "sam", pass: "ps" });
        conns.push(sam);
        assert.equal(await sam.flush(), "");
        await hup(srv, 1);
        if (kind === "nats-server") {
          assert.ok(await sam.waitClosed(3000), "nats-server closes sam's connection on reload");
          assert.doesNotMatch(sam.text(), /-ERR/);
        } else {
          assert.equal(await sam.flush(), "", "sam's connection survives the reload");
        }
        // switch to a token: a token client survives the next reload
        writeFileSync(conf, "authorization { token: tok }\n");
        await hup(srv, 2);
        assert.match(srv.output(), /\[INF\] Reloaded: authorization username\n/);
        assert.match(srv.output(), /\[INF\] Reloaded: authorization password\n/);
        assert.match(srv.output(), /\[INF\] Reloaded: authorization token\n/);
        const { c: tok } = await rawConnect(srv.port, { verbose: false, pedantic: false, auth_token: "tok" });
        conns.push(tok);
        assert.equal(await tok.flush(), "");
        await hup(srv, 3);
        assert.equal(await tok.flush(), "");
        // a changed token fails the re-check
        writeFileSync(conf, "authorization { token: tok2 }\n");
        await hup(srv, 4);
        await tok.waitFor("-ERR 'Authorization Violation'\r\n");
        assert.ok(await tok.waitClosed(3000));
      } finally {
        for (const c of conns) c.close();
        await srv.stop();
      }
    });

    it("authorization switched on: anonymous connections get 'Authorization Violation'", async () => {
      const conf = path.join(dir, `authon-${kind}.conf`);
      writeFileSync(conf, "max_payload: 1MB\n");
      const srv = await startServer(kind, ["-c", conf]);
      const conns = [];
      try {
        const { c: anon } = await rawConnect(srv.port, { verbose: false, pedantic: false });
        conns.push(anon);
        assert.equal(await anon.flush(), "");
        writeFileSync(conf, "max_payload: 1MB\n" + usersBlock([["svc", "s"]]));
        await hup(srv, 1);
        await anon.waitFor("-ERR 'Authorization Violation'\r\n");
        assert.ok(await anon.waitClosed(3000));
        assert.match(srv.output(), /\[ERR\] 127\.0\.0\.1:\d+ - cid:\d+ - authentication error - User ""\n/);
        const { c: fresh, info } = await rawConnect(srv.port, {
          verbose: false,
          pedantic: false,
          user: "svc",
          pass: "s",
        });
        conns.push(fresh);
        assert.equal(info.auth_required, true);
        assert.equal(await fresh.flush(), "");
      } finally {
        for (const c of conns) c.close();
        await srv.stop();
      }
    });

    it("log level: debug then trace switched on at runtime", async () => {
      const conf = path.join(dir, `log-${kind}.conf`);
      writeFileSync(conf, "max_payload: 1MB\n");
      const srv = await startServer(kind, ["-c", conf]);
      const conns = [];
      try {
        const traffic = await startTraffic(srv.port);
        const { c: a } = await rawConnect(srv.port, { verbose: false, pedantic: false, name: "before" });
        conns.push(a);
        a.write("PUB nothing.here 2\r\nhi\r\n");
        await a.flush();
        assert.doesNotMatch(srv.output(), /\[DBG\]|\[TRC\]/);

        writeFileSync(conf, "max_payload: 1MB\ndebug: true\n");
        await hup(srv, 1);
        assert.match(srv.output(), /\[INF\] Reloaded: debug = true\n/);
        const { c: b } = await rawConnect(srv.port, { verbose: false, pedantic: false, name: "after-debug" });
        conns.push(b);
        await b.flush();
        await waitUntil(
          () => /\[DBG\] 127\.0\.0\.1:\d+ - cid:\d+ - Client connection created\n/.test(srv.output()),
          "a debug line",
        );
        assert.doesNotMatch(srv.output(), /\[TRC\]/);

        writeFileSync(conf, "max_payload: 1MB\ndebug: true\ntrace: true\n");
        await hup(srv, 2);
        assert.match(srv.output(), /\[INF\] Reloaded: trace = true\n/);
        b.write("PUB traced.subject 2\r\nhi\r\n");
        await b.flush();
        await waitUntil(() => /\[TRC\] .* - <<- \[PUB traced\.subject 2\]\n/.test(srv.output()), "a trace line");

        // and off again
        writeFileSync(conf, "max_payload: 1MB\n");
        await hup(srv, 3);
        assert.match(srv.output(), /\[INF\] Reloaded: trace = false\n/);
        assert.match(srv.output(), /\[INF\] Reloaded: debug = false\n/);
        const mark = srv.output().length;
        b.write("PUB untraced.subject 2\r\nhi\r\n");
        await b.flush();
        await sleep(100);
        assert.doesNotMatch(srv.output().slice(mark), /\[TRC\]|\[DBG\]/);

        await traffic.finish();
      } finally {
        for (const c of conns) c.close();
        await srv.stop();
      }
    });

    it("a port change is refused with nats-server's text and nothing changes", async () => {
      const port = await freePort();
      const other = await freePort();
      const conf = path.join(dir, `port-${kind}.conf`);
      writeFileSync(conf, `port: ${port}\n`);
      const srv = await startServer(kind, ["-a", "127.0.0.1", "-c", conf], { noDefaults: true });
      try {
        assert.equal(srv.port, port);
        const traffic = await startTraffic(srv.port);
        // debug comes first in nats-server's order but is not applied: the reload is all or nothing
        writeFileSync(conf, `port: ${other}\ndebug: true\n`);
        await hup(srv, 1);
        assert.match(
          srv.output(),
          new RegExp(
            `\\[ERR\\] Failed to reload server configuration: config reload not supported for Port: old=${port}, new=${other}\\n`,
          ),
        );
        assert.doesNotMatch(srv.output(), /Reloaded/);
        const { c } = await rawConnect(port, { verbose: false, pedantic: false });
        await c.flush();
        c.close();
        await sleep(100);
        assert.doesNotMatch(srv.output(), /\[DBG\]/, "debug stayed off");
        await traffic.finish();
      } finally {
        await srv.stop();
      }
    });

    it("a bad config file is reported and the server keeps serving with the old options", async () => {
      const conf = path.join(dir, `bad-${kind}.conf`);
      writeFileSync(conf, "max_payload: 1MB\n");
      const srv = await startServer(kind, ["-c", conf]);
      try {
        const traffic = await startTraffic(srv.port);
        writeFileSync(conf, "max_payload: 1MB\ndebug: true\nauthorization {\n  user: a\n");
        await hup(srv, 1);
        const line = /\[ERR\] Failed to reload server configuration: (.*)\n/.exec(srv.output());
        assert.ok(line, srv.output());
        assert.match(line[1], /Parse error on line \d+/);
        // tsnats names the file, line and column, as at start-up; nats-server does not
        if (kind === "tsnats") assert.ok(line[1].startsWith(`${conf}:`), line[1]);
        // still open to everyone, debug still off
        const { c } = await rawConnect(srv.port, { verbose: false, pedantic: false });
        assert.equal(await c.flush(), "");
        c.close();
        // fixed: the next reload goes through
        writeFileSync(conf, "max_payload: 1MB\ndebug: true\n");
        await hup(srv, 2);
        assert.match(srv.output(), /\[INF\] Reloaded: debug = true\n/);
        await traffic.finish();
      } finally {
        await srv.stop();
      }
    });

    it("--signal reload=<pid> reloads the running server", async () => {
      const conf = path.join(dir, `sig-${kind}.conf`);
      writeFileSync(conf, "ping_interval: 2m\n");
      const srv = await startServer(kind, ["-c", conf]);
      try {
        writeFileSync(conf, 'ping_interval: "90s"\nwrite_deadline: "3s"\nmax_control_line: 2048\n');
        const cmd = kind === "tsnats" ? process.execPath : natsServerBin();
        const argv =
          kind === "tsnats" ? [TSNATS_BIN, "--signal", `reload=${srv.pid}`] : ["--signal", `reload=${srv.pid}`];
        const code = await new Promise((resolve) => {
          const p = spawn(cmd, argv, { stdio: "ignore" });
          p.once("exit", (c) => resolve(c));
        });
        assert.equal(code, 0);
        await waitUntil(() => /Reloaded server configuration/.test(srv.output()), "the reload", 5000);
        const out = srv.output();
        assert.match(out, /\[INF\] Reloaded: ping_interval = 1m30s\n/);
        assert.match(out, /\[INF\] Reloaded: write_deadline = 3s\n/);
        assert.match(out, /\[INF\] Reloaded: max_control_line = 2048\n/);
        // the order is nats-server's Options field order
        assert.ok(
          out.indexOf("ping_interval =") < out.indexOf("max_control_line =") &&
            out.indexOf("max_control_line =") < out.indexOf("write_deadline ="),
        );
      } finally {
        await srv.stop();
      }
    });

    it("command-line flags keep priority over the file on reload", async () => {
      const conf = path.join(dir, `flags-${kind}.conf`);
      writeFileSync(conf, "debug: false\n");
      const srv = await startServer(kind, ["-c", conf, "-D"]);
      try {
        writeFileSync(conf, "debug: false\nmax_control_line: 1024\n");
        await hup(srv, 1);
        assert.match(srv.output(), /\[INF\] Reloaded: max_control_line = 1024\n/);
        assert.doesNotMatch(srv.output(), /Reloaded: debug/);
        const { c } = await rawConnect(srv.port, { verbose: false, pedantic: false });
        await c.flush();
        c.close();
        await waitUntil(() => count(srv.output(), /\[DBG\] .* - Client connection created\n/) >= 1, "debug still on");
      } finally {
        await srv.stop();
      }
    });

    it("without a config file a reload is refused", async () => {
      const srv = await startServer(kind, []);
      try {
        await hup(srv, 1);
        assert.match(
          srv.output(),
          /\[ERR\] Failed to reload server configuration: can only reload config when a file is provided using -c or --config\n/,
        );
        const { c } = await rawConnect(srv.port, { verbose: false, pedantic: false });
        assert.equal(await c.flush(), "");
        c.close();
      } finally {
        await srv.stop();
      }
    });

    it("max_connections lowered: connections over the limit get -ERR and are closed", async () => {
      const conf = path.join(dir, `maxconn-${kind}.conf`);
      writeFileSync(conf, "max_connections: 100\n");
      const srv = await startServer(kind, ["-c", conf]);
      const conns = [];
      try {
        for (let i = 0; i < 4; i++) {
          const { c } = await rawConnect(srv.port, { verbose: false, pedantic: false });
          await c.flush();
          conns.push(c);
        }
        writeFileSync(conf, "max_connections: 2\n");
        await hup(srv, 1);
        assert.match(srv.output(), /\[INF\] Closed 2 connections to fall within max_connections\n/);
        assert.match(srv.output(), /\[INF\] Reloaded: max_connections = 2\n/);
        await waitUntil(() => conns.filter((c) => c.closed).length === 2, "two connections closed");
        for (const c of conns.filter((x) => x.closed))
          assert.match(c.text(), /-ERR 'maximum connections exceeded'\r\n/);
        for (const c of conns.filter((x) => !x.closed)) assert.equal(await c.flush(), "");
        // a third one is refused now
        const { c: extra } = await rawConnect(srv.port, null);
        conns.push(extra);
        await extra.waitFor("-ERR 'maximum connections exceeded'\r\n");
      } finally {
        for (const c of conns) c.close();
        await srv.stop();
      }
    });

    it("max_payload lowered: live clients get no INFO but are held to it; new ones see it in INFO", async () => {
      // reload.go maxPayloadOption.Apply: sets info.max_payload and each client's limit, sends nothing
      const conf = path.join(dir, `maxpayload-${kind}.conf`);
      writeFileSync(conf, "max_payload: 1MB\n");
      const srv = await startServer(kind, ["-c", conf]);
      const conns = [];
      try {
        const { c: live, info: before } = await rawConnect(srv.port, { verbose: false, pedantic: false, protocol: 1 });
        conns.push(live);
        assert.equal(before.max_payload, 1024 * 1024);
        live.write("SUB s 1\r\n");
        assert.equal(await live.flush(), "");
        writeFileSync(conf, "max_payload: 100\n");
        await hup(srv, 1);
        assert.match(srv.output(), /\[INF\] Reloaded: max_payload = 100\n/);
        const p100 = "x".repeat(100);
        live.write(`PUB s 100\r\n${p100}\r\n`);
        assert.equal(await live.flush(), `MSG s 1 100\r\n${p100}\r\n`, "no INFO, and 100 bytes still pass");
        const { c: fresh, info } = await rawConnect(srv.port, { verbose: false, pedantic: false });
        conns.push(fresh);
        assert.equal(info.max_payload, 100);
        live.write(`PUB s 101\r\n${p100}x\r\n`);
        assert.ok(await live.waitClosed(2000), "the live client is closed");
        assert.equal(live.text(), "-ERR 'Maximum Payload Violation'\r\n");
      } finally {
        for (const c of conns) c.close();
        await srv.stop();
      }
    });

    it("max_control_line and max_connections reloaded as 0 mean the defaults: connections keep working", async () => {
      const conf = path.join(dir, `zeros-${kind}.conf`);
      writeFileSync(conf, "max_control_line: 1024\nmax_connections: 100\n");
      const srv = await startServer(kind, ["-c", conf]);
      const conns = [];
      try {
        const { c } = await rawConnect(srv.port, { verbose: false, pedantic: false });
        conns.push(c);
        assert.equal(await c.flush(), "");
        writeFileSync(conf, "max_control_line: 0\nmax_connections: 0\n");
        await hup(srv, 1);
        assert.match(srv.output(), /\[INF\] Reloaded: max_control_line = 4096\n/);
        assert.match(srv.output(), /\[INF\] Reloaded: max_connections = 65536\n/);
        const subject = `long.${"s".repeat(2000)}`;
        c.write(`SUB ${subject} 1\r\nPUB ${subject} 2\r\nhi\r\n`);
        assert.equal(await c.flush(), `MSG ${subject} 1 2\r\nhi\r\n`);
        const { c: fresh } = await rawConnect(srv.port, { verbose: false, pedantic: false });
        conns.push(fresh);
        assert.equal(await fresh.flush(), "");
      } finally {
        for (const c of conns) c.close();
        await srv.stop();
      }
    });
  });
}

describe("config reload via the embedding API (Server.reload)", () => {
  const make = async (opts = {}) => {
    const sink = new MemorySink();
    const srv = new Server({ host: "127.0.0.1", port: -1, ...opts }, { logger: new Logger(sink, { time: false }) });
    await srv.start();
    return { srv, sink, log: () => sink.lines.join("") };
  };

  it("client_advertise: a new value is advertised in the INFO of new connections; a bad one is refused", async () => {
    const { srv, log } = await make();
    try {
      await srv.reload({ client_advertise: "adv.example:7777" });
      const { c, info } = await rawConnect(srv.port, { verbose: false });
      assert.equal(info.host, "adv.example");
      assert.equal(info.port, 7777);
      c.close();
      assert.match(log(), /\[INF\] Reload: client_advertise = adv.example:7777\n/);
      await srv.reload({ server_tags: ["az:1"] });
      assert.match(log(), /\[INF\] Reloaded: tags\n/);
      assert.deepEqual(srv.opts.server_tags, ["az:1"]);
      await assert.rejects(
        srv.reload({ client_advertise: "a:b:c" }),
        /invalid ClientAdvertise value of a:b:c, err=address a:b:c: too many colons in address/,
      );
      assert.equal(srv.opts.client_advertise, "adv.example:7777");
    } finally {
      await srv.shutdown();
    }
  });

  it("applies options over the current ones and logs each change", async () => {
    const { srv, log } = await make();
    try {
      const t0 = srv.configLoadTime.getTime();
      await sleep(5);
      await srv.reload({ debug: true, ping_max: 5, max_traced_msg_len: 100, authorization: { timeout: 500 } });
      assert.equal(srv.opts.debug, true);
      assert.equal(srv.opts.ping_max, 5);
      assert.equal(srv.logger.debugEnabled, true);
      assert.ok(srv.configLoadTime.getTime() > t0, "config load time moves on");
      const l = log();
      assert.match(l, /\[INF\] Reloaded: debug = true\n/);
      assert.match(l, /\[INF\] Reloaded: authorization timeout = 0\.5\n/);
      assert.match(l, /\[INF\] Reloaded: ping_max = 5\n/);
      assert.match(l, /\[INF\] Reloaded: max_traced_msg_len = 100\n/);
      assert.match(l, /\[INF\] Reloaded server configuration\n$/);
      // a reload with no change still re-checks authorization, as nats-server does
      await srv.reload({});
      assert.equal(count(log(), /Reloaded server configuration/), 2);
    } finally {
      await srv.shutdown();
    }
  });

  it("rejects what cannot change at runtime, with nats-server's texts, and changes nothing", async () => {
    const { srv, log } = await make();
    try {
      const before = JSON.stringify(srv.opts);
      const cases = [
        [
          { port: srv.port + 1, debug: true },
          `config reload not supported for Port: old=${srv.port}, new=${srv.port + 1}`,
        ],
        [{ host: "0.0.0.0" }, "config reload not supported for Host: old=127.0.0.1, new=0.0.0.0"],
        [{ server_name: "x" }, "config reload not supported for ServerName: old=, new=x"],
        [{ max_pending: 1000000 }, "config reload not supported for MaxPending: old=67108864, new=1000000"],
        [{ max_subscriptions: 10 }, "config reload not supported for MaxSubs: old=0, new=10"],
        [{ lame_duck_duration: 30000 }, "config reload not supported for LameDuckDuration: old=2m0s, new=30s"],
        [{ no_header_support: true }, "config reload not supported for NoHeaderSupport: old=false, new=true"],
        [{ logfile_size_limit: 1000 }, "config reload not supported for LogSizeLimit: old=0, new=1000"],
        [{ http_port: 8222 }, "config reload not supported for HTTPPort: old=0, new=8222"],
        [{ max_payload: 100 * 1024 * 1024 }, "max_payload (104857600) cannot be higher than max_pending (67108864)"],
        [
          { authorization: { users: [{ user: "a", password: "b" }] }, no_auth_user: "a" },
          "config reload not supported for NoAuthUser: old=, new=a",
        ],
      ];
      for (const [opts, msg] of cases) {
        await assert.rejects(srv.reload(opts), (e) => e.message === msg, `${JSON.stringify(opts)} -> ${msg}`);
      }
      assert.equal(JSON.stringify(srv.opts), before);
      assert.equal(srv.logger.debugEnabled, false);
      assert.doesNotMatch(log(), /Reloaded/);
      // a random port (-1 or 0) means the one in use: not a change
      await srv.reload({ port: -1 });
      assert.equal(count(log(), /Reloaded server configuration/), 1);
    } finally {
      await srv.shutdown();
    }
  });

  it("max_payload: new connections see it in INFO, existing ones are held to it", async () => {
    const { srv } = await make();
    const conns = [];
    try {
      const { c: old } = await rawConnect(srv.port, { verbose: false, pedantic: false });
      conns.push(old);
      await old.flush();
      await srv.reload({ max_payload: 100 });
      const { c: fresh, info } = await rawConnect(srv.port, { verbose: false, pedantic: false });
      conns.push(fresh);
      assert.equal(info.max_payload, 100);
      old.write(`PUB big 200\r\n${"x".repeat(200)}\r\n`);
      await old.waitFor("-ERR 'Maximum Payload Violation'\r\n");
      assert.ok(await old.waitClosed(2000));
    } finally {
      for (const c of conns) c.close();
      await srv.shutdown();
    }
  });

  it("no_auth_user: connections without credentials get the user's new permissions", async () => {
    const users = (perms) => ({ users: [{ user: "anon", password: "x", permissions: perms }] });
    const { srv, log } = await make({
      authorization: users({ subscribe: { allow: ["a.>", "b.>"] } }),
      no_auth_user: "anon",
    });
    const conns = [];
    try {
      const { c } = await rawConnect(srv.port, { verbose: false, pedantic: false });
      conns.push(c);
      c.write("SUB a.1 1\r\nSUB b.1 2\r\n");
      assert.equal(await c.flush(), "");
      await srv.reload({ authorization: users({ subscribe: { allow: ["a.>"] } }) });
      assert.equal(await c.flush(), `-ERR 'Permissions Violation for Subscription to "b.1" (sid "2")'\r\n`);
      assert.match(log(), /\[INF\] Removed sub "b\.1" \(sid "2"\) for User "anon" - not authorized\n/);
      // dropping no_auth_user is allowed only together with that user
      await assert.rejects(
        srv.reload({ no_auth_user: "" }),
        /config reload not supported for NoAuthUser: old=anon, new=$/,
      );
      await srv.reload({ no_auth_user: "", authorization: { users: [{ user: "other", password: "y" }] } });
      assert.ok(await c.waitClosed(2000), "the no_auth_user connection is closed with its user");
      const { c: c2 } = await rawConnect(srv.port, { verbose: false, pedantic: false });
      conns.push(c2);
      await c2.waitFor("-ERR 'Authorization Violation'\r\n");
    } finally {
      for (const c of conns) c.close();
      await srv.shutdown();
    }
  });

  it("bcrypt passwords: a changed hash closes its connection, an unchanged one stays", async () => {
    const bcrypt = (await import("bcryptjs")).default;
    const h1 = bcrypt.hashSync("secret", 4);
    const h2 = bcrypt.hashSync("other", 4);
    const { srv } = await make({
      authorization: {
        users: [
          { user: "u", password: h1 },
          { user: "v", password: h1 },
        ],
      },
    });
    const conns = [];
    try {
      const { c: u } = await rawConnect(srv.port, { verbose: false, pedantic: false, user: "u", pass: "secret" });
      const { c: v } = await rawConnect(srv.port, { verbose: false, pedantic: false, user: "v", pass: "secret" });
      conns.push(u, v);
      assert.equal(await u.flush(), "");
      assert.equal(await v.flush(), "");
      await srv.reload({
        authorization: {
          users: [
            { user: "u", password: h1 },
            { user: "v", password: h2 },
          ],
        },
      });
      await v.waitFor("-ERR 'Authorization Violation'\r\n");
      assert.equal(await u.flush(), "");
      assert.ok(!u.closed);
    } finally {
      for (const c of conns) c.close();
      await srv.shutdown();
    }
  });

  it("log_file and pid_file: a new log file takes the lines from the reload on", async () => {
    const logA = path.join(dir, "api-a.log");
    const logB = path.join(dir, "api-b.log");
    const pid = path.join(dir, "api.pid");
    const srv = new Server({ host: "127.0.0.1", port: -1, log_file: logA });
    await srv.start();
    try {
      await srv.reload({ log_file: logB, pid_file: pid });
      const a = readFileSync(logA, "utf8");
      const b = readFileSync(logB, "utf8");
      assert.match(a, /\[INF\] Reloaded: log_file = .*api-b\.log\n/);
      assert.match(a, /\[INF\] Reloaded: pid_file = .*api\.pid\n/);
      assert.doesNotMatch(a, /Reloaded server configuration/);
      assert.match(b, /\[INF\] Reloaded server configuration\n/);
      assert.equal(readFileSync(pid, "utf8"), String(process.pid));
      // a log file that cannot be opened refuses the reload (nats-server would exit)
      await assert.rejects(
        srv.reload({ log_file: path.join(dir, "no", "such", "dir.log"), debug: true }),
        /error opening file: /,
      );
      assert.equal(srv.opts.log_file, logB);
      assert.equal(srv.logger.debugEnabled, false);
    } finally {
      await srv.shutdown();
    }
  });

  it("a user's password equal to a new token does not keep the user logged in: the kind of credential counts", async () => {
    const { srv } = await make({ authorization: { users: [{ user: "bob", password: "s3cret" }] } });
    const conns = [];
    try {
      const creds = { verbose: false, pedantic: false, user: "bob", pass: "s3cret" };
      const { c: bob } = await rawConnect(srv.port, creds);
      conns.push(bob);
      assert.equal(await bob.flush(), "");
      await srv.reload({ authorization: { token: "s3cret" } });
      // a fresh CONNECT with the same credentials is refused...
      const { c: fresh } = await rawConnect(srv.port, creds);
      conns.push(fresh);
      await fresh.waitFor("-ERR 'Authorization Violation'\r\n");
      // ...and so is the connection that logged in with them before the reload
      await bob.waitFor("-ERR 'Authorization Violation'\r\n");
      assert.ok(await bob.waitClosed(2000));
    } finally {
      for (const c of conns) c.close();
      await srv.shutdown();
    }
  });

  it("a bcrypt CONNECT still being checked when a reload removes its user is refused", async () => {
    const bcrypt = (await import("bcryptjs")).default;
    // cost 12: the check takes long enough for the reload to land in the middle of it
    const slow = bcrypt.hashSync("pw", 12);
    const { srv } = await make({
      authorization: {
        users: [
          { user: "slow", password: slow },
          { user: "other", password: "x" },
        ],
      },
    });
    const conns = [];
    try {
      const { c } = await rawConnect(srv.port, null);
      conns.push(c);
      c.write(`CONNECT ${JSON.stringify({ verbose: false, pedantic: false, user: "slow", pass: "pw" })}\r\nPING\r\n`);
      await waitUntil(() => [...srv.clients.values()].some((cl) => cl.connectReceived), "the CONNECT to arrive");
      await srv.reload({ authorization: { users: [{ user: "other", password: "x" }] } });
      assert.equal(c.text(), "", "the reload finished while the password check was still running");
      await c.waitFor("-ERR 'Authorization Violation'\r\n", 10000);
      assert.doesNotMatch(c.text(), /PONG/);
      assert.ok(await c.waitClosed(2000));
    } finally {
      for (const c of conns) c.close();
      await srv.shutdown();
    }
  });

  it("zero means the default, as nats-server's setBaselineOptions: reloading max_control_line 0 keeps connections working", async () => {
    const { srv } = await make();
    const conns = [];
    try {
      const { c } = await rawConnect(srv.port, { verbose: false, pedantic: false });
      conns.push(c);
      assert.equal(await c.flush(), "");
      await srv.reload({ max_control_line: 0, max_connections: 0, ping_max: 0, max_payload: 0 });
      assert.equal(srv.opts.max_control_line, 4096);
      assert.equal(srv.opts.max_connections, 64 * 1024);
      c.write("SUB foo 1\r\nPUB foo 2\r\nhi\r\n");
      assert.equal(await c.flush(), "MSG foo 1 2\r\nhi\r\n");
      const { c: fresh, info } = await rawConnect(srv.port, { verbose: false, pedantic: false });
      conns.push(fresh);
      assert.equal(info.max_payload, 1024 * 1024);
      assert.equal(await fresh.flush(), "");
    } finally {
      for (const c of conns) c.close();
      await srv.shutdown();
    }
  });

  it("http_base_path cannot change at runtime: refused with nats-server's field name", async () => {
    const { srv } = await make();
    try {
      await assert.rejects(
        srv.reload({ http_base_path: "/nats" }),
        (e) => e.message === "config reload not supported for HTTPBasePath: old=, new=/nats",
      );
      assert.equal(srv.opts.http_base_path, "");
    } finally {
      await srv.shutdown();
    }
  });

  it("a reload once shutdown has begun is refused and opens no new log file", async () => {
    const logA = path.join(dir, "shut-a.log");
    const logB = path.join(dir, "shut-b.log");
    const srv = new Server({ host: "127.0.0.1", port: -1, log_file: logA });
    await srv.start();
    const down = srv.shutdown();
    await assert.rejects(srv.reload({ log_file: logB }), (e) => e instanceof ReloadError && /shut/i.test(e.message));
    await down;
    await assert.rejects(srv.reload({ debug: true }), ReloadError);
    assert.ok(!existsSync(logB), "no log file was opened after shutdown");
    assert.match(readFileSync(logA, "utf8"), /Server Exiting\.\.\n$/);
  });

  it("a custom authenticator whose check never settles fails that connection after the auth timeout, and later reloads still run", async () => {
    let hang = false;
    const authenticator = {
      authRequired: true,
      noAuthUser: "",
      authenticate(req) {
        if (hang) return new Promise(() => {});
        return req.user === "u" ? { user: "u", permissions: null, account: "$G" } : null;
      },
    };
    const sink = new MemorySink();
    const srv = new Server(
      { host: "127.0.0.1", port: -1 },
      { logger: new Logger(sink, { time: false }), authenticator },
    );
    await srv.start();
    const conns = [];
    try {
      const { c } = await rawConnect(srv.port, { verbose: false, pedantic: false, user: "u" });
      conns.push(c);
      assert.equal(await c.flush(), "");
      hang = true;
      const t0 = Date.now();
      const limit = (p, ms) => Promise.race([p, sleep(ms).then(() => assert.fail(`no answer within ${ms} ms`))]);
      await limit(srv.reload({ authorization: { timeout: 300 } }), 3000);
      assert.ok(Date.now() - t0 >= 250, "the re-check was given the auth timeout");
      await c.waitFor("-ERR 'Authorization Violation'\r\n");
      assert.ok(await c.waitClosed(2000));
      hang = false;
      await limit(srv.reload({ debug: true }), 3000);
      assert.equal(srv.logger.debugEnabled, true);
    } finally {
      for (const c of conns) c.close();
      await srv.shutdown();
    }
  });

  it("authorization switched on: a connection that has not sent CONNECT gets 'Authentication Timeout' after the new auth timeout", async () => {
    const { srv } = await make();
    const conns = [];
    try {
      const { c } = await rawConnect(srv.port, null);
      conns.push(c);
      await srv.reload({ authorization: { token: "t", timeout: 300 } });
      const t0 = Date.now();
      await c.waitFor("-ERR 'Authentication Timeout'\r\n", 2000);
      assert.ok(Date.now() - t0 >= 200, "not before the auth timeout");
      assert.ok(await c.waitClosed(2000));
      assert.equal(srv.closed.at(-1).reason, "Authentication Timeout");
    } finally {
      for (const c of conns) c.close();
      await srv.shutdown();
    }
  });

  it("logtime changed: the log file is opened anew, so rotation's own lines follow the new setting", async () => {
    const d = path.join(dir, "logtime-rot");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(d);
    const f = path.join(d, "s.log");
    const srv = new Server({ host: "127.0.0.1", port: -1, log_file: f, logfile_size_limit: 2000 });
    await srv.start();
    try {
      await srv.reload({ logtime: false });
      for (let i = 0; i < 40; i++) srv.logger.noticef(`filler ${i} ${"x".repeat(60)}`);
      const first = readFileSync(f, "utf8").split("\n")[0];
      assert.match(first, /^\[\d+\] \[INF\] Rotated log, backup saved as /, first);
      assert.ok(readdirSync(d).length >= 2, "rotated");
    } finally {
      await srv.shutdown();
    }
  });

  it("a logger given by the embedder is never replaced: log_file on reload leaves its sink in place; levels still apply", async () => {
    const f = path.join(dir, "custom-sink.log");
    const { srv, log } = await make();
    try {
      await srv.reload({ log_file: f, debug: true });
      assert.equal(srv.logger.debugEnabled, true);
      assert.match(log(), /\[INF\] Reloaded server configuration\n$/);
      assert.ok(!existsSync(f), "no log file opened behind the embedder's logger");
    } finally {
      await srv.shutdown();
    }
  });

  it("client_advertise is parsed once per change, not per connection", async () => {
    const { srv } = await make({ client_advertise: "a.example" });
    try {
      const { c, info } = await rawConnect(srv.port, { verbose: false });
      c.close();
      assert.equal(info.host, "a.example");
      assert.equal(info.port, srv.port);
      assert.deepEqual(srv.clientAdvertise, { host: "a.example", port: null });
      await srv.reload({ client_advertise: "b.example:5555" });
      assert.deepEqual(srv.clientAdvertise, { host: "b.example", port: 5555 });
      await srv.reload({ client_advertise: "" });
      assert.equal(srv.clientAdvertise, null);
    } finally {
      await srv.shutdown();
    }
  });

  it("concurrent reloads run one after the other", async () => {
    const { srv, log } = await make();
    try {
      await Promise.all([srv.reload({ debug: true }), srv.reload({ trace: true }), srv.reload({ debug: false })]);
      assert.equal(srv.logger.debugEnabled, false);
      assert.equal(srv.logger.traceEnabled, true);
      const l = log();
      assert.ok(
        l.indexOf("debug = true") < l.indexOf("trace = true") && l.indexOf("trace = true") < l.indexOf("debug = false"),
      );
    } finally {
      await srv.shutdown();
    }
  });
});
