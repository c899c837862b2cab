// Text formats the nats CLI prints, so tsnats prints the same: Go's log line prefix, Go durations,
// go-humanize's comma and byte sizes, and nats bench's byte rates.
import { goUptime } from "../server/monitor/util.js";

/** Go's `log` with `log.Ltime` (what the nats CLI sets): "15:04:05 message" on stderr. */
export function log(msg = ""): void {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  process.stderr.write(
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${msg.endsWith("\n") ? msg : msg + "\n"}`,
  );
}

const NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Parse a Go duration ("300ms", "1m30s", "1.5s", "0") into nanoseconds; throws on bad input. */
export function parseDuration(s: string): number {
  const text = s.trim();
  if (text === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  let sign = 1;
  if (text.startsWith("-") || text.startsWith("+")) {
    sign = text[0] === "-" ? -1 : 1;
    pos = 1;
  }
  if (pos >= text.length) throw new Error(`time: invalid duration "${s}"`);
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) {
      throw new Error(
        /^[\d.]+$/.test(text.slice(pos)) ? `time: missing unit in duration "${s}"` : `time: invalid duration "${s}"`,
      );
    }
    total += Number(m[1]) * NS[m[2]];
    pos = re.lastIndex;
  }
  return sign * Math.round(total);
}

/** v / 10^prec as Go prints it: fraction digits without trailing zeros. */
function frac(v: number, prec: number): string {
  const div = 10 ** prec;
  const whole = Math.floor(v / div);
  const f = String(v % div)
    .padStart(prec, "0")
    .replace(/0+$/, "");
  return f ? `${whole}.${f}` : String(whole);
}

/** Go's time.Duration.String() for a number of nanoseconds. */
export function formatDuration(ns: number): string {
  let u = Math.round(Math.abs(ns));
  const sign = ns < 0 && u > 0 ? "-" : "";
  if (u === 0) return "0s";
  if (u < 1e3) return `${sign}${u}ns`;
  if (u < 1e6) return `${sign}${frac(u, 3)}µs`;
  if (u < 1e9) return `${sign}${frac(u, 6)}ms`;
  const h = Math.floor(u / 3600e9);
  u -= h * 3600e9;
  const m = Math.floor(u / 60e9);
  u -= m * 60e9;
  const sec = `${frac(u, 9)}s`;
  if (h > 0) return `${sign}${h}h${m}m${sec}`;
  if (m > 0) return `${sign}${m}m${sec}`;
  return `${sign}${sec}`;
}

/** Round like Go's Duration.Round (halves away from zero). */
function roundTo(ns: number, unit: number): number {
  return Math.round(ns / unit) * unit;
}

/** The nats CLI's duration display (columns.HumanizeDuration). */
export function humanizeDuration(ns: number): string {
  if (ns < 1e6) return formatDuration(roundTo(ns, 1e3));
  if (ns < 1e9) return formatDuration(roundTo(ns, 1e6));
  if (ns < 60e9) return `${(ns / 1e9).toFixed(2)}s`;
  return goUptime(ns / 1e6); // whole seconds with minutes, hours, days and years, as nats-server's uptime
}

/** go-humanize Comma: 1234567 -> "1,234,567" (integers, truncated toward zero). */
export function comma(n: number): string {
  const i = Math.trunc(n);
  const s = String(Math.abs(i)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return i < 0 ? `-${s}` : s;
}

/** go-humanize CommafWithDigits(v, digits): commas and at most `digits` decimals, no trailing zeros. */
export function commaf(v: number, digits: number): string {
  const fixed = v.toFixed(digits).replace(/\.?0+$/, "");
  const [whole, dec] = fixed.split(".");
  const neg = whole.startsWith("-");
  const w = comma(Math.abs(Number(whole)));
  return `${neg ? "-" : ""}${w}${dec ? "." + dec : ""}`;
}

/** go-humanize IBytes: 1536 -> "1.5 KiB", 82854982 -> "79 MiB". */
export function ibytes(n: number): string {
  if (n < 10) return `${Math.trunc(n)} B`;
  const sizes = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  const e = Math.floor(Math.log(n) / Math.log(1024));
  const val = Math.floor((n / 1024 ** e) * 10 + 0.5) / 10;
  return val < 10 ? `${val.toFixed(1)} ${sizes[e]}` : `${val.toFixed(0)} ${sizes[e]}`;
}

/** nats.go bench's HumanBytes(bytes, false): two decimals, 1024 base, "KB"/"MB"/... units. */
export function humanBytes(bytes: number): string {
  if (!(bytes >= 1024)) return `${bytes.toFixed(2)} B`;
  const pre = ["K", "M", "G", "T", "P", "E"];
  const exp = Math.floor(Math.log(bytes) / Math.log(1024));
  return `${(bytes / 1024 ** exp).toFixed(2)} ${pre[exp - 1]}B`;
}

/** A size as nats bench accepts it: "128", "128B", "1KB", "1K", "2MB", "1KiB" (1024 base). */
export function parseSize(s: string): number {
  const m = /^\s*(\d+)\s*(b|([kmgt])(?:i?b)?)?\s*$/i.exec(s);
  if (!m) throw new Error(`invalid bytes specification ${s}`);
  const mult: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  return Number(m[1]) * (m[3] ? mult[m[3].toLowerCase()] : 1);
}
