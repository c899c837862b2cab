// Tests of the nats-server configuration file parser (src/server/config/parser.ts).
// Expected values and error texts follow nats-server v2.10.29's conf package;
// build first (npx tsc -p tsconfig.json), then: node --test test/config-parser.test.js
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig, parseConfigFile, toPlain, ConfigError, formatPosition } from "../dist/server/config/parser.js";

/** Parses with an empty environment (hermetic) and strips positions. */
function plain(text, env = {}) {
  return toPlain(parseConfig(text, "test.conf", { env }));
}

/** Runs fn, asserts it throws a ConfigError, returns it. */
function configError(fn) {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e && e.stack}`);
    return e;
  }
  assert.fail("expected a ConfigError");
}

/** Asserts the parse of text fails with exactly this message. */
function failsWith(text, fileName, message) {
  const e = configError(() => parseConfig(text, fileName, { env: {} }));
  assert.equal(e.message, message);
  return e;
}

describe("config parser: key/value forms", () => {
  it("accepts '=', ':' and whitespace as separators", () => {
    assert.deepEqual(plain("a = 1\nb: 2\nc 3\nd=4\ne:5\nf\t6\ng :\t7\n"), {
      a: 1,
      b: 2,
      c: 3,
      d: 4,
      e: 5,
      f: 6,
      g: 7,
    });
  });

  it("accepts ';' and ',' between top-level entries", () => {
    assert.deepEqual(plain("name='one'; ratio=2.5; on=true; count=42"), {
      name: "one",
      ratio: 2.5,
      on: true,
      count: 42,
    });
    assert.deepEqual(plain("x = 1, y = 2\nz = 3;\n"), { x: 1, y: 2, z: 3 });
  });

  it("parses an empty or comment-only file to an empty map", () => {
    assert.equal(parseConfig("").size, 0);
    assert.equal(parseConfig("\n\n   \n").size, 0);
    assert.equal(parseConfig("# only a comment\n// and another\n").size, 0);
  });

  it("keeps keys as written (case, order) and lets a repeated key take the last value", () => {
    const m = parseConfig("Port: 1\nb: 2\nDEBUG: 3\nb: 4\n", "", { env: {} });
    assert.deepEqual([...m.keys()], ["Port", "b", "DEBUG"]);
    assert.equal(m.get("b").value, 4);
  });

  it("allows dots, dashes and other characters in bare keys", () => {
    assert.deepEqual(plain("a.b-c_d: 1\nsys$acc = x\n"), { "a.b-c_d": 1, sys$acc: "x" });
  });

  it("supports single- and double-quoted keys, keeping spaces inside", () => {
    assert.deepEqual(plain(`"my key": 1\n'other key' = 2\n" padded" : 3\n`), {
      "my key": 1,
      "other key": 2,
      " padded": 3,
    });
    assert.deepEqual(plain(`svc = {'host-1.2.3' = { port:4242 }, "x y": z}`), {
      svc: { "host-1.2.3": { port: 4242 }, "x y": "z" },
    });
  });

  it("handles CRLF line endings", () => {
    assert.deepEqual(plain('a {\r\n  b = 1\r\n  c = "x"\r\n}\r\nd: [1\r\n2\r\n]\r\n'), {
      a: { b: 1, c: "x" },
      d: [1, 2],
    });
  });

  it("a key alone on its line takes its value from the next line (separator omitted)", () => {
    assert.deepEqual(plain("port\n4222\n"), { port: 4222 });
  });
});

describe("config parser: comments", () => {
  it("supports '#' and '//' comments, whole-line and trailing", () => {
    const text = [
      "# leading comment",
      "// slash comment",
      "port = 4222 # trailing hash",
      "host = localhost // trailing slashes",
      "m {",
      "  # inside a map",
      "  a = 1 // after a map value",
      "}",
      "arr = [",
      "  1, # one",
      "  2 // two",
      "  'x' # three",
      "]",
    ].join("\n");
    assert.deepEqual(plain(text), { port: 4222, host: "localhost", m: { a: 1 }, arr: [1, 2, "x"] });
  });

  it("treats '#' not preceded by whitespace as part of a bare string", () => {
    assert.deepEqual(plain("a = x#y\n"), { a: "x#y" });
  });
});

describe("config parser: maps", () => {
  it("parses nested maps with optional '=' or ':' before '{'", () => {
    const text =
      'foo  {\n  host {\n    ip   = \'127.0.0.1\'\n    port = 4242\n  }\n  servers = [ "a.com", "b.com", "c.com"]\n}\n';
    assert.deepEqual(plain(text), {
      foo: { host: { ip: "127.0.0.1", port: 4242 }, servers: ["a.com", "b.com", "c.com"] },
    });
    assert.deepEqual(plain("a = {x: 1}\nb: {x: 2}\nc {x: 3}\nd { }\n"), {
      a: { x: 1 },
      b: { x: 2 },
      c: { x: 3 },
      d: {},
    });
  });

  it("separates map entries with commas, semicolons, newlines or a mix", () => {
    assert.deepEqual(plain("m = {a=1, b = 2; c: 3\n d 4,\n e: 5}"), { m: { a: 1, b: 2, c: 3, d: 4, e: 5 } });
    assert.deepEqual(plain("m {\n a: 1,\n b: 2,\n}\n"), { m: { a: 1, b: 2 } });
  });

  it("parses a cluster block in the style of the nats-server docs", () => {
    const text = `
cluster {
  port: 4244

  authorization {
    user: route_user
    password: top_secret
    timeout: 1
  }

  # Routes are actively solicited.
  // Both comment styles work.

  routes = [
    nats-route://foo:bar@example.com:4245
    nats-route://foo:bar@example.com:4246
  ]
}
`;
    assert.deepEqual(plain(text), {
      cluster: {
        port: 4244,
        authorization: { user: "route_user", password: "top_secret", timeout: 1 },
        routes: ["nats-route://foo:bar@example.com:4245", "nats-route://foo:bar@example.com:4246"],
      },
    });
  });
});

describe("config parser: arrays", () => {
  it("separates elements by commas, newlines or both", () => {
    assert.deepEqual(
      plain("a = [x, y, z]\nb = [\n  x\n  y\n]\nc = [\n 1, # c\n 2, // c\n 3 # c\n 'q' ,\n \"r\"\n]\n"),
      {
        a: ["x", "y", "z"],
        b: ["x", "y"],
        c: [1, 2, 3, "q", "r"],
      },
    );
    assert.deepEqual(plain("a = []\nb = [ ]\n"), { a: [], b: [] });
  });

  it("holds maps and nested arrays", () => {
    const text =
      "authorization {\n  users = [\n    {user: alice, password: foo}\n    {user: bob,   password: bar}\n  ]\n  timeout: 0.5\n}\nn = [[a, b], [c, ]]\n";
    assert.deepEqual(plain(text), {
      authorization: {
        users: [
          { user: "alice", password: "foo" },
          { user: "bob", password: "bar" },
        ],
        timeout: 0.5,
      },
      n: [["a", "b"], ["c"]],
    });
  });

  it("like nats-server, needs a ',' or newline between a number and ']'", () => {
    // nats-server 2.10 lexes "2]" as the start of a bare string, so [1, 2] is an error there.
    assert.deepEqual(plain("a = [1, 2, ]\nb = [1\n2\n]\n"), { a: [1, 2], b: [1, 2] });
    failsWith(
      "nums = [1, 2]\n",
      "n.conf",
      "n.conf:2:1: Parse error on line 2: 'Expected an array value terminator \",\" or an array terminator \"]\", but got '\u0000' instead.'",
    );
  });
});

describe("config parser: strings", () => {
  it("decodes escapes in double-quoted strings", () => {
    assert.deepEqual(
      plain(String.raw`a = "tab\there"` + "\n" + String.raw`b = "q\"q\\n\n\r"` + "\n" + String.raw`c = "\x41\x7c"`),
      {
        a: "tab\there",
        b: 'q"q\\n\n\r',
        c: "A|",
      },
    );
    assert.deepEqual(plain(String.raw`a = "\xc3\xa9"`), { a: "é" });
  });

  it("keeps single-quoted strings raw", () => {
    assert.deepEqual(plain(String.raw`a = 'bar\r\n  \t'` + "\nb = '(true == \"false\")'\n"), {
      a: String.raw`bar\r\n  \t`,
      b: '(true == "false")',
    });
  });

  it("lets quoted strings span lines", () => {
    assert.deepEqual(plain("text = 'a multi-line\ntext block.'\nd = \"x\ny\"\n"), {
      text: "a multi-line\ntext block.",
      d: "x\ny",
    });
  });

  it("accepts empty strings", () => {
    assert.deepEqual(plain(`a = ""\nb = ''\n`), { a: "", b: "" });
  });

  it("reads bare (unquoted) strings up to whitespace, ',', ';', ']', '}' or a newline", () => {
    assert.deepEqual(plain("a = bar\nb = nats://u:p@host:4222\nc = a:b=c{d\nd = [x,y]\ne = {k: v}\n"), {
      a: "bar",
      b: "nats://u:p@host:4222",
      c: "a:b=c{d",
      d: ["x", "y"],
      e: { k: "v" },
    });
    // escapes work in bare strings too
    assert.deepEqual(plain(String.raw`a = start\x7Cend` + "\n" + String.raw`b = \x3cmiddle\x3E`), {
      a: "start|end",
      b: "<middle>",
    });
  });

  it("treats addresses and number-led words as strings", () => {
    assert.deepEqual(
      plain(
        "a: 127.0.0.1:4222\nb: 127.0.0.1\nc: example.com:80\nd: nats.io:-1\ne: :-1\nf = :80\ng = 3xyz\nh = 1Ghz\ni = 3Mbs,\nj = 2Pie\n",
      ),
      {
        a: "127.0.0.1:4222",
        b: "127.0.0.1",
        c: "example.com:80",
        d: "nats.io:-1",
        e: ":-1",
        f: ":80",
        g: "3xyz",
        h: "1Ghz",
        i: "3Mbs",
        j: "2Pie",
      },
    );
  });

  it("leaves durations as strings for the option loader, except forms that look like sizes", () => {
    const m = parseConfig('a: 2s\nb: 1h30m\nc: "2m"\nd: 2m\n', "", { env: {} });
    assert.deepEqual(toPlain(m), { a: "2s", b: "1h30m", c: "2m", d: 2000000 });
    // nats-server also reads an unquoted 2m as the integer 2,000,000 ('m' = mega)
    assert.equal(m.get("d").kind, "integer");
    failsWith(
      "t = 1.5s\n",
      "t.conf",
      "t.conf:1:8: Parse error on line 1: 'Expected a top-level value to end with a new line, comment or EOF, but got 's' instead.'",
    );
  });

  it("parses block strings: a ')' alone at the start of a line ends them", () => {
    assert.deepEqual(plain("numbers (\n1234567890\n)\n"), { numbers: "\n1234567890\n" });
    assert.deepEqual(plain("numbers (\n  12(34)56\n  (\n    7890\n  )\n)\n"), {
      numbers: "\n  12(34)56\n  (\n    7890\n  )\n",
    });
  });
});

describe("config parser: numbers, booleans, dates", () => {
  it("parses integers (kind 'integer') and floats (kind 'float')", () => {
    const m = parseConfig("a = 123\nb = -123\nc = 0\nd = 22.2\ne = -0.25\nf = 1.0\n", "", { env: {} });
    assert.deepEqual(toPlain(m), { a: 123, b: -123, c: 0, d: 22.2, e: -0.25, f: 1 });
    assert.deepEqual(
      [...m.values()].map((v) => v.kind),
      ["integer", "integer", "integer", "float", "float", "float"],
    );
  });

  it("applies size suffixes exactly as nats-server (k=1000, kb/ki/kib=1024, ...)", () => {
    const text = [
      "k = 8k",
      "K = 8K",
      "kb = 4kb",
      "ki = 3ki",
      "kib = 4KiB",
      "m = 1m",
      "mb = 2MB",
      "mi = 2Mi",
      "mib = 64MiB",
      "g = 2g",
      "gb = 22GB",
      "gi = 22Gi",
      "gib = 22GiB",
      "t = 2t",
      "tb = 22TB",
      "ti = 22Ti",
      "tib = 22TiB",
      "p = 1p",
      "pb = 2PB",
      "pi = 2Pi",
      "pib = 2PiB",
      "e = 1e",
      "eb = 1EB",
      "neg = -1m",
      "neg2 = -1GB",
    ].join("\n");
    assert.deepEqual(plain(text), {
      k: 8000,
      K: 8000,
      kb: 4 * 1024,
      ki: 3 * 1024,
      kib: 4 * 1024,
      m: 1e6,
      mb: 2 * 1024 ** 2,
      mi: 2 * 1024 ** 2,
      mib: 64 * 1024 ** 2,
      g: 2e9,
      gb: 22 * 1024 ** 3,
      gi: 22 * 1024 ** 3,
      gib: 22 * 1024 ** 3,
      t: 2e12,
      tb: 22 * 1024 ** 4,
      ti: 22 * 1024 ** 4,
      tib: 22 * 1024 ** 4,
      p: 1e15,
      pb: 2 * 1024 ** 5,
      pi: 2 * 1024 ** 5,
      pib: 2 * 1024 ** 5,
      e: 1000000000000000000n,
      eb: 1152921504606846976n,
      neg: -1e6,
      neg2: -(1024 ** 3),
    });
  });

  it("uses bigint beyond 2^53 and wraps like Go's int64", () => {
    assert.deepEqual(plain("a = 9007199254740993\nb = 9223372036854775807k\nc = 8eb\nd = -9223372036854775808\n"), {
      a: 9007199254740993n,
      b: -1000,
      c: -9223372036854775808n,
      d: -9223372036854775808n,
    });
    failsWith(
      "size = 99999999999999999999\n",
      "i.conf",
      "i.conf:1:7: integer '99999999999999999999' is out of the range",
    );
  });

  it("like nats-server, silently sets nothing for an unknown suffix", () => {
    assert.deepEqual(plain("a = 1kbb\nb = 2\n"), { b: 2 });
  });

  it("parses booleans true/false/yes/no/on/off in any case", () => {
    assert.deepEqual(plain("a=true\nb=TRUE\nc=Yes\nd=on\ne=false\nf=NO\ng=off\nh=Off\n"), {
      a: true,
      b: true,
      c: true,
      d: true,
      e: false,
      f: false,
      g: false,
      h: false,
    });
    assert.deepEqual(plain('a = "true"\nb = truex\n'), { a: "true", b: "truex" });
  });

  it("parses ISO-8601 Zulu datetimes to Date", () => {
    const m = parseConfig("now = 2016-05-04T18:53:41Z\nleap = 2016-02-29T00:00:00Z\ngmt = false\n", "", { env: {} });
    assert.equal(m.get("now").kind, "date");
    assert.equal(m.get("now").value.getTime(), Date.UTC(2016, 4, 4, 18, 53, 41));
    assert.equal(m.get("leap").value.toISOString(), "2016-02-29T00:00:00.000Z");
    failsWith(
      "a = 2015-02-29T00:00:00Z\n",
      "d.conf",
      "d.conf:1:4: expected Zulu formatted DateTime, but got '2015-02-29T00:00:00Z'",
    );
    failsWith(
      "a = 2016-05-04\n",
      "d.conf",
      "d.conf:2:1: Parse error on line 2: 'Expected 'T' in ISO8601 datetime, but found '\\n' instead.'",
    );
  });
});

describe("config parser: variables", () => {
  it("resolves $name from the enclosing blocks, innermost first", () => {
    const text = "index = 22\nnest {\n  index = 11\n  foo = $index\n}\nbar = $index\n";
    assert.deepEqual(plain(text), { index: 22, nest: { index: 11, foo: 11 }, bar: 22 });
  });

  it("marks referenced entries with usedVariable (nats-server skips 'unknown field' for them)", () => {
    const m = parseConfig("PASS = secret\nUNUSED = 1\nuser { password: $PASS }\n", "", { env: {} });
    assert.equal(m.get("PASS").usedVariable, true);
    assert.equal(m.get("UNUSED").usedVariable, false);
    assert.equal(m.get("user").value.get("password").usedVariable, false);
    assert.equal(m.get("user").value.get("password").value, "secret");
  });

  it("copies maps and arrays by reference", () => {
    assert.deepEqual(plain("base = {a: 1}\nlist = [x, ]\ncopy = $base\nl2 = $list\n"), {
      base: { a: 1 },
      list: ["x"],
      copy: { a: 1 },
      l2: ["x"],
    });
  });

  it("falls back to the environment, parsing the value like config text", () => {
    assert.deepEqual(
      plain("a = $N\nb = $S\nc = $Q\nd = $G\ne = $M\n", {
        N: "22",
        S: "xyz",
        Q: "'3xyz'",
        G: "3Gyz",
        M: "{x: 1, y: [a, b, ]}",
      }),
      { a: 22, b: "xyz", c: "3xyz", d: "3Gyz", e: { x: 1, y: ["a", "b"] } },
    );
  });

  it("uses process.env when no env option is given", () => {
    process.env.TSNATS_CONF_PARSER_TEST = "4223";
    try {
      assert.equal(parseConfig("port: $TSNATS_CONF_PARSER_TEST").get("port").value, 4223);
    } finally {
      delete process.env.TSNATS_CONF_PARSER_TEST;
    }
  });

  it("gives values from the environment the reference's position", () => {
    const m = parseConfig("x = 1\nm = $MAP\n", "v.conf", { env: { MAP: "{a: [1, ]}" } });
    const v = m.get("m");
    assert.deepEqual([v.file, v.line, v.column], ["v.conf", 2, 1]); // at the key
    const a = v.value.get("a");
    assert.deepEqual([a.file, a.line, a.column], ["v.conf", 2, 6]); // at the reference (after '$')
  });

  it("keeps $2a$... bcrypt hashes as literal strings", () => {
    assert.deepEqual(plain("password: $2a$11$ooo\n"), { password: "$2a$11$ooo" });
  });

  it("reports an undefined variable like nats-server", () => {
    failsWith("x: $missing\n", "u.conf", "u.conf:1:4: variable reference for 'missing' on line 1 can not be found");
    // there is no ${NAME} form: the name read is "{NAME"
    failsWith("a = ${X}\n", "u.conf", "u.conf:1:5: variable reference for '{X' on line 1 can not be found");
  });

  it("reports an environment value that does not parse, and reference cycles", () => {
    const bad = configError(() => parseConfig("a = $BAD\n", "e.conf", { env: { BAD: '"unterminated' } }));
    assert.equal(
      bad.message,
      "e.conf:1:5: variable reference for 'BAD' on line 1 could not be parsed: Parse error on line 1: 'Unexpected EOF.'",
    );
    const e = configError(() => parseConfig("a = $LOOP\n", "e.conf", { env: { LOOP: "$LOOP" } }));
    assert.equal(
      e.reason,
      "variable reference for 'LOOP' on line 1 could not be parsed: variable reference for 'LOOP' on line 1 could not be parsed: variable reference cycle for 'LOOP'",
    );
    assert.deepEqual([e.file, e.line, e.column], ["e.conf", 1, 5]);
  });
});

describe("config parser: JSON style and top-level braces", () => {
  it("parses JSON with nested objects, trailing commas and an outer brace", () => {
    const text = `
{
  "http_port": 8227,
  "port": 4227,
  "write_deadline": "1h",
  "cluster": {
    "port": 6222,
    "routes": [
      "nats://127.0.0.1:4222",
      "nats://127.0.0.1:4223"
    ]
  },
  "jetstream": {"store_dir": "/tmp/nats"
    "max_mem": 1000000,
  },
}
`;
    assert.deepEqual(plain(text), {
      http_port: 8227,
      port: 4227,
      write_deadline: "1h",
      cluster: { port: 6222, routes: ["nats://127.0.0.1:4222", "nats://127.0.0.1:4223"] },
      jetstream: { store_dir: "/tmp/nats", max_mem: 1000000 },
    });
    assert.deepEqual(plain("{}"), {});
    assert.deepEqual(plain('{"http_port": 8224,"port": 4224}\n'), { http_port: 8224, port: 4224 });
  });

  it("accepts entries wrapped in (nested) braces", () => {
    assert.deepEqual(plain("{ listen: 0.0.0.0:4222 }"), { listen: "0.0.0.0:4222" });
    assert.deepEqual(plain("\n{\n  {\n    listen: 0.0.0.0:4222 // note\n  }\n  # c1\n}\n# c2\n"), {
      listen: "0.0.0.0:4222",
    });
    assert.deepEqual(plain("accounts { users = [{}]}\n}\n"), { accounts: { users: [{}] } });
  });
});

describe("config parser: positions", () => {
  it("reports map entries at their key; columns are 0-based on line 1, 1-based after (as nats-server)", () => {
    const m = parseConfig("a = 1\n  b = 2\nm {\n  c: 3\n}\n", "p.conf", { env: {} });
    const pos = (v) => [v.file, v.line, v.column];
    assert.deepEqual(pos(m.get("a")), ["p.conf", 1, 0]);
    assert.deepEqual(pos(m.get("b")), ["p.conf", 2, 3]);
    assert.deepEqual(pos(m.get("m")), ["p.conf", 3, 1]);
    assert.deepEqual(pos(m.get("m").value.get("c")), ["p.conf", 4, 3]);
    assert.equal(formatPosition(m.get("b")), "p.conf:2:3");
  });

  it("reports array elements at their own position, maps just past their '}'", () => {
    const m = parseConfig("m {\n  a: 1\n  b: [\n    x\n    {c: 3}\n  ]\n}\n", "", { env: {} });
    const b = m.get("m").value.get("b");
    assert.deepEqual([b.line, b.column], [3, 3]);
    assert.deepEqual([b.value[0].line, b.value[0].column], [4, 5]);
    assert.deepEqual([b.value[1].line, b.value[1].column], [5, 11]);
    assert.deepEqual([b.value[1].value.get("c").line, b.value[1].value.get("c").column], [5, 6]);
  });

  it("counts columns in bytes", () => {
    const m = parseConfig('é = "ü"; z = 1\n', "", { env: {} });
    assert.equal(m.get("z").column, 11); // line 1: 0-based byte offset
  });
});

describe("config parser: syntax errors name file:line:column", () => {
  const cases = [
    ["port = 4222\nhost =\n", "v.conf", "v.conf:3:1: Parse error on line 3: 'Expected value but found new line'"],
    ["port: 4222\nlonely\n", "k.conf", "k.conf:3:1: config is invalid (k.conf:3:1)"],
    ["cluster {\n  port: 6222\n", "m.conf", "m.conf:3:1: Parse error on line 3: 'Unexpected EOF processing map.'"],
    ["text (\nhello\n", "b.conf", "b.conf:3:1: Parse error on line 3: 'Unexpected EOF processing block.'"],
    ['listen: "localhost:4222\nport: 1\n', "q.conf", "q.conf:3:1: Parse error on line 3: 'Unexpected EOF.'"],
    [" :port = 1\n", "s.conf", "s.conf:1:1: Parse error on line 1: 'Unexpected key separator ':''"],
    ["x = .5\n", "f.conf", "f.conf:1:5: Parse error on line 1: 'Floats must start with a digit'"],
    [
      "a = 1 2\n",
      "e.conf",
      "e.conf:1:7: Parse error on line 1: 'Expected a top-level value to end with a new line, comment or EOF, but got '2' instead.'",
    ],
    [
      'a = "\\q"\n',
      "esc.conf",
      "esc.conf:1:7: Parse error on line 1: 'Invalid escape character 'q'. Only the following escape characters are allowed: \\xXX, \\t, \\n, \\r, \\\", \\\\.'",
    ],
    [
      "m { a = 1 ] }\n",
      "r.conf",
      "r.conf:1:11: Parse error on line 1: 'Expected a map value terminator \",\" or a map terminator \"}\", but got ']' instead.'",
    ],
    ["a = [1, 2,, 3]\n", "c.conf", "c.conf:1:11: Parse error on line 1: 'Unexpected array value terminator ','.'"],
    [
      'a = "x" y\n',
      "y.conf",
      "y.conf:1:9: Parse error on line 1: 'Expected a top-level value to end with a new line, comment or EOF, but got 'y' instead.'",
    ],
    ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "", ":1:41: config is invalid (:1:41)"],
    ["\n  a,a,a,a,a,a,a,a,a,a,a\n  ", "", ":3:3: config is invalid (:3:3)"],
    [
      "a = 1\nb {\n  c = 2\n  d = [1\n  e = 3\n",
      "n.conf",
      "n.conf:5:6: Parse error on line 5: 'Expected an array value terminator \",\" or an array terminator \"]\", but got '=' instead.'",
    ],
  ];
  for (const [text, file, message] of cases) {
    it(message, () => {
      const e = failsWith(text, file, message);
      assert.equal(e.file, file);
      assert.match(message, new RegExp(`^${e.file.replace(".", "\\.")}:${e.line}:${e.column}: `));
      assert.equal(e.message, `${e.file}:${e.line}:${e.column}: ${e.reason}`);
    });
  }

  it("can be built by the option loader for its own errors", () => {
    const v = parseConfig("port: abc\n", "n.conf", { env: {} }).get("port");
    const e = new ConfigError("expected an integer", v);
    assert.ok(e instanceof Error);
    assert.equal(e.name, "ConfigError");
    assert.equal(e.message, "n.conf:1:0: expected an integer");
  });
});

describe("config parser: include", () => {
  let dir;
  const write = (rel, text) => {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "tsnats-conf-"));
    write(
      "main.conf",
      "listen: 127.0.0.1:4222\n\nauthorization {\n  include 'auth/users.conf' # pull in users\n  timeout: 0.5\n}\n",
    );
    write(
      "auth/users.conf",
      "# users\n\ninclude ./passwords.conf;\n\nusers = [\n  {user: alice, password: $ALICE_PASS}\n  {user: bob,   password: $BOB_PASS}\n]\n",
    );
    write("auth/passwords.conf", "# hashes only\nALICE_PASS: $2a$10$abc\nBOB_PASS: $2a$11$def\n");
    write("forms.conf", "include \"a.conf\"\ninclude b.conf\nINCLUDE 'c.conf'\nm { include ./d.conf }\n");
    write("a.conf", "a = 1\n");
    write("b.conf", "b = 2\n");
    write("c.conf", "c = 3\n");
    write("d.conf", "d = 4\n");
    write(
      "vars.conf",
      'auth {\n  include "./auth/passwords.conf"\n\n  CAROL_PASS: foo\n\n  users = [\n   {user: alice, password: $ALICE_PASS}\n   {user: carol, password: $CAROL_PASS}\n  ]\n}\n',
    );
    write("missing.conf", "port = 1\ninclude nothere.conf\n");
    write("bad.conf", "include broken.conf\n");
    write("broken.conf", "a = 1\nb = .5\n");
    write("cycle1.conf", "include cycle2.conf\n");
    write("cycle2.conf", "x = 1\ninclude cycle1.conf\n");
    write("abs.conf", "include /sub/abs-target.conf\n");
    write("sub/abs-target.conf", "t = 1\n");
    write("json.conf", "accounts {\n  foo  { include 'foo.json'  }\n  bar  { include 'bar.json'  }\n}\n");
    write("foo.json", '{ "users": [ {"user": "foo"} ] }');
    write("bar.json", '{\n  "users": [ {"user": "bar"} ]\n}');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("resolves includes relative to the including file, whatever the cwd", () => {
    const m = parseConfigFile(join(dir, "main.conf"));
    assert.deepEqual(toPlain(m), {
      listen: "127.0.0.1:4222",
      authorization: {
        ALICE_PASS: "$2a$10$abc",
        BOB_PASS: "$2a$11$def",
        users: [
          { user: "alice", password: "$2a$10$abc" },
          { user: "bob", password: "$2a$11$def" },
        ],
        timeout: 0.5,
      },
    });
    const auth = m.get("authorization").value;
    const alice = auth.get("ALICE_PASS");
    assert.deepEqual([alice.file, alice.line, alice.column], [join(dir, "auth/passwords.conf"), 2, 1]);
    assert.equal(alice.usedVariable, true);
    const users = auth.get("users");
    assert.deepEqual([users.file, users.line, users.column], [join(dir, "auth/users.conf"), 5, 1]);
    assert.deepEqual([auth.get("timeout").file, auth.get("timeout").line], [join(dir, "main.conf"), 5]);
  });

  it("accepts quoted, single-quoted and bare paths, any case of the keyword, inside maps", () => {
    assert.deepEqual(toPlain(parseConfigFile(join(dir, "forms.conf"))), { a: 1, b: 2, c: 3, m: { d: 4 } });
  });

  it("makes included keys usable as variables", () => {
    const m = parseConfigFile(join(dir, "vars.conf"));
    const auth = m.get("auth").value;
    assert.deepEqual(toPlain(auth.get("users")), [
      { user: "alice", password: "$2a$10$abc" },
      { user: "carol", password: "foo" },
    ]);
    const carol = auth.get("CAROL_PASS");
    assert.deepEqual([carol.line, carol.column, carol.usedVariable], [4, 3, true]);
    assert.equal(auth.get("BOB_PASS").usedVariable, false);
  });

  it("includes JSON files into maps", () => {
    assert.deepEqual(toPlain(parseConfigFile(join(dir, "json.conf"))), {
      accounts: { foo: { users: [{ user: "foo" }] }, bar: { users: [{ user: "bar" }] } },
    });
  });

  it("takes an absolute include path relative to the including directory (as Go's filepath.Join)", () => {
    assert.deepEqual(toPlain(parseConfigFile(join(dir, "abs.conf"))), { t: 1 });
  });

  it("reports a missing include at the include statement", () => {
    const e = configError(() => parseConfigFile(join(dir, "missing.conf")));
    const target = join(dir, "nothere.conf");
    assert.equal(e.reason, `error parsing include file 'nothere.conf', open ${target}: no such file or directory`);
    assert.equal(e.message, `${join(dir, "missing.conf")}:2:9: ${e.reason}`);
  });

  it("reports an error inside an included file at its own position", () => {
    const e = configError(() => parseConfigFile(join(dir, "bad.conf")));
    assert.equal(
      e.reason,
      "error parsing include file 'broken.conf', Parse error on line 2: 'Floats must start with a digit'",
    );
    assert.deepEqual([e.file, e.line, e.column], [join(dir, "broken.conf"), 2, 6]);
  });

  it("stops include cycles with an error", () => {
    const e = configError(() => parseConfigFile(join(dir, "cycle1.conf")));
    assert.match(
      e.reason,
      /^error parsing include file 'cycle2\.conf', error parsing include file 'cycle1\.conf', include cycle: /,
    );
    assert.equal(e.file, join(dir, "cycle2.conf"));
    assert.equal(e.line, 2);
  });

  it("reports a config file that cannot be read", () => {
    const path = join(dir, "no-such.conf");
    const e = configError(() => parseConfigFile(path));
    assert.equal(e.message, `open ${path}: no such file or directory`);
    assert.equal(e.line, 0);
  });
});

describe("config parser: toPlain", () => {
  it("strips positions from maps, arrays and single values, keeping scalar types", () => {
    const m = parseConfig(
      'a = [1, {b: 2.5}, "s", ]\nbig = 9007199254740993\nwhen = 2020-01-02T03:04:05Z\n"__proto__" = 1\n',
      "",
      { env: {} },
    );
    const p = toPlain(m);
    assert.deepEqual(p.a, [1, { b: 2.5 }, "s"]);
    assert.equal(p.big, 9007199254740993n);
    assert.ok(p.when instanceof Date);
    assert.ok(Object.hasOwn(p, "__proto__"));
    assert.equal(Object.getPrototypeOf(p), Object.prototype);
    assert.deepEqual(toPlain(m.get("a")), [1, { b: 2.5 }, "s"]);
    assert.deepEqual(toPlain(m.get("a").value), [1, { b: 2.5 }, "s"]);
    assert.equal(toPlain(m.get("big")), 9007199254740993n);
  });
});
