// Progress bars on stderr (cli-progress): shown when stderr is a terminal, or when asked for.
import cliProgress from "cli-progress";

export interface Bar {
  increment(n?: number): void;
  label(text: string): void;
}

export interface Bars {
  add(total: number, label: string): Bar;
  stop(): void;
}

/** Whether bars show: `want` is the --progress flag (true/false) or undefined for "on a TTY". */
export function progressWanted(want: boolean | undefined): boolean {
  return want ?? process.stderr.isTTY === true;
}

const FORMAT = "{label} {duration_formatted} [{bar}] {percentage}% | {value}/{total}";

/** A group of bars (one per bench client), or a no-op group when they are not to show. */
export function startBars(show: boolean): Bars {
  if (!show) {
    const none: Bar = { increment() {}, label() {} };
    return { add: () => none, stop() {} };
  }
  const multi = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: FORMAT,
      hideCursor: true,
      clearOnComplete: false,
      noTTYOutput: process.stderr.isTTY !== true,
      notTTYSchedule: 1000,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    add(total, label) {
      const bar = multi.create(Math.max(1, total), 0, { label });
      return {
        increment: (n = 1) => bar.increment(n),
        label: (text) => bar.update({ label: text }),
      };
    },
    stop: () => multi.stop(),
  };
}

/** One bar for a verb that sends `total` messages (pub, request with --count > 20). */
export function startProgress(total: number, force: boolean): { increment(): void; stop(): void } | undefined {
  if (!progressWanted(force ? true : undefined)) return undefined;
  const bars = startBars(true);
  const bar = bars.add(total, "Publishing");
  return { increment: () => bar.increment(), stop: () => bars.stop() };
}
