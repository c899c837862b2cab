// Unit tests of the subject index (src/server/sublist.ts) and the subject helpers
// (src/protocol/subject.ts), ending with a randomized model check of Sublist.match() (and so of
// its result cache) against a brute-force reference under insert/remove churn.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Sublist, SublistError } from "../dist/server/sublist.js";
import { isValidSubject, isValidLiteralSubject, subjectMatches, subjectHasWildcard } from "../dist/protocol/subject.js";
import { prng } from "./helpers/prng.js";

let nextId = 0;
/** A subscription entry: Sublist only needs subject and queue; id makes results comparable. */
const sub = (subject, queue = null) => ({ subject, queue, id: ++nextId });
const ids = (arr) => arr.map((s) => s.id).sort((a, b) => a - b);
/** A match result in comparable form: sorted psub ids and { queue: sorted ids }, queues sorted. */
function shape(r) {
  const q = {};
  for (const group of r.qsubs) {
    assert.ok(group.length > 0, "no empty queue group in a result");
    const name = group[0].queue;
    assert.ok(
      group.every((s) => s.queue === name),
      "a queue group holds one queue name",
    );
    assert.ok(!(name in q), `queue ${name} appears once`);
    q[name] = ids(group);
  }
  const sorted = {};
  for (const k of Object.keys(q).sort()) sorted[k] = q[k];
  assert.ok(
    r.psubs.every((s) => s.queue === null),
    "psubs are plain subscriptions",
  );
  return { p: ids(r.psubs), q: sorted };
}

describe("subject helpers", () => {
  it("isValidSubject", () => {
    for (const s of [
      "foo",
      "foo.bar",
      "*",
      ">",
      "foo.*",
      "foo.>",
      "*.*.>",
      "foo.*.bar",
      "a*b",
      "a>b",
      "foo.b*r.>",
      ">a",
      "*a.b",
      "_INBOX.x",
      "\u00e9.\u00ff",
      "a-b.c_d.e:f",
    ]) {
      assert.equal(isValidSubject(s), true, JSON.stringify(s));
    }
    for (const s of [
      "",
      ".",
      "..",
      "foo.",
      ".foo",
      "foo..bar",
      "foo bar",
      "foo\tbar",
      "foo\r",
      "foo\nbar",
      "foo\fbar",
      ">.foo",
      "foo.>.bar",
      "foo.>.>",
      "> ",
      " ",
    ]) {
      assert.equal(isValidSubject(s), false, JSON.stringify(s));
    }
  });

  it("isValidLiteralSubject", () => {
    for (const s of ["foo", "foo.bar", "a*b", "a>b", "foo.b*r", "*a", ">a"])
      assert.equal(isValidLiteralSubject(s), true, s);
    for (const s of ["", "*", ">", "foo.*", "foo.>", "*.bar", "foo..bar", "foo bar", "foo."])
      assert.equal(isValidLiteralSubject(s), false, s);
  });

  it("subjectHasWildcard only counts whole tokens", () => {
    for (const s of ["*", ">", "a.*", "*.a", "a.*.b", "a.>", "**.*"]) assert.equal(subjectHasWildcard(s), true, s);
    for (const s of ["a", "a*", "*a", "a.b*", "a.>b", "a*.b", "a.**", ">>"])
      assert.equal(subjectHasWildcard(s), false, s);
  });

  it("subjectMatches", () => {
    const yes = [
      ["foo", "foo"],
      ["foo.bar", "foo.bar"],
      ["foo.bar", "foo.*"],
      ["foo.bar", "*.bar"],
      ["foo.bar", "*.*"],
      ["foo.bar", ">"],
      ["foo.bar", "foo.>"],
      ["foo.bar.baz", "foo.>"],
      ["foo.bar.baz", "foo.*.baz"],
      ["foo.bar.baz", "*.*.>"],
      ["foo", "*"],
      ["foo", ">"],
    ];
    const no = [
      ["foo", "bar"],
      ["foo", "foo.bar"],
      ["foo.bar", "foo"],
      ["foo", "foo.>"],
      ["foo", "foo.*"],
      ["foo.bar", "*"],
      ["foo.bar.baz", "foo.*"],
      ["foo.bar", "foo.baz"],
      ["foo.bar", "fo.*"],
      ["foo.bar", "foo.ba"],
      ["foox", "foo"],
      ["foo.bar", "a*.bar"],
      ["foo.bar", "foo.b*"],
    ];
    for (const [l, p] of yes) assert.equal(subjectMatches(l, p), true, `${l} ~ ${p}`);
    for (const [l, p] of no) assert.equal(subjectMatches(l, p), false, `${l} !~ ${p}`);
  });
});

describe("Sublist", () => {
  it("literal subscriptions match only their own subject", () => {
    const sl = new Sublist();
    const a = sub("foo.bar");
    const b = sub("foo.baz");
    const c = sub("foo");
    for (const s of [a, b, c]) sl.insert(s);
    assert.equal(sl.size, 3);
    assert.deepEqual(shape(sl.match("foo.bar")), { p: [a.id], q: {} });
    assert.deepEqual(shape(sl.match("foo.baz")), { p: [b.id], q: {} });
    assert.deepEqual(shape(sl.match("foo")), { p: [c.id], q: {} });
    assert.deepEqual(shape(sl.match("foo.bar.baz")), { p: [], q: {} });
    assert.deepEqual(shape(sl.match("bar")), { p: [], q: {} });
    assert.equal(sl.hasInterest("foo.bar"), true);
    assert.equal(sl.hasInterest("foo.qux"), false);
  });

  it("several subscriptions on one subject are all returned", () => {
    const sl = new Sublist();
    const subs = [sub("x"), sub("x"), sub("x")];
    for (const s of subs) sl.insert(s);
    assert.deepEqual(shape(sl.match("x")).p, ids(subs));
  });

  it("* matches exactly one token at its position", () => {
    const sl = new Sublist();
    const s1 = sub("foo.*");
    const s2 = sub("*.bar");
    const s3 = sub("*");
    const s4 = sub("foo.*.baz");
    for (const s of [s1, s2, s3, s4]) sl.insert(s);
    assert.deepEqual(shape(sl.match("foo.bar")).p, ids([s1, s2]));
    assert.deepEqual(shape(sl.match("foo")).p, ids([s3]));
    assert.deepEqual(shape(sl.match("foo.x.baz")).p, ids([s4]));
    assert.deepEqual(shape(sl.match("foo.x.y")).p, []);
    assert.deepEqual(shape(sl.match("x.bar")).p, ids([s2]));
    assert.deepEqual(shape(sl.match("foo.bar.baz.qux")).p, []);
  });

  it("> matches one or more trailing tokens, never zero", () => {
    const sl = new Sublist();
    const s1 = sub("foo.>");
    const s2 = sub(">");
    const s3 = sub("foo.*.>");
    for (const s of [s1, s2, s3]) sl.insert(s);
    assert.deepEqual(shape(sl.match("foo")).p, ids([s2]));
    assert.deepEqual(shape(sl.match("foo.bar")).p, ids([s1, s2]));
    assert.deepEqual(shape(sl.match("foo.bar.baz")).p, ids([s1, s2, s3]));
    assert.deepEqual(shape(sl.match("bar.baz")).p, ids([s2]));
  });

  it("tokens containing * or > are literal tokens", () => {
    const sl = new Sublist();
    const s1 = sub("a*b.c");
    const s2 = sub("x.>y");
    sl.insert(s1);
    sl.insert(s2);
    assert.deepEqual(shape(sl.match("a*b.c")).p, ids([s1]));
    assert.deepEqual(shape(sl.match("aXb.c")).p, []);
    assert.deepEqual(shape(sl.match("x.>y")).p, ids([s2]));
    assert.deepEqual(shape(sl.match("x.y")).p, []);
  });

  it("queue subscriptions are grouped per queue name, apart from plain subscriptions", () => {
    const sl = new Sublist();
    const p1 = sub("orders.new");
    const q1 = sub("orders.new", "workers");
    const q2 = sub("orders.*", "workers");
    const q3 = sub("orders.>", "auditors");
    const q4 = sub("orders.new", "auditors");
    const q5 = sub("other", "workers");
    for (const s of [p1, q1, q2, q3, q4, q5]) sl.insert(s);
    assert.deepEqual(shape(sl.match("orders.new")), {
      p: [p1.id],
      q: { auditors: ids([q3, q4]), workers: ids([q1, q2]) },
    });
    assert.deepEqual(shape(sl.match("orders.old")), { p: [], q: { auditors: [q3.id], workers: [q2.id] } });
    assert.deepEqual(shape(sl.match("other")), { p: [], q: { workers: [q5.id] } });
    assert.equal(sl.hasInterest("orders.x.y"), true, "queue-only interest counts");
    sl.remove(q3);
    sl.remove(q4);
    assert.deepEqual(
      shape(sl.match("orders.new")),
      { p: [p1.id], q: { workers: ids([q1, q2]) } },
      "an emptied group disappears",
    );
  });

  it("remove: only the given entry, returns false when absent", () => {
    const sl = new Sublist();
    const a = sub("foo.*");
    const b = sub("foo.*");
    const q = sub("foo.*", "g");
    sl.insert(a);
    sl.insert(b);
    sl.insert(q);
    assert.deepEqual(shape(sl.match("foo.x")), { p: ids([a, b]), q: { g: [q.id] } });
    assert.equal(sl.remove(a), true);
    assert.equal(sl.remove(a), false, "second remove");
    assert.equal(sl.remove(sub("foo.*")), false, "an equal but different entry");
    assert.equal(sl.remove({ subject: "foo.*", queue: "other", id: q.id }), false, "wrong queue");
    assert.equal(sl.remove(sub("nope.x")), false, "unknown subject");
    assert.equal(sl.remove(sub("foo.*.deeper")), false, "path beyond a leaf");
    assert.equal(sl.remove(sub("")), false, "empty subject");
    assert.equal(sl.remove(sub("foo..x")), false, "invalid subject");
    assert.equal(sl.size, 2);
    assert.deepEqual(shape(sl.match("foo.x")), { p: [b.id], q: { g: [q.id] } });
    assert.equal(sl.remove(q), true);
    assert.deepEqual(shape(sl.match("foo.x")), { p: [b.id], q: {} });
  });

  it("removal prunes empty nodes and levels (the trie is empty again)", () => {
    const sl = new Sublist();
    const subs = ["a", "a.b", "a.b.c", "a.*.c", "a.>", "*", ">", "*.*.>", "x.y.z", "x.y.z"].map((s, i) =>
      sub(s, i % 3 === 0 ? "q" : null),
    );
    for (const s of subs) sl.insert(s);
    assert.equal(sl.size, subs.length);
    assert.equal(sl.all().length, subs.length);
    // remove in an order different from insertion, checking the shape as we go
    const order = [3, 0, 8, 5, 1, 9, 6, 2, 7, 4];
    for (const i of order) {
      assert.equal(sl.remove(subs[i]), true);
    }
    assert.equal(sl.size, 0);
    assert.deepEqual(sl.all(), []);
    // white-box: the root level holds nothing once everything is gone
    const root = sl.root;
    assert.equal(root.nodes.size, 0, "no literal nodes left");
    assert.equal(root.pwc, null, "no * node left");
    assert.equal(root.fwc, null, "no > node left");
  });

  it("pruning keeps nodes that still lead somewhere", () => {
    const sl = new Sublist();
    const deep = sub("a.b.c.d");
    const mid = sub("a.b");
    sl.insert(deep);
    sl.insert(mid);
    sl.remove(deep);
    assert.deepEqual(shape(sl.match("a.b")).p, [mid.id]);
    assert.equal(sl.root.nodes.get("a").next.nodes.get("b").next, null, "the emptied level under a.b is dropped");
    sl.insert(deep);
    sl.remove(mid);
    assert.deepEqual(shape(sl.match("a.b.c.d")).p, [deep.id], "a.b's node is kept for a.b.c.d");
    assert.deepEqual(shape(sl.match("a.b")).p, []);
  });

  it("invalid subjects are rejected with SublistError and change nothing", () => {
    const sl = new Sublist();
    for (const s of ["", "foo.", ".foo", "foo..bar", "foo bar", "foo.>.bar", ">.a", "a\tb", "a\nb"]) {
      assert.throws(() => sl.insert(sub(s)), SublistError, JSON.stringify(s));
      assert.throws(() => sl.insert(sub(s, "q")), SublistError, JSON.stringify(s));
    }
    assert.equal(sl.size, 0);
    assert.deepEqual(sl.all(), []);
    assert.equal(sl.root.nodes.size, 0);
  });

  it("matching a subject with empty tokens finds nothing (and is not cached)", () => {
    const sl = new Sublist();
    sl.insert(sub(">"));
    sl.insert(sub("*.*"));
    for (const s of ["", ".", "a.", ".a", "a..b"]) {
      assert.deepEqual(shape(sl.match(s)), { p: [], q: {} }, JSON.stringify(s));
    }
    assert.equal(sl.cacheSize, 0);
  });

  it("cached results are dropped when a matching subscription comes or goes", () => {
    const sl = new Sublist();
    const a = sub("foo.bar");
    sl.insert(a);
    assert.deepEqual(shape(sl.match("foo.bar")).p, [a.id]);
    const hits = sl.cacheHits;
    sl.match("foo.bar");
    assert.equal(sl.cacheHits, hits + 1, "second match is served from the cache");
    const w = sub("foo.*");
    sl.insert(w);
    assert.deepEqual(shape(sl.match("foo.bar")).p, ids([a, w]));
    const g = sub(">", "g");
    sl.insert(g);
    assert.deepEqual(shape(sl.match("foo.bar")), { p: ids([a, w]), q: { g: [g.id] } });
    sl.remove(a);
    assert.deepEqual(shape(sl.match("foo.bar")), { p: [w.id], q: { g: [g.id] } });
    sl.remove(w);
    sl.remove(g);
    assert.deepEqual(shape(sl.match("foo.bar")), { p: [], q: {} });
  });

  it("the cache stays bounded", () => {
    const sl = new Sublist();
    sl.insert(sub(">"));
    for (let i = 0; i < 5000; i++) sl.match(`s.${i}`);
    assert.ok(sl.cacheSize <= 1024, `cache size ${sl.cacheSize}`);
  });

  it("genid and counters move on every change", () => {
    const sl = new Sublist();
    const a = sub("a");
    const g0 = sl.genid;
    sl.insert(a);
    assert.ok(sl.genid > g0);
    const g1 = sl.genid;
    sl.remove(a);
    assert.ok(sl.genid > g1);
    const g2 = sl.genid;
    sl.remove(a);
    assert.equal(sl.genid, g2, "a failed remove changes nothing");
    assert.equal(sl.inserts, 1);
    assert.equal(sl.removes, 1);
  });
});

// ------------------------------------------------------------------------------------------------
// Randomized model check. The reference is computed from the set of live subscriptions with an
// independent token matcher (not subjectMatches, which is itself under test).

/** Does a subscription subject (pattern) match a published subject? Sublist semantics. */
function refMatch(pattern, subject) {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== "*" && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

function refResult(live, subject) {
  const p = [];
  const q = {};
  for (const s of live) {
    if (!refMatch(s.subject, subject)) continue;
    if (s.queue === null) p.push(s.id);
    else (q[s.queue] ??= []).push(s.id);
  }
  const sorted = {};
  for (const k of Object.keys(q).sort()) sorted[k] = q[k].sort((a, b) => a - b);
  return { p: p.sort((a, b) => a - b), q: sorted };
}

/**
 * Run `steps` random operations. tokens: the literal alphabet; maxLen: tokens per subject;
 * wildPub: probability that a published subject contains a * or > token (publishing to such a
 * subject is allowed outside pedantic mode, and its result is cached like any other).
 */
function modelCheck({ seed, steps, tokens, maxLen, wildPub = 0.1, queues = ["q1", "q2"], target = 40, churn = 0.3 }) {
  const rand = prng(seed);
  const pick = (arr) => arr[Math.floor(rand() * arr.length)];
  const sl = new Sublist();
  const live = []; // order irrelevant; swap-remove
  const dead = [];
  const subTok = [...tokens, "*", ">"];
  const randPattern = () => {
    const n = 1 + Math.floor(rand() * maxLen);
    const t = [];
    for (let i = 0; i < n; i++) {
      // '>' only as the last token
      let tok = pick(subTok);
      if (tok === ">" && i < n - 1) tok = "*";
      t.push(tok);
    }
    return t.join(".");
  };
  const randLiteral = () => {
    const n = 1 + Math.floor(rand() * maxLen);
    const t = [];
    for (let i = 0; i < n; i++) t.push(rand() < wildPub ? pick(["*", ">"]) : pick(tokens));
    return t.join(".");
  };
  let matches = 0;
  let nonEmpty = 0;
  let maxCache = 0;
  for (let step = 0; step < steps; step++) {
    const r = rand();
    if (r < churn) {
      // churn: insert or remove, keeping about `target` live subscriptions
      const insert = live.length === 0 || rand() < target / (target + live.length);
      if (insert) {
        const s = sub(randPattern(), rand() < 0.3 ? pick(queues) : null);
        sl.insert(s);
        live.push(s);
      } else {
        const k = Math.floor(rand() * live.length);
        const s = live[k];
        live[k] = live[live.length - 1];
        live.pop();
        assert.equal(sl.remove(s), true, `seed ${seed} step ${step}: remove ${s.subject}`);
        dead.push(s);
      }
    } else if (r < churn + 0.02) {
      // removing something already gone (or never there) must fail and change nothing
      const s = dead.length > 0 && rand() < 0.7 ? pick(dead) : sub(randPattern(), rand() < 0.3 ? pick(queues) : null);
      assert.equal(sl.remove(s), false, `seed ${seed} step ${step}: remove of absent ${s.subject}`);
    } else {
      const subject = randLiteral();
      const got = shape(sl.match(subject));
      const want = refResult(live, subject);
      assert.deepEqual(got, want, `seed ${seed} step ${step}: match(${subject}) with ${live.length} subs`);
      matches++;
      if (want.p.length + Object.keys(want.q).length > 0) nonEmpty++;
      maxCache = Math.max(maxCache, sl.cacheSize);
    }
    assert.equal(sl.size, live.length);
  }
  // finally: every remaining subscription is listed once, and removing them all empties the trie
  assert.deepEqual(ids(sl.all()), ids(live));
  for (const s of live) assert.equal(sl.remove(s), true);
  assert.equal(sl.size, 0);
  assert.equal(
    sl.root.nodes.size + (sl.root.pwc ? 1 : 0) + (sl.root.fwc ? 1 : 0),
    0,
    "trie empty after removing everything",
  );
  return { sl, matches, nonEmpty, maxCache };
}

describe("Sublist: randomized model check against a brute-force reference", () => {
  it("small alphabet, heavy cache reuse (many seeds)", () => {
    let hits = 0;
    let total = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const { sl, matches, nonEmpty } = modelCheck({
        seed,
        steps: 3000,
        tokens: ["a", "b", "c"],
        maxLen: 4,
        churn: 0.15,
      });
      hits += sl.cacheHits;
      total += matches;
      assert.ok(nonEmpty > matches / 10, `seed ${seed}: enough non-empty matches (${nonEmpty}/${matches})`);
    }
    // the check is only meaningful if many matches were answered from the cache
    assert.ok(hits > total / 4, `cache hits ${hits} of ${total} matches`);
  });

  it("high churn: every few matches a subscription comes or goes", () => {
    for (let seed = 100; seed < 110; seed++)
      modelCheck({ seed, steps: 3000, tokens: ["a", "b"], maxLen: 3, churn: 0.5, target: 15 });
  });

  it("larger alphabet so the cache fills and is pruned", () => {
    const { sl, maxCache } = modelCheck({
      seed: 4242,
      steps: 30000,
      tokens: ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
      maxLen: 4,
      wildPub: 0.05,
      churn: 0.03,
      target: 60,
    });
    assert.ok(sl.cacheHits > 0);
    assert.ok(maxCache >= 1000, `the cache filled up (max ${maxCache})`);
  });

  it("literal publish subjects only, deep subjects", () => {
    modelCheck({ seed: 7, steps: 10000, tokens: ["x", "y"], maxLen: 6, wildPub: 0 });
  });

  it("tokens that contain wildcard characters are literal", () => {
    modelCheck({ seed: 99, steps: 5000, tokens: ["a", "a*", ">b", "*>"], maxLen: 3, wildPub: 0.2 });
  });
});
