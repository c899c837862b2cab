// Go time.Duration text, in milliseconds: parsing (time.ParseDuration) and printing
// (Duration.String), as nats-server reads and reports durations.

const DUR_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };

/** Go's time.ParseDuration, in milliseconds; null when malformed. */
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
  const re = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest.length > 0) {
    const m = re.exec(rest);
    if (m === null) return null;
    total += parseFloat(m[1]) * DUR_UNITS[m[2]];
    rest = rest.slice(m[0].length);
  }
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

