// Both stores refuse the same bad TTLs, so a caller's mistake shows up on the embedded store
// in development and not first in production on Redis (which rejects PX 0 and fractions).
export function assertTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`TTL must be a positive whole number of milliseconds, got ${ttlMs}`);
  }
}
