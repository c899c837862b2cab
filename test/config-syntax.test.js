// The configuration syntax as nats-server documents and implements it, feature by feature:
// part 1 restates the examples of the nats-server documentation (docs.nats.io, "Configuration")
// and the behaviours its conf package tests pin down (conf/parse_test.go, conf/lex_test.go), in
// our own words and data; part 2 checks whole files through the option loader (wrong types
// name the field, unknown fields, include and variables in real files); part 3 runs a corpus of
// files through `nats-server -t` (the oracle, when installed) and through tsnats's own checking
// path, and asserts the same verdict and the same error text.
// Build first (npm run build).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { parseConfig, toPlain, ConfigError } from "../dist/server/config/parser.js";
import { loadConfigOptions } from "../dist/server/config/load.js";
import { natsServerBin } from "./helpers/servers.js";
import { assertSameAsOracle, tsnatsCheck } from "./helpers/config-oracle.js";
import { configFiles } from "./helpers/conf-files.js";

const plain = (text, env = {}) => toPlain(parseConfig(text, "t.conf", { env }));

function parseError(text, file = "t.conf", env = {}) {
  try {
    parseConfig(text, file, { env });
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail(`expected a syntax error for ${JSON.stringify(text)}`);
}

const { writeConf, confDir } = configFiles("tsnats-syntax-");

// ------------------------------------------------------------------------------- 1. the syntax

describe("config syntax: the documented forms (docs.nats.io Configuration)", () => {
  it("a value is assigned with '=', ':' or whitespace", () => {
    assert.deepEqual(plain("alpha = 2\nbeta: 3\ngamma 4\n"), { alpha: 2, beta: 3, gamma: 4 });
  });

  it("'#' and '//' start comments, on their own line or after a value", () => {
    assert.deepEqual(plain("# heading\n// another\nport: 4333 # trailing\nname: x // trailing too\n"), {
      port: 4333,
      name: "x",
    });
  });

  it('arrays are in brackets (["a", "b", "c"]) and maps in braces ({foo: 2})', () => {
    assert.deepEqual(plain('list: ["x", "y", "z"]\nm: {foo: 2}\n'), { list: ["x", "y", "z"], m: { foo: 2 } });
  });

  it("a map can be assigned with no separator: accounts { A {...}, B {...} }", () => {
    assert.deepEqual(plain("accounts { A { users: [{user: a}] }, B-2 { users: [{user: b}] } }\n"), {
      accounts: { A: { users: [{ user: "a" }] }, "B-2": { users: [{ user: "b" }] } },
    });
  });

  it("semicolons are optional terminators: host: 127.0.0.1; port: 4222;", () => {
    assert.deepEqual(plain("host: 127.0.0.1; port: 4222;\n"), { host: "127.0.0.1", port: 4222 });
  });

  it("numbers take units: 1K is 1000, 1KB is 1024", () => {
    assert.deepEqual(plain("a: 1K\nb: 1KB\nc: 1MB\nd: 1G\ne: 1GB\nf: 1m\n"), {
      a: 1000,
      b: 1024,
      c: 1024 * 1024,
      d: 1000 ** 3,
      e: 1024 ** 3,
      f: 1000 ** 2,
    });
  });

  it("a value starting with a digit is a string when it is not a number (token: 3secret); quoting is the safe form", () => {
    assert.deepEqual(plain("authorization: {\n  token: 3secret\n}\n"), { authorization: { token: "3secret" } });
    assert.deepEqual(plain('authorization: {\n  token: "3secret"\n}\n'), { authorization: { token: "3secret" } });
    // but a unit-looking value is a number, which is why the docs recommend quotes
    assert.deepEqual(plain("authorization: { token: 3k }\n"), { authorization: { token: 3000 } });
  });

  it("variables: $NAME, block-scoped, defined above the reference", () => {
    const m = plain('TOKEN: "s3cr3t"\nauthorization {\n  token: $TOKEN\n}\n');
    assert.equal(m.authorization.token, "s3cr3t");
    // the innermost definition wins
    const n = plain("v: outer\nblock { v: inner\n  use: $v }\nuse: $v\n");
    assert.equal(n.block.use, "inner");
    assert.equal(n.use, "outer");
  });

  it("variables fall back to the environment (TOKEN=hello nats-server -c file)", () => {
    assert.deepEqual(plain("authorization { token: $TOKEN }\n", { TOKEN: "hello" }), {
      authorization: { token: "hello" },
    });
  });

  it("a variable defined in no block and not in the environment is an error naming it", () => {
    const e = parseError("port: $NOPE\n");
    assert.match(e.message, /^t\.conf:1:\d+: variable reference for 'NOPE' on line 1 can not be found$/);
  });

  it("the configuration can be JSON, with comments", () => {
    const text =
      '{\n  // the port\n  "port": 4333,\n  "authorization": {"users": [{"user": "a", "password": "b"}]},\n  "debug": true\n}\n';
    assert.deepEqual(plain(text), {
      port: 4333,
      authorization: { users: [{ user: "a", password: "b" }] },
      debug: true,
    });
  });
});

describe("config syntax: behaviours pinned by nats-server's conf tests", () => {
  it("every size unit: k/m/g (1000s), kb/ki/kib, mb/mi/mib, gb/gi/gib, tb/ti/tib, pb/pi/pib (1024s), any case", () => {
    const K = 1024;
    assert.deepEqual(
      plain(
        "a 7k\nb 3kb\nc 3KI\nd 3KiB\ne 5m\nf 5Mb\ng 5mi\nh 5mib\ni 2g\nj 2GB\nk 2gi\nl 2gib\nm 1tb\nn 1ti\no 1tib\np 1pb\nq 1pi\nr 1PIB\n",
      ),
      {
        a: 7000,
        b: 3 * K,
        c: 3 * K,
        d: 3 * K,
        e: 5e6,
        f: 5 * K ** 2,
        g: 5 * K ** 2,
        h: 5 * K ** 2,
        i: 2e9,
        j: 2 * K ** 3,
        k: 2 * K ** 3,
        l: 2 * K ** 3,
        m: K ** 4,
        n: K ** 4,
        o: K ** 4,
        p: K ** 5,
        q: K ** 5,
        r: K ** 5,
      },
    );
  });

  it("booleans: true/false, yes/no, on/off in any case", () => {
    assert.deepEqual(plain("a true\nb FALSE\nc yes\nd No\ne on\nf OFF\n"), {
      a: true,
      b: false,
      c: true,
      d: false,
      e: true,
      f: false,
    });
  });

  it("nested maps, single-quoted strings and a one-line array", () => {
    assert.deepEqual(
      plain(
        'outer  {\n  inner {\n    addr   = \'10.1.2.3\'\n    port = 4777\n  }\n  names = [ "p.org", "q.org" ]\n}\n',
      ),
      {
        outer: { inner: { addr: "10.1.2.3", port: 4777 }, names: ["p.org", "q.org"] },
      },
    );
  });

  it("both comment styles and URL values inside a block; an array one element per line without commas", () => {
    const m = plain(
      "cluster {\n  port: 6333\n  # solicited routes\n  // both styles\n  routes = [\n    nats-route://u:p@127.0.0.1:6334\n    nats-route://u:p@127.0.0.1:6335\n  ]\n}\n",
    );
    assert.deepEqual(m.cluster.routes, ["nats-route://u:p@127.0.0.1:6334", "nats-route://u:p@127.0.0.1:6335"]);
  });

  it("single-quoted strings are raw and may span lines", () => {
    assert.deepEqual(plain("b {\n  expr = '(1 == \"one\")'\n  text = 'first line\nsecond line'\n}\n"), {
      b: { expr: '(1 == "one")', text: "first line\nsecond line" },
    });
  });

  it("an array of maps, one per line", () => {
    assert.deepEqual(plain('list [\n  { id: 7 }\n  { tag: "w" }\n]\n'), { list: [{ id: 7 }, { tag: "w" }] });
  });

  it("ISO-8601 Zulu dates and a false boolean", () => {
    const m = parseConfig("when = 2021-03-04T05:06:07Z\nflag = false\n", "t.conf", { env: {} });
    assert.equal(m.get("when").kind, "date");
    assert.equal(m.get("when").value.toISOString(), "2021-03-04T05:06:07.000Z");
    assert.equal(m.get("flag").value, false);
  });

  it("block strings: ( ... ) with ')' alone on a line ends it, keeping the text between", () => {
    const m = plain("text (\n  line one\n  line two\n)\nport: 1\n");
    assert.equal(m.port, 1);
    assert.match(m.text, /line one\n {2}line two/);
  });

  it('double-quoted escapes: \\t \\n \\r \\" \\\\ and \\xNN', () => {
    assert.equal(plain('s: "a\\tb\\nc\\rd\\"e\\\\f\\x41"\n').s, 'a\tb\nc\rd"e\\fA');
  });

  it("a bcrypt hash ($2a$...) is a literal, not a variable", () => {
    const h = "$2a$11$abcdefghijklmnopqrstuuq7x2z5p1fVgQxW2r8bKxN4p9kq1Yb.";
    assert.equal(plain(`authorization { users [ { user: u, password: ${h} } ] }\n`).authorization.users[0].password, h);
  });

  it("environment values are parsed like config text: a number, a unit, quoted to stay a string", () => {
    assert.deepEqual(plain("a: $E1\nb: $E2\nc: $E3\nd: $E4\n", { E1: "42", E2: "2KB", E3: '"42"', E4: "4xyz" }), {
      a: 42,
      b: 2048,
      c: "42",
      d: "4xyz",
    });
  });

  it("a leading backslash keeps a bare word from being a boolean or a variable", () => {
    assert.deepEqual(plain("a = \\\\yes\nb = \\\\$HOME\n"), { a: "\\yes", b: "\\$HOME" });
  });

  it("bare words that start with a digit end at ',' or ';' like any value", () => {
    assert.deepEqual(plain("a = 7abc,\nb = 7abc;\nc = 7abc\n"), { a: "7abc", b: "7abc", c: "7abc" });
  });

  it("quoted keys may hold dots and dashes; unquoted addresses and host:port are strings", () => {
    assert.deepEqual(plain("m = {'node-1.2' = { port:4333 }}\nip: 10.0.0.1\nhp: example.org:80\n"), {
      m: { "node-1.2": { port: 4333 } },
      ip: "10.0.0.1",
      hp: "example.org:80",
    });
  });

  it("keys with no values are invalid; empty files and comment-only files are valid", () => {
    assert.match(parseError("just_a_key").message, /config is invalid/);
    assert.match(parseError("\n   k1,k2,k3\n").message, /config is invalid/);
    assert.deepEqual(plain(""), {});
    assert.deepEqual(plain("\n\n   \n"), {});
    assert.deepEqual(plain("# nothing\n// here either\n"), {});
  });

  it("braces around the whole file (also nested) and a stray closing brace are accepted", () => {
    assert.deepEqual(plain("{}"), {});
    assert.deepEqual(plain("{ listen: 127.0.0.1:4333 }"), { listen: "127.0.0.1:4333" });
    assert.deepEqual(plain("{\n  {\n    port: 4333 // c\n  }\n  # after\n}\n# end\n"), { port: 4333 });
    assert.deepEqual(plain("accounts { users = [{}]}\n}\n"), { accounts: { users: [{}] } });
  });

  it("unterminated input is 'Unexpected EOF' (never a hang)", () => {
    for (const t of ["A@@F\u00f8\u00f8?:{\u00f8\u00f8", 'include "9/', "m {\n a: 1\n", 'x: "open\n']) {
      assert.match(parseError(t).message, /Unexpected EOF/, t);
    }
  });
});

describe("config syntax: errors name file:line:column", () => {
  const cases = [
    // [text, line, column, reason]
    ["port: 4333\nhost =\n", 3, 1, "Parse error on line 3: 'Expected value but found new line'"],
    ["a = 1\nlist = [1, 2,, 3]\n", 2, 15, "Parse error on line 2: 'Unexpected array value terminator ','.'"],
    [
      "a = 1\n\nm { k = 1 ] }\n",
      3,
      12,
      "Parse error on line 3: 'Expected a map value terminator \",\" or a map terminator \"}\", but got ']' instead.'",
    ],
    [
      's = "bad \\q escape"\n',
      1,
      11,
      "Parse error on line 1: 'Invalid escape character 'q'. Only the following escape characters are allowed: \\xXX, \\t, \\n, \\r, \\\", \\\\.'",
    ],
    ["v = .25\n", 1, 5, "Parse error on line 1: 'Floats must start with a digit'"],
  ];
  for (const [text, line, col, reason] of cases) {
    it(`${JSON.stringify(text)} → ${line}:${col}`, () => {
      const e = parseError(text, "dir/my.conf");
      assert.equal(e.message, `dir/my.conf:${line}:${col}: ${reason}`);
      assert.equal(e.line, line);
      assert.equal(e.column, col);
    });
  }

  it("an error in an included file names that file (and the include, in nats-server's words)", () => {
    const dir = path.join(confDir(), "inc-err");
    const inc = writeConf("ok: 1\nbroken = [1,, 2]\n", "inc.conf", dir);
    const main = writeConf("port: 4333\ninclude inc.conf\n", "main.conf", dir);
    assert.equal(
      tsnatsCheck(main),
      `${inc}:2:14: error parsing include file 'inc.conf', Parse error on line 2: 'Unexpected array value terminator ','.'`,
    );
  });
});

// ---------------------------------------------------------------- 2. files through the loader

describe("config files through the option loader", () => {
  it("include is relative to the including file (not the working directory), and its keys are variables", () => {
    const dir = path.join(confDir(), "inc");
    writeConf("PASS: from_include\n", "vars.conf", path.join(dir, "sub"));
    const main = writeConf(
      'include "sub/vars.conf"\nauthorization { user: u, password: $PASS }\nport: 4333\n',
      "main.conf",
      dir,
    );
    const o = loadConfigOptions(main);
    assert.equal(o.authorization.password, "from_include");
    assert.equal(o.port, 4333);
  });

  it("a variable that is used is not an unknown field; one that is unused is", () => {
    assert.equal(tsnatsCheck(writeConf("P: 4333\nport: $P\n")), "");
    const f = writeConf("P: 4333\nport: 4334\n");
    assert.equal(tsnatsCheck(f), `${f}:1:0: unknown field "P"`);
  });

  it("a wrong type names the field and the position", () => {
    const f = writeConf('port: 4333\nmax_payload: "lots"\n');
    assert.equal(tsnatsCheck(f), `${f}:2:1: error parsing max_payload: expected an integer, got a string ("lots")`);
    const g = writeConf("debug: 12\n");
    assert.equal(tsnatsCheck(g), `${g}:1:0: error parsing debug: expected a boolean, got an integer ("12")`);
  });

  it('durations: Go strings ("2s", "1m30s") and bare seconds', () => {
    const o = loadConfigOptions(
      writeConf('ping_interval: "1m30s"\nwrite_deadline: 3\nlame_duck_duration: "45s"\nlame_duck_grace_period: "2s"\n'),
    );
    assert.equal(o.ping_interval, 90000);
    assert.equal(o.write_deadline, 3000);
    assert.equal(o.lame_duck_duration, 45000);
    assert.equal(o.lame_duck_grace_period, 2000);
  });

  it("sizes on size options: max_payload 1MB, max_pending 64MB, logfile_size_limit 1G", () => {
    const o = loadConfigOptions(writeConf("max_payload: 1MB\nmax_pending: 64MB\nlogfile_size_limit: 1G\n"));
    assert.equal(o.max_payload, 1048576);
    assert.equal(o.max_pending, 64 * 1048576);
    assert.equal(o.logfile_size_limit, 1e9);
  });
});

describe("warnings, as nats-server 2.10 reports them (the 2.9 oracle has no empty-file warning)", () => {
  it("a number of seconds for a duration is a warning; with errors, warnings come first", () => {
    const f = writeConf('ping_interval: 30\nport: "x"\n');
    assert.equal(
      tsnatsCheck(f),
      `${f}:1:0: invalid use of field "ping_interval": ping_interval should be converted to a duration\n` +
        `${f}:2:1: error parsing port: expected an integer, got a string ("x")`,
    );
    const warnings = [];
    const o = loadConfigOptions(writeConf("ping_interval: 30\n"), warnings);
    assert.equal(o.ping_interval, 30000);
    assert.equal(warnings.length, 1);
  });

  it("an empty or comment-only file: 'config has no values or is empty'", () => {
    for (const text of ["", "# only a comment\n// and another\n"]) {
      const f = writeConf(text);
      const warnings = [];
      loadConfigOptions(f, warnings);
      assert.deepEqual(warnings, [`${f}: config has no values or is empty`]);
    }
  });
});

// ------------------------------------------------------------- 3. the oracle: nats-server -t

const ORACLE = natsServerBin();

// Every file here is judged the same by tsnats and nats-server 2.9 (where 2.10 differs from 2.9
// the case is left out; config-values.test.js has those). Parse errors: nats-server prints
// "Parse error on line N: '...'" without a file; tsnats prints file:line:column first (on
// purpose), then the same text (see helpers/config-oracle.js).
const CORPUS = [
  'port = 4333\nserver_name: "a"\nmax_payload 512KB\n',
  "port: 4333; debug: true; trace: false;\n",
  '{\n  "port": 4333,\n  "debug": false,\n}\n',
  'authorization {\n  users = [\n    {user: a, password: b}\n    {user: c, password: d, permissions: {publish: "x.>", subscribe: ["y", "z"]}}\n  ]\n}\n',
  "authorization { token: 3secret }\n",
  "authorization { user: u\n password: p\n timeout: 2 }\n",
  "P: 4333\nport: $P\n",
  "P: 4333\nport: 4334\n",
  "max_payload: 1MB\nmax_pending: 64MB\nmax_connections: 1K\n",
  "logtime: yes\ndebug: on\ntrace: off\n",
  'ping_interval: "2m"\nping_max: 3\nwrite_deadline: "5s"\n',
  "ping_interval: 30\n",
  'ping_interval: "soon"\n',
  'port: "4333"\n',
  "debug: 1\n",
  "no_such_option: 1\n",
  "port: 4333\nhost =\n",
  "port: 4333\nauthorization {\n  user: a\n",
  "x = [1, 2,, 3]\n",
  's = "\\q"\n',
  "port: 4333 4334\n",
  "text (\nline\n)\nport: 4333\n",
  "listen: 127.0.0.1:4333\n",
  'listen: "nonsense"\n',
  "port: $UNDEFINED_TSNATS_VAR\n",
  "listen: 4333\n",
  'listen: "[::1]:4333"\n',
  'write_deadline: "2"\n',
  'write_deadline: "2x"\n',
  'write_deadline: "1h2q"\n',
  'server_name: "with space"\n',
  "authorization { token: abc, user: a }\n",
  "authorization { user: a, password: b, users: [{user: c}] }\n",
  "authorization {\n  users: [\n    {password: x}\n  ]\n}\n",
  "authorization { users: [{user: a},{user: b},{user: a}] }\n",
  "authorization { bogus: 1 }\n",
  "authorization { users: [{user: a, colour: red}] }\n",
  'authorization { users: [{user: a, permissions: { pub: "a", sub: { allow: "b" } }}] }\n',
  'authorization { users: [{user: a, permissions: { publish: { allow: "a", other: "b" } }}] }\n',
  "authorization { users: [{user: a, permissions: { nope: 1 }}] }\n",
  // valid for -t: only building the server rejects these (cli.test.js checks the start)
  "no_auth_user: nobody\n",
  "max_pending: 1KB\nmax_payload: 2KB\n",
];

describe("config syntax against the oracle (nats-server -t)", () => {
  CORPUS.forEach((text, i) => {
    it(`#${i} ${JSON.stringify(text).slice(0, 70)}`, async () => {
      await assertSameAsOracle(writeConf(text, `corpus${i}.conf`));
    });
  });
});
