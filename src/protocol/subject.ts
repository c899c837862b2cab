// Subject syntax as nats-server defines it: tokens separated by '.', '*' matches one
// token, '>' matches one or more trailing tokens. Subjects are handled as latin1
// strings, so every byte maps to one char and back without loss.

const DOT = 46; // '.'
const STAR = 42; // '*'
const GT = 62; // '>'

function isWhitespace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10 || c === 12;
}

/**
 * A subject valid for subscribing: non-empty tokens, no whitespace, wildcards only as
 * whole tokens and '>' only as the last token (nats-server's IsValidSubject).
 */
export function isValidSubject(subject: string): boolean {
  const n = subject.length;
  if (n === 0) return false;
  let tokenStart = 0;
  let sawFwc = false;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? subject.charCodeAt(i) : DOT;
    if (c === DOT) {
      const len = i - tokenStart;
      if (len === 0 || sawFwc) return false;
      if (len > 1) {
        // a token with wildcard chars inside is a literal token for nats-server,
        // so nothing more to check here.
      } else {
        const t = subject.charCodeAt(tokenStart);
        if (t === GT) sawFwc = true;
      }
      tokenStart = i + 1;
    } else if (isWhitespace(c)) {
      return false;
    }
  }
  return true;
}

/** A valid subject with no wildcard tokens (nats-server's IsValidLiteralSubject). */
export function isValidLiteralSubject(subject: string): boolean {
  if (!isValidSubject(subject)) return false;
  return !subjectHasWildcard(subject);
}

/** True when some token is exactly '*' or '>'. */
export function subjectHasWildcard(subject: string): boolean {
  const n = subject.length;
  for (let i = 0; i < n; i++) {
    const c = subject.charCodeAt(i);
    if (c === STAR || c === GT) {
      const startOk = i === 0 || subject.charCodeAt(i - 1) === DOT;
      const endOk = i === n - 1 || subject.charCodeAt(i + 1) === DOT;
      if (startOk && endOk) return true;
    }
  }
  return false;
}

/**
 * Does the literal subject match the (possibly wildcard) pattern?
 */
export function subjectMatches(literal: string, pattern: string): boolean {
  const ln = literal.length;
  const pn = pattern.length;
  let li = 0;
  let pi = 0;
  for (;;) {
    let pe = pattern.indexOf(".", pi);
    if (pe < 0) pe = pn;
    let le = literal.indexOf(".", li);
    if (le < 0) le = ln;
    const plen = pe - pi;
    if (plen === 1 && pattern.charCodeAt(pi) === GT) return true;
    if (!(plen === 1 && pattern.charCodeAt(pi) === STAR)) {
      if (plen !== le - li) return false;
      for (let k = 0; k < plen; k++) {
        if (pattern.charCodeAt(pi + k) !== literal.charCodeAt(li + k)) return false;
      }
    }
    const pDone = pe >= pn;
    const lDone = le >= ln;
    if (pDone || lDone) return pDone && lDone;
    pi = pe + 1;
    li = le + 1;
  }
}

/**
 * Is every subject matched by `sub` also matched by `pattern`? Used for deny filters on
 * wildcard subscriptions (nats-server's subjectIsSubsetMatch).
 */
export function subjectIsSubsetMatch(sub: string, pattern: string): boolean {
  const st = sub.split(".");
  const pt = pattern.split(".");
  for (let i = 0; i < pt.length; i++) {
    if (i >= st.length) return false;
    const p = pt[i];
    const s = st[i];
    if (p === ">") return true;
    if (s === ">") return false;
    if (p === "*") continue;
    if (s === "*" || p !== s) return false;
  }
  return st.length === pt.length;
}

/** Do two (wildcard) subjects have any literal subject in common? */
export function subjectsCollide(a: string, b: string): boolean {
  const at = a.split(".");
  const bt = b.split(".");
  const n = Math.min(at.length, bt.length);
  for (let i = 0; i < n; i++) {
    const x = at[i];
    const y = bt[i];
    if (x === ">" || y === ">") return true;
    if (x === "*" || y === "*") continue;
    if (x !== y) return false;
  }
  return at.length === bt.length;
}
