// Waiting on a real condition, bounded: the probe runs until it answers truthy or the time is
// up. The short pause between probes only spaces them; it never stands in for the condition.
export async function until<T>(what: string, probe: () => Promise<T | false | null | undefined> | T | false | null | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
  }
}
