// The nats CLI's body/subject/header templates ({{Count}}, {{.Count}}, {{TimeStamp}}, {{Unix}},
// {{UnixNano}}, {{Time}}, {{ID}}, {{Random 10 100}}, {{Request}}), the "K:V" header flag, and the
// NATS_... environment handling that the verbs share. Only these simple actions of Go's
// text/template are understood; anything else is an error, and the text is then used as it is,
// as the nats CLI does when a template does not parse.
import { randomInt } from "node:crypto";
import { headers, type MsgHdrs } from "./connection.js";
import { nuid } from "@nats-io/nuid";

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

function randomString(a: number, b: number): string {
  const [lo, hi] = a > b ? [b, a] : [a, b];
  const n = lo === hi ? lo : lo + randomInt(hi - lo + 1);
  let s = "";
  for (let i = 0; i < n; i++) s += LETTERS[randomInt(LETTERS.length)];
  return s;
}

const p2 = (n: number) => String(n).padStart(2, "0");

/** RFC 3339 in local time, as Go's time.RFC3339 formats time.Now(). */
function rfc3339(d: Date): string {
  const off = -d.getTimezoneOffset();
  const zone =
    off === 0 ? "Z" : `${off > 0 ? "+" : "-"}${p2(Math.floor(Math.abs(off) / 60))}:${p2(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}T${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}${zone}`;
}

/** Go's time.Kitchen ("3:04PM"). */
function kitchen(d: Date): string {
  const h = d.getHours() % 12 === 0 ? 12 : d.getHours() % 12;
  return `${h}:${p2(d.getMinutes())}${d.getHours() < 12 ? "AM" : "PM"}`;
}

export class TemplateError extends Error {}

/**
 * Expand the template actions in text for message number `count` (1-based). `request` is the
 * request body for `reply` (the {{Request}} action exists only then).
 */
export function expandTemplate(text: string, count: number, request?: string): string {
  if (!text.includes("{{")) return text;
  const now = new Date();
  const nowMs = now.getTime();
  let out = "";
  let pos = 0;
  for (;;) {
    const open = text.indexOf("{{", pos);
    if (open < 0) break;
    const close = text.indexOf("}}", open + 2);
    if (close < 0) throw new TemplateError("template: body:1: unclosed action");
    out += text.slice(pos, open);
    const words = text
      .slice(open + 2, close)
      .trim()
      .split(/\s+/);
    const name = words[0].replace(/^\./, "");
    const args = words.slice(1);
    const noArgs = () => {
      if (args.length)
        throw new TemplateError(`template: body:1: wrong number of args for ${name}: want 0 got ${args.length}`);
    };
    switch (name) {
      case "Count":
      case "Cnt":
        noArgs();
        out += String(count);
        break;
      case "Unix":
        noArgs();
        out += String(Math.floor(nowMs / 1000));
        break;
      case "UnixNano":
        noArgs();
        out += `${BigInt(nowMs) * 1000000n}`;
        break;
      case "TimeStamp":
        noArgs();
        out += rfc3339(now);
        break;
      case "Time":
        noArgs();
        out += kitchen(now);
        break;
      case "ID":
        noArgs();
        out += nuid.next();
        break;
      case "Request":
        if (request === undefined) throw new TemplateError(`template: body:1: function "Request" not defined`);
        noArgs();
        out += request;
        break;
      case "Random": {
        if (args.length !== 2 || !args.every((a) => /^\d+$/.test(a))) {
          throw new TemplateError(`template: body:1: wrong number of args for Random: want 2 got ${args.length}`);
        }
        out += randomString(Number(args[0]), Number(args[1]));
        break;
      }
      default:
        throw new TemplateError(`template: body:1: function "${name}" not defined`);
    }
    pos = close + 2;
  }
  return out + text.slice(pos);
}

/** Expand a template, logging and falling back to the text itself when it does not parse. */
export function expandOrKeep(
  text: string,
  count: number,
  what: string,
  logf: (m: string) => void,
  request?: string,
): string {
  try {
    return expandTemplate(text, count, request);
  } catch (err) {
    logf(`Could not parse ${what} template: ${(err as Error).message}`);
    return text;
  }
}

/**
 * Headers from repeated `-H K:V` flags (values may use templates), as the nats CLI builds them.
 * Returns undefined when there are none. Throws on an entry without a colon.
 */
export function parseHeaders(list: string[], count: number): MsgHdrs | undefined {
  if (list.length === 0) return undefined;
  const h = headers();
  for (const entry of list) {
    const i = entry.indexOf(":");
    if (i < 0) throw new Error(`invalid header "${entry}"`);
    const key = entry.slice(0, i).trim();
    let val: string;
    try {
      val = expandTemplate(entry.slice(i + 1).trim(), count);
    } catch (err) {
      throw new Error(`failed to parse Header template for ${entry.slice(0, i)}: ${(err as Error).message}`);
    }
    h.append(key, val);
  }
  return h;
}
