// Subject mappings and transforms (src/server/mapping.ts): the module on its own, then a
// `mappings {}` config observed over the wire, today against Debian's nats-server (the oracle), with
// the same assertions waiting for tsnats-server once the coordinator wires mappings into accounts.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect } from "@nats-io/transport-node";
import {
  SubjectTransform,
  AccountMappings,
  WeightedMapping,
  MappingError,
  validateMapping,
  validateMappingDestination,
  mappingConfigError,
  transformTokenize,
  transformUntokenize,
  toWire,
} from "../dist/server/mapping.js";
import { natsServerBin, startServer } from "./helpers/servers.js";
import { oracleVersion } from "./helpers/protocol-cases.js";

const tr = (src, dest) => SubjectTransform.compile(src, dest);

/** FNV-1a 32 written out plainly, to check the partition function against. */
function fnv1a(bytes) {
  let h = 2166136261n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 16777619n) & 0xffffffffn;
  return h;
}

// ---------------------------------------------------------------------------------------------
// Every function, on the outputs Debian's nats-server 2.9.10 produced for the same mappings (the
// wire tests below check them again against the live oracle).

const FUNCTION_CASES = [
  [
    "p3.*.*",
    "P3.{{partition(3,1,2)}}.$1.$2",
    { "p3.a.b": "P3.0.a.b", "p3.abc.def": "P3.2.abc.def", "p3.x.y": "P3.1.x.y" },
  ],
  [
    "p10.*",
    "P10.{{partition(10,1)}}",
    { "p10.1": "P10.4", "p10.2": "P10.1", "p10.foo": "P10.3", "p10.bar": "P10.2", "p10.customer-42": "P10.6" },
  ],
  ["pn.*", "PN.{{partition(-3,1)}}", { "pn.a": "PN.3826002220", "pn.foo": "PN.2851307223" }],
  [
    "sfl.*",
    "SFL.{{splitFromLeft(1,3)}}",
    { "sfl.abcdefgh": "SFL.abc.defgh", "sfl.ab": "SFL.ab", "sfl.abc": "SFL.abc" },
  ],
  ["sfr.*", "SFR.{{SplitFromRight(1,3)}}", { "sfr.abcdefgh": "SFR.abcde.fgh", "sfr.abc": "SFR.abc" }],
  [
    "slr.*",
    "SLR.{{sliceFromRight(1,3)}}",
    { "slr.abcdefgh": "SLR.ab.cde.fgh", "slr.abcdef": "SLR.abc.def", "slr.ab": "SLR.ab" },
  ],
  [
    "sll.*",
    "SLL.{{sliceFromLeft(1,3)}}",
    { "sll.abcdefgh": "SLL.abc.def.gh", "sll.abcdef": "SLL.abc.def", "sll.abcd": "SLL.abc.d" },
  ],
  ["sp.*", "SP.{{split(1,-)}}", { "sp.a-b-c": "SP.a.b.c", "sp.-a--b-": "SP.a.b", "sp.abc": "SP.abc" }],
  ["w.*.*.>", "W.{{wildcard(2)}}.$1.>", { "w.a.b.c.d": "W.b.a.c.d", "w.a.b.c": "W.b.a.c" }],
  ["z.*", "Z.{{wildcard(0)}}.$1", { "z.q": "Z.z.q" }],
  ["lit", "LIT.x", { lit: "LIT.x" }],
  ["ws.*", "WS.{{ Wildcard ( 1 ) }}", { "ws.k": "WS.k" }],
  ["fw.>", "FW.>", { "fw.a": "FW.a", "fw.a.b.c": "FW.a.b.c" }],
];

describe("SubjectTransform", () => {
  it("maps with every function as nats-server does", () => {
    for (const [src, dest, want] of FUNCTION_CASES) {
      const t = tr(src, dest);
      for (const [subject, mapped] of Object.entries(want)) {
        assert.equal(t.transform(subject), mapped, `${src} -> ${dest} on ${subject}`);
      }
    }
  });

  it("left and right (2.10), case variants and odd split pieces", () => {
    assert.equal(tr("l.*", "{{left(1,2)}}").transform("l.abcd"), "ab");
    assert.equal(tr("l.*", "{{Left(1,9)}}").transform("l.abcd"), "abcd");
    assert.equal(tr("r.*", "{{right(1,2)}}").transform("r.abcd"), "cd");
    assert.equal(tr("r.*", "{{Right(1,0)}}").transform("r.abcd"), "abcd");
    assert.equal(tr("a.*", "{{splitfromleft(1,1)}}").transform("a.xy"), "x.y");
    assert.equal(tr("a.*", "{{SliceFromLeft(1,2)}}").transform("a.wxyz"), "wx.yz");
    assert.equal(tr("a.*", "{{Partition(4,1)}}").transform("a.b"), tr("a.*", "{{partition(4,1)}}").transform("a.b"));
    // pieces of split: empty ones vanish, except that two leading delimiters leave a leading dot
    assert.equal(tr("s.*", "{{split(1,-)}}").transform("s.--a"), ".a");
    assert.equal(tr("s.*", "{{split(1,ab)}}").transform("s.xabyab"), "x.y");
    assert.equal(tr("s.*", "{{split(1,)}}").transform("s.xyz"), "x.y.z");
    // slice and split sizes at or under 0 leave the token whole
    assert.equal(tr("s.*", "{{sliceFromLeft(1,0)}}").transform("s.abc"), "abc");
    assert.equal(tr("s.*", "{{splitFromRight(1,-1)}}").transform("s.abc"), "abc");
  });

  it("partition is FNV-1a 32 of the named tokens' bytes, modulo n", () => {
    const t = tr("o.*.*.*", "{{partition(17,3,1)}}");
    for (let i = 0; i < 200; i++) {
      const a = `k${i * 7919}`;
      const c = `z${(i * 31) % 97}`;
      const want = fnv1a(Buffer.from(c + a)) % 17n;
      assert.equal(t.transform(`o.${a}.mid.${c}`), String(want));
    }
    // bytes, not UTF-16 units: a UTF-8 subject on the wire arrives as latin1 chars
    const u = toWire("é€");
    assert.equal(tr("u.*", "{{partition(1000,1)}}").transform(`u.${u}`), String(fnv1a(Buffer.from("é€")) % 1000n));
    // 0 partitions: nats-server 2.10 divides by zero and dies; later releases answer "0"
    assert.equal(tr("z.*", "{{partition(0,1)}}").transform("z.a"), "0");
  });

  it("returns null for subjects outside the source and for non-literal subjects", () => {
    const t = tr("foo.*.bar", "x.$1");
    assert.equal(t.transform("foo.a.bar"), "x.a");
    assert.equal(t.transform("foo.a.baz"), null);
    assert.equal(t.transform("foo.a.bar.c"), null);
    assert.equal(t.transform("foo.a"), null);
    assert.equal(t.transform("foo.*.bar"), null);
    assert.equal(t.transform("foo..bar"), null);
    assert.equal(tr("a.>", "b.>").transform("a"), null);
    assert.equal(tr(">", ">").transform("anything.at.all"), "anything.at.all");
    assert.equal(tr("", "x.>").transform("q.r"), "x.q.r");
    assert.equal(tr("foo", "bar").transform("foo"), "bar");
    assert.equal(tr("foo", "bar").transform("foox"), null);
    assert.equal(tr("foo.*", "bar.$1").transformMatched("foo.q"), "bar.q");
  });

  it("refuses bad transforms with nats-server's texts", () => {
    const cases = [
      [
        "foo.*",
        "bar.{{wildcard(2)}}",
        "invalid mapping destination: wildcard index out of range in {{wildcard(2)}}: [2]",
      ],
      ["foo.*", "bar.$2", "invalid mapping destination: wildcard index out of range in $2: [2]"],
      ["foo.*", "bar.$+02", "invalid mapping destination: wildcard index out of range in $+02: [2]"],
      ["foo.>", "a.$1.>", "invalid mapping destination: wildcard index out of range in $1"],
      ["foo", "a.{{wildcard(1)}}", "invalid mapping destination: wildcard index out of range in {{wildcard(1)}}"],
      ["foo.>", "bar.*", "invalid subject"],
      ["foo.*", "bar.>", "invalid subject"],
      ["foo.>", "bar", "invalid subject"],
      ["foo..x", "bar", "invalid subject"],
      ["foo.*", "bar.{{WILDCARD(1)}}", "invalid mapping destination: unknown function in {{WILDCARD(1)}}"],
      [
        "foo.*",
        "{{wildcard()}}",
        "invalid mapping destination: not enough arguments passed to the function in {{wildcard()}}",
      ],
      [
        "foo.*",
        "{{wildcard(1,2)}}",
        "invalid mapping destination: too many arguments passed to the function in {{wildcard(1,2)}}",
      ],
      [
        "foo.*",
        "{{partition(3)}}",
        "invalid mapping destination: not enough arguments passed to the function in {{partition(3)}}",
      ],
      [
        "foo.*",
        "{{partition(3,x)}}",
        "invalid mapping destination: function argument is invalid or in the wrong format in {{partition(3,x)}}",
      ],
      [
        "foo.*",
        "{{split(1,a b)}}",
        "invalid mapping destination: function argument is invalid or in the wrong format in {{split(1,a b)}}",
      ],
      [
        "foo.*",
        "{{left(1)}}",
        "invalid mapping destination: not enough arguments passed to the function in {{left(1)}}",
      ],
      [
        "foo.*",
        "{{right(1,2,3)}}",
        "invalid mapping destination: too many arguments passed to the function in {{right(1,2,3)}}",
      ],
      [
        "foo.*",
        "{{sliceFromLeft(1,99999999999999999999)}}",
        "invalid mapping destination: function argument is invalid or in the wrong format in {{sliceFromLeft(1,99999999999999999999)}}",
      ],
      ["foo.*", "", "invalid mapping destination: invalid subject in "],
    ];
    for (const [src, dest, want] of cases) {
      assert.equal(SubjectTransform.check(src, dest), want, `${src} -> ${dest}`);
      assert.throws(() => tr(src, dest), MappingError);
    }
    // arguments lose their spaces, not other whitespace
    assert.equal(SubjectTransform.check("foo.*", "{{wildcard( 1 )}}"), null);
    assert.equal(
      SubjectTransform.check("foo.*", "{{wildcard(1\t)}}"),
      "invalid mapping destination: function argument is invalid or in the wrong format in {{wildcard(1\t)}}",
    );
  });

  it("strict transforms (imports) allow only wildcards and need all of them", () => {
    const strict = { strict: true };
    assert.equal(SubjectTransform.check("a.*.*", "b.$2.$1", strict), null);
    assert.equal(
      SubjectTransform.check("a.*.*", "b.$2", strict),
      "invalid mapping destination: not using all of the token wildcard(s) in b.$2",
    );
    assert.equal(
      SubjectTransform.check("a.*", "b.{{partition(2,1)}}", strict),
      "invalid mapping destination: the only mapping function allowed for import transforms is {{Wildcard()}} in {{partition(2,1)}}",
    );
    const rev = SubjectTransform.compile("a.*.*", "b.$2.$1", strict).reverse();
    assert.equal(rev.transform("b.y.x"), "a.x.y");
    assert.equal(SubjectTransform.compile("a", "b", strict).reverse().transform("b"), "a");
  });

  it("tokenize and untokenize as nats-server's import helpers", () => {
    assert.equal(transformTokenize("foo.*.bar.*"), "foo.$1.bar.$2");
    assert.deepEqual(transformUntokenize("foo.$2.{{wildcard(1)}}.$x"), ["foo.*.*.$x", ["$2", "{{wildcard(1)}}"]]);
    assert.deepEqual(transformUntokenize("bar"), ["bar", []]);
  });
});

describe("validateMapping / mappingConfigError", () => {
  const one = (subject) => [{ subject, weight: 100 }];
  it("gives AddWeightedMappings' texts", () => {
    assert.equal(validateMapping("foo.*", one("bar.$1")), null);
    assert.equal(validateMapping("foo.*", one("bar.x")), null, "2.10 does not need every wildcard in a mapping");
    assert.equal(validateMapping("foo bar", one("x")), "invalid subject");
    assert.equal(
      validateMapping("foo", [
        { subject: "a", weight: 50 },
        { subject: "a", weight: 10 },
      ]),
      'duplicate entry for "a"',
    );
    assert.equal(
      validateMapping("foo", [
        { subject: "a", weight: 60 },
        { subject: "b", weight: 50 },
      ]),
      "total weight needs to be <= 100",
    );
    assert.equal(
      validateMapping("foo", [
        { subject: "a", weight: 60, cluster: "c1" },
        { subject: "b", weight: 50 },
        { subject: "c", weight: 40, cluster: "c2" },
      ]),
      null,
      "totals are per cluster",
    );
    assert.equal(validateMapping("foo", [{ subject: "a", weight: 101 }]), "individual weights need to be <= 100");
    assert.equal(
      validateMapping("foo.*", one("{{left(1,1)}}")),
      "invalid mapping destination: unknown function in {{left(1,1)}}",
    );
    assert.equal(validateMapping("foo.*", one("a.>.b")), "invalid mapping destination: invalid subject in b");
    assert.equal(validateMapping("foo.*", one("a.$1 x")), "invalid mapping destination: invalid subject");
    assert.equal(validateMapping("foo.*", one("")), "invalid mapping destination: invalid subject in ");
    assert.equal(validateMappingDestination("a.{{ partition(3,1) }}"), null);
  });

  it("gives the config loader's whole message", () => {
    assert.equal(mappingConfigError("foo..", one("bar")), 'Subject "foo.." is not a valid subject');
    assert.equal(
      mappingConfigError("foo.*", one("bar.$2"), "bar.$2"),
      'Error adding mapping for "foo.*" to "bar.$2" : invalid mapping destination: wildcard index out of range in $2: [2]',
    );
    assert.equal(
      mappingConfigError("foo", [
        { subject: "a", weight: 70 },
        { subject: "b", weight: 70 },
      ]),
      'Error adding mapping for "foo" : total weight needs to be <= 100',
    );
    assert.equal(mappingConfigError("foo", one("bar"), "bar"), null);
    assert.equal(
      mappingConfigError("f\u00e9\n", one("x")),
      'Subject "f\u00e9\\n" is not a valid subject',
      "quoted as Go's %q",
    );
  });
});

describe("AccountMappings", () => {
  it("is empty until a mapping is added; map() is null where nothing applies", () => {
    const am = new AccountMappings();
    assert.equal(am.size, 0);
    assert.equal(am.empty, true);
    assert.equal(am.map("foo"), null);
    am.addMapping("foo", "bar");
    assert.equal(am.size, 1);
    assert.equal(am.empty, false);
    assert.equal(am.map("foo"), "bar");
    assert.equal(am.map("foo.x"), null);
    assert.equal(am.remove("nope"), false);
    assert.equal(am.remove("foo"), true);
    assert.equal(am.size, 0);
    assert.equal(am.map("foo"), null);
  });

  it("tries mappings in order, replaces one with the same source in place", () => {
    const am = AccountMappings.fromConfig([
      { subject: "a.*", destinations: [{ subject: "wild.$1", weight: 100 }] },
      { subject: "a.b", destinations: [{ subject: "lit", weight: 100 }] },
      { subject: "x.>", destinations: [{ subject: "y.>", weight: 100 }] },
    ]);
    assert.equal(am.map("a.b"), "wild.b");
    am.add("a.*", [{ subject: "wild2.$1", weight: 100 }]);
    assert.equal(am.size, 3);
    assert.equal(am.map("a.c"), "wild2.c");
    assert.deepEqual(
      am.mappings().map((m) => m.source),
      ["a.*", "a.b", "x.>"],
    );
    am.remove("a.*");
    assert.deepEqual(
      am.mappings().map((m) => m.source),
      ["x.>", "a.b"],
      "the last takes the removed one's place",
    );
    assert.equal(am.map("a.b"), "lit");
    assert.equal(am.map("x.1.2"), "y.1.2");
    // a subject published with a wildcard matches only the same wildcard in a source
    assert.equal(am.map("x.*"), "y.*");
    assert.throws(() => am.add("q", [{ subject: "r.$1", weight: 100 }]), MappingError);
    const litFirst = AccountMappings.fromConfig([
      { subject: "k.b", destinations: [{ subject: "lit", weight: 100 }] },
      { subject: "k.*", destinations: [{ subject: "wild.$1", weight: 100 }] },
    ]);
    assert.equal(litFirst.map("k.b"), "lit");
    assert.equal(litFirst.map("k.c"), "wild.c");
    const many = AccountMappings.fromConfig(
      Array.from({ length: 500 }, (_, i) => ({ subject: `s${i}`, destinations: [{ subject: `d${i}`, weight: 100 }] })),
    );
    assert.equal(many.map("s321"), "d321");
    assert.equal(many.map("s500"), null);
  });

  it("converts config text to wire bytes", () => {
    const am = AccountMappings.fromConfig([
      { subject: "caf\u00e9.*", destinations: [{ subject: "\u00fcber.$1", weight: 100 }] },
    ]);
    assert.equal(am.map(toWire("caf\u00e9.x")), toWire("\u00fcber.x"));
    assert.equal(am.map("caf\u00e9.x"), null, "a UTF-16 string is not what the wire hands over");
  });

  it("chooses weighted destinations within 3 points of 50/30/20 over 10,000 messages", () => {
    const am = AccountMappings.fromConfig([
      {
        subject: "w.*",
        destinations: [
          { subject: "a.$1", weight: 50 },
          { subject: "b.$1", weight: 30 },
          { subject: "c.$1", weight: 20 },
        ],
      },
    ]);
    const n = 10000;
    const counts = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < n; i++) {
      const s = am.map(`w.${i}`);
      assert.match(s, new RegExp(`^[abc]\\.${i}$`));
      counts[s[0]]++;
    }
    for (const [k, want] of Object.entries({ a: 50, b: 30, c: 20 })) {
      const pct = (100 * counts[k]) / n;
      assert.ok(Math.abs(pct - want) <= 3, `${k}: ${pct}% (want ${want}% ± 3)`);
    }
  });

  it("maps the rest to the source itself, or drops it when the source is listed", () => {
    const rest = AccountMappings.fromConfig([{ subject: "r.*", destinations: [{ subject: "x.$1", weight: 40 }] }]);
    const loss = AccountMappings.fromConfig([
      {
        subject: "l",
        destinations: [
          { subject: "l", weight: 30 },
          { subject: "m", weight: 30 },
        ],
      },
    ]);
    const n = 10000;
    let kept = 0;
    let dropped = 0;
    for (let i = 0; i < n; i++) {
      const s = rest.map("r.q");
      assert.ok(s === "x.q" || s === "r.q", s);
      if (s === "r.q") kept++;
      const t = loss.map("l");
      assert.ok(t === "l" || t === "m" || t === "", t);
      if (t === "") dropped++;
    }
    assert.ok(Math.abs((100 * kept) / n - 60) <= 3, `kept ${kept}`);
    assert.ok(Math.abs((100 * dropped) / n - 40) <= 3, `dropped ${dropped}`);
  });

  it("uses cluster-scoped destinations when its cluster has some", () => {
    const am = AccountMappings.fromConfig([
      {
        subject: "c",
        destinations: [
          { subject: "main", weight: 100 },
          { subject: "east", weight: 100, cluster: "east" },
        ],
      },
    ]);
    assert.equal(am.map("c"), "main");
    am.cluster = "east";
    assert.equal(am.map("c"), "east");
    am.cluster = "west";
    assert.equal(am.map("c"), "main");
    const only = WeightedMapping.build("d", [{ subject: "e", weight: 100, cluster: "x" }]);
    assert.equal(only.select("d", -1, ""), "d", "without its cluster the subject stays");
  });
});

// ---------------------------------------------------------------------------------------------
// Over the wire. Each factory starts a server from config text and returns { url, stop }.

const dir = mkdtempSync(path.join(tmpdir(), "tsnats-mapping-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let confSeq = 0;
function writeConf(text) {
  const file = path.join(dir, `m${++confSeq}.conf`);
  writeFileSync(file, text);
  return file;
}

const FACTORIES = [
  {
    name: "nats-server",
    start: (text) => startServer("nats-server", ["-c", writeConf(text)]),
  },
  {
    name: "tsnats",
    start: (text) => startServer("tsnats", ["-c", writeConf(text)]),
  },
];

/** Mappings accepted by nats-server 2.9 and 2.10 alike (2.9 insists that every wildcard is used). */
const WIRE_CASES = FUNCTION_CASES.filter(([src]) => !["fw.>"].includes(src));
const confOf = (cases) =>
  `mappings {\n${cases.map(([s, d]) => `  ${JSON.stringify(s)}: ${JSON.stringify(d)}`).join("\n")}\n}\n`;

for (const f of FACTORIES) {
  describe(`mappings over the wire [${f.name}]`, { skip: f.skip }, () => {
    const servers = [];
    const conns = [];
    async function serve(text) {
      const srv = await f.start(text);
      servers.push(srv);
      const nc = await connect({ servers: srv.url, reconnect: false });
      conns.push(nc);
      return nc;
    }
    after(async () => {
      for (const nc of conns) await nc.close().catch(() => {});
      for (const s of servers) await s.stop();
    });

    /** Publish each subject once (payload: the subject) and return payload -> delivered subject. */
    async function roundTrip(nc, subjects) {
      const got = new Map();
      const sub = nc.subscribe(">", { callback: (_e, m) => got.set(m.string(), m.subject) });
      await nc.flush();
      for (const s of subjects) nc.publish(s, s);
      await nc.flush();
      sub.unsubscribe();
      return got;
    }

    it("maps with every function, partitions included, as SubjectTransform does", async () => {
      const nc = await serve(confOf(WIRE_CASES));
      const subjects = [];
      for (const [, , want] of WIRE_CASES) subjects.push(...Object.keys(want));
      for (let i = 0; i < 50; i++) subjects.push(`p3.k${i}.v${i * 13}`, `p10.order-${i * 101}`);
      const got = await roundTrip(nc, subjects);
      const byCase = WIRE_CASES.map(([s, d, want]) => [tr(s, d), want]);
      for (const s of subjects) {
        let expect = null;
        for (const [t, want] of byCase) {
          const m = t.transform(s);
          if (m !== null) {
            expect = m;
            if (want[s] !== undefined) assert.equal(m, want[s]);
            break;
          }
        }
        assert.notEqual(expect, null, s);
        assert.equal(got.get(s), expect, `${s} delivered on ${got.get(s)}, expected ${expect}`);
      }
    });

    it("works on the bytes of UTF-8 subjects", async () => {
      const cases = [
        ["u.*", "U.{{partition(1000,1)}}.$1"],
        ["r.*", "R.{{split(1,)}}"],
        ["l.*", "L.{{sliceFromLeft(1,2)}}"],
      ];
      const nc = await serve(confOf(cases));
      const words = ["\u00e9", "\u20ac\u00fc", "\u{1f600}x", "a\u00e9\u20acb"];
      const subjects = cases.flatMap(([src]) => words.map((w) => `${src[0]}.${w}`));
      const got = await roundTrip(nc, subjects);
      for (const s of subjects) {
        const [src, dest] = cases.find(([src]) => src[0] === s[0]);
        const want = Buffer.from(tr(src, dest).transform(toWire(s)), "latin1").toString("utf8");
        assert.equal(got.get(s), want, s);
      }
      // split with no delimiter cuts between UTF-8 sequences, not UTF-16 units
      assert.equal(got.get("r.a\u00e9\u20acb"), "R.a.\u00e9.\u20ac.b");
    });

    async function distribution(nc, subject, n) {
      const counts = new Map();
      const sub = nc.subscribe(">", {
        callback: (_e, m) => counts.set(m.subject, (counts.get(m.subject) ?? 0) + 1),
      });
      await nc.flush();
      for (let i = 0; i < n; i++) nc.publish(subject);
      await nc.flush();
      sub.unsubscribe();
      return counts;
    }

    it("splits 10,000 messages 50/30/20 within 3 points", async () => {
      const nc = await serve(
        "mappings {\n  w: [\n    {destination: a, weight: 50}\n    {destination: b, weight: 30}\n    {destination: c, weight: 20}\n  ]\n}\n",
      );
      const n = 10000;
      const counts = await distribution(nc, "w", n);
      assert.deepEqual([...counts.keys()].sort(), ["a", "b", "c"]);
      for (const [k, want] of [
        ["a", 50],
        ["b", 30],
        ["c", 20],
      ]) {
        const pct = (100 * counts.get(k)) / n;
        assert.ok(Math.abs(pct - want) <= 3, `${k}: ${pct}%`);
      }
    });

    it("keeps the rest on the source, or drops it when the source is listed", async () => {
      const nc = await serve(
        'mappings {\n  r: [{destination: x, weight: "40%"}]\n  l: [{destination: l, weight: 30}, {destination: m, weight: 30}]\n}\n',
      );
      const n = 10000;
      const rest = await distribution(nc, "r", n);
      assert.equal((rest.get("r") ?? 0) + (rest.get("x") ?? 0), n);
      assert.ok(Math.abs((100 * rest.get("r")) / n - 60) <= 3, `kept ${rest.get("r")}`);
      const loss = await distribution(nc, "l", n);
      const delivered = (loss.get("l") ?? 0) + (loss.get("m") ?? 0);
      assert.ok(Math.abs((100 * (n - delivered)) / n - 40) <= 3, `dropped ${n - delivered}`);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// `nats-server -t` on bad mappings: its text after the position is mappingConfigError's.

function oracleCheck(file) {
  return new Promise((resolve) => {
    execFile(natsServerBin(), ["-t", "-c", file], { timeout: 5000 }, (err, _out, stderr) => {
      resolve(err ? stderr.replace(/^nats-server: /, "").replace(/\n+$/, "") : "");
    });
  });
}

describe("mapping config errors against nats-server -t", () => {
  let is29;
  before(() => {
    is29 = /^2\.9\./.test(oracleVersion() ?? "");
  });
  // [source, destination, 2.10 text]; `v210` marks where 2.9 says otherwise (it wants every wildcard
  // used, checks no function in a literal source's destination, and writes "[n]" after '>' sources)
  const CASES = [
    ["foo.*", "bar.{{wildcard(2)}}"],
    ["foo.*", "bar.{{left(1,2)}}"],
    ["foo.*", "bar.{{right(1,2)}}"],
    ["foo.*", "bar.{{WILDCARD(1)}}"],
    ["foo.>", "bar.*"],
    ["foo.*", "bar.{{partition(3)}}"],
    ["foo.*", "bar.{{partition(x,1)}}"],
    ["foo.*", "bar.{{partition(3,2)}}"],
    ["foo.*", "bar.{{wildcard(1,2)}}"],
    ["foo.*", "bar.{{wildcard()}}"],
    ["foo..", "bar"],
    ["a b", "x"],
    ["foo.*", "bar..x"],
    ["foo.>", "a.b"],
    ["foo.*", "a.{{foo(1)}}"],
    ["foo.*", "a b"],
    ["foo.*", ""],
    ["foo.*", "a.{{split(1,- )}}"],
    ["foo.*", "a.{{split(1)}}"],
    ["foo.*", "a.{{split(1,-,x)}}"],
    ["foo.*", "a.{{split(z,-)}}"],
    ["foo.*", "a.{{splitFromLeft(1)}}"],
    ["foo.*", "a.{{splitFromLeft(1,2,3)}}"],
    ["foo.*", "a.{{sliceFromRight(x,1)}}"],
    ["foo.*", "a.{{wildcard(x)}}"],
    ["foo.*", "a.$2"],
    ["foo.*", "a.>.b"],
    ["foo.*", "a.{{wildcard(1)}} x"],
    ["foo.*.*", "{{partition(2,1,3)}}.$1.$2"],
    ["foo.*", "a.{{ Wildcard (1) }}"],
    ["foo.*.*", "a.$2.$1"],
    [
      "foo",
      "bar.$1",
      'Error adding mapping for "foo" to "bar.$1" : invalid mapping destination: wildcard index out of range in $1',
    ],
    ["foo.*", "a.x", null],
    [
      "foo.>",
      "a.$1.>",
      'Error adding mapping for "foo.>" to "a.$1.>" : invalid mapping destination: wildcard index out of range in $1',
    ],
  ];
  for (const [src, dest, v210] of CASES) {
    it(`${src}: ${JSON.stringify(dest)}`, async () => {
      const file = writeConf(`mappings {\n  ${JSON.stringify(src)}: ${JSON.stringify(dest)}\n}\n`);
      const ours = mappingConfigError(src, [{ subject: dest, weight: 100 }], dest);
      if (v210 !== undefined) assert.equal(ours, v210, "nats-server 2.10's text");
      if (v210 !== undefined && is29) return;
      const got = await oracleCheck(file);
      const text = got.replace(/^.*?:\d+:\d+: /, "");
      assert.equal(ours ?? "", text, `nats-server -t: ${got}`);
      if (text !== "") assert.match(got, /m\d+\.conf:\d+:\d+: /);
    });
  }
});
