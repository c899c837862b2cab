// Unit tests of the server-side protocol encoders (MSG, HMSG, INFO in src/protocol/encode.ts)
// on OutboundBuffer, and of the protocol enums exported as runtime objects for plain
// JavaScript (tsnats/protocol), checked against the parser's const enums in the build.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  OutboundBuffer,
  Parser,
  Op,
  ParseErrorKind,
  encodeMsg,
  encodeHmsg,
  encodeMessage,
  encodeInfo,
} from "tsnats/protocol";

/** Everything written so far, as bytes. */
function bytes(out) {
  return Buffer.from(out.take());
}

/** Expected wire bytes from a latin1 string (one byte per char). */
function wire(s) {
  return Buffer.from(s, "latin1");
}

describe("encodeMsg", () => {
  it("MSG without reply", () => {
    const out = new OutboundBuffer();
    encodeMsg(out, "foo.bar", "1", "", Buffer.from("hello"), 0, 5);
    assert.deepEqual(bytes(out), wire("MSG foo.bar 1 5\r\nhello\r\n"));
  });

  it("MSG with reply", () => {
    const out = new OutboundBuffer();
    encodeMsg(out, "foo", "42", "_INBOX.abc.1", Buffer.from("hi"), 0, 2);
    assert.deepEqual(bytes(out), wire("MSG foo 42 _INBOX.abc.1 2\r\nhi\r\n"));
  });

  it("empty payload", () => {
    const out = new OutboundBuffer();
    encodeMsg(out, "a", "7", "", Buffer.alloc(0), 0, 0);
    assert.deepEqual(bytes(out), wire("MSG a 7 0\r\n\r\n"));
  });

  it("a range inside a larger buffer (small, copied by loop)", () => {
    const out = new OutboundBuffer();
    const read = Buffer.from("PUB x 5\r\nhello\r\n");
    encodeMsg(out, "x", "3", "", read, 9, 14);
    assert.deepEqual(bytes(out), wire("MSG x 3 5\r\nhello\r\n"));
  });

  it("large payloads: a whole view and a range of a larger buffer give the same bytes", () => {
    const body = Buffer.alloc(1234);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 255;
    const expect = Buffer.concat([wire("MSG big 9 r 1234\r\n"), body, wire("\r\n")]);
    const a = new OutboundBuffer();
    encodeMsg(a, "big", "9", "r", body, 0, body.length);
    assert.deepEqual(bytes(a), expect);
    const framed = Buffer.concat([Buffer.from("xxxx"), body, Buffer.from("yy")]);
    const b = new OutboundBuffer();
    encodeMsg(b, "big", "9", "r", framed, 4, 4 + body.length);
    assert.deepEqual(bytes(b), expect);
    // exactly at the threshold between the loop and the native copy
    for (const n of [31, 32, 33]) {
      const o = new OutboundBuffer();
      encodeMsg(o, "t", "1", "", body, 5, 5 + n);
      assert.deepEqual(bytes(o), Buffer.concat([wire(`MSG t 1 ${n}\r\n`), body.subarray(5, 5 + n), wire("\r\n")]));
    }
  });

  it("subjects are written byte for byte (the parser's latin1 strings of UTF-8 bytes)", () => {
    const utf8 = Buffer.from("café.ñ", "utf8");
    const subject = utf8.toString("latin1");
    const out = new OutboundBuffer();
    encodeMsg(out, subject, "1", "", Buffer.from("x"), 0, 1);
    assert.deepEqual(bytes(out), Buffer.concat([wire("MSG "), utf8, wire(" 1 1\r\nx\r\n")]));
  });

  it("long subjects, sids and replies (over 48 chars)", () => {
    const subject = `s.${"a".repeat(60)}`;
    const sid = "9".repeat(50);
    const reply = `_INBOX.${"z".repeat(70)}`;
    const out = new OutboundBuffer();
    encodeMsg(out, subject, sid, reply, Buffer.from("p"), 0, 1);
    assert.deepEqual(bytes(out), wire(`MSG ${subject} ${sid} ${reply} 1\r\np\r\n`));
  });

  it("sizes with many digits and with 10, 100, 1000", () => {
    for (const n of [9, 10, 99, 100, 1000, 65536, 1048576]) {
      const out = new OutboundBuffer();
      encodeMsg(out, "n", "1", "", Buffer.alloc(n, 97), 0, n);
      const got = bytes(out);
      const head = wire(`MSG n 1 ${n}\r\n`);
      assert.deepEqual(got.subarray(0, head.length), head);
      assert.equal(got.length, head.length + n + 2);
      assert.deepEqual(got.subarray(got.length - 2), wire("\r\n"));
    }
  });

  it("counts messages and grows a small buffer without losing what it holds", () => {
    const out = new OutboundBuffer(64, 16);
    const parts = [];
    for (let i = 0; i < 50; i++) {
      const body = Buffer.from(`payload-${i}-${"x".repeat(i)}`);
      encodeMsg(out, `sub.${i}`, String(i), i % 2 ? `r.${i}` : "", body, 0, body.length);
      parts.push(`MSG sub.${i} ${i} ${i % 2 ? `r.${i} ` : ""}${body.length}\r\n${body}\r\n`);
    }
    assert.equal(out.msgs, 50);
    assert.deepEqual(bytes(out), wire(parts.join("")));
    assert.equal(out.msgs, 0);
  });
});

describe("encodeHmsg", () => {
  const hdrs = "NATS/1.0\r\nA: b\r\n\r\n";

  it("HMSG without reply", () => {
    const out = new OutboundBuffer();
    const m = Buffer.from(`${hdrs}hi`);
    encodeHmsg(out, "foo", "22", "", hdrs.length, m, 0, m.length);
    assert.deepEqual(bytes(out), wire(`HMSG foo 22 ${hdrs.length} ${m.length}\r\n${hdrs}hi\r\n`));
  });

  it("HMSG with reply, from a range of a read buffer", () => {
    const out = new OutboundBuffer();
    const m = Buffer.from(`HPUB ...\r\n${hdrs}payload\r\n`);
    const start = 10;
    const end = start + hdrs.length + 7;
    encodeHmsg(out, "foo.bar", "5", "_INBOX.r", hdrs.length, m, start, end);
    assert.deepEqual(
      bytes(out),
      wire(`HMSG foo.bar 5 _INBOX.r ${hdrs.length} ${hdrs.length + 7}\r\n${hdrs}payload\r\n`),
    );
  });

  it("headers only (the no-responders status)", () => {
    const out = new OutboundBuffer();
    const h = Buffer.from("NATS/1.0 503\r\n\r\n");
    encodeHmsg(out, "_INBOX.abc", "1", "", h.length, h, 0, h.length);
    assert.deepEqual(bytes(out), wire("HMSG _INBOX.abc 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n"));
  });

  it("a large message", () => {
    const body = Buffer.alloc(5000, 0x41);
    const m = Buffer.concat([Buffer.from(hdrs), body]);
    const out = new OutboundBuffer();
    encodeHmsg(out, "h", "1", "r", hdrs.length, m, 0, m.length);
    assert.deepEqual(bytes(out), Buffer.concat([wire(`HMSG h 1 r ${hdrs.length} ${m.length}\r\n`), m, wire("\r\n")]));
  });

  it("what it writes parses back (MSG and HMSG, split at every byte)", () => {
    const out = new OutboundBuffer();
    const m = Buffer.from(`${hdrs}body`);
    encodeMsg(out, "a.b", "1", "rep", Buffer.from("one"), 0, 3);
    encodeHmsg(out, "c.d", "2", "", hdrs.length, m, 0, m.length);
    const all = bytes(out);
    for (let cut = 0; cut <= all.length; cut++) {
      const seen = [];
      const h = {
        onMsgArgs(p) {
          seen.push({ op: p.op, subject: p.subject, sid: p.sid, reply: p.reply, hdr: p.hdr, size: p.size });
          return true;
        },
        onMsgPayload(_p, buf, s, e) {
          seen[seen.length - 1].payload = buf.toString("latin1", s, e);
          return true;
        },
        onOp() {
          return true;
        },
        onParseError(kind) {
          throw new Error(`parse error ${kind}`);
        },
      };
      const p = new Parser(h);
      p.parse(all.subarray(0, cut));
      p.parse(all.subarray(cut));
      assert.deepEqual(seen, [
        { op: Op.Msg, subject: "a.b", sid: "1", reply: "rep", hdr: -1, size: 3, payload: "one" },
        { op: Op.Hmsg, subject: "c.d", sid: "2", reply: "", hdr: hdrs.length, size: m.length, payload: `${hdrs}body` },
      ]);
    }
  });
});

describe("encodeMessage (the server's one call per delivery)", () => {
  it("MSG for hdr < 0, HMSG otherwise, the same bytes as encodeMsg/encodeHmsg; msgs left to the caller", () => {
    const hdrs = "NATS/1.0\r\n\r\n";
    const m = Buffer.from(`${hdrs}payload`);
    const a = new OutboundBuffer();
    encodeMsg(a, "s", "1", "r", m, hdrs.length, m.length);
    encodeHmsg(a, "s", "1", "r", hdrs.length, m, 0, m.length);
    assert.equal(a.msgs, 2);
    const b = new OutboundBuffer();
    b.ensure(1024);
    encodeMessage(b, -1, "s", "1", "r", m, hdrs.length, m.length);
    encodeMessage(b, hdrs.length, "s", "1", "r", m, 0, m.length);
    assert.equal(b.msgs, 0);
    const want = wire(`MSG s 1 r 7\r\npayload\r\nHMSG s 1 r ${hdrs.length} ${m.length}\r\n${hdrs}payload\r\n`);
    assert.deepEqual(bytes(a), want);
    assert.deepEqual(bytes(b), want);
  });
});

describe("encodeInfo", () => {
  it("INFO {json} with a space before CRLF, keys in order, UTF-8", () => {
    const out = new OutboundBuffer();
    const info = { server_id: "NABC", server_name: "ñandú", version: "2.10.24", proto: 1, port: 4222, headers: true };
    encodeInfo(out, info);
    assert.deepEqual(
      bytes(out),
      Buffer.from(
        'INFO {"server_id":"NABC","server_name":"ñandú","version":"2.10.24","proto":1,"port":4222,"headers":true} \r\n',
        "utf8",
      ),
    );
  });

  it("after other output, in one buffer", () => {
    const out = new OutboundBuffer(64, 8);
    encodeMsg(out, "x", "1", "", Buffer.from("a"), 0, 1);
    encodeInfo(out, { ldm: true, connect_urls: ["127.0.0.1:4222"] });
    assert.deepEqual(bytes(out), wire('MSG x 1 1\r\na\r\nINFO {"ldm":true,"connect_urls":["127.0.0.1:4222"]} \r\n'));
  });
});

/** The members of each `const enum` in a declaration file of the build. */
function constEnums(dts) {
  const text = readFileSync(new URL(`../dist/protocol/${dts}`, import.meta.url), "utf8");
  const out = {};
  for (const m of text.matchAll(/export declare const enum (\w+) \{([^}]*)\}/g)) {
    const members = {};
    for (const mm of m[2].matchAll(/^\s*(\w+) = (-?\d+),?\s*$/gm)) members[mm[1]] = Number(mm[2]);
    out[m[1]] = members;
  }
  return out;
}

describe("protocol enums as runtime objects", () => {
  const declared = constEnums("parser.d.ts");

  it("Op and ParseErrorKind equal the parser's const enums, member for member", () => {
    assert.ok(Object.keys(declared.Op ?? {}).length >= 13, "the const enum Op is in dist/protocol/parser.d.ts");
    assert.ok(Object.keys(declared.ParseErrorKind ?? {}).length >= 2);
    assert.deepEqual({ ...Op }, declared.Op);
    assert.deepEqual({ ...ParseErrorKind }, declared.ParseErrorKind);
  });

  it("are frozen", () => {
    assert.ok(Object.isFrozen(Op));
    assert.ok(Object.isFrozen(ParseErrorKind));
  });

  it("the compiled parser reports the same values", () => {
    const seen = [];
    let err = null;
    const h = {
      onMsgArgs(p) {
        seen.push(p.op);
        return true;
      },
      onMsgPayload() {
        return true;
      },
      onOp(op) {
        seen.push(op);
        return true;
      },
      onParseError(kind) {
        err = kind;
      },
    };
    const p = new Parser(h, 64);
    p.parse(
      Buffer.from(
        "PING\r\nPONG\r\n+OK\r\n-ERR 'x'\r\nINFO {}\r\nCONNECT {}\r\nSUB a 1\r\nUNSUB 1\r\n" +
          "PUB a 1\r\nx\r\nHPUB a 12 13\r\nNATS/1.0\r\n\r\nx\r\nMSG a 1 1\r\nx\r\nHMSG a 1 12 13\r\nNATS/1.0\r\n\r\nx\r\n",
      ),
    );
    assert.deepEqual(seen, [
      Op.Ping,
      Op.Pong,
      Op.Ok,
      Op.Err,
      Op.Info,
      Op.Connect,
      Op.Sub,
      Op.Unsub,
      Op.Pub,
      Op.Hpub,
      Op.Msg,
      Op.Hmsg,
    ]);
    assert.equal(err, null);
    new Parser(h).parse(Buffer.from("XYZ\r\n"));
    assert.equal(err, ParseErrorKind.UnknownOp);
    err = null;
    new Parser(h, 16).parse(Buffer.from(`SUB ${"a".repeat(40)} 1\r\n`));
    assert.equal(err, ParseErrorKind.MaxControlLine);
  });
});
