// Polling wait for conditions that have no event to await.

/** Resolve once pred() is true; reject after timeoutMs naming what was awaited. */
export async function waitUntil(pred, what, timeoutMs = 3000) {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
