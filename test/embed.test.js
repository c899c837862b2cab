// The embedding API (tsnats/server startServer): URLs, state, counters, events, lifecycle,
// clean shutdown (no handles, file descriptors or memory left behind after 100 cycles),
// clear start-up errors, config files, and isolation of several servers in one process.
// Everything runs in this process, over real loopback sockets, with the official nats.js client.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import v8 from "node:v8";
import vm from "node:vm";
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect } from "@nats-io/transport-node";
import { startServer, EmbeddedServer, MemorySink, Logger, Server } from "tsnats/server";
import { rawConnect } from "./helpers/raw.js";

const dir = mkdtempSync(path.join(tmpdir(), "tsnats-embed-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Handles that keep the event loop alive, as a sorted list of type names. */
function handles() {
  return process.getActiveResourcesInfo().sort();
}

/** Open file descriptors of this process (Linux), or -1 where /proc is not available. */
function fdCount() {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return -1;
  }
}

/** Wait for the loop to settle (closing sockets release their handles a turn later). */
async function settle() {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 20));
}

/** Resolve when `p` settles, or reject after ms naming what was awaited. */
function within(p, ms, what) {
  let t;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise((_, reject) => {
      t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

describe("embedded server: API surface", () => {
  it("starts on a random loopback port with working urls, id, name and options", async () => {
    const srv = await startServer();
    try {
      assert.ok(srv instanceof EmbeddedServer);
      assert.ok(srv.server instanceof Server);
      assert.equal(srv.host, "127.0.0.1");
      assert.ok(srv.port > 0 && srv.port !== 4222, `random port, got ${srv.port}`);
      assert.equal(srv.url, `nats://127.0.0.1:${srv.port}`);
      assert.equal(srv.monitorUrl, undefined, "monitoring is off unless http_port is set");
      assert.equal(srv.state, "running");
      await srv.once("ready", { timeout: 1 }); // already happened: resolves at once
      assert.match(srv.id, /^N[A-Z2-7]{55}$/);
      assert.equal(srv.name, srv.id);
      assert.equal(srv.options.host, "127.0.0.1");
      // a raw client sees the same server
      const { c, info } = await rawConnect(srv.port, { verbose: false });
      assert.equal(info.server_id, srv.id);
      assert.equal(info.port, srv.port);
      assert.equal(await c.flush(), "");
      c.close();
    } finally {
      await srv.shutdown();
    }
  });

  it("server_name and port 0 given as options are used", async () => {
    const a = await startServer({ server_name: "emb-a", port: 0 });
    try {
      assert.equal(a.name, "emb-a");
      assert.ok(a.port > 0);
      assert.equal(a.url, `nats://127.0.0.1:${a.port}`);
      const nc = await connect({ servers: a.url });
      assert.equal(nc.info.server_name, "emb-a");
      await nc.close();
    } finally {
      await a.shutdown();
    }
  });

  it("counts known nats.js traffic with nats-server's varz names", async () => {
    const srv = await startServer();
    // the system account's own (internal) subscriptions count too, as in nats-server's varz
    const base = srv.stats().subscriptions;
    const sub = await connect({ servers: srv.url, name: "sub" });
    const pub = await connect({ servers: srv.url, name: "pub" });
    try {
      const got = [];
      const s1 = sub.subscribe("emb.a", { callback: (_e, m) => got.push(m.string()) });
      sub.subscribe("emb.>", { callback: () => {} });
      await sub.flush();
      for (let i = 0; i < 10; i++) pub.publish("emb.a", "12345"); // 10 x 5 bytes in, 20 x 5 out
      pub.publish("nobody.listens", "xyz"); // 1 x 3 bytes in, nothing out
      await pub.flush();
      await sub.flush();
      assert.equal(got.length, 10);
      const st = srv.stats();
      assert.equal(st.connections, 2);
      assert.equal(st.total_connections, 2);
      assert.equal(st.subscriptions - base, 2);
      assert.equal(st.in_msgs, 11);
      assert.equal(st.in_bytes, 53);
      assert.equal(st.out_msgs, 20);
      assert.equal(st.out_bytes, 100);
      assert.equal(st.slow_consumers, 0);
      s1.unsubscribe();
      await sub.flush();
      assert.equal(srv.stats().subscriptions - base, 1);
      // out counters keep what closed connections sent
      const closed = srv.once("client:close");
      await sub.close();
      await closed;
      const after = srv.stats();
      assert.equal(after.connections, 1);
      assert.equal(after.subscriptions - base, 0);
      assert.equal(after.out_msgs, 20);
      assert.equal(after.total_connections, 2);
    } finally {
      await pub.close();
      await sub.close();
      await srv.shutdown();
    }
  });

  it("goes running -> stopping -> stopped; shutdown is idempotent and closes clients", async () => {
    const srv = await startServer();
    const nc = await connect({ servers: srv.url, reconnect: false });
    const ncClosed = nc.closed();
    const p1 = srv.shutdown();
    assert.equal(srv.state, "stopping");
    const p2 = srv.shutdown();
    assert.equal(p1, p2, "a second shutdown() returns the same promise");
    await p1;
    assert.equal(srv.state, "stopped");
    await srv.shutdown();
    await within(ncClosed, 5000, "client sees the close");
    assert.equal(nc.isClosed(), true);
    // a stopped server refuses connections
    await assert.rejects(RawConnectOnce(srv.port));
    // and has nothing more to wait for
    await assert.rejects(srv.once("client:connect"), /stopped/);
    await srv.once("shutdown"); // already happened: resolves
    await assert.rejects(srv.once("ready"), /stopped/);
    await assert.rejects(srv.reload({ debug: true }), /shutting down|stopped/);
  });

  it("lame duck: state lame_duck, clients get INFO ldm, resolves once stopped", async () => {
    const srv = await startServer({ lame_duck_duration: 600, lame_duck_grace_period: 100 });
    const { c } = await rawConnect(srv.port, { verbose: false, protocol: 1 });
    await c.flush();
    const done = srv.enterLameDuck();
    assert.equal(srv.state, "lame_duck");
    await within(c.waitFor(/"ldm":true/), 5000, "INFO with ldm");
    await within(done, 5000, "lame duck to finish");
    assert.equal(srv.state, "stopped");
    assert.ok(await c.waitClosed(2000));
    await srv.enterLameDuck(); // again: nothing to do
    await srv.shutdown();
  });

  it("shutdown() during lame duck cuts it short", async () => {
    const srv = await startServer({ lame_duck_duration: 60_000, lame_duck_grace_period: 30_000 });
    const { c } = await rawConnect(srv.port, { verbose: false, protocol: 1 });
    await c.flush();
    const ldm = srv.enterLameDuck();
    await within(c.waitFor(/"ldm":true/), 5000, "INFO with ldm");
    await within(srv.shutdown(), 5000, "shutdown during the grace period");
    await within(ldm, 5000, "enterLameDuck() to settle");
    assert.equal(srv.state, "stopped");
    c.close();
  });

  it("await using / Symbol.asyncDispose shuts the server down", async () => {
    const srv = await startServer();
    assert.equal(typeof srv[Symbol.asyncDispose], "function");
    await srv[Symbol.asyncDispose]();
    assert.equal(srv.state, "stopped");
  });

  it("reload(options) checks its options, then applies them: a new user logs in, the old client stays", async () => {
    const srv = await startServer({ authorization: { users: [{ user: "a", password: "pa" }] } });
    try {
      // option checking comes before the server's reload
      await assert.rejects(srv.reload({ debugg: true }), /unknown server option "debugg"/);
      const a = await connect({ servers: srv.url, user: "a", pass: "pa" });
      await assert.rejects(
        connect({ servers: srv.url, user: "b", pass: "pb", reconnect: false }),
        /Authorization Violation|AUTHORIZATION_VIOLATION/i,
      );
      await srv.reload({
        authorization: {
          users: [
            { user: "a", password: "pa" },
            { user: "b", password: "pb" },
          ],
        },
      });
      const b = await connect({ servers: srv.url, user: "b", pass: "pb" });
      const sub = a.subscribe("x", { max: 1 });
      await a.flush();
      b.publish("x", "hi");
      for await (const m of sub) assert.equal(m.string(), "hi");
      // a change that cannot be made at runtime is refused and changes nothing
      await assert.rejects(srv.reload({ server_name: "other" }), /config reload not supported for ServerName/);
      assert.equal(srv.state, "running");
      await a.close();
      await b.close();
    } finally {
      await srv.shutdown();
    }
  });

  it("monitorUrl serves nats-server's endpoints when http_port is set, and is undefined otherwise", async () => {
    const off = await startServer();
    assert.equal(off.monitorUrl, undefined);
    await off.shutdown();
    const srv = await startServer({ http_port: -1 });
    try {
      assert.match(srv.monitorUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      const nc = await connect({ servers: srv.url, name: "probe" });
      const varz = await (await fetch(`${srv.monitorUrl}/varz`)).json();
      assert.equal(varz.server_id, srv.id);
      assert.equal(varz.port, srv.port);
      const connz = await (await fetch(`${srv.monitorUrl}/connz`)).json();
      assert.deepEqual(
        connz.connections.map((c) => c.name),
        ["probe"],
      );
      await nc.close();
    } finally {
      await srv.shutdown();
    }
  });

  it("a config file path starts the server with its options (embedding defaults for the rest)", async () => {
    const conf = path.join(dir, "tok.conf");
    writeFileSync(conf, 'server_name: from_file\nmax_payload: 2KB\nauthorization { token: "s3cret" }\n');
    const srv = await startServer(conf);
    try {
      assert.equal(srv.name, "from_file");
      assert.equal(srv.host, "127.0.0.1");
      assert.notEqual(srv.port, 4222);
      assert.equal(srv.options.config_file, conf);
      const { c, info } = await rawConnect(srv.port, { verbose: false, auth_token: "s3cret" });
      assert.equal(info.auth_required, true);
      assert.equal(info.max_payload, 2048);
      assert.equal(await c.flush(), "");
      c.close();
      const nc = await connect({ servers: srv.url, token: "s3cret" });
      await nc.close();
    } finally {
      await srv.shutdown();
    }
  });

  it("config_file in the options object: the other options override the file", async () => {
    const conf = path.join(dir, "named.conf");
    writeFileSync(conf, "server_name: file_name\nmax_payload: 4KB\n");
    const srv = await startServer({ config_file: conf, server_name: "override" });
    try {
      assert.equal(srv.name, "override");
      assert.equal(srv.options.max_payload, 4096);
    } finally {
      await srv.shutdown();
    }
  });

  it("a broken config file rejects with file:line:col, a missing one with its path", async () => {
    const bad = path.join(dir, "bad.conf");
    writeFileSync(bad, "port: 4222\nmax_payload: true\n");
    await assert.rejects(startServer(bad), (e) => {
      assert.match(e.message, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2:\\d+: `));
      return true;
    });
    const missing = path.join(dir, "nope.conf");
    await assert.rejects(startServer(missing), (e) => {
      assert.ok(e.message.includes(missing), e.message);
      return true;
    });
  });

  it("bad options reject with a clear error and leave nothing open", async () => {
    const before = handles();
    await assert.rejects(startServer({ prot: 4222 }), /unknown server option "prot"/);
    await assert.rejects(startServer({ port: "4222" }), /"port" must be a number, got string/);
    await assert.rejects(startServer({ port: 70000 }), /"port" must be an integer from -1 to 65535/);
    await assert.rejects(startServer({ debug: "yes" }), /"debug" must be a boolean/);
    await assert.rejects(startServer({ authorization: "x" }), /"authorization" must be an object/);
    await assert.rejects(startServer({ max_payload: NaN }), /finite/);
    await assert.rejects(startServer({ max_payload: 2 ** 31 }), /"max_payload": max_payload value is too big/);
    await assert.rejects(startServer([1]), /plain object or a config file path/);
    await assert.rejects(startServer(""), /config file path is empty/);
    await assert.rejects(startServer({}, { logger: 42 }), /logger must be/);
    // options the server itself refuses
    await assert.rejects(startServer({ no_auth_user: "ghost" }), /no_auth_user: "ghost" not present/);
    await assert.rejects(
      startServer({ max_payload: 2048, max_pending: 1024 }),
      /max_payload \(2048\) cannot be higher than max_pending \(1024\)/,
    );
    await settle();
    assert.deepEqual(handles(), before);
  });

  it("a log_file named in the options is written and closed at shutdown", async () => {
    const log = path.join(dir, "emb.log");
    const fds = fdCount();
    const srv = await startServer({ log_file: log });
    assert.ok(fds < 0 || fdCount() > fds, "the log file is open while running");
    await srv.shutdown();
    if (fds >= 0) assert.equal(fdCount(), fds, "log file descriptor closed");
    const text = readFileSync(log, "utf8");
    assert.match(text, /\[INF\] Server is ready/);
    assert.match(text, /\[INF\] Server Exiting\.\./);
    // refused options close the log file they opened
    await assert.rejects(startServer({ log_file: log, no_auth_user: "ghost" }));
    if (fds >= 0) assert.equal(fdCount(), fds, "no descriptor left by a refused server");
  });

  it("server_tags given by code are trimmed, lower-cased and de-duplicated, at start and on reload, as from a config file", async () => {
    const srv = await startServer({ server_tags: [" AZ:1 ", "az:1", "Region:EU", ""] });
    try {
      assert.deepEqual(srv.options.server_tags, ["az:1", "region:eu"]);
      await srv.reload({ server_tags: ["X ", " x", "Y"] });
      assert.deepEqual(srv.options.server_tags, ["x", "y"]);
    } finally {
      await srv.shutdown();
    }
  });

  it("logger: silent by default, a MemorySink gets nats-server's lines, debug/trace honoured", async () => {
    const sink = new MemorySink();
    const srv = await startServer({ debug: true, trace: true, logtime: false }, { logger: sink });
    try {
      const { c } = await rawConnect(srv.port, { verbose: false });
      c.write("SUB dbg 1\r\n");
      await c.flush();
      c.close();
      await srv.once("client:close");
    } finally {
      await srv.shutdown();
    }
    assert.ok(
      sink.lines.some((l) => /^\[\d+\] \[INF\] Server is ready\n$/.test(l)),
      sink.lines.join(""),
    );
    assert.ok(sink.lines.some((l) => l.includes("[DBG] ") && l.includes("Client connection created")));
    assert.ok(sink.lines.some((l) => l.includes("[TRC] ") && l.includes("<<- [SUB dbg 1]")));
    // a Logger instance is used as is
    const sink2 = new MemorySink();
    const srv2 = await startServer({}, { logger: new Logger(sink2, { time: false }) });
    await srv2.shutdown();
    assert.ok(sink2.lines.some((l) => l.includes("Server is ready")));
  });
});

/** Connect and resolve once connected; rejects when refused. */
function RawConnectOnce(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1" }, () => {
      s.destroy();
      resolve();
    });
    s.once("error", reject);
  });
}

describe("embedded server: a port that is taken", () => {
  it("rejects naming host:port and the cause, and leaves nothing open", async () => {
    const blocker = net.createServer();
    await new Promise((r) => blocker.listen(0, "127.0.0.1", r));
    const port = blocker.address().port;
    const before = handles();
    const fds = fdCount();
    try {
      await assert.rejects(startServer({ port, log_file: path.join(dir, "taken.log") }), (e) => {
        assert.equal(
          e.message,
          `tsnats: cannot listen for clients on 127.0.0.1:${port}: address already in use (EADDRINUSE)`,
        );
        assert.equal(e.code, "EADDRINUSE");
        assert.equal(e.cause?.code, "EADDRINUSE");
        return true;
      });
      await settle();
      // timers and sockets only: other handles (a pending close of an earlier test) come and go
      const count = (list) => list.filter((h) => h === "Timeout" || h === "TCPSocketWrap").length;
      assert.equal(count(handles()), count(before), `handles now: ${handles().join(", ")}`);
      if (fds >= 0) assert.equal(fdCount(), fds, "no file descriptor left behind");
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it("with monitoring on, a taken client port also closes the monitoring listener before rejecting", async () => {
    const blocker = net.createServer();
    await new Promise((r) => blocker.listen(0, "127.0.0.1", r));
    const port = blocker.address().port;
    // a free port for monitoring, known in advance so it can be probed afterwards
    const probe = net.createServer();
    await new Promise((r) => probe.listen(0, "127.0.0.1", r));
    const mport = probe.address().port;
    await new Promise((r) => probe.close(r));
    await settle();
    const before = handles();
    try {
      await assert.rejects(startServer({ port, http_port: mport }), /address already in use/);
      // no settling first: the monitoring port must already be free when start() rejects
      const again = net.createServer();
      await new Promise((resolve, reject) => {
        again.once("error", reject);
        again.listen(mport, "127.0.0.1", resolve);
      });
      await new Promise((r) => again.close(r));
      await settle();
      // timers and sockets only: other handles (a pending close of an earlier test) come and go
      const count = (list) => list.filter((h) => h === "Timeout" || h === "TCPSocketWrap").length;
      assert.equal(count(handles()), count(before), `handles now: ${handles().join(", ")}`);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it("a second embedded server on the first one's port is refused; the first keeps serving", async () => {
    const a = await startServer();
    try {
      await assert.rejects(
        startServer({ port: a.port }),
        new RegExp(`127\\.0\\.0\\.1:${a.port}: address already in use`),
      );
      const nc = await connect({ servers: a.url });
      await nc.flush();
      await nc.close();
    } finally {
      await a.shutdown();
    }
  });
});

describe("embedded server: events to await instead of sleeping", () => {
  it("client:connect and client:close (with the close reason), filtered", async () => {
    const srv = await startServer();
    try {
      const connected = srv.once("client:connect");
      const nc = await connect({ servers: srv.url, name: "ev" });
      const [client] = await connected;
      assert.equal(typeof client.cid, "number");
      const named = srv.once("client:close", { filter: (c) => c.cid === client.cid });
      await nc.close();
      const [closedClient, reason] = await named;
      assert.equal(closedClient, client);
      assert.equal(closedClient.name, "ev");
      assert.equal(reason, "Client Closed");
      // on(): a listener that can be removed
      const seen = [];
      const off = srv.on("client:connect", (c) => seen.push(c.cid));
      const { c: r1 } = await rawConnect(srv.port, { verbose: false });
      await r1.flush();
      off();
      const { c: r2 } = await rawConnect(srv.port, { verbose: false });
      await r2.flush();
      assert.equal(seen.length, 1);
      r1.close();
      r2.close();
    } finally {
      await srv.shutdown();
    }
  });

  it("once() rejects on timeout, on abort and when the server shuts down first, leaving no timer", async () => {
    const srv = await startServer();
    const before = handles();
    await assert.rejects(
      srv.once("client:connect", { timeout: 30 }),
      /timed out after 30 ms waiting for "client:connect"/,
    );
    const ac = new AbortController();
    const aborted = srv.once("client:connect", { signal: ac.signal });
    ac.abort(new Error("test gave up"));
    await assert.rejects(aborted, /test gave up/);
    assert.deepEqual(handles(), before, "no timer left by settled waits");
    assert.equal(srv.server.listenerCount("client:connect"), 0);
    assert.equal(srv.server.listenerCount("shutdown"), 1, "only the EmbeddedServer's own listener");
    const pending = assert.rejects(srv.once("slow_consumer"), /server shut down while waiting for "slow_consumer"/);
    const stopped = srv.once("shutdown");
    await srv.shutdown();
    await pending;
    await stopped;
  });

  it("slow_consumer fires for a subscriber that stops reading (max_pending 100KB)", async () => {
    const srv = await startServer({ max_pending: 100 * 1024, max_payload: 32 * 1024 });
    const conns = [];
    try {
      const { c: slow, info } = await rawConnect(srv.port, { verbose: false });
      conns.push(slow);
      slow.write("SUB flood 1\r\n");
      await slow.flush();
      slow.sock.pause();
      const { c: pub } = await rawConnect(srv.port, { verbose: false });
      conns.push(pub);
      const sc = srv.once("slow_consumer", { timeout: 20_000 });
      const closed = srv.once("client:close", { filter: (c) => c.cid === info.client_id, timeout: 20_000 });
      let fired = false;
      sc.then(
        () => (fired = true),
        () => (fired = true),
      );
      const payload = Buffer.alloc(32 * 1024, 0x61);
      const frame = Buffer.concat([Buffer.from(`PUB flood ${payload.length}\r\n`), payload, Buffer.from("\r\n")]);
      // publish until the server gives up on the subscriber (bounded by the waits' timeouts)
      while (!fired) {
        for (let i = 0; i < 16; i++) pub.write(frame);
        await pub.flush(20_000).catch(() => undefined);
      }
      const [client] = await sc;
      assert.equal(client.cid, info.client_id);
      const [, reason] = await closed;
      assert.match(reason, /^Slow Consumer/);
      assert.equal(srv.stats().slow_consumers, 1);
    } finally {
      for (const c of conns) c.close();
      await srv.shutdown();
    }
  });
});

describe("embedded server: two servers in one process do not share state", () => {
  it("users on one, a token on the other: credentials, subscriptions and messages stay apart", async () => {
    const a = await startServer({
      server_name: "A",
      authorization: {
        users: [
          { user: "alice", password: "pa" },
          { user: "bob", password: "pb" },
        ],
      },
    });
    const b = await startServer({ server_name: "B", authorization: { token: "tok-b" } });
    const open = [];
    try {
      assert.notEqual(a.port, b.port);
      assert.notEqual(a.id, b.id);
      // A's users are unknown to B, B's token to A
      await assert.rejects(connect({ servers: b.url, user: "alice", pass: "pa", reconnect: false }), /Authorization/i);
      await assert.rejects(connect({ servers: a.url, token: "tok-b", reconnect: false }), /Authorization/i);
      assert.equal(a.stats().connections, 0);
      assert.equal(b.stats().connections, 0);
      const baseA = a.stats().subscriptions;
      const baseB = b.stats().subscriptions;

      const na = await connect({ servers: a.url, user: "alice", pass: "pa", name: "on-a", reconnect: false });
      const nb = await connect({ servers: b.url, token: "tok-b", name: "on-b" });
      open.push(na, nb);
      const gotA = [];
      const gotB = [];
      na.subscribe(">", { callback: (_e, m) => gotA.push(m.subject) });
      nb.subscribe(">", { callback: (_e, m) => gotB.push(m.subject) });
      nb.subscribe("only.b", { callback: () => {} });
      await na.flush();
      await nb.flush();
      // subscriptions are counted where they were made
      assert.equal(a.stats().subscriptions - baseA, 1);
      assert.equal(b.stats().subscriptions - baseB, 2);
      assert.equal(a.server.globalAccount.sublist.match("only.b").psubs.length, 1, "only A's own '>' matches on A");
      // users and connections are per server (client ids start at 1 on each)
      const ca = [...a.server.clients.values()];
      const cb = [...b.server.clients.values()];
      assert.deepEqual(
        ca.map((c) => c.user),
        ["alice"],
      );
      assert.deepEqual(
        cb.map((c) => c.user),
        [""],
      );
      assert.ok(ca.every((c) => c.name === "on-a") && cb.every((c) => c.name === "on-b"));

      // messages published on one server are never seen on the other
      na.publish("from.a", "1");
      nb.publish("from.b", "2");
      await na.flush();
      await nb.flush();
      // each subscriber got its own server's message (so a leak would have arrived by now too)
      assert.deepEqual(gotA, ["from.a"]);
      assert.deepEqual(gotB, ["from.b"]);
      assert.equal(a.stats().in_msgs, 1);
      assert.equal(b.stats().in_msgs, 1);

      // stopping one leaves the other serving
      const closedOnA = na.closed();
      open.splice(0, 1);
      await a.shutdown();
      await within(closedOnA, 5000, "A's client to see the close");
      nb.publish("still.b", "3");
      await nb.flush();
      assert.deepEqual(gotB, ["from.b", "still.b"]);
      assert.equal(b.state, "running");
    } finally {
      for (const nc of open) await nc.close();
      await a.shutdown();
      await b.shutdown();
    }
  });
});

describe("embedded server: disable_short_first_ping", () => {
  // nats-server has this only as an embedding option (Options.DisableShortFirstPing, no config
  // key), so it is tested here, on tsnats alone. client.go setFirstPingTimer: the first PING
  // after CONNECT comes after min(ping_interval, 2 s), or with the option after ping_interval,
  // plus up to 20% either way
  it("with ping_interval 5 s the first PING comes after 2-2.4 s, or 5-6 s with the option", async () => {
    const servers = await Promise.all([
      startServer({ ping_interval: 5000 }),
      startServer({ ping_interval: 5000, disable_short_first_ping: true }),
    ]);
    try {
      const firstPing = async (srv) => {
        const { c } = await rawConnect(srv.port);
        const t0 = performance.now(); // CONNECT is written, not yet read by the server
        try {
          await c.waitFor("PING\r\n", 10_000);
          assert.equal(c.text(), "PING\r\n");
          return performance.now() - t0;
        } finally {
          c.close();
        }
      };
      const [short, full] = await Promise.all(servers.map(firstPing));
      // never early (timers do not fire early); the upper ends leave slack for a loaded machine
      assert.ok(short >= 1990 && short < 4500, `first PING after ${short.toFixed(0)} ms, expected 2-2.4 s`);
      assert.ok(
        full >= 4990 && full < 8500,
        `first PING after ${full.toFixed(0)} ms with disable_short_first_ping, expected 5-6 s`,
      );
    } finally {
      await Promise.all(servers.map((s) => s.shutdown()));
    }
  });
});

describe("embedded server: a client cut before its INFO leaves nothing behind", () => {
  // write_deadline below 0: nats-server cuts every client before its INFO (see config-values);
  // the cut connection must not go on to arm its auth and ping timers
  it("no timer or socket outlives the cut connection", async () => {
    const srv = await startServer({ write_deadline: -1, authorization: { token: "t" } });
    try {
      const before = handles();
      const closed = srv.once("client:close", { timeout: 5000 });
      const sock = net.connect(srv.port, "127.0.0.1");
      sock.on("error", () => {});
      await closed;
      await new Promise((resolve) => (sock.destroyed ? resolve() : sock.once("close", resolve)));
      await new Promise((resolve) => setImmediate(resolve));
      // timers and sockets only: other handles (a pending close of an earlier test) come and go
      const count = (list) => list.filter((h) => h === "Timeout" || h === "TCPSocketWrap").length;
      assert.equal(count(handles()), count(before), `handles now: ${handles().join(", ")}`);
    } finally {
      await srv.shutdown();
    }
  });
});

describe("embedded server: 100 start/stop cycles", () => {
  it("leave no handles, no file descriptors, no live server objects and no memory growth beyond noise", {
    timeout: 120_000,
  }, async () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc");
    const heap = () => {
      gc();
      gc();
      // Buffers live outside the JS heap: count them too
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const refs = [];
    const cycle = async () => {
      const srv = await startServer();
      const connected = srv.once("client:connect");
      const nc = await connect({ servers: srv.url, reconnect: false });
      const [client] = await connected;
      const sub = nc.subscribe("cycle");
      nc.publish("cycle", "x");
      for await (const m of sub) {
        assert.equal(m.string(), "x");
        break;
      }
      await nc.flush();
      await srv.shutdown();
      await nc.closed();
      refs.push(new WeakRef(srv), new WeakRef(srv.server), new WeakRef(client));
    };
    // warm up (module caches, JIT) before taking the baseline
    for (let i = 0; i < 10; i++) await cycle();
    await settle();
    refs.length = 0;
    const baseHandles = handles();
    const baseFds = fdCount();
    const baseHeap = heap();
    for (let i = 0; i < 100; i++) await cycle();
    await settle();
    assert.deepEqual(handles(), baseHandles, "active handles back to the baseline");
    if (baseFds >= 0) assert.equal(fdCount(), baseFds, "file descriptors back to the baseline");
    const growth = heap() - baseHeap;
    // nothing (a timer, a listener on a shared object) keeps a stopped server or its clients alive
    const alive = refs.filter((r) => r.deref() !== undefined).length;
    assert.equal(alive, 0, `${alive} of ${refs.length} servers/clients still reachable after shutdown`);
    // the heap may move by a few hundred KB (JIT, the nats.js client's caches); a leaked
    // buffer per connection (64 KB+ each) would add several MB
    assert.ok(growth < 3 * 1024 * 1024, `heap grew by ${(growth / 1024).toFixed(0)} KB over 100 cycles`);
    process.stderr.write(`# 100 embedded start/connect/stop cycles: heap growth ${(growth / 1024).toFixed(0)} KB\n`);
  });
});

describe("embedded server: start-up", () => {
  // how long start-up takes is measured by npm run bench (bench/run.js measureEmbedded), not here
  it("starts and accepts a client, five times in a row", async () => {
    for (let i = 0; i < 5; i++) {
      const srv = await startServer();
      const { c } = await rawConnect(srv.port);
      assert.equal(await c.flush(), "");
      c.close();
      await srv.shutdown();
    }
  });
});

it("nothing from this file is left running", async () => {
  await settle();
  const left = handles().filter((h) => h !== "PipeWrap" && h !== "TTYWrap");
  assert.ok(!left.includes("TCPServerWrap"), `open listeners: ${left}`);
  assert.ok(existsSync(dir));
});
