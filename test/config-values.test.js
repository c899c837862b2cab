// Config option values at their edges, against nats-server: every option of docs/config.md with
// 0, negative values, values above 2^31-1 and 2^63, wrong types, durations as numbers and as
// strings, every size suffix and every boolean spelling. Part 1 runs each file through
// `nats-server -t` and tsnats's -t path and asserts the same verdict and text
// (helpers/config-oracle.js). Part 2 starts both servers on files whose effect matters and
// checks /varz and what a client sees. Part 3 holds the cases where nats-server 2.10 (whose
// source tsnats follows) differs from the 2.9 oracle installed here: each asserts 2.10's answer
// on tsnats, and the oracle's when the oracle is not 2.9.
// Build first (npm run build).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { loadConfigOptions } from "../dist/server/config/load.js";
import { parseFlags } from "../dist/server/config/flags.js";
import { natsServerBin, runServerToExit, serverKinds, startServer } from "./helpers/servers.js";
import { assertCheck210, assertSameAsOracle, tsnatsCheck } from "./helpers/config-oracle.js";
import { configFiles } from "./helpers/conf-files.js";
import { RawConn, rawConnect } from "./helpers/raw.js";
import { waitUntil } from "./helpers/wait.js";

const ORACLE = natsServerBin();

const { writeConf } = configFiles("tsnats-values-");

// ------------------------------------------------------------------ 1. -t on both servers

const INT_VALUES = [
  "0",
  "-1",
  "2147483647",
  "2147483648",
  "3GB",
  "9223372036854775807",
  "9223372036854775808",
  "-9223372036854775809",
  '"12"',
  "true",
  "1.5",
  "2.0",
];
const INT_OPTIONS = [
  "port",
  "http_port",
  "max_payload",
  "max_control_line",
  "max_connections",
  "max_subscriptions",
  "max_pending",
  "ping_max",
  "max_traced_msg_len",
  "logfile_size_limit",
];
const DURATION_VALUES = [
  "0",
  "-1",
  "30",
  "2m",
  "1.5",
  "true",
  '"0s"',
  '"-1s"',
  '"45s"',
  '"1.5m"',
  '"1h"',
  '"2562047h"',
  '"2562048h"',
  '"5"',
  '""',
  '"5x"',
];
const DURATION_OPTIONS = ["ping_interval", "write_deadline", "lame_duck_duration", "lame_duck_grace_period"];
const BOOL_SPELLINGS = [
  "true",
  "TRUE",
  "True",
  "yes",
  "YES",
  "Yes",
  "on",
  "ON",
  "false",
  "FALSE",
  "no",
  "NO",
  "off",
  "Off",
  "t",
  "f",
  "y",
  "1",
  "0",
  '"true"',
  "'yes'",
  "enabled",
];
const BOOL_OPTIONS = ["trace", "trace_verbose", "logtime", "no_header_support"];
const STRING_OPTIONS = [
  "host",
  "server_name",
  "client_advertise",
  "http_base_path",
  "pid_file",
  "ports_file_dir",
  "log_file",
  "no_auth_user",
  "remote_syslog",
];
const LISTEN_VALUES = [
  "42",
  '"42"',
  "127.0.0.1:42",
  '":42"',
  '"127.0.0.1"',
  '"127.0.0.1:x"',
  '"h:"',
  '"[::1]:4222"',
  '"::1:4222"',
  '"h:-1"',
  '"h:99999"',
  "-1",
  "true",
  "1.5",
];
const SIZE_SUFFIXES = [
  "k",
  "K",
  "kb",
  "KB",
  "kB",
  "ki",
  "KiB",
  "KIB",
  "m",
  "M",
  "mb",
  "MB",
  "mi",
  "MiB",
  "g",
  "G",
  "gb",
  "GB",
  "gib",
  "t",
  "T",
  "tb",
  "TiB",
  "p",
  "pb",
  "e",
  "EB",
  "b",
  "B",
  "x",
  "ib",
];

const CASES = [
  ...INT_OPTIONS.flatMap((k) => INT_VALUES.map((v) => `${k}: ${v}\n`)),
  "MAX_PAYLOAD: 3GB\n",
  "Max_Control_Line: 2GB\n",
  "max_payload: 2GB\nmax_control_line: 5GB\n",
  ...DURATION_OPTIONS.flatMap((k) => DURATION_VALUES.map((v) => `${k}: ${v}\n`)),
  ...BOOL_SPELLINGS.map((v) => `debug: ${v}\n`),
  ...BOOL_OPTIONS.flatMap((k) => [`${k}: yes\n`, `${k}: 1\n`]),
  // syslog: only off is accepted (not supported yet; docs/config.md)
  "syslog: no\n",
  "syslog: 1\n",
  ...STRING_OPTIONS.flatMap((k) => ["42", "1.5", "true", '""'].map((v) => `${k}: ${v}\n`)),
  ...["42", "1.5", "true", "{a: 1}", "[]", '""', '"a,b"', "[a, b, ]", "[a, 1, ]", "[a, [b, ], ]"].map(
    (v) => `server_tags: ${v}\n`,
  ),
  ...LISTEN_VALUES.flatMap((v) => [`listen: ${v}\n`, `http: ${v}\n`]),
  ...SIZE_SUFFIXES.map((s) => `max_pending: 3${s}\n`),
  // number-like words: strings, floats or syntax errors, as nats-server's lexer makes them
  ...[
    "1_000",
    "0x10",
    "010",
    "+5",
    "-0",
    "1.",
    ".5",
    "-1.5",
    "00",
    "1.0.0",
    "10.0.0.1",
    "1K5",
    "1.5K",
    "-1KB",
    "9EB",
    "16EB",
    "-8EB",
    "2k_",
    "1 000",
    "5KB5",
  ].map((v) => `max_pending: ${v}\n`),
  ...["0", "-1", "5", "0.5", '"5s"', '"5"', "true", "3GB", "[1, ]", "{a: 1}"].map(
    (v) => `authorization { user: a, password: b, timeout: ${v} }\n`,
  ),
  "authorization { token: 1234 }\n",
  'authorization { token: "1234" }\n',
  "authorization { user: 42, password: x }\n",
  "authorization { users: [{user: a, password: 42}] }\n",
  "authorization { users: [{user: true, password: x}] }\n",
  "disable_short_first_ping: true\n",
  'authorization { user: "", token: x }\n',
  "authorization { users: [{user: a, account: A}] }\n",
  // permissions: nats-server's own texts for each wrong shape, and its subject check
  ...[
    "42",
    "[a, 42, ]",
    "true",
    "{allow: 42}",
    "{allow: [1, ]}",
    '"a b c"',
    '"a..b"',
    '""',
    '">.a"',
    '["foo q1", "a..b"]',
    '"foo  q1"',
    '{deny: ">.a"}',
    "{allow: [], deny: {}}",
  ].map((v) => `authorization { permissions: { publish: ${v} } }\n`),
  'authorization { permissions: { subscribe: "foo q1 q2" } }\n',
  ...[
    "5",
    '"yes"',
    "false",
    '{max: "x"}',
    "{max: 1.5}",
    '{max: 0, expires: "0s"}',
    "{max: -1}",
    "{expires: 5}",
    '{ttl: "5x"}',
    "{bogus: 1}",
  ].map((v) => `authorization { users: [{user: a, permissions: { allow_responses: ${v} }}] }\n`),
  ...["42", "true", '"x"'].flatMap((v) => [
    `authorization: ${v}\n`,
    `authorization { users: ${v} }\n`,
    `authorization { users: [${v}, ] }\n`,
    `authorization { permissions: ${v} }\n`,
    `authorization { users: [{user: a, permissions: ${v}}] }\n`,
  ]),
  "authorization { users: [] }\n",
  // (not {user: "", password: x}: nats-server reports it at whichever field Go's map order gives last)
  'authorization { users: [{user: ""}] }\n',
];

describe("config values against the oracle (nats-server -t)", {
  skip: ORACLE === null && "nats-server is not installed",
}, () => {
  CASES.forEach((text, i) => {
    it(`#${i} ${JSON.stringify(text).slice(0, 70)}`, async () => {
      await assertSameAsOracle(writeConf(text));
    });
  });
});

describe("config values: what the loader makes of them", () => {
  it("a wrong type is named by Go's %T (2.10's tls handshake_first, besides listen above)", () => {
    for (const [v, t] of [
      ["5", "int64"],
      ["1.5", "float64"],
      ["[a]", "[]interface {}"],
      ["{a: 1}", "map[string]interface {}"],
      ["2020-01-01T00:00:00Z", "time.Time"],
    ]) {
      assert.throws(
        () => loadConfigOptions(writeConf(`tls {\n  handshake_first: ${v}\n}\n`)),
        (e) => e.message.includes(`field "handshake_first" should be a boolean or a string, got ${t}`),
        v,
      );
    }
  });

  it("size suffixes: k, m, g, t, p, e are powers of 1000; kb/ki/kib (any case) of 1024", () => {
    const want = {
      k: 3e3,
      K: 3e3,
      kb: 3072,
      KB: 3072,
      kB: 3072,
      ki: 3072,
      KiB: 3072,
      m: 3e6,
      MB: 3 * 2 ** 20,
      MiB: 3 * 2 ** 20,
      G: 3e9,
      GB: 3 * 2 ** 30,
      T: 3e12,
      TiB: 3 * 2 ** 40,
      p: 3e15,
      pb: 3 * 2 ** 50,
    };
    for (const [s, n] of Object.entries(want)) {
      assert.equal(loadConfigOptions(writeConf(`max_pending: 3${s}\n`)).max_pending, n, s);
    }
  });

  it("max_payload and max_control_line: up to 2^31-1, int32-truncated below -2^31 as nats-server's int32()", () => {
    assert.equal(loadConfigOptions(writeConf("max_payload: 2147483647\n")).max_payload, 2147483647);
    assert.equal(loadConfigOptions(writeConf("max_payload: -1\n")).max_payload, -1);
    assert.equal(loadConfigOptions(writeConf("max_control_line: -4294967297\n")).max_control_line, -1);
    const f = writeConf("max_payload: 2147483648\n");
    assert.equal(tsnatsCheck(f), `${f}:1:0: max_payload value is too big`);
  });

  it("port 0 in a file or on the command line is 4222, nats-server's default (only -1 is random)", () => {
    assert.equal(loadConfigOptions(writeConf("port: 0\n")).port, 4222);
    assert.equal(loadConfigOptions(writeConf('listen: "127.0.0.1:0"\n')).port, 4222);
    assert.equal(loadConfigOptions(writeConf("port: -1\n")).port, -1);
    assert.equal(parseFlags(["-p", "0"]).opts.port, 4222);
    assert.equal(parseFlags(["-p", "-1"]).opts.port, -1);
  });

  it('authorization timeout: seconds as a number; anything else (a string such as "5s") is 1 second', () => {
    const t = (v) =>
      loadConfigOptions(writeConf(`authorization { user: a, password: b, timeout: ${v} }\n`)).authorization.timeout;
    assert.equal(t("5"), 5000);
    assert.equal(t("0.5"), 500);
    assert.equal(t('"5s"'), 1000);
    assert.equal(t("true"), 1000);
  });
});

// ---------------------------------------------- 2. the effect, on both servers (when installed)

async function varz(srv) {
  const m = /Starting http monitor on [^\s]*:(\d+)/.exec(srv.output());
  assert.ok(m, `monitor port in ${srv.output()}`);
  const r = await fetch(`http://127.0.0.1:${m[1]}/varz`);
  return r.json();
}

/**
 * Start a server on a config file with monitoring on a random port, run fn(srv, varz) and stop
 * the server whatever happens; varz is its /varz JSON.
 */
async function withServer(kind, text, fn) {
  const srv = await startServer(kind, ["-c", writeConf(text), "-m", "-1"]);
  try {
    await fn(srv, await varz(srv));
  } finally {
    await srv.stop();
  }
}

/** Connect (CONNECT sent), send `proto`, and return what came back up to the PONG. */
async function exchange(srv, proto) {
  const { c, info } = await rawConnect(srv.port);
  try {
    c.write(proto);
    return { info, text: await c.flush(5000) };
  } finally {
    c.close();
  }
}

/** Connect and wait for `err`; then the server must close the connection. */
async function refused(srv, proto, err, connect = { verbose: false, pedantic: false }) {
  const { c } = await rawConnect(srv.port, connect);
  try {
    c.write(proto);
    await c.waitFor(err);
    assert.ok(await c.waitClosed(), "closed after the error");
  } finally {
    c.close();
  }
}

/**
 * The start-up output of a server that must refuse the file. Started without the harness's
 * -p -1 (and without -m) so that the file's own port and http_port count.
 */
async function startError(kind, text) {
  let srv;
  try {
    srv = await startServer(kind, ["-a", "127.0.0.1", "-c", writeConf(text)], { noDefaults: true });
  } catch (e) {
    return e.message;
  }
  await srv.stop();
  assert.fail(`${kind} started with ${JSON.stringify(text)}`);
}

for (const kind of serverKinds()) {
  describe(`config values take effect as in nats-server [${kind}]`, () => {
    it("max_connections: -1 (or any negative) is no limit: clients are served, /varz says -1", async () => {
      for (const n of [-1, -5]) {
        await withServer(kind, `max_connections: ${n}\n`, async (srv, v) => {
          assert.equal(v.max_connections, n);
          assert.equal((await exchange(srv, "")).text, "");
        });
      }
    });

    it('authorization { timeout: "5s" } is 1 second in /varz (only a number is read); 2.5 is 2.5', async () => {
      await withServer(kind, 'authorization { user: a, password: b, timeout: "5s" }\n', async (srv, v) => {
        assert.equal(v.auth_timeout, 1);
      });
      await withServer(kind, "authorization { user: a, password: b, timeout: 2.5 }\n", async (srv, v) => {
        assert.equal(v.auth_timeout, 2.5);
      });
    });

    it("a negative authorization timeout closes the connection before any CONNECT", async () => {
      await withServer(kind, "authorization { user: a, password: b, timeout: -1 }\n", async (srv, v) => {
        assert.equal(v.auth_timeout, -1);
        await refused(srv, "", "-ERR 'Authentication Timeout'\r\n", null);
      });
    });

    it("max_payload: -1 is no limit (INFO says -1); -5 refuses every message", async () => {
      await withServer(kind, "max_payload: -1\n", async (srv) => {
        const big = 2 * 1024 * 1024;
        const { info, text } = await exchange(srv, `SUB big 1\r\nPUB big ${big}\r\n${"x".repeat(big)}\r\n`);
        assert.equal(info.max_payload, -1);
        assert.ok(text.startsWith(`MSG big 1 ${big}\r\n`), text.slice(0, 80));
      });
      await withServer(kind, "max_payload: -5\n", async (srv, v) => {
        assert.equal(v.max_payload, -5);
        await refused(srv, "PUB x 2\r\nhi\r\n", "-ERR 'Maximum Payload Violation'\r\n");
      });
    });

    it("max_payload: 2147483647 (the int32 maximum) with a max_pending above it", async () => {
      await withServer(kind, "max_payload: 2147483647\nmax_pending: 4GB\n", async (srv) => {
        assert.equal((await exchange(srv, "")).info.max_payload, 2147483647);
      });
    });

    it("max_subscriptions: -1 is no limit, shown as -1 in /varz; below -1 every SUB is refused and the connection closed", async () => {
      await withServer(kind, "max_subscriptions: -1\n", async (srv, v) => {
        assert.equal(v.max_subscriptions, -1);
        assert.equal((await exchange(srv, "SUB a 1\r\nSUB b 2\r\n")).text, "");
      });
      await withServer(kind, "max_subscriptions: -5\n", async (srv, v) => {
        assert.equal(v.max_subscriptions, -5);
        // said once when the connection registers (and it is closed soon after), once for the SUB
        const { c } = await rawConnect(srv.port);
        c.write("SUB a 1\r\n");
        await c.waitFor((t) => t.split("-ERR 'maximum subscriptions exceeded'\r\n").length === 3);
        assert.ok(await c.waitClosed());
        c.close();
      });
    });

    it("max_control_line: -1 refuses the CONNECT line itself", async () => {
      await withServer(kind, "max_control_line: -1\n", async (srv, v) => {
        assert.equal(v.max_control_line, -1);
        await refused(srv, "", "-ERR 'maximum control line exceeded'\r\n");
      });
    });

    it("ping_max: -1 closes the connection as stale at its first ping timer", async () => {
      await withServer(kind, 'ping_max: -1\nping_interval: "100ms"\n', async (srv, v) => {
        assert.equal(v.ping_max, -1);
        await refused(srv, "", "-ERR 'Stale Connection'\r\n");
      });
    });

    it("max_traced_msg_len: -1 traces whole payloads, as 0 does", async () => {
      await withServer(kind, "trace: true\nmax_traced_msg_len: -1\n", async (srv) => {
        await exchange(srv, "PUB t 11\r\nhello world\r\n");
        await waitUntil(() => srv.output().includes('<<- MSG_PAYLOAD: ["hello world"]'), "the traced payload");
      });
    });

    it("sizes with suffixes reach /varz: max_payload 1KB, max_control_line 2k, max_pending 3KiB", async () => {
      await withServer(kind, "max_payload: 1KB\nmax_control_line: 2k\nmax_pending: 3KiB\n", async (srv, v) => {
        assert.deepEqual([v.max_payload, v.max_control_line, v.max_pending], [1024, 2000, 3072]);
      });
    });

    it("sizes past 2^63 wrap as Go's int64 (16EB is 0: the default; 9EB negative); 8EB in max_payload truncates to 0", async () => {
      await withServer(kind, "max_pending: 16EB\nmax_payload: 8EB\nmax_connections: 9EB\n", async (srv, v) => {
        assert.deepEqual([v.max_pending, v.max_payload, v.max_connections], [67108864, 1048576, 9 * 2 ** 60 - 2 ** 64]);
      });
    });

    it('ping_interval: "1000h" (past the 2^31-1 ms of a Node timer) sends no early PING', async () => {
      await withServer(kind, 'ping_interval: "1000h"\n', async (srv, v) => {
        assert.equal(v.ping_interval, 1000 * 3600 * 1e9);
        assert.equal((await exchange(srv, "")).text, "");
      });
    });

    it("a plaintext password logs nats-server's warning at start; bcrypt hashes and tokens do not", async () => {
      const WARN = "[WRN] Plaintext passwords detected, use nkeys or bcrypt";
      for (const [text, warned] of [
        ["authorization { user: a, password: b }\n", true],
        ['authorization { users: [{user: a, password: "$2a$11$ooo"}, {user: b, password: c}] }\n', true],
        ['authorization { users: [{user: a, password: "$2a$11$ooo"}] }\n', false],
        ["authorization { token: secret }\n", false],
      ]) {
        await withServer(kind, text, async (srv) => {
          assert.equal(srv.output().includes(WARN), warned, `${text}${srv.output()}`);
        });
      }
    });

    it("an empty file and a comment-only file start with the defaults", async () => {
      for (const text of ["", "# only a comment\n// and another\n"]) {
        await withServer(kind, text, async (srv, v) => {
          assert.deepEqual([v.max_payload, v.max_connections, v.auth_timeout], [1048576, 65536, 2]);
        });
      }
    });

    it("a negative write_deadline, or max_pending (with max_payload -1), cuts each client before its INFO", async () => {
      for (const text of ['write_deadline: "-1s"\n', "max_payload: -1\nmax_pending: -1\n"]) {
        await withServer(kind, text, async (srv) => {
          const c = await RawConn.connect(srv.port);
          assert.ok(await c.waitClosed(), text);
          assert.equal(c.text(), "", text);
        });
      }
    });

    it("a reload (SIGHUP) reads the values as a start does: too big, timeout string, max_payload over max_pending", async () => {
      const f = writeConf("max_payload: 1KB\n");
      const srv = await startServer(kind, ["-c", f]);
      try {
        const reload = async (text, want) => {
          writeFileSync(f, text);
          srv.proc.kill("SIGHUP");
          await waitUntil(() => srv.output().includes(want), want);
        };
        await reload(
          "max_payload: 3GB\n",
          `[ERR] Failed to reload server configuration: ${f}:1:0: max_payload value is too big`,
        );
        await reload(
          'authorization { user: a, password: b, timeout: "5s" }\n',
          "[INF] Reloaded: authorization timeout = 1\n",
        );
        await reload(
          "max_payload: 100MB\n",
          "[ERR] Failed to reload server configuration: max_payload (104857600) cannot be higher than max_pending (67108864)",
        );
      } finally {
        await srv.stop();
      }
    });

    it("validateOptions at start: nats-server's texts", async () => {
      assert.match(
        await startError(kind, "max_pending: -1\n"),
        /max_payload \(1048576\) cannot be higher than max_pending \(-1\)/,
      );
      assert.match(
        await startError(kind, "max_pending: 1KB\nmax_payload: 2KB\n"),
        /max_payload \(2048\) cannot be higher than max_pending \(1024\)/,
      );
    });

    it("ports out of range: Go's 'invalid port' (only -1 means a random port)", async () => {
      assert.match(
        await startError(kind, "port: -2\n"),
        /\[FTL\] Error listening on port: 127\.0\.0\.1:-2, "listen tcp: address -2: invalid port"/,
      );
      assert.match(await startError(kind, "port: 70000\n"), /"listen tcp: address 70000: invalid port"/);
      assert.match(
        await startError(kind, "port: -1\nhttp_port: -2\n"),
        /\[FTL\] Can't start monitoring: can't listen to the monitor port: listen tcp: address -2: invalid port/,
      );
    });
  });
}

// ------------------------------------------- flags: Go's flag package and strconv.ParseInt(s, 0, 64)

/** Run a server binary to its exit: { code, stdout, stderr }, the exe name in them as `EXE`. */
async function runToExit(kind, args) {
  const r = await runServerToExit(kind, args);
  const exe = kind === "tsnats" ? "tsnats-server" : "nats-server";
  return { code: r.code, stdout: r.stdout.replaceAll(exe, "EXE"), stderr: r.stderr.replaceAll(exe, "EXE") };
}

// [flags (a valid config file is added for -t), exit code, first line of stderr]
const FLAG_CASES = [
  [["-p", "0x10"], 0, "EXE: configuration file FILE is valid"],
  [["-p", "017"], 0, "EXE: configuration file FILE is valid"],
  [["-p", "0b101"], 0, "EXE: configuration file FILE is valid"],
  [["-p", "1_000"], 0, "EXE: configuration file FILE is valid"],
  [["-p", "0x_1F"], 0, "EXE: configuration file FILE is valid"],
  [["-p", "+5"], 0, "EXE: configuration file FILE is valid"],
  [["-p", "08"], 0, 'invalid value "08" for flag -p: parse error'],
  [["-p", "1__0"], 0, 'invalid value "1__0" for flag -p: parse error'],
  [["-p", "_1"], 0, 'invalid value "_1" for flag -p: parse error'],
  [["-p", "0x"], 0, 'invalid value "0x" for flag -p: parse error'],
  [["-p", " 5"], 0, 'invalid value " 5" for flag -p: parse error'],
  [["-m", "1.5"], 0, 'invalid value "1.5" for flag -m: parse error'],
  [["-p", "9223372036854775807"], 0, "EXE: configuration file FILE is valid"],
  [["-p", "9223372036854775808"], 0, 'invalid value "9223372036854775808" for flag -p: value out of range'],
  [["-p", "-9223372036854775809"], 0, 'invalid value "-9223372036854775809" for flag -p: value out of range'],
  [
    ["--max_traced_msg_len", "99999999999999999999"],
    0,
    'invalid value "99999999999999999999" for flag -max_traced_msg_len: value out of range',
  ],
  [["--log_size_limit", "1GB"], 0, 'invalid value "1GB" for flag -log_size_limit: parse error'],
  [["-D=T"], 0, "EXE: configuration file FILE is valid"],
  [["-D=False"], 0, "EXE: configuration file FILE is valid"],
  [["-D=yes"], 0, 'invalid boolean value "yes" for -D: parse error'],
  [["-D", "yes"], 1, 'EXE: unrecognized command: "yes"'],
  [["--", "x"], 1, 'EXE: unrecognized command: "x"'],
];

for (const kind of serverKinds()) {
  describe(`config values: flags at their edges, as nats-server's [${kind}]`, () => {
    FLAG_CASES.forEach(([flags, code, line]) => {
      it(`${flags.join(" ")} -> ${line}`, async () => {
        const f = writeConf("port: 4333\n");
        const r = await runToExit(kind, ["-c", f, "-t", ...flags]);
        assert.equal(r.stderr.split("\n")[0], line.replace("FILE", f));
        assert.equal(r.code, code);
      });
    });

    it("the command 'version' (any case) prints the version, as -v", async () => {
      const r = await runToExit(kind, ["VERSION"]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^EXE: v\d+\.\d+\.\d+/);
    });
  });
}

// --------------------------------------------- 3. nats-server 2.10 where the 2.9 oracle differs

// [file text, 2.10's -t answer (`FILE` for the file's path; "" = valid), what changed in 2.10]
const CASES_210 = [
  ["", "FILE: config has no values or is empty", "2.10 warns on a file without values, so -t fails"],
  ["# only a comment\n// and another\n", "FILE: config has no values or is empty", "likewise"],
  ["logtime_utc: true\n", "", "logtime_utc is new in 2.10"],
  ["logfile_max_num: 3\n", "", "logfile_max_num is new in 2.10"],
  ["log_max_num: -1\n", "", "log_max_num is new in 2.10"],
  [
    "port\n",
    "FILE:2:1: config is invalid (FILE:2:1)",
    "2.10's parser refuses a key without a value at the end (conf/parse.go)",
  ],
  [
    'logfile_max_num: "3"\n',
    'FILE:1:0: error parsing logfile_max_num: expected an integer, got a string ("3")',
    "a wrong type for the 2.10 key",
  ],
];

describe("config values: nats-server 2.10's answer where the 2.9 oracle differs", () => {
  CASES_210.forEach(([text, want210, why], i) => {
    it(`#${i} ${JSON.stringify(text)}: ${why}`, async () => {
      await assertCheck210(writeConf(text), want210);
    });
  });
});
