// Small pieces the tsnats verbs share: option value parsers for commander, reading a body from
// stdin, waiting for Ctrl-C, and printing a message body the way the nats CLI does.
import { InvalidArgumentError } from "commander";
import { parseDuration } from "./format.js";
import type { MsgHdrs } from "./connection.js";

/** commander parser: a non-negative integer. */
export function intArg(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError("expected a non-negative integer");
  return Number(value);
}

/** commander parser: a Go duration, kept as nanoseconds. */
export function durationArg(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** commander collector for repeatable flags (-H a:b -H c:d). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** All of stdin as bytes. */
export async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Lines of stdin, one at a time (the nats CLI's --send-on newline). */
export async function* stdinLines(): AsyncGenerator<string> {
  const { createInterface } = await import("node:readline");
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) yield line;
}

/** Resolves on the first SIGINT or SIGTERM (and stops listening for them). */
export function interrupted(): { promise: Promise<string>; cancel: () => void } {
  let done: (s: string) => void = () => {};
  const promise = new Promise<string>((r) => (done = r));
  const on = (sig: string) => {
    cancel();
    done(sig);
  };
  const cancel = () => {
    process.off("SIGINT", on);
    process.off("SIGTERM", on);
  };
  process.on("SIGINT", on);
  process.on("SIGTERM", on);
  return { promise, cancel };
}

/** The nats CLI's outPutMSGBodyCompact: the body (or "nil body"), ending in one newline. */
export function bodyCompact(data: Uint8Array): string {
  if (data.length === 0) return "nil body\n";
  const s = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8");
  return s.endsWith("\n") ? s : s + "\n";
}

/** The nats CLI's outPutMSGBody: the compact body, a blank line, and one more unless it ended in a newline. */
export function bodyFull(data: Uint8Array): string {
  const endsNl = data.length > 0 && data[data.length - 1] === 0x0a;
  return bodyCompact(data) + "\n" + (endsNl ? "" : "\n");
}

/** Go's %q for a subject (subjects are printable ASCII, where JSON and Go quoting agree). */
export const q = (s: string) => JSON.stringify(s);

/** "Key: value" lines for a message's headers, with the status line as nats.go shows it (Status, Description). */
export function headerLines(h: MsgHdrs | undefined): string[] {
  if (!h) return [];
  const lines: string[] = [];
  for (const [k, vals] of h) for (const v of vals) lines.push(`${k}: ${v}`);
  if (h.code) {
    lines.push(`Status: ${h.code}`);
    if (h.description) lines.push(`Description: ${h.description}`);
  }
  return lines;
}
