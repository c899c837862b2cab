// The accounts block, system_account, no_system_account and mappings, against nats-server:
// part 1 runs each file through `nats-server -t` and tsnats's -t path and asserts the same
// verdict and text (helpers/config-oracle.js); part 2 holds nats-server 2.10's answer where the
// 2.9 oracle differs (or answers by Go's random map order); part 3 checks the options the
// loader builds; part 4 starts both servers and checks which account a user lands in.
// Build first (npm run build).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { loadConfigOptions } from "../dist/server/config/load.js";
import { checkAccountGraph } from "../dist/server/config/accounts.js";
import { freePort, natsServerBin, runServerToExit, serverKinds, startServer } from "./helpers/servers.js";
import { assertCheck210, assertSameAsOracle, oracleCheck, tsnatsCheck } from "./helpers/config-oracle.js";
import { configFiles } from "./helpers/conf-files.js";

const ORACLE = natsServerBin();
const NKEY = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";

const { writeConf } = configFiles("tsnats-accounts-");

const GOOD = `accounts {
  A {
    users: [{user: a, password: a}]
    exports: [
      {stream: "s.>"}
      {service: "svc.>", response_type: stream, response_threshold: "5s"}
      {service: "chunky", response_type: chunked}
      {service: "single", response: singleton}
      {service: "priv", accounts: [B]}
      {stream: "only.b", accounts: [B]}
    ]
  }
  B {
    users: [{user: b, password: b}, {nkey: ${NKEY}}]
    imports: [
      {stream: {account: A, subject: "s.>"}, prefix: p}
      {stream: {account: A, subject: "only.b"}, to: "mine.b"}
      {service: {account: A, subject: "svc.x"}, to: "my.svc"}
      {service: {account: A, subject: priv}}
    ]
    mappings: { "foo": "bar", "w.*": [{destination: "w1.$1", weight: 50%}, {destination: "w2.$1", weight: 50}] }
  }
}
mappings { "top": "other" }
no_auth_user: b
system_account: A
`;

const acc = (body) => `accounts { ${body} }\n`;

// file texts nats-server -t (2.9 and 2.10 alike) and tsnats -t must answer the same way
const CASES = [
  GOOD,
  "accounts: [A, B]\n",
  'accounts: [A, A, "$G"]\n',
  "accounts: [A, 5, ]\n",
  "accounts: 5\n",
  'accounts { "$G" { } }\n',
  "system_account: NOPE\n",
  "accounts { A {} }\nsystem_account: NOPE\n",
  "system: 5\n",
  "System_Account: 5\n",
  "no_system_account: true\n",
  "no_system_account: true\nsystem_account: X\n",
  "no_sys_acc: 5\n",
  acc("A { users: [{user: u, password: p}] }") + "no_auth_user: u\n",
  // unknown accounts, unexported subjects, cycles
  acc("A { imports: [{stream: {account: Z, subject: x}}] }"),
  acc("A { imports: [{service: {account: Z, subject: x}}] }"),
  acc("A { imports: [{stream: {account: B, subject: x}}] }\nB {}"),
  acc("A { imports: [{service: {account: B, subject: x}}] }\nB { exports: [{stream: x}] }"),
  acc("A { imports: [{stream: {account: B, subject: x}}] }\nB { exports: [{stream: x, accounts: [C]}] }\nC {}"),
  acc("A { imports: [{service: {account: B, subject: x}}] }, B { exports: [{service: x, accounts: [A]}] }"),
  acc("A { imports: [{service: {account: B, subject: x}}] }, B { exports: [{service: x, accounts: []}] }"),
  acc('A { imports: [{stream: {account: B, subject: "x.y"}}] }, B { exports: [{stream: "x.*"}] }'),
  acc("A { exports: [{stream: x, accounts: [Q]}] }"),
  acc("A { exports: [{service: x, accounts: [Q]}] }"),
  acc(
    "A { exports: [{service: x}], imports: [{service: {account: B, subject: x}}] }\nB { exports: [{service: x}], imports: [{service: {account: A, subject: x}}] }",
  ),
  acc(
    "A { exports: [{stream: x}], imports: [{stream: {account: B, subject: x}}] }\nB { exports: [{stream: x}], imports: [{stream: {account: A, subject: x}}] }",
  ),
  acc('A { imports: [{stream: {account: B, subject: x}, prefix: "p.*"}] }, B { exports: [{stream: x}] }'),
  acc(
    "A { imports: [{stream: {account: B, subject: x}}, {stream: {account: B, subject: x}}] }, B { exports: [{stream: x}] }",
  ),
  acc('A { imports: [{service: {account: B, subject: "a..b"}}] }, B { exports: [{service: ">"}] }'),
  acc(
    "A { imports: [{service: {account: B, subject: x}}, {service: {account: B, subject: x}}] }, B { exports: [{service: x}] }",
  ),
  acc('A { imports: [{stream: {account: B, subject: "x.*"}, to: "y.$1"}] }, B { exports: [{stream: "x.*"}] }'),
  // exports of the wrong shape
  acc('A { exports: [{stream: "a..b"}] }'),
  acc('A { exports: [{service: "a..b"}] }'),
  acc("A { exports: [{}] }"),
  acc("A { exports: [{service: 42}] }"),
  acc("A { exports: [{stream: 42}] }"),
  acc("A { exports: [{stream: x, bogus: 1}] }"),
  acc("A { exports: [{service: y, response_type: foo}] }"),
  acc("A { exports: [{service: y, response_type: 5}] }"),
  acc("A { exports: [{stream: z, response_type: single}] }"),
  acc("A { exports: [5, ] }"),
  acc("A { exports: {stream: x} }"),
  acc("A { exports: [{service: y, response_threshold: 5}] }"),
  acc('A { exports: [{service: y, response_threshold: "5x"}] }'),
  acc("A { exports: [{service: y, accounts: B}] }"),
  acc("A { exports: [{service: y, accounts: [1, ]}] }"),
  // imports of the wrong shape
  acc("A { imports: [{stream: {account: B}}] }, B {}"),
  acc("A { imports: [{service: {subject: x}}] }, B {}"),
  acc("A { imports: [{stream: x}] }, B {}"),
  acc("A { imports: [{service: [x, ]}] }, B {}"),
  acc("A { imports: [{stream: {account: B, subject: x, zzz: 1}}] }, B { exports: [{stream: x}] }"),
  acc("A { imports: [{service: {account: B, subject: x}, bogus: 1}] }, B { exports: [{service: x}] }"),
  acc('A { imports: {service: {account: B, subject: "x"}} }, B { exports: [{service: ">"}] }'),
  acc("A { imports: [{stream: {account: B, subject: x}, prefix: 5}] }, B { exports: [{stream: x}] }"),
  acc("A { imports: [{}] }, B { }"),
  acc("A { imports: [5, ] }"),
  // accounts and users
  "authorization { users: [{user: a, account: A}] }\naccounts { A {} }\n",
  "authorization { users: [{user: a, account: A}] }\n",
  acc("A { users: [{user: a, account: A}] }"),
  acc("A { users: [{}] }"),
  acc("A { users: 5 }"),
  acc("A { bogus: 1 }"),
  acc("A: 5"),
  acc("A { nkey: bad }"),
  acc("A { default_permissions: { publish: 42 } }"),
  acc('A { default_permissions: { publish: "a.>" }, users: [{user: u, password: p}] }'),
  acc("A { limits: { bogus: 1 } }"),
  acc("A { limits: 5 }"),
  acc("A { jetstream: disabled }"),
  // variables
  "U: u\naccounts { A { users: [{user: $U, password: p}] } }\n",
  "X: { users: [{user: u}] }\naccounts { A: $X }\n",
  "S: x\naccounts { A { exports: [{stream: $S}] }, B { imports: [{stream: {account: A, subject: $S}}] } }\n",
  acc('A { exports: [{service: x, latency: {sampling: 200, subject: "lat"}}] }'),
  acc('A { exports: [{service: x, latency: {sampling: "50%"}}] }'),
  acc('A { exports: [{service: x, latency: "lat.x"}] }'),
  acc("A { exports: [{service: x, latency: 5}] }"),
  // mappings of the wrong shape (the destinations themselves are the mapping engine's)
  "mappings: 5\n",
  'mappings { "a..b": c }\n',
  "mappings { a: [{destination: b}] }\n",
  "mappings { a: [{destination: b, weight: 101}] }\n",
  "mappings { a: [{destination: b, weight: -1}] }\n",
  'mappings { a: [{destination: b, weight: "x%"}] }\n',
  "mappings { a: [{destination: b, weight: 10, foo: 1}] }\n",
  "mappings { a: [5, ] }\n",
  "mappings { a: {destination: b, weight: 10} }\n",
  "mappings { a: 5 }\n",
  "mappings { a: b, c: d }\n",
  acc('A { mappings: { "a..b": c } }'),
  acc("A { mappings: { a: [{destination: b}] } }"),
  acc("A { maps: { a: b } }"),
];

describe("accounts config: nats-server -t and tsnats -t agree", { skip: ORACLE === null && "no nats-server" }, () => {
  CASES.forEach((text, i) => {
    it(`#${i} ${JSON.stringify(text.length > 90 ? `${text.slice(0, 90)}...` : text)}`, async () => {
      await assertSameAsOracle(writeConf(text));
    });
  });
});

// [file text, nats-server 2.10's -t answer (FILE = the path, "" = valid), why the 2.9 oracle is not asked]
const CASES_210 = [
  [
    'mappings { a: [{destination: b, weight: 40}, {destination: c, weight: "70%"}] }\n',
    'FILE:1:11: Error adding mapping for "a" : total weight needs to be <= 100',
    "2.9 panics formatting the error of a weighted mapping",
  ],
  [
    "mappings { a: [{destination: b, weight: 10}, {destination: b, weight: 10}] }\n",
    'FILE:1:11: Error adding mapping for "a" : duplicate entry for "b"',
    "likewise",
  ],
  [
    "mappings { a: [{destination: b, weight: 60, cluster: c1}, {destination: c, weight: 60, cluster: c2}] }\n",
    "",
    "2.10 sums the weights per cluster",
  ],
];

// Where nats-server's answer depends on Go's random map order (of a file's keys, or of a
// map's fields): [file text, tsnats's answer (file order), the other answers nats-server gives].
// The oracle is asked a few times; each of its answers must be one of these.
const RANDOM_ORDER = [
  [
    acc("A { imports: [{stream: {account: B, subject: x}, prefix: p, to: q}] }, B { exports: [{stream: x}] }"),
    "FILE:1:71: Stream import can not have a 'prefix' and a 'to' property",
    [""],
  ],
  [
    acc("A { exports: [{stream: x, service: y}] }"),
    'FILE:1:37: Detected service "y" but already saw a stream',
    ['FILE:1:26: Detected stream "x" but already saw a service'],
  ],
  [
    "authorization { users: [{user: u}] }\naccounts { A { users: [{user: u}] } }\n",
    'FILE:2:16: Duplicate user "u" detected',
    ['FILE:1:0: Duplicate user "u" detected'],
  ],
  [
    "accounts { A { users: [{user: u}] } }\nauthorization { user: x, password: y }\n",
    "FILE:2:1: Can not have a single user/pass and a users array",
    ["FILE:1:15: Can not have a single user/pass and accounts"],
  ],
];

RANDOM_ORDER.push(
  [
    acc("A { users: [{user: u}] }\nB { users: [{user: u}] }"),
    'FILE:2:5: Duplicate user "u" detected',
    ['FILE:1:15: Duplicate user "u" detected'],
  ],
  [
    acc(`A { users: [{nkey: ${NKEY}}] }\nB { users: [{nkey: ${NKEY}}] }`),
    `FILE:2:5: Duplicate nkey "${NKEY}" detected`,
    [`FILE:1:15: Duplicate nkey "${NKEY}" detected`],
  ],
  [
    "authorization { user: x, password: y }\naccounts { A { users: [{user: u}] } }\n",
    "FILE:2:16: Can not have a single user/pass and accounts",
    ["FILE:1:0: Can not have a single user/pass and a users array"],
  ],
  [
    // nats-server checks the directive only when it has seen `stream` first
    acc('A { exports: [{stream: z, response_threshold: "1s"}] }'),
    "FILE:1:37: Detected response directive on non-service",
    [""],
  ],
  [
    "authorization { token: t }\naccounts { A { users: [{user: u}] } }\n",
    "FILE:2:16: Can not have a token and accounts",
    ["FILE:1:0: Can not have a token and a users array"],
  ],
);

describe("accounts config: where nats-server answers in Go's random map order", () => {
  RANDOM_ORDER.forEach(([text, want, others], i) => {
    it(`#${i} ${JSON.stringify(text)}`, async () => {
      const f = writeConf(text);
      const got = tsnatsCheck(f);
      assert.equal(got, want.replaceAll("FILE", f));
      if (ORACLE === null) return;
      const allowed = [want, ...others].map((w) => w.replaceAll("FILE", f));
      for (let n = 0; n < 4; n++) {
        const o = (await oracleCheck(f)).split("\n")[0].trim();
        assert.ok(allowed.includes(o), `nats-server answered ${o}`);
      }
    });
  });
});

describe("accounts config: nats-server 2.10's answer where the 2.9 oracle differs", () => {
  CASES_210.forEach(([text, want, why], i) => {
    it(`#${i} ${why}`, async () => {
      await assertCheck210(writeConf(text), want);
    });
  });
});

describe("accounts config: the options the loader builds", () => {
  it("a good config: accounts, exports, imports, mappings, users with their account", () => {
    const o = loadConfigOptions(writeConf(GOOD));
    assert.deepEqual(
      o.accounts.map((a) => a.name),
      ["A", "B"],
    );
    const [a, b] = o.accounts;
    assert.deepEqual(a.exports, [
      { stream: "s.>" },
      { service: "svc.>", response_type: "stream", response_threshold: 5000 },
      { service: "chunky", response_type: "chunked" },
      { service: "single", response_type: "singleton" },
      { service: "priv", accounts: ["B"] },
      { stream: "only.b", accounts: ["B"] },
    ]);
    assert.deepEqual(b.imports, [
      { stream: { account: "A", subject: "s.>" }, prefix: "p" },
      { stream: { account: "A", subject: "only.b" }, to: "mine.b" },
      { service: { account: "A", subject: "svc.x" }, to: "my.svc" },
      { service: { account: "A", subject: "priv" } },
    ]);
    assert.deepEqual(b.mappings, [
      { subject: "foo", destinations: [{ subject: "bar", weight: 100 }] },
      {
        subject: "w.*",
        destinations: [
          { subject: "w1.$1", weight: 50 },
          { subject: "w2.$1", weight: 50 },
        ],
      },
    ]);
    assert.deepEqual(o.mappings, [{ subject: "top", destinations: [{ subject: "other", weight: 100 }] }]);
    assert.equal(o.system_account, "A");
    assert.equal(o.no_auth_user, "b");
    assert.deepEqual(o.authorization.users.map((u) => [u.user, u.account, u.nkey]).sort(), [
      [NKEY, "B", NKEY],
      ["a", "A", undefined],
      ["b", "B", undefined],
    ]);
  });

  it("an account's default_permissions go to its users without their own", () => {
    const o = loadConfigOptions(
      writeConf(
        acc(
          'A { default_permissions: { publish: "a.>" }, users: [{user: u, password: p}, {user: v, password: p, permissions: {subscribe: ">"}}] }',
        ),
      ),
    );
    assert.deepEqual(o.authorization.users[0].permissions, { publish: { allow: ["a.>"] } });
    assert.deepEqual(o.authorization.users[1].permissions, { subscribe: { allow: [">"] } });
  });

  it("accounts as a list of names, no_system_account, and nothing configured", () => {
    const o = loadConfigOptions(writeConf("accounts: [A, B]\nno_system_account: true\n"));
    assert.deepEqual(o.accounts, [
      { name: "A", exports: [], imports: [], mappings: [] },
      { name: "B", exports: [], imports: [], mappings: [] },
    ]);
    assert.equal(o.no_system_account, true);
    const p = loadConfigOptions(writeConf("port: 4222\n"));
    assert.equal(p.accounts, undefined, "left to resolveOptions' defaults");
  });

  it("checkAccountGraph on options built in code", () => {
    const A = (name, exports = [], imports = []) => ({ name, exports, imports, mappings: [] });
    assert.equal(checkAccountGraph({ accounts: [A("A"), A("B")] }), null);
    assert.equal(
      checkAccountGraph({ accounts: [A("A", [], [{ service: { account: "B", subject: "q" } }]), A("B")] }),
      'Error adding service import "q": service import not authorized',
    );
    assert.equal(
      checkAccountGraph({
        accounts: [
          A("A", [{ stream: "x" }], [{ stream: { account: "B", subject: "x" } }]),
          A("B", [{ stream: "x" }], [{ stream: { account: "A", subject: "x" } }]),
        ],
      }),
      'Error adding stream import "x": import forms a cycle',
    );
  });
});

// ------------------------------------------------- 4. which account a user lands in, live

for (const kind of serverKinds()) {
  describe(`accounts: users and no_auth_user resolve into their account [${kind}]`, () => {
    let srv;
    let mport;
    before(async () => {
      mport = await freePort();
      const f = writeConf(
        `${acc(`A { users: [{user: a, password: a}] }\nB { users: [{user: b, password: b}] }`)}no_auth_user: b\nsystem_account: A\n`,
      );
      srv = await startServer(kind, ["-c", f, "-m", String(mport)]);
    });
    after(async () => {
      await srv?.stop();
    });

    it("/connz?acc= lists each connection under its account", async () => {
      const a = await connect({ servers: srv.hostport, user: "a", pass: "a", reconnect: false });
      const anon = await connect({ servers: srv.hostport, reconnect: false });
      try {
        await a.flush();
        await anon.flush();
        const get = async (acc) =>
          (await (await fetch(`http://127.0.0.1:${mport}/connz?auth=true&acc=${acc}`)).json()).connections ?? [];
        assert.deepEqual(
          (await get("A")).map((c) => c.authorized_user),
          ["a"],
        );
        assert.deepEqual(
          (await get("B")).map((c) => c.authorized_user),
          ["b"],
        );
      } finally {
        await a.close();
        await anon.close();
      }
    });

    it("the authorization block's default permissions are not those of an account's users", async () => {
      // g (authorization users) may only publish "only.x"; a and a2 (account A) may publish anything
      const f = writeConf(
        'authorization { default_permissions: { publish: "only.x" }, users: [{user: g, password: g}] }\n' +
          acc("A { users: [{user: a, password: a}, {user: a2, password: a2}] }"),
      );
      const s2 = await startServer(kind, ["-c", f]);
      const ncs = [];
      try {
        const open = async (user) => {
          const nc = await connect({ servers: s2.hostport, user, pass: user, reconnect: false });
          ncs.push(nc);
          return nc;
        };
        const sub = await open("a2");
        const got = [];
        sub.subscribe("free.y", { callback: (_e, m) => got.push(m.subject) });
        await sub.flush();
        const a = await open("a");
        a.publish("free.y");
        await a.flush();
        const g = await open("g");
        const errs = [];
        (async () => {
          for await (const st of g.status()) if (st.type === "error") errs.push(String(st.error));
        })().catch(() => {});
        g.publish("free.y");
        await g.flush();
        const until = Date.now() + 2000;
        while ((got.length < 1 || errs.length < 1) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        assert.deepEqual(got, ["free.y"], "a's message arrives, g's does not");
        assert.match(errs.join("\n"), /Permissions Violation for Publish to "free.y"/i);
      } finally {
        for (const nc of ncs) await nc.close().catch(() => {});
        await s2.stop();
      }
    });

    it("a wrong password is still refused", async () => {
      await assert.rejects(connect({ servers: srv.hostport, user: "a", pass: "x", reconnect: false }));
    });
  });
}

// system_account is checked when the server starts (nats-server's configureAccounts), not by -t
const START_CASES = [
  ["system_account: NOPE\n", "error resolving system account: account missing"],
  ['system_account: "$SYS"\n', "error resolving system account: account missing"],
  ["no_system_account: true\nsystem_account: NOPE\n", "error resolving system account: account missing"],
  [acc("A {}") + "system_account: B\n", "error resolving system account: account missing"],
];

for (const kind of serverKinds()) {
  describe(`accounts: system_account naming no account stops the start [${kind}]`, () => {
    START_CASES.forEach(([text, want], i) => {
      it(`#${i} ${JSON.stringify(text)}`, async () => {
        const r = await runServerToExit(kind, ["-c", writeConf(`port: -1\nhost: 127.0.0.1\n${text}`)]);
        assert.equal(r.killed, false, "it exits");
        assert.equal(r.code, 1);
        assert.match(r.stderr, new RegExp(`(^|\\n)(nats-server|tsnats-server): ${want}\\n`));
      });
    });
  });
}
