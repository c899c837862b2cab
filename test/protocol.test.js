// Raw-socket client-protocol suite. Every case asserts the exact bytes the server sends back and
// whether it closes the connection, and runs unchanged against every server kind (tsnats and, when
// installed, Debian's nats-server 2.9 as the oracle). Expectations follow nats-server 2.10; the few
// places where 2.9 is known to differ (checked in the 2.9.10 and 2.10.29 sources) carry a comment
// citing the source and assert 2.9's own bytes when t.oracle29 is true.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { serverKinds } from "./helpers/servers.js";
import {
  ServerPool,
  Session,
  isOracle29,
  expectReply,
  expectClosed,
  observe,
  splitFrames,
  writeBytewise,
  writeRandomSplits,
  sleep,
} from "./helpers/protocol-cases.js";
import { prng } from "./helpers/prng.js";
import { waitUntil } from "./helpers/wait.js";

const MAX_PAYLOAD = 1024 * 1024;
const MAX_CONTROL_LINE = 4096;

// Exact -ERR lines (nats-server client.go / errors.go).
const ERR = {
  unknownOp: "-ERR 'Unknown Protocol Operation'\r\n",
  authViolation: "-ERR 'Authorization Violation'\r\n",
  authTimeout: "-ERR 'Authentication Timeout'\r\n",
  maxPayload: "-ERR 'Maximum Payload Violation'\r\n",
  maxControlLine: "-ERR 'maximum control line exceeded'\r\n",
  invalidSubject: "-ERR 'Invalid Subject'\r\n",
  invalidPubSubject: "-ERR 'Invalid Publish Subject'\r\n",
  stale: "-ERR 'Stale Connection'\r\n",
  maxConns: "-ERR 'maximum connections exceeded'\r\n",
  maxSubs: "-ERR 'maximum subscriptions exceeded'\r\n",
  badProtocol: "-ERR 'invalid client protocol'\r\n",
  noRespondersNeedsHeaders: "-ERR 'no responders requires headers support'\r\n",
  pubPerm: (subj) => `-ERR 'Permissions Violation for Publish to "${subj}"'\r\n`,
  replyPerm: (reply) => `-ERR 'Permissions Violation for Publish with Reply of "${reply}"'\r\n`,
  subPerm: (subj) => `-ERR 'Permissions Violation for Subscription to "${subj}"'\r\n`,
  subPermQueue: (subj, q) => `-ERR 'Permissions Violation for Subscription to "${subj}" using queue "${q}"'\r\n`,
};
const NO_RESPONDERS = (reply, sid) => `HMSG ${reply} ${sid} 16 16\r\nNATS/1.0 503\r\n\r\n\r\n`;
const HDR = "NATS/1.0\r\n\r\n"; // 12 bytes

/** Sort MSG/HMSG frames so deliveries to several subscriptions of one connection compare order-insensitively. */
const sortedFrames = (text) => {
  const { frames, rest } = splitFrames(text);
  assert.equal(rest, "", `incomplete frame in ${JSON.stringify(text)}`);
  return frames.sort();
};

// ---------------------------------------------------------------------------------------------
// Cases. Each: { group, name, run(t), differs29? }. `t` is a Session: t.open(server) gives a raw
// connection after INFO, t.client(fields, server) also sends CONNECT (verbose:false, pedantic:false
// unless overridden) and checks its reply; server names are the keys of SERVER_CONFIGS in
// helpers/protocol-cases.js. A case whose 2.10 expectation the 2.9 oracle cannot meet either
// branches on t.oracle29 to assert 2.9's bytes (preferred: it still proves the mechanism), or sets
// differs29: { skip: "reason" } to skip the 2.9 run.
// ---------------------------------------------------------------------------------------------
const cases = [];
const add = (group, name, run, opts = {}) => cases.push({ group, name, run, ...opts });

// ----------------------------------- INFO -----------------------------------
add("INFO", "INFO line shape, fields and types", async (t) => {
  const srv = await t.server();
  const c = await t.open();
  assert.match(c.infoLine, /^INFO \{.*\} \r\n$/, "INFO <json> followed by a space and CRLF");
  const info = c.info;
  assert.equal(c.infoLine.slice(5, -3), JSON.stringify(info), "compact JSON (Go encoding/json style)");
  assert.match(info.server_id, /^N[A-Z2-7]{55}$/, "server_id is a server nkey");
  assert.equal(typeof info.server_name, "string");
  assert.ok(info.server_name.length > 0);
  assert.match(info.version, /^\d+\.\d+\.\d+/);
  assert.equal(info.proto, 1);
  assert.equal(typeof info.go, "string");
  assert.equal(info.host, "127.0.0.1");
  assert.equal(info.port, srv.port);
  assert.equal(info.headers, true);
  assert.equal(info.max_payload, MAX_PAYLOAD);
  assert.ok(Number.isInteger(info.client_id) && info.client_id > 0, "client_id is a positive integer");
  assert.equal(info.client_ip, "127.0.0.1");
  for (const k of [
    "auth_required",
    "nonce",
    "tls_required",
    "tls_verify",
    "tls_available",
    "jetstream",
    "connect_urls",
    "ldm",
  ]) {
    assert.ok(!(k in info), `${k} must be absent`);
  }
  if ("git_commit" in info) assert.equal(typeof info.git_commit, "string");
});

// 2.10 adds `xkey` (server x25519 public key, server.go NewServer: XKey: xpub) to every INFO;
// 2.9.10's Info struct has no such field. Key order follows the Info struct in server.go.
add("INFO", "INFO key order (2.10 struct order, including xkey)", async (t) => {
  const c = await t.open();
  // tsnats adds tsnats_version on purpose (README: differences from nats-server)
  const keys = Object.keys(c.info).filter((k) => k !== "git_commit" && k !== "tsnats_version");
  const expected = [
    "server_id",
    "server_name",
    "version",
    "proto",
    "go",
    "host",
    "port",
    "headers",
    "max_payload",
    "client_id",
    "client_ip",
  ];
  if (t.oracle29) {
    // 2.9: same order, no xkey.
    assert.deepEqual(keys, expected);
  } else {
    assert.deepEqual(keys, [...expected, "xkey"]);
    assert.match(c.info.xkey, /^X[A-Z2-7]{55}$/, "xkey is a curve nkey public key");
  }
});

add("INFO", "server_id constant per server, client_id distinct per connection", async (t) => {
  const a = await t.open();
  const b = await t.open();
  assert.equal(a.info.server_id, b.info.server_id);
  assert.notEqual(a.info.client_id, b.info.client_id);
  assert.ok(b.info.client_id > a.info.client_id, "client ids increase");
});

add("INFO", "auth_required:true with --user/--pass, no nonce", async (t) => {
  const c = await t.open("userpass");
  assert.equal(c.info.auth_required, true);
  assert.ok(!("nonce" in c.info));
});

add("INFO", "auth_required:true with --auth token", async (t) => {
  const c = await t.open("token");
  assert.equal(c.info.auth_required, true);
  assert.ok(!("nonce" in c.info));
});

add("INFO", "nothing but INFO is sent before the client speaks", async (t) => {
  const c = await t.open();
  await sleep(50);
  assert.equal(c.text(), "");
});

// ------------------------------ CONNECT / PING ------------------------------
add("CONNECT and PING", "CONNECT then PING -> PONG", async (t) => {
  const c = await t.open();
  c.write('CONNECT {"verbose":false,"pedantic":false}\r\nPING\r\n');
  await c.waitFor("PONG\r\n");
  assert.equal(c.text(), "PONG\r\n");
});

add("CONNECT and PING", "CONNECT {} uses defaults verbose=true: +OK", async (t) => {
  const c = await t.open();
  c.write("CONNECT {}\r\n");
  await expectReply(c, "+OK\r\n");
});

add("CONNECT and PING", "before CONNECT (no auth) ops work with default options (verbose, echo)", async (t) => {
  const c = await t.open();
  c.write("SUB foo 1\r\nPUB foo 5\r\nhello\r\n");
  await expectReply(c, "+OK\r\n+OK\r\nMSG foo 1 5\r\nhello\r\n");
});

add("CONNECT and PING", "verbose: +OK after CONNECT, SUB, PUB, HPUB, UNSUB; none for PING/PONG", async (t) => {
  const c = await t.open();
  c.write('CONNECT {"verbose":true,"pedantic":false,"headers":true}\r\n');
  await expectReply(c, "+OK\r\n", "CONNECT");
  c.write("SUB foo 1\r\n");
  await expectReply(c, "+OK\r\n", "SUB");
  c.write("PUB bar 2\r\nhi\r\n");
  await expectReply(c, "+OK\r\n", "PUB (no subscribers)");
  c.write(`HPUB bar ${HDR.length} ${HDR.length}\r\n${HDR}\r\n`);
  await expectReply(c, "+OK\r\n", "HPUB");
  c.write("PUB foo 0\r\n\r\n");
  await expectReply(c, "+OK\r\nMSG foo 1 0\r\n\r\n", "PUB delivered to self: +OK before MSG");
  c.write("UNSUB 1\r\n");
  await expectReply(c, "+OK\r\n", "UNSUB");
  c.write("UNSUB 99\r\n");
  await expectReply(c, "+OK\r\n", "UNSUB of an unknown sid still gets +OK");
  c.write("SUB foo 7\r\nSUB foo 7\r\n");
  await expectReply(c, "+OK\r\n+OK\r\n", "duplicate SUB sid still gets +OK");
  c.write("PONG\r\n");
  await expectReply(c, "", "PONG gets nothing");
  c.write("PING\r\n");
  await c.waitFor("PONG\r\n");
  assert.equal(c.text(), "PONG\r\n", "PING gets only PONG");
  c.clear();
  await expectReply(c, "");
});

add("CONNECT and PING", "verbose: an -ERR replaces the +OK for a rejected SUB", async (t) => {
  const c = await t.client({ verbose: true });
  c.write("SUB foo..bar 1\r\nSUB ok 2\r\n");
  await expectReply(c, ERR.invalidSubject + "+OK\r\n");
});

add("CONNECT and PING", "pedantic: invalid publish subject -> -ERR, message still delivered, stays open", async (t) => {
  const c = await t.client({ pedantic: true });
  c.write("SUB > 1\r\n");
  await expectReply(c, "");
  c.write(
    "PUB foo.* 1\r\nx\r\nPUB foo.> 1\r\ny\r\nPUB foo..bar 1\r\nz\r\nPUB .foo 0\r\n\r\nPUB foo. 0\r\n\r\nPUB foo*bar 1\r\nw\r\n",
  );
  await expectReply(
    c,
    ERR.invalidPubSubject +
      "MSG foo.* 1 1\r\nx\r\n" +
      ERR.invalidPubSubject +
      "MSG foo.> 1 1\r\ny\r\n" +
      ERR.invalidPubSubject +
      ERR.invalidPubSubject +
      ERR.invalidPubSubject +
      "MSG foo*bar 1 1\r\nw\r\n",
  );
});

add("CONNECT and PING", "pedantic + verbose: -ERR then +OK for an invalid publish subject", async (t) => {
  const c = await t.client({ verbose: true, pedantic: true });
  c.write("PUB foo.* 0\r\n\r\n");
  await expectReply(c, ERR.invalidPubSubject + "+OK\r\n");
});

add("CONNECT and PING", "pedantic applies to HPUB too", async (t) => {
  const c = await t.client({ pedantic: true, headers: true });
  c.write(`SUB > 1\r\nHPUB foo.* ${HDR.length} ${HDR.length}\r\n${HDR}\r\n`);
  await expectReply(c, ERR.invalidPubSubject + `HMSG foo.* 1 12 12\r\n${HDR}\r\n`);
});

add("CONNECT and PING", "pedantic:false: wildcard publish subjects are accepted silently", async (t) => {
  const c = await t.client({ pedantic: false });
  c.write("SUB > 1\r\nPUB foo.* 1\r\nx\r\nPUB foo.> 1\r\ny\r\n");
  await expectReply(c, "MSG foo.* 1 1\r\nx\r\nMSG foo.> 1 1\r\ny\r\n");
});

add("CONNECT and PING", "CONNECT with unknown and informational fields is accepted", async (t) => {
  const c = await t.open();
  c.write(
    'CONNECT {"verbose":false,"pedantic":false,"tls_required":false,"name":"n","lang":"node","version":"1.2.3","protocol":1,"echo":true,"headers":true,"no_responders":true,"something_else":[1,{"a":null}]}\r\n',
  );
  await expectReply(c, "");
});

// nats-server decodes CONNECT with Go's encoding/json into a struct pre-filled with the defaults
// (verbose, pedantic, echo = true): keys match case-insensitively with the last one winning, null
// leaves the default, unknown keys are ignored, a wrongly typed known key is an error (silent close).
add("CONNECT and PING", "CONNECT JSON is decoded like Go's encoding/json", async (t) => {
  const rows = [
    ['{"verbose":null}', "+OK\r\n", false],
    ['{"VERBOSE":false}', "", false],
    ['{"Verbose":false,"verbose":true}', "+OK\r\n", false],
    ['{"verbose":true,"verbose":false}', "", false],
    ['{"verbose":false,"protocol":null}', "", false],
    ['{"verbose":false,"user":"\\u0061"}', "", false],
    ['{"verbose":false}  ', "", false],
    ["null", "+OK\r\n", false],
    ['{"verbose":false,"protocol":1.5}', "", true],
    ['{"verbose":false,"protocol":1e0}', "", true],
    ['{"verbose":false,"name":5}', "", true],
    ['{"verbose":0}', "", true],
  ];
  const got = [];
  for (const [json, , close] of rows) {
    const c = await t.open();
    c.write(`CONNECT ${json}\r\n`);
    got.push({ json, ...(await observe(c, close)) });
    c.close();
  }
  assert.deepEqual(
    got,
    rows.map(([json, text, closed]) => ({ json, text, closed })),
  );
  const e = await t.open();
  e.write('CONNECT {"verbose":false,"echo":false,"ECHO":true}\r\nSUB a 1\r\nPUB a 0\r\n\r\n');
  await expectReply(e, "MSG a 1 0\r\n\r\n", "echo re-enabled by the later ECHO key");
});

add("CONNECT and PING", "protocol 0 is accepted", async (t) => {
  const c = await t.open();
  c.write('CONNECT {"verbose":false,"protocol":0}\r\n');
  await expectReply(c, "");
});

add("CONNECT and PING", "second CONNECT is processed (switches verbose on)", async (t) => {
  const c = await t.client();
  c.write('CONNECT {"verbose":true}\r\nSUB foo 1\r\n');
  await expectReply(c, "+OK\r\n+OK\r\n");
});

add("CONNECT and PING", "PONG without PING is ignored", async (t) => {
  const c = await t.client();
  c.write("PONG\r\nPONG\r\n");
  await expectReply(c, "");
});

add("CONNECT and PING", "PING tolerates trailing bytes and a bare LF", async (t) => {
  const c = await t.client();
  c.write("PING extra\r\nPINGX\r\nPING\n");
  await c.waitFor("PONG\r\nPONG\r\nPONG\r\n");
  assert.equal(c.text(), "PONG\r\nPONG\r\nPONG\r\n");
  c.clear();
  await expectReply(c, "");
});

add("CONNECT and PING", "client +OK and INFO are ignored", async (t) => {
  const c = await t.client();
  c.write("+OK\r\nINFO {}\r\n");
  await expectReply(c, "");
});

add("CONNECT and PING", "client -ERR: server closes without replying", async (t) => {
  const c = await t.client();
  c.write("-ERR 'oops'\r\n");
  await expectClosed(c, "");
});

// client.go setFirstPingTimer: after CONNECT the first PING comes after min(ping_interval, 2 s)
// plus up to 20%, and processPingTimer sends it although the client is active (needRTT: no RTT
// measured yet). The default ping_interval is 2 min, so only the short first PING can arrive.
add("CONNECT and PING", "the first PING comes 2-2.4 s after CONNECT, client activity notwithstanding", async (t) => {
  const c = await t.open();
  const sent = performance.now();
  c.write('CONNECT {"verbose":false,"pedantic":false}\r\n');
  let ms = null;
  c.waitFor("PING\r\n", 6000).then(
    () => (ms = performance.now() - sent),
    () => {},
  );
  // keep publishing (to no one) until the PING: activity must not postpone it
  while (ms === null && performance.now() - sent < 6000) {
    c.write("PUB nobody 1\r\nx\r\n");
    await sleep(100);
  }
  assert.ok(ms !== null, `no PING within 6 s; got ${JSON.stringify(c.text())}`);
  assert.equal(c.text(), "PING\r\n");
  // never before 2 s (a timer does not fire early); the 2.4 s maximum plus slack for a loaded machine
  assert.ok(ms >= 1990 && ms < 4500, `first PING ${ms.toFixed(0)} ms after CONNECT`);
});

// --------------------------------- messages ---------------------------------
add("messages", "PUB -> MSG exact bytes", async (t) => {
  const c = await t.client();
  c.write("SUB foo 1\r\nPUB foo 5\r\nhello\r\n");
  await expectReply(c, "MSG foo 1 5\r\nhello\r\n");
});

add("messages", "PUB with reply -> MSG with reply", async (t) => {
  const c = await t.client();
  c.write("SUB foo 1\r\nPUB foo bar 5\r\nhello\r\n");
  await expectReply(c, "MSG foo 1 bar 5\r\nhello\r\n");
});

add("messages", "zero-length payload", async (t) => {
  const c = await t.client();
  c.write("SUB foo 1\r\nPUB foo 0\r\n\r\nPUB foo r 0\r\n\r\n");
  await expectReply(c, "MSG foo 1 0\r\n\r\nMSG foo 1 r 0\r\n\r\n");
});

add("messages", "payload containing CRLF and protocol-looking text", async (t) => {
  const c = await t.client();
  const p = "a\r\nPUB x 1\r\n\r\nb";
  c.write(`SUB foo 1\r\nPUB foo ${p.length}\r\n${p}\r\n`);
  await expectReply(c, `MSG foo 1 ${p.length}\r\n${p}\r\n`);
});

add("messages", "binary payload bytes are passed through", async (t) => {
  const c = await t.client();
  const payload = Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a, 0x80, 0x7f]);
  c.write("SUB foo 1\r\nPUB foo 8\r\n");
  c.write(payload);
  c.write("\r\n");
  await expectReply(c, "MSG foo 1 8\r\n" + payload.toString("latin1") + "\r\n");
});

add("messages", "payload of exactly max_payload is accepted and delivered", async (t) => {
  const c = await t.client();
  const payload = Buffer.alloc(MAX_PAYLOAD, 0x61);
  c.write(`SUB big 1\r\nPUB big ${MAX_PAYLOAD}\r\n`);
  c.write(payload);
  c.write("\r\n");
  const got = await c.flush(5000);
  assert.equal(got.length, `MSG big 1 ${MAX_PAYLOAD}\r\n`.length + MAX_PAYLOAD + 2);
  assert.ok(got.startsWith(`MSG big 1 ${MAX_PAYLOAD}\r\naaaa`));
  assert.ok(got.endsWith("aaaa\r\n"));
  assert.equal(got, `MSG big 1 ${MAX_PAYLOAD}\r\n${payload.toString("latin1")}\r\n`);
});

add("messages", "HPUB -> HMSG exact bytes (with and without reply)", async (t) => {
  const c = await t.client({ headers: true });
  c.write(`SUB foo 1\r\nHPUB foo reply 12 17\r\n${HDR}hello\r\nHPUB foo 12 12\r\n${HDR}\r\n`);
  await expectReply(c, `HMSG foo 1 reply 12 17\r\n${HDR}hello\r\nHMSG foo 1 12 12\r\n${HDR}\r\n`);
});

add("messages", "HPUB with a header field", async (t) => {
  const c = await t.client({ headers: true });
  const h = "NATS/1.0\r\nA: B\r\nC: d e\r\n\r\n";
  c.write(`SUB foo 1\r\nHPUB foo ${h.length} ${h.length + 3}\r\n${h}xyz\r\n`);
  await expectReply(c, `HMSG foo 1 ${h.length} ${h.length + 3}\r\n${h}xyz\r\n`);
});

add("messages", "HPUB header block is not parsed: arbitrary header bytes are relayed", async (t) => {
  const c = await t.client({ headers: true });
  c.write("SUB foo 1\r\nHPUB foo 5 5\r\nhello\r\n");
  await expectReply(c, "HMSG foo 1 5 5\r\nhello\r\n");
});

add("messages", "HPUB with header size 0 is delivered as MSG", async (t) => {
  const c = await t.client({ headers: true });
  c.write("SUB foo 1\r\nHPUB foo 0 5\r\nhello\r\nHPUB foo r 0 0\r\n\r\n");
  await expectReply(c, "MSG foo 1 5\r\nhello\r\nMSG foo 1 r 0\r\n\r\n");
});

add("messages", "HPUB to a subscriber without headers support: headers stripped, MSG delivered", async (t) => {
  const sub = await t.client({ headers: false });
  const pub = await t.client({ headers: true });
  sub.write("SUB foo 1\r\n");
  await expectReply(sub, "");
  pub.write(`HPUB foo r 12 17\r\n${HDR}hello\r\n`);
  await expectReply(pub, "");
  await expectReply(sub, "MSG foo 1 r 5\r\nhello\r\n");
});

add(
  "messages",
  "one HPUB fanned out to subscribers with and without headers, interleaved: each gets its own bytes",
  async (t) => {
    const a = await t.client({ headers: false });
    const b = await t.client({ headers: true });
    const c = await t.client({ headers: false });
    for (const x of [a, b, c]) {
      x.write("SUB foo 7\r\n");
      await expectReply(x, "");
    }
    const pub = await t.client({ headers: true });
    const body = "0123456789abcdefghijklmnopqrstuvwxyz-payload-longer-than-32-bytes";
    pub.write(
      `HPUB foo ${HDR.length} ${HDR.length + body.length}\r\n${HDR}${body}\r\nPUB foo ${body.length}\r\n${body}\r\n`,
    );
    await expectReply(pub, "");
    const plain = `MSG foo 7 ${body.length}\r\n${body}\r\n`;
    const withHdr = `HMSG foo 7 ${HDR.length} ${HDR.length + body.length}\r\n${HDR}${body}\r\n`;
    await expectReply(a, plain + plain);
    await expectReply(b, withHdr + plain);
    await expectReply(c, plain + plain);
  },
);

// no_header_support: INFO says headers:false, so a CONNECT asking for headers does not get them;
// an HPUB then fails in processHeaderPub (ErrMsgHeadersNotSupported): logged as an error and the
// connection closed as a protocol violation, with no -ERR sent.
add("messages", "no_header_support: INFO headers:false, plain messages flow, HPUB closes without -ERR", async (t) => {
  const c = await t.client({ headers: true }, "noHeaders");
  assert.equal(c.info.headers, false);
  c.write("SUB foo 1\r\nPUB foo 2\r\nhi\r\n");
  await expectReply(c, "MSG foo 1 2\r\nhi\r\n");
  c.write(`HPUB foo 12 14\r\n${HDR}hi\r\n`);
  await expectClosed(c, "");
  const srv = await t.server("noHeaders");
  await waitUntil(
    () => /\[ERR\] 127\.0\.0\.1:\d+ - cid:\d+ - message headers not supported\n/.test(srv.output()),
    "the error log line",
  );
});

add("messages", "no_header_support: no_responders (which needs headers) is refused at CONNECT", async (t) => {
  const c = await t.open("noHeaders");
  c.write('CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\nPING\r\n');
  await expectClosed(c, ERR.noRespondersNeedsHeaders);
});

add("messages", "messages between two connections", async (t) => {
  const sub = await t.client();
  const pub = await t.client();
  sub.write("SUB foo 42\r\n");
  await expectReply(sub, "");
  pub.write("PUB foo r 3\r\nabc\r\nPUB nomatch 1\r\nx\r\n");
  await expectReply(pub, "");
  await expectReply(sub, "MSG foo 42 r 3\r\nabc\r\n");
});

add(
  "messages",
  "queue group: each message to exactly one member; plain subscriber gets all; MSG carries the sid, not the group",
  async (t) => {
    const q1 = await t.client();
    const q2 = await t.client();
    const plain = await t.client();
    const pub = await t.client();
    q1.write("SUB work grp 1\r\n");
    q2.write("SUB work grp 2\r\n");
    plain.write("SUB work 3\r\n");
    await expectReply(q1, "");
    await expectReply(q2, "");
    await expectReply(plain, "");
    let out = "";
    for (let i = 0; i < 20; i++) out += `PUB work r ${String(i).length}\r\n${i}\r\n`;
    pub.write(out);
    await expectReply(pub, "");
    const f1 = splitFrames(await q1.flush()).frames;
    const f2 = splitFrames(await q2.flush()).frames;
    const f3 = splitFrames(await plain.flush()).frames;
    assert.equal(f1.length + f2.length, 20, "every message delivered to exactly one member");
    for (const f of f1) assert.match(f, /^MSG work 1 r \d+\r\n\d+\r\n$/);
    for (const f of f2) assert.match(f, /^MSG work 2 r \d+\r\n\d+\r\n$/);
    const payloads = [...f1, ...f2].map((f) => Number(f.split("\r\n")[1])).sort((a, b) => a - b);
    assert.deepEqual(payloads, [...Array(20).keys()]);
    assert.equal(f3.length, 20);
    assert.equal(
      f3.join(""),
      [...Array(20).keys()].map((i) => `MSG work 3 r ${String(i).length}\r\n${i}\r\n`).join(""),
    );
  },
);

add("messages", "UNSUB stops delivery", async (t) => {
  const c = await t.client();
  c.write("SUB foo 1\r\nPUB foo 1\r\na\r\nUNSUB 1\r\nPUB foo 1\r\nb\r\n");
  await expectReply(c, "MSG foo 1 1\r\na\r\n");
});

add("messages", "UNSUB with max: exactly max messages delivered", async (t) => {
  const c = await t.client();
  c.write("SUB foo 1\r\nUNSUB 1 3\r\n");
  for (let i = 0; i < 6; i++) c.write(`PUB foo 1\r\n${i}\r\n`);
  await expectReply(c, "MSG foo 1 1\r\n0\r\nMSG foo 1 1\r\n1\r\nMSG foo 1 1\r\n2\r\n");
  c.write("PUB foo 1\r\nx\r\n");
  await expectReply(c, "", "subscription is gone after max");
});

add("messages", "UNSUB max counts messages already delivered; max <= delivered removes at once", async (t) => {
  const c = await t.client();
  c.write("SUB foo 1\r\nPUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nUNSUB 1 3\r\nPUB foo 1\r\nc\r\nPUB foo 1\r\nd\r\n");
  await expectReply(c, "MSG foo 1 1\r\na\r\nMSG foo 1 1\r\nb\r\nMSG foo 1 1\r\nc\r\n");
  c.write("SUB bar 2\r\nPUB bar 1\r\na\r\nUNSUB 2 1\r\nPUB bar 1\r\nb\r\n");
  await expectReply(c, "MSG bar 2 1\r\na\r\n");
});

add(
  "messages",
  "UNSUB max of 0 or non-numeric max unsubscribes immediately; a later UNSUB max overrides",
  async (t) => {
    const c = await t.client();
    c.write("SUB a 1\r\nUNSUB 1 0\r\nPUB a 1\r\nx\r\n");
    c.write("SUB b 2\r\nUNSUB 2 x\r\nPUB b 1\r\nx\r\n");
    c.write("SUB c 3\r\nUNSUB 3 5\r\nUNSUB 3 1\r\nPUB c 1\r\n1\r\nPUB c 1\r\n2\r\n");
    await expectReply(c, "MSG c 3 1\r\n1\r\n");
  },
);

add("messages", "sid is an opaque token echoed verbatim", async (t) => {
  const c = await t.client();
  c.write("SUB foo abc\r\nSUB bar 007\r\nPUB foo 1\r\nx\r\nPUB bar 1\r\ny\r\nUNSUB abc\r\nPUB foo 1\r\nz\r\n");
  await expectReply(c, "MSG foo abc 1\r\nx\r\nMSG bar 007 1\r\ny\r\n");
});

add("messages", "duplicate sid: second SUB is ignored", async (t) => {
  const c = await t.client();
  c.write("SUB foo 1\r\nSUB bar 1\r\nPUB bar 1\r\nb\r\nPUB foo 1\r\nf\r\n");
  await expectReply(c, "MSG foo 1 1\r\nf\r\n");
});

add("messages", "wildcard * matches exactly one token", async (t) => {
  const c = await t.client();
  c.write("SUB foo.* 1\r\nPUB foo 1\r\na\r\nPUB foo.bar 1\r\nb\r\nPUB foo.bar.baz 1\r\nc\r\nPUB x.bar 1\r\nd\r\n");
  await expectReply(c, "MSG foo.bar 1 1\r\nb\r\n");
  const d = await t.client();
  d.write("SUB *.b.* 2\r\nPUB a.b.c 1\r\nx\r\nPUB a.b 1\r\ny\r\nPUB a.x.c 1\r\nz\r\n");
  await expectReply(d, "MSG a.b.c 2 1\r\nx\r\n");
});

add("messages", "wildcard > matches one or more trailing tokens", async (t) => {
  const c = await t.client();
  c.write("SUB foo.> 1\r\nPUB foo 1\r\na\r\nPUB foo.bar 1\r\nb\r\nPUB foo.bar.baz 1\r\nc\r\n");
  await expectReply(c, "MSG foo.bar 1 1\r\nb\r\nMSG foo.bar.baz 1 1\r\nc\r\n");
  const d = await t.client();
  d.write("SUB > 2\r\nPUB a 1\r\nx\r\nPUB a.b.c 1\r\ny\r\n");
  await expectReply(d, "MSG a 2 1\r\nx\r\nMSG a.b.c 2 1\r\ny\r\n");
});

add("messages", "overlapping subscriptions on one connection each get a copy", async (t) => {
  const c = await t.client();
  c.write("SUB foo.bar 1\r\nSUB foo.* 2\r\nSUB foo.> 3\r\nSUB > 4\r\n");
  await expectReply(c, "");
  c.write("PUB foo.bar 1\r\nx\r\n");
  assert.deepEqual(sortedFrames(await c.flush()), [
    "MSG foo.bar 1 1\r\nx\r\n",
    "MSG foo.bar 2 1\r\nx\r\n",
    "MSG foo.bar 3 1\r\nx\r\n",
    "MSG foo.bar 4 1\r\nx\r\n",
  ]);
});

add("messages", "echo:false: no copy of own messages, others still receive them", async (t) => {
  const a = await t.client({ echo: false });
  const b = await t.client();
  a.write("SUB foo 1\r\n");
  b.write("SUB foo 2\r\n");
  await expectReply(a, "");
  await expectReply(b, "");
  a.write("PUB foo 2\r\nme\r\n");
  await expectReply(a, "");
  await expectReply(b, "MSG foo 2 2\r\nme\r\n");
  b.write("PUB foo 3\r\nyou\r\n");
  await expectReply(b, "MSG foo 2 3\r\nyou\r\n");
  await expectReply(a, "MSG foo 1 3\r\nyou\r\n");
});

add("messages", "reserved reply subjects are rejected with a permissions error (no auth configured)", async (t) => {
  const c = await t.client();
  c.write("SUB > 1\r\n");
  await expectReply(c, "");
  c.write("PUB foo _R_.x 0\r\n\r\n");
  await expectReply(c, ERR.replyPerm("_R_.x"));
  c.write("PUB foo $JS.ACK.x 0\r\n\r\n");
  await expectReply(c, ERR.replyPerm("$JS.ACK.x"));
  c.write("PUB foo _GR_.x 0\r\n\r\n");
  await expectReply(c, ERR.replyPerm("_GR_.x"));
  c.write("PUB _GR_.x 0\r\n\r\n");
  await expectReply(c, ERR.pubPerm("_GR_.x"));
  // Exact prefixes without anything after them are not reserved.
  c.write("PUB foo $JS.ACK. 0\r\n\r\n");
  await expectReply(c, "MSG foo 1 $JS.ACK. 0\r\n\r\n");
});

// ------------------------------- no_responders -------------------------------
add("no_responders", "headers+no_responders: 503 HMSG to the reply subscription", async (t) => {
  const c = await t.client({ headers: true, no_responders: true });
  c.write("SUB reply.> 9\r\nPUB nobody reply.x 5\r\nhello\r\n");
  await expectReply(c, NO_RESPONDERS("reply.x", 9));
  c.write(`HPUB nobody reply.y 12 17\r\n${HDR}hello\r\n`);
  await expectReply(c, NO_RESPONDERS("reply.y", 9));
});

add("no_responders", "503 exact bytes: HMSG <reply> <sid> 16 16\\r\\nNATS/1.0 503\\r\\n\\r\\n\\r\\n", async (t) => {
  const c = await t.client({ headers: true, no_responders: true });
  c.write("SUB _INBOX.abc 1\r\nPUB svc _INBOX.abc 0\r\n\r\n");
  await expectReply(c, "HMSG _INBOX.abc 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n");
});

add("no_responders", "verbose: +OK precedes the 503", async (t) => {
  const c = await t.client({ verbose: true, headers: true, no_responders: true });
  c.write("SUB r 1\r\n");
  await expectReply(c, "+OK\r\n");
  c.write("PUB nobody r 0\r\n\r\n");
  await expectReply(c, "+OK\r\n" + NO_RESPONDERS("r", 1));
});

add("no_responders", "no 503 without a reply, without a reply subscription, or when someone listens", async (t) => {
  const c = await t.client({ headers: true, no_responders: true });
  c.write("PUB nobody 0\r\n\r\n");
  c.write("PUB nobody unsubscribed.reply 0\r\n\r\n");
  await expectReply(c, "");
  const s = await t.client();
  s.write("SUB svc 1\r\n");
  await expectReply(s, "");
  c.write("SUB r 5\r\nPUB svc r 2\r\nhi\r\n");
  await expectReply(c, "");
  await expectReply(s, "MSG svc 1 r 2\r\nhi\r\n");
});

add("no_responders", "no 503 when no_responders is not requested", async (t) => {
  const c = await t.client({ headers: true });
  c.write("SUB r 1\r\nPUB nobody r 0\r\n\r\n");
  await expectReply(c, "");
});

add("no_responders", "own subscription suppressed by echo:false counts as no responder", async (t) => {
  const c = await t.client({ headers: true, no_responders: true, echo: false });
  c.write("SUB svc 1\r\nSUB r 2\r\nPUB svc r 0\r\n\r\n");
  await expectReply(c, NO_RESPONDERS("r", 2));
});

add("no_responders", "no_responders without headers -> -ERR and close", async (t) => {
  const c = await t.open();
  c.write('CONNECT {"verbose":false,"no_responders":true}\r\n');
  await expectClosed(c, ERR.noRespondersNeedsHeaders);
  const d = await t.open();
  d.write('CONNECT {"verbose":true,"headers":false,"no_responders":true}\r\n');
  await expectClosed(d, ERR.noRespondersNeedsHeaders, "no +OK either");
});

// --------------------------------- parsing ----------------------------------
const SPLIT_SCRIPT =
  'CONNECT {"verbose":true,"pedantic":false,"headers":true}\r\n' +
  "SUB foo 1\r\nSUB bar q 2\r\n" +
  "PUB foo 5\r\nhello\r\n" +
  "PUB bar rep 7\r\na\r\nb\r\nc\r\n" +
  `HPUB foo rr 12 14\r\n${HDR}hi\r\n` +
  "PUB foo 0\r\n\r\n" +
  "UNSUB 1\r\nPUB foo 1\r\nx\r\n" +
  "PING\r\n";
const SPLIT_EXPECTED =
  "+OK\r\n+OK\r\n+OK\r\n" +
  "+OK\r\nMSG foo 1 5\r\nhello\r\n" +
  "+OK\r\nMSG bar 2 rep 7\r\na\r\nb\r\nc\r\n" +
  `+OK\r\nHMSG foo 1 rr 12 14\r\n${HDR}hi\r\n` +
  "+OK\r\nMSG foo 1 0\r\n\r\n" +
  "+OK\r\n+OK\r\n" +
  "PONG\r\n";

add("parsing", "many ops in one write", async (t) => {
  const c = await t.open();
  c.write(SPLIT_SCRIPT);
  await c.waitFor((s) => s.endsWith("PONG\r\n"));
  assert.equal(c.text(), SPLIT_EXPECTED);
  c.clear();
  await expectReply(c, "");
});

add("parsing", "every op split at every byte boundary (one byte per write)", async (t) => {
  const c = await t.open();
  await writeBytewise(c, SPLIT_SCRIPT);
  await c.waitFor((s) => s.endsWith("PONG\r\n"));
  assert.equal(c.text(), SPLIT_EXPECTED);
  c.clear();
  await expectReply(c, "");
});

add("parsing", "random splits (seeded)", async (t) => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const c = await t.open();
    await writeRandomSplits(c, SPLIT_SCRIPT, prng(seed), 9);
    await c.waitFor((s) => s.endsWith("PONG\r\n"));
    assert.equal(c.text(), SPLIT_EXPECTED, `seed ${seed}`);
    c.close();
  }
});

add("parsing", "large payload split across many writes", async (t) => {
  const c = await t.client();
  const payload = "0123456789".repeat(1000);
  c.write(`SUB foo 1\r\nPUB foo ${payload.length}\r\n`);
  for (let i = 0; i < payload.length; i += 1500) {
    c.write(payload.slice(i, i + 1500));
    await sleep(1);
  }
  c.write("\r\n");
  await expectReply(c, `MSG foo 1 ${payload.length}\r\n${payload}\r\n`);
});

add("parsing", "ops are case-insensitive", async (t) => {
  const c = await t.open();
  c.write(
    'cOnNeCt {"verbose":false,"pedantic":false,"headers":true}\r\n' +
      "Sub foo 1\r\nsub bar 2\r\npub foo 1\r\na\r\nPuB bar 1\r\nb\r\n" +
      `hpub foo 12 12\r\n${HDR}\r\nUnSuB 2\r\npub bar 1\r\nc\r\npInG\r\n`,
  );
  await c.waitFor((s) => s.endsWith("PONG\r\n"));
  assert.equal(c.text(), `MSG foo 1 1\r\na\r\nMSG bar 2 1\r\nb\r\nHMSG foo 1 12 12\r\n${HDR}\r\nPONG\r\n`);
});

add("parsing", "tabs and runs of spaces separate arguments; trailing blanks ignored", async (t) => {
  const c = await t.open();
  c.write('CONNECT\t {"verbose":false,"pedantic":false,"headers":true}\r\n');
  c.write("SUB\tfoo\t \t1\r\nSUB  bar   grp\t\t2 \r\n");
  c.write("PUB  foo\t\t 5 \r\nhello\r\nPUB\tbar \t rep\t3\t\r\nabc\r\n");
  c.write(`HPUB \t foo\t r  12 \t12\t\r\n${HDR}\r\n`);
  // sid 1 has had 2 messages (hello, the HMSG): max 3 lets exactly one more through.
  c.write("UNSUB \t 1\t 3 \r\nPUB foo 1\r\nx\r\nPUB foo 1\r\ny\r\n");
  await expectReply(
    c,
    `MSG foo 1 5\r\nhello\r\nMSG bar 2 rep 3\r\nabc\r\nHMSG foo 1 r 12 12\r\n${HDR}\r\nMSG foo 1 1\r\nx\r\n`,
  );
});

add("parsing", "no blank is needed between CONNECT and its JSON", async (t) => {
  const c = await t.open();
  c.write('CONNECT{"verbose":true,"pedantic":false}\r\n');
  await expectReply(c, "+OK\r\n");
});

add("parsing", "control lines may end with a bare LF; payloads may not", async (t) => {
  const c = await t.client();
  c.write("SUB foo 1\nPUB foo 5\nhello\r\n");
  await expectReply(c, "MSG foo 1 5\r\nhello\r\n");
  c.write("PUB foo 5\r\nhello\n");
  await expectClosed(c, ERR.unknownOp);
});

// ---------------------------------- errors ----------------------------------
add("errors", "unknown operation -> -ERR 'Unknown Protocol Operation' and close", async (t) => {
  const c = await t.client();
  c.write("FOO\r\n");
  await expectClosed(c, ERR.unknownOp);
});

add("errors", "ops before the bad one are processed first", async (t) => {
  const c = await t.client();
  c.write("SUB foo 1\r\nPUB foo 1\r\nx\r\nPING\r\nFOO bar\r\n");
  await expectClosed(c, "MSG foo 1 1\r\nx\r\nPONG\r\n" + ERR.unknownOp);
});

add("errors", "garbage bytes -> Unknown Protocol Operation, close", async (t) => {
  const c = await t.client();
  c.write(Buffer.from([0x00, 0x01, 0x02, 0xff, 0x0d, 0x0a]));
  await expectClosed(c, ERR.unknownOp);
});

add("errors", "garbage before CONNECT (no auth) -> Unknown Protocol Operation, close", async (t) => {
  const c = await t.open();
  c.write("GET / HTTP/1.1\r\n\r\n");
  await expectClosed(c, ERR.unknownOp);
});

for (const [label, bytes] of [
  ["empty line", "\r\n"],
  ["bare LF", "\n"],
  ["leading space", " PING\r\n"],
  ["MSG from a client", "MSG foo 1 0\r\n\r\n"],
  ["PUB without a space", "PUB\r\n"],
  ["SUB without a space", "SUB\r\n"],
  ["UNSUB without a space", "UNSUB\r\n"],
  ["op prefix then junk (PUBX)", "PUBX foo 0\r\n"],
  ["PIN without G", "PIN\r\n"],
]) {
  add("errors", `${label} -> Unknown Protocol Operation, close`, async (t) => {
    const c = await t.client();
    c.write(bytes);
    await expectClosed(c, ERR.unknownOp);
  });
}

add("errors", `control line of exactly ${MAX_CONTROL_LINE} bytes is accepted`, async (t) => {
  const c = await t.client();
  // Argument bytes after "SUB " up to (not including) CRLF: subject + " 1".
  const subj = "a".repeat(MAX_CONTROL_LINE - 2);
  c.write(`SUB ${subj} 1\r\nPUB ${subj} 1\r\nx\r\n`);
  await expectReply(c, `MSG ${subj} 1 1\r\nx\r\n`);
});

// 2.10 builds this error with NewErrorCtx(ErrMaxControlLine, "State %d, max_control_line %d, Buffer len
// %d (snip: ...)") but sends err.Error(), and errCtx.Error() is the wrapped error's text only
// (errors.go: type errCtx struct { error; ctx string }); the context goes to logs via
// UnpackIfErrorCtx. 2.9.10 has the identical code, so the wire text is the same in both.
add(
  "errors",
  `control line over ${MAX_CONTROL_LINE} bytes -> -ERR 'maximum control line exceeded', close`,
  async (t) => {
    const c = await t.client();
    c.write(`SUB ${"a".repeat(MAX_CONTROL_LINE - 1)} 1\r\n`);
    await expectClosed(c, ERR.maxControlLine);
  },
);

add("errors", "over-long control line without CRLF is cut off while still arriving", async (t) => {
  const c = await t.client();
  c.write(`PUB ${"a".repeat(MAX_CONTROL_LINE + 100)}`);
  await expectClosed(c, ERR.maxControlLine);
});

add("errors", "over-long CONNECT -> maximum control line exceeded, close", async (t) => {
  const c = await t.open();
  c.write(`CONNECT {"verbose":false,"name":"${"n".repeat(MAX_CONTROL_LINE)}"}\r\n`);
  await expectClosed(c, ERR.maxControlLine);
});

add("errors", "long PING line is not a control-line violation", async (t) => {
  const c = await t.client();
  c.write(`PING ${"x".repeat(MAX_CONTROL_LINE * 2)}\r\n`);
  await c.waitFor("PONG\r\n");
  assert.equal(c.text(), "PONG\r\n");
  c.clear();
  await expectReply(c, "");
});

// Argument errors in PUB/HPUB/SUB/UNSUB: the parser returns an error, readLoop closes the
// connection (ProtocolViolation) and nothing is written back.
for (const [label, bytes, fields] of [
  ["PUB missing size", "PUB foo\r\n"],
  ["PUB non-numeric size", "PUB foo bar\r\n"],
  ["PUB negative size", "PUB foo -1\r\n"],
  ["PUB too many arguments", "PUB foo a b 1\r\n"],
  ["PUB size with more than 9 digits", "PUB foo 0000000001\r\n"],
  ["PUB size with a sign", "PUB foo +1\r\n"],
  ["SUB missing sid", "SUB foo\r\n"],
  ["SUB too many arguments", "SUB a b c d\r\n"],
  ["UNSUB with only a blank", "UNSUB \r\n"],
  ["UNSUB too many arguments", "UNSUB 1 2 3\r\n"],
  ["HPUB without headers in CONNECT", `HPUB foo 12 12\r\n${HDR}\r\n`, {}],
  ["HPUB header size larger than total", `HPUB foo 13 12\r\n`, { headers: true }],
  ["HPUB missing total size", "HPUB foo 12\r\n", { headers: true }],
  ["HPUB non-numeric header size", "HPUB foo x 12\r\n", { headers: true }],
  ["HPUB non-numeric total size", "HPUB foo 12 x\r\n", { headers: true }],
  ["HPUB too many arguments", "HPUB foo a b 12 12\r\n", { headers: true }],
]) {
  add("errors", `${label} -> close without -ERR`, async (t) => {
    const c = await t.client(fields ?? {});
    c.write(bytes);
    await expectClosed(c, "");
  });
}

add("errors", "payload longer than announced -> Unknown Protocol Operation, close", async (t) => {
  const c = await t.client();
  c.write("SUB foo 1\r\nPUB foo 2\r\nhello\r\n");
  await expectClosed(c, ERR.unknownOp, "nothing delivered");
});

add("errors", "payload not followed by CRLF -> Unknown Protocol Operation, close", async (t) => {
  const c = await t.client();
  c.write("PUB foo 5\r\nhelloX\r\n");
  await expectClosed(c, ERR.unknownOp);
});

add("errors", "HPUB payload longer than announced -> Unknown Protocol Operation, close", async (t) => {
  const c = await t.client({ headers: true });
  c.write(`HPUB foo 12 12\r\n${HDR}extra\r\n`);
  await expectClosed(c, ERR.unknownOp);
});

add("errors", "PUB size over max_payload -> -ERR 'Maximum Payload Violation', close", async (t) => {
  const c = await t.client();
  c.write(`PUB foo ${MAX_PAYLOAD + 1}\r\n`);
  await expectClosed(c, ERR.maxPayload);
  const d = await t.client();
  d.write("PUB foo 999999999\r\n");
  await expectClosed(d, ERR.maxPayload);
});

add("errors", "HPUB total size over max_payload -> Maximum Payload Violation, close", async (t) => {
  const c = await t.client({ headers: true });
  c.write(`HPUB foo 12 ${MAX_PAYLOAD + 1}\r\n`);
  await expectClosed(c, ERR.maxPayload);
});

add("errors", "PUB size exactly max_payload waits for the payload (no error)", async (t) => {
  const c = await t.client();
  c.write(`PUB foo ${MAX_PAYLOAD}\r\n`);
  await sleep(30);
  assert.equal(c.text(), "");
  assert.equal(c.closed, false);
});

add("errors", "invalid subjects on SUB -> -ERR 'Invalid Subject' each, connection stays open", async (t) => {
  const c = await t.client();
  const bad = ["foo..bar", "foo.>.bar", ">.foo", ".foo", "foo.", "."];
  for (const [i, s] of bad.entries()) c.write(`SUB ${s} ${i + 1}\r\n`);
  await expectReply(c, ERR.invalidSubject.repeat(bad.length));
  // Tokens that merely contain wildcard characters are literal and valid.
  c.write("SUB foo*bar 20\r\nSUB fo>o 21\r\nSUB * 22\r\nSUB > 23\r\nSUB *.> 24\r\n");
  await expectReply(c, "");
  // A failed SUB does not register the sid.
  c.write("SUB ok 1\r\nPUB ok 1\r\nx\r\n");
  assert.deepEqual(
    sortedFrames(await c.flush()),
    ["MSG ok 1 1\r\nx\r\n", "MSG ok 23 1\r\nx\r\n", "MSG ok 22 1\r\nx\r\n"].sort(),
  );
});

add("errors", "invalid queue subscription subject -> Invalid Subject, stays open", async (t) => {
  const c = await t.client();
  c.write("SUB foo..bar grp 1\r\n");
  await expectReply(c, ERR.invalidSubject);
});

add("errors", "CONNECT with malformed JSON -> close without -ERR", async (t) => {
  // "CONNECTX {}" is CONNECT with the argument "X {}" (no blank is required after CONNECT); a bare
  // "CONNECT" has the argument "\r" (the CR is taken as the first argument byte).
  const lines = [
    "CONNECTX {}",
    "CONNECT {bad json",
    "CONNECT ",
    "CONNECT",
    "CONNECT [1]",
    'CONNECT {"verbose":"yes"}',
    'CONNECT {"verbose":false} trailing',
    'CONNECT {"protocol":"1"}',
  ];
  const got = [];
  for (const line of lines) {
    const c = await t.open();
    c.write(`${line}\r\n`);
    got.push({ line, ...(await observe(c, true)) });
    c.close();
  }
  assert.deepEqual(
    got,
    lines.map((line) => ({ line, text: "", closed: true })),
  );
});

add("errors", "CONNECT with unsupported protocol -> -ERR 'invalid client protocol', close", async (t) => {
  const c = await t.open();
  c.write('CONNECT {"verbose":false,"protocol":2}\r\n');
  await expectClosed(c, ERR.badProtocol);
  const d = await t.open();
  d.write('CONNECT {"verbose":true,"protocol":-1}\r\n');
  await expectClosed(d, ERR.badProtocol);
});

add("errors", "CONNECT naming an account -> Authorization Violation, close", async (t) => {
  const c = await t.open();
  c.write('CONNECT {"verbose":false,"account":"x"}\r\n');
  await expectClosed(c, ERR.authViolation);
  const d = await t.open();
  d.write('CONNECT {"verbose":false,"new_account":true}\r\n');
  await expectClosed(d, ERR.authViolation);
});

add("errors", "client INFO with malformed JSON -> close without -ERR", async (t) => {
  const c = await t.client();
  c.write("INFO garbage\r\n");
  await expectClosed(c, "");
});

// ----------------------------------- auth -----------------------------------
for (const [label, bytes] of [
  ["PUB", "PUB foo 0\r\n\r\n"],
  ["SUB", "SUB foo 1\r\n"],
  ["PING", "PING\r\n"],
  ["+OK", "+OK\r\n"],
  ["garbage", "XYZ\r\n"],
]) {
  add("auth", `${label} before CONNECT when auth is required -> Authorization Violation, close`, async (t) => {
    const c = await t.open("userpass");
    c.write(bytes);
    await expectClosed(c, ERR.authViolation);
  });
}

add("auth", "first byte 'c' is a CONNECT attempt: 'cXYZ' -> Unknown Protocol Operation", async (t) => {
  const c = await t.open("userpass");
  c.write("cXYZ\r\n");
  await expectClosed(c, ERR.unknownOp);
});

add("auth", "user/pass: right credentials accepted (also lower-case connect, verbose +OK)", async (t) => {
  const c = await t.open("userpass");
  c.write('CONNECT {"verbose":false,"pedantic":false,"user":"a","pass":"b"}\r\nSUB foo 1\r\nPUB foo 1\r\nx\r\n');
  await expectReply(c, "MSG foo 1 1\r\nx\r\n");
  const d = await t.open("userpass");
  d.write('connect {"verbose":true,"user":"a","pass":"b"}\r\n');
  await expectReply(d, "+OK\r\n");
});

for (const [label, fields] of [
  ["no credentials", {}],
  ["wrong password", { user: "a", pass: "x" }],
  ["wrong user", { user: "x", pass: "b" }],
  ["user only", { user: "a" }],
  ["token instead of user/pass", { auth_token: "b" }],
]) {
  add("auth", `user/pass: ${label} -> Authorization Violation, close (no +OK even if verbose)`, async (t) => {
    const c = await t.open("userpass");
    c.write(`CONNECT ${JSON.stringify({ verbose: true, pedantic: false, ...fields })}\r\n`);
    await expectClosed(c, ERR.authViolation);
  });
}

add("auth", "user/pass: malformed CONNECT JSON -> close without -ERR", async (t) => {
  const c = await t.open("userpass");
  c.write('CONNECT {"user":"a",\r\n');
  await expectClosed(c, "");
});

add("auth", "user/pass: a later CONNECT with wrong credentials -> Authorization Violation, close", async (t) => {
  const c = await t.client({ user: "a", pass: "b" }, "userpass");
  c.write('CONNECT {"verbose":false,"user":"a","pass":"nope"}\r\n');
  await expectClosed(c, ERR.authViolation);
});

add("auth", "token: right token accepted", async (t) => {
  const c = await t.client({ auth_token: "s3cret" }, "token");
  await expectReply(c, "");
});

for (const [label, fields] of [
  ["wrong token", { auth_token: "nope" }],
  ["no token", {}],
  ["token sent as user", { user: "s3cret" }],
  ["token sent as pass", { pass: "s3cret" }],
]) {
  add("auth", `token: ${label} -> Authorization Violation, close`, async (t) => {
    const c = await t.open("token");
    c.write(`CONNECT ${JSON.stringify({ verbose: false, ...fields })}\r\n`);
    await expectClosed(c, ERR.authViolation);
  });
}

add("auth", "no auth configured: any credentials are accepted", async (t) => {
  const c = await t.client({ user: "who", pass: "ever", auth_token: "x" });
  await expectReply(c, "");
});

add("auth", "auth timeout (authorization.timeout 0.5) -> -ERR 'Authentication Timeout', close", async (t) => {
  const start = Date.now();
  const c = await t.open("authTimeout");
  await expectClosed(c, ERR.authTimeout, undefined, 2500);
  const elapsed = Date.now() - start;
  assert.ok(elapsed >= 350 && elapsed < 2000, `closed after ${elapsed} ms, expected about 500 ms`);
});

add("auth", "auth timeout: a partial CONNECT does not stop the timer", async (t) => {
  const c = await t.open("authTimeout");
  c.write('CONNECT {"user":"a"');
  await expectClosed(c, ERR.authTimeout, undefined, 2500);
});

add("auth", "auth timeout: CONNECT in time keeps the connection", async (t) => {
  const c = await t.open("authTimeout");
  // opened after c and never sends CONNECT: once it is timed out, c's timer has run out too
  const witness = await t.open("authTimeout");
  c.write('CONNECT {"verbose":false,"user":"a","pass":"b"}\r\n');
  await expectReply(c, "");
  await expectClosed(witness, ERR.authTimeout, "the connection without CONNECT", 2500);
  await expectReply(c, "", "the connection that sent CONNECT in time");
});

// ---------------------------------- limits ----------------------------------
add("limits", "stale connection: PINGs every interval, then -ERR 'Stale Connection' and close", async (t) => {
  const start = Date.now();
  const a = await t.open("stale");
  a.write('CONNECT {"verbose":false,"pedantic":false}\r\n');
  const b = await t.open("stale"); // never sends CONNECT: the ping timer runs from accept
  await expectClosed(a, "PING\r\nPING\r\n" + ERR.stale, "after CONNECT", 2500);
  await expectClosed(b, "PING\r\nPING\r\n" + ERR.stale, "without CONNECT", 2500);
  const elapsed = Date.now() - start;
  assert.ok(elapsed >= 250 && elapsed < 2000, `stale after ${elapsed} ms, expected about 300 ms`);
});

add("limits", "a client that answers PINGs is not stale", async (t) => {
  const c = await t.client({}, "stale");
  const end = Date.now() + 600;
  let answered = 0;
  while (Date.now() < end) {
    const pings = (c.text().match(/PING\r\n/g) ?? []).length;
    while (answered < pings) {
      c.write("PONG\r\n");
      answered++;
    }
    await sleep(10);
  }
  assert.equal(c.closed, false);
  assert.match(c.text(), /^(PING\r\n){3,}$/);
});

// 2.10 (client.go processPingTimer) skips a PING only if the client itself sent messages,
// subscriptions or a PING within the interval (c.lastIn). 2.9.10 also counted deliveries *to* the
// client (c.last, refreshed in flushClients), so a receive-only client was never pinged again after
// the first (RTT) PING. Expectation follows 2.10; the 2.9 oracle asserts its own behaviour.
add(
  "limits",
  "a receive-only client that ignores PINGs is closed as stale (2.10 counts inbound activity only)",
  async (t) => {
    const rx = await t.open("stale");
    rx.write('CONNECT {"verbose":false,"pedantic":false}\r\nSUB tick 1\r\n');
    const tx = await t.client({}, "stale"); // its own PUBs keep it alive
    const deadline = Date.now() + 900;
    while (!rx.closed && Date.now() < deadline) {
      tx.write("PUB tick 1\r\nx\r\n");
      await sleep(15);
    }
    const stripped = splitFrames(rx.text())
      .frames.filter((f) => !f.startsWith("MSG "))
      .join("");
    if (t.oracle29) {
      assert.equal(rx.closed, false, "2.9: deliveries count as activity, no stale close");
      // Normally exactly the first (RTT) PING; a second one only if a scheduling hiccup left a
      // 100 ms gap between deliveries.
      assert.match(stripped, /^PING\r\n(PING\r\n)?$/, "2.9: only the first (RTT) PING");
    } else {
      assert.ok(rx.closed, `expected a stale close; got ${JSON.stringify(rx.text())}`);
      assert.equal(stripped, "PING\r\nPING\r\n" + ERR.stale);
    }
    assert.equal(tx.closed, false, "the publishing client stays");
  },
);

add(
  "limits",
  "configured max_payload (100): announced in INFO, 100 accepted, 101 -> Maximum Payload Violation",
  async (t) => {
    const c = await t.client({}, "smallLimits");
    assert.equal(c.info.max_payload, 100);
    const p = "x".repeat(100);
    c.write(`SUB s 1\r\nPUB s 100\r\n${p}\r\n`);
    await expectReply(c, `MSG s 1 100\r\n${p}\r\n`);
    c.write("PUB s 101\r\n");
    await expectClosed(c, ERR.maxPayload);
  },
);

add("limits", "configured max_control_line (64): 64 accepted, 65 -> maximum control line exceeded", async (t) => {
  const c = await t.client({}, "smallLimits");
  const subj = "s".repeat(62);
  c.write(`SUB ${subj} 1\r\n`);
  await expectReply(c, "");
  c.write(`SUB ${subj}x 1\r\n`);
  await expectClosed(c, ERR.maxControlLine);
});

add(
  "limits",
  "max_connections: INFO then -ERR 'maximum connections exceeded' and close; first client unaffected",
  async (t) => {
    const a = await t.client({}, "maxConn");
    const b = await t.open("maxConn");
    assert.equal(typeof b.info.server_id, "string", "INFO is sent before the limit check");
    await expectClosed(b, ERR.maxConns);
    await expectReply(a, "");
  },
);

add("limits", "max_subscriptions: -ERR 'maximum subscriptions exceeded', stays open, no +OK", async (t) => {
  const c = await t.client({ verbose: true }, "maxSubs");
  c.write("SUB a 1\r\nSUB b 2\r\nSUB c 3\r\n");
  await expectReply(c, "+OK\r\n+OK\r\n" + ERR.maxSubs);
  // At the limit even a duplicate sid is refused (limit is checked before the sid lookup).
  c.write("SUB a 1\r\n");
  await expectReply(c, ERR.maxSubs);
  c.write("UNSUB 1\r\nSUB c 3\r\nSUB d 4\r\n");
  await expectReply(c, "+OK\r\n+OK\r\n" + ERR.maxSubs);
  c.write("PUB c 1\r\nx\r\nPUB d 1\r\ny\r\n");
  await expectReply(c, "+OK\r\nMSG c 3 1\r\nx\r\n+OK\r\n");
});

// -------------------------------- permissions --------------------------------
add("permissions", "publish violations: -ERR with the subject, stays open, not delivered", async (t) => {
  const w = await t.client({ user: "w", pass: "w" }, "perms");
  w.write("SUB > 1\r\n");
  await expectReply(w, "");
  const u = await t.client({ user: "u", pass: "p", verbose: true }, "perms");
  u.write("PUB pub.a 1\r\na\r\n");
  await expectReply(u, "+OK\r\n");
  u.write("PUB pub.secret 1\r\ns\r\n");
  await expectReply(u, ERR.pubPerm("pub.secret"), "denied subject, no +OK");
  u.write("PUB foo 1\r\nf\r\n");
  await expectReply(u, ERR.pubPerm("foo"), "not in allow list");
  await expectReply(w, "MSG pub.a 1 1\r\na\r\n");
});

add("permissions", "subscribe violations with and without queue: exact text, stays open", async (t) => {
  const u = await t.client({ user: "u", pass: "p", verbose: true }, "perms");
  u.write("SUB sub.a 1\r\n");
  await expectReply(u, "+OK\r\n");
  u.write("SUB foo 2\r\n");
  await expectReply(u, ERR.subPerm("foo"));
  u.write("SUB sub.secret 3\r\n");
  await expectReply(u, ERR.subPerm("sub.secret"));
  u.write("SUB q.a 4\r\n");
  await expectReply(u, ERR.subPerm("q.a"), "queue-only permission refuses a plain SUB");
  u.write("SUB q.a grp 5\r\n");
  await expectReply(u, "+OK\r\n");
  u.write("SUB q.a other 6\r\n");
  await expectReply(u, ERR.subPermQueue("q.a", "other"));
  u.write("SUB sub.b anyq 7\r\n");
  await expectReply(u, "+OK\r\n", "plain allow permits any queue");
  u.write("SUB foo grp 8\r\n");
  await expectReply(u, ERR.subPermQueue("foo", "grp"));
});

add("permissions", "subjects in permission errors are quoted like Go's %q", async (t) => {
  const u = await t.client({ user: "u", pass: "p" }, "perms");
  // [subject bytes as written, quoted form as sent back]; both as UTF-8 text unless noted.
  const table = [
    ['a"b\\c', '"a\\"b\\\\c"'], // quote and backslash are escaped
    ["x\x01y", '"x\\x01y"'], // control byte -> \xNN
    ["a\x7fb", '"a\\x7fb"'], // DEL -> \x7f
    ["\u00fc", '"\u00fc"'], // printable non-ASCII is kept as raw UTF-8
    ["\u4e16", '"\u4e16"'],
    ["\u{1F600}", '"\u{1F600}"'],
    ["a\u00a0b", '"a\\u00a0b"'], // non-printable rune -> \uXXXX
    ["\ufeff", '"\\ufeff"'],
  ];
  let expected = "";
  for (const [i, [subj, quoted]] of table.entries()) {
    u.write(Buffer.from(`SUB ${subj} ${i + 1}\r\n`, "utf8"));
    expected += `-ERR 'Permissions Violation for Subscription to ${quoted}'\r\n`;
  }
  // A byte that is not valid UTF-8 -> \xNN.
  u.write(Buffer.concat([Buffer.from("PUB p"), Buffer.from([0xff]), Buffer.from(" 0\r\n\r\n")]));
  expected += `-ERR 'Permissions Violation for Publish to "p\\xff"'\r\n`;
  await expectReply(u, Buffer.from(expected, "utf8").toString("latin1"));
});

add("permissions", "queue group _sys_ is reserved even without auth", async (t) => {
  const c = await t.client({ verbose: true });
  c.write("SUB foo _sys_ 1\r\n");
  await expectReply(c, ERR.subPermQueue("foo", "_sys_"));
  c.write("SUB foo _SYS_ 2\r\n");
  await expectReply(c, "+OK\r\n", "the check is case-sensitive");
});

add("permissions", "subscribe deny filters deliveries to wildcard subscriptions", async (t) => {
  const u = await t.client({ user: "u", pass: "p" }, "perms");
  u.write("SUB sub.> 1\r\n");
  await expectReply(u, "");
  const w = await t.client({ user: "w", pass: "w" }, "perms");
  w.write("PUB sub.a 1\r\na\r\nPUB sub.secret 1\r\ns\r\nPUB sub.b 1\r\nb\r\n");
  await expectReply(w, "");
  await expectReply(u, "MSG sub.a 1 1\r\na\r\nMSG sub.b 1 1\r\nb\r\n");
});

// ---------------------------------------------------------------------------------------------
const kinds = serverKinds();

const groups = [...new Set(cases.map((c) => c.group))];

for (const kind of kinds) {
  describe(`protocol [${kind}]`, () => {
    const pool = new ServerPool(kind);
    after(() => pool.stopAll());
    for (const group of groups) {
      describe(group, () => {
        for (const tc of cases.filter((c) => c.group === group)) {
          const skip = tc.differs29?.skip && isOracle29(kind) ? `2.9 differs: ${tc.differs29.skip}` : false;
          it(tc.name, { skip, timeout: 10000 }, async () => {
            const t = new Session(pool);
            try {
              await tc.run(t);
            } finally {
              t.end();
            }
          });
        }
      });
    }
  });
}
