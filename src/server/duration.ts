// Go time.Duration text, in milliseconds: parsing (time.ParseDuration) and printing
// (Duration.String), as nats-server reads and reports durations.

const DUR_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60000,
  h: 3600000,
};

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  µs: 1000n,
  μs: 1000n,
  ms: 1000000n,
  s: 1000000000n,
  m: 60000000000n,
  h: 3600000000000n,
};
const NS_LIMIT = 1n << 63n;

/**
 * Go's time.ParseDuration, in milliseconds; null when malformed or out of int64 nanoseconds
 * (past "2562047h47m16.854775807s"), as Go reports both as an invalid duration.
 */
export function parseGoDuration(s: string): number | null {
  let rest = s;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    if (rest[0] === "-") sign = -1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") return null;
  let total = 0;
  let ns = 0n;
  const re = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (rest.length > 0) {
    const m = re.exec(rest);
    if (m === null || (m[1] === "" && (m[2] ?? "") === "")) return null;
    const unit = UNIT_NS[m[3]];
    // Go's bounds: the whole part times the unit, then the running sum, within 2^63 ns
    let v = BigInt(m[1] === "" ? "0" : m[1]);
    if (v >= NS_LIMIT || v > NS_LIMIT / unit) return null;
    v *= unit;
    if (m[2] !== undefined && m[2] !== "") v += BigInt(Math.floor(Number("0." + m[2]) * Number(unit)));
    ns += v;
    if (v > NS_LIMIT || ns > NS_LIMIT) return null;
    total += parseFloat(`${m[1] === "" ? "0" : m[1]}.${m[2] ?? ""}`) * DUR_UNITS[m[3]];
    rest = rest.slice(m[0].length);
  }
  if (sign > 0 && ns > NS_LIMIT - 1n) return null;
  return sign * total;
}

/** A duration in ms written as Go's time.Duration.String does ("2s", "500ms", "1m30s"). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return "0s";
  const neg = ms < 0;
  let v = Math.abs(ms);
  let out: string;
  if (v < 1) out = `${+(v * 1000).toFixed(3)}µs`;
  else if (v < 1000) out = `${+v.toFixed(6)}ms`;
  else {
    const h = Math.floor(v / 3600000);
    v -= h * 3600000;
    const m = Math.floor(v / 60000);
    v -= m * 60000;
    const sec = +(v / 1000).toFixed(9);
    out = (h > 0 ? `${h}h` : "") + (h > 0 || m > 0 ? `${m}m` : "") + `${sec}s`;
  }
  return neg ? "-" + out : out;
}

/** Longest delay Node's timers take (2^31-1 ms, about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A delay for setTimeout: Go timers take any duration, Node's only up to MAX_TIMER_MS (past it
 * Node warns and fires after 1 ms), so a longer one waits that long instead.
 */
export function timerMs(ms: number): number {
  return ms > MAX_TIMER_MS ? MAX_TIMER_MS : ms;
}
