// Go's %q quoting (strconv.Quote), which nats-server uses in -ERR texts and log lines.
// Input and output are latin1 strings (one char per wire byte): printable UTF-8 sequences
// keep their bytes, other bytes become \xNN and non-printable runes \uNNNN, as Go does.

const NAMED: Record<number, string> = { 7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v" };

function hex2(n: number): string {
  return (n < 16 ? "0" : "") + n.toString(16);
}

export function goQuote(s: string): string {
  let out = '"';
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0x22) out += '\\"';
      else if (c === 0x5c) out += "\\\\";
      else if (c >= 0x20 && c < 0x7f) out += s[i];
      else out += NAMED[c] ?? "\\x" + hex2(c);
      continue;
    }
    // try to decode one UTF-8 sequence from the bytes
    const len = c >= 0xf0 && c < 0xf8 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    let ok = len > 0 && i + len <= n;
    for (let k = 1; ok && k < len; k++) {
      const b = s.charCodeAt(i + k);
      if (b < 0x80 || b > 0xbf) ok = false;
    }
    if (ok) {
      const ch = Buffer.from(s.slice(i, i + len), "latin1").toString("utf8");
      const cp = ch.codePointAt(0) ?? 0xfffd;
      if (cp !== 0xfffd) {
        // printable runes keep their bytes; others are escaped as Go does
        if (/^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch)) out += s.slice(i, i + len);
        else out += cp > 0xffff ? "\\U" + cp.toString(16).padStart(8, "0") : "\\u" + cp.toString(16).padStart(4, "0");
        i += len - 1;
        continue;
      }
    }
    out += "\\x" + hex2(c);
  }
  return out + '"';
}
