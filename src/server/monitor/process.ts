// Process figures for /varz and /metrics: CPU use and memory, read from Node's own counters.
import os from "node:os";

/** CPU use in percent of one core, measured between samples at least a second apart. */
export class CpuSampler {
  private lastWall = performance.now();
  private lastCpu = 0;
  private pct = 0;

  constructor() {
    // the first figure covers the life of the process so far
    const u = process.cpuUsage();
    const upMs = process.uptime() * 1000;
    this.lastCpu = (u.user + u.system) / 1000;
    this.pct = upMs > 0 ? round1((this.lastCpu / upMs) * 100) : 0;
  }

  percent(): number {
    const now = performance.now();
    const elapsed = now - this.lastWall;
    if (elapsed >= 1000) {
      const u = process.cpuUsage();
      const cpu = (u.user + u.system) / 1000;
      this.pct = round1(((cpu - this.lastCpu) / elapsed) * 100);
      this.lastCpu = cpu;
      this.lastWall = now;
    }
    return this.pct;
  }
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

/** Total CPU seconds used by the process (user + system). */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export function residentMemory(): number {
  return process.memoryUsage.rss();
}

export function cores(): number {
  return os.cpus().length || 1;
}

export function parallelism(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : cores();
}
