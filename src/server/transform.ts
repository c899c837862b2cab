// The subject transforms of stream and service imports: wildcard tokens only, and every
// source wildcard used, so that the transform can be reversed (nats-server's strict
// transforms). Subject mappings (mapping.ts) have the full set of functions; imports need
// this reversible subset, which nats-server also restricts them to.

const PH_WILDCARD = /^\{\{\s*[wW][iI][lL][dD][cC][aA][rR][dD]\s*\(\s*(\d+)\s*\)\s*\}\}$/;
const PH_ANY = /^\{\{.*\}\}$/;

/** nats-server's error texts for a transform it refuses. */
const ERR_BAD_SUBJECT = "invalid subject";
const ERR_DEST = "invalid mapping destination";

/** A destination token: a literal, or the index (into the source tokens) of a wildcard. */
type DestToken = string | number;

/** "foo.*.*" -> "foo.$1.$2" (nats-server's transformTokenize). */
export function transformTokenize(subject: string): string {
  let i = 1;
  return subject
    .split(".")
    .map((t) => (t === "*" ? `$${i++}` : t))
    .join(".");
}

/** A placeholder token's wildcard number ($2, {{wildcard(2)}}), or 0 for any other token. */
function placeholder(token: string): number {
  if (token.length > 1 && token.charCodeAt(0) === 36 && token.charCodeAt(1) >= 49 && token.charCodeAt(1) <= 57) {
    const n = Number(token.slice(1));
    return Number.isInteger(n) ? n : 0;
  }
  const m = PH_WILDCARD.exec(token);
  return m === null ? 0 : Number(m[1]);
}

/** "foo.$2.$1" -> "foo.*.*" and its placeholders in order (nats-server's transformUntokenize). */
export function transformUntokenize(subject: string): { subject: string; placeholders: string[] } {
  const placeholders: string[] = [];
  const out = subject.split(".").map((t) => {
    if (placeholder(t) > 0) {
      placeholders.push(t);
      return "*";
    }
    return t;
  });
  return { subject: out.join("."), placeholders };
}

function subjectInfo(subject: string): { valid: boolean; tokens: string[]; pwcs: number; fwc: boolean } {
  const tokens = subject.split(".");
  let pwcs = 0;
  let fwc = false;
  for (const t of tokens) {
    if (t.length === 0 || fwc) return { valid: false, tokens, pwcs, fwc };
    if (t === ">") fwc = true;
    else if (t === "*") pwcs++;
  }
  return { valid: subject.length > 0, tokens, pwcs, fwc };
}

export class ImportTransform {
  private readonly dtoks: DestToken[];
  /** Index of the source's '>' token, or -1. */
  private readonly fwcAt: number;

  private constructor(
    readonly src: string,
    readonly dest: string,
    dtoks: DestToken[],
    fwcAt: number,
  ) {
    this.dtoks = dtoks;
    this.fwcAt = fwcAt;
  }

  /**
   * A strict transform from `src` (with '*' and '>') to `dest` (with $n or {{wildcard(n)}}
   * placeholders). Throws nats-server's error text when it refuses one.
   */
  static create(src: string, dest: string): ImportTransform {
    const s = subjectInfo(src);
    const d = subjectInfo(dest);
    if (!s.valid || !d.valid || d.pwcs > 0 || s.fwc !== d.fwc) throw new Error(ERR_BAD_SUBJECT);
    // the source token index of each wildcard, by its number (1-based)
    const wc: number[] = [];
    for (let i = 0; i < s.tokens.length; i++) if (s.tokens[i] === "*") wc.push(i);
    const dtoks: DestToken[] = [];
    let used = 0;
    for (const t of d.tokens) {
      const n = placeholder(t);
      if (n === 0) {
        if (PH_ANY.test(t)) {
          throw new Error(
            `${ERR_DEST}: the only mapping function allowed for import transforms is {{Wildcard()}} in ${t}`,
          );
        }
        dtoks.push(t === ">" ? -1 : t);
        continue;
      }
      if (s.pwcs === 0) throw new Error(`${ERR_DEST}: wildcard index out of range in ${t}`);
      if (n > s.pwcs) throw new Error(`${ERR_DEST}: wildcard index out of range in ${t}: [${n}]`);
      used++;
      dtoks.push(wc[n - 1]);
    }
    if (used < s.pwcs) throw new Error(`${ERR_DEST}: not using all of the token wildcard(s) in ${dest}`);
    return new ImportTransform(src, dest, dtoks, s.fwc ? s.tokens.length - 1 : -1);
  }

  /** The destination of a literal subject that matches the source. */
  apply(subject: string): string {
    const toks = subject.split(".");
    let out = "";
    const d = this.dtoks;
    for (let i = 0; i < d.length; i++) {
      const t = d[i];
      if (i > 0) out += ".";
      if (typeof t === "string") out += t;
      else if (t === -1) out += toks.slice(this.fwcAt).join(".");
      else out += toks[t];
    }
    return out;
  }

  /** The transform back from the destination to the source. */
  reverse(): ImportTransform {
    const { subject: nsrc } = transformUntokenize(this.dest);
    // the k-th placeholder of dest (1-based) stands for the source token index dtoks[..]
    const byTokenIndex = new Map<number, number>();
    let k = 0;
    for (const t of this.dtoks) if (typeof t === "number" && t >= 0) byTokenIndex.set(t, ++k);
    const stoks = this.src.split(".");
    const nd = stoks.map((t, i) => (t === "*" ? `$${byTokenIndex.get(i) ?? 1}` : t));
    return ImportTransform.create(nsrc, nd.join("."));
  }
}
