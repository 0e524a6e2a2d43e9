// Closed-loop load: `concurrency` workers each run one job after the other until `total` jobs
// have started (or `durationMs` has passed); latency per job, throughput over the wall time.
import net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface LoadResult {
  count: number;
  errors: number;
  firstError: string | null;
  wallMs: number;
  perSecond: number;
  latencies: number[];
}

export async function runLoad(opts: {
  concurrency: number;
  total?: number;
  durationMs?: number;
  job: (i: number) => Promise<void>;
}): Promise<LoadResult> {
  const { concurrency, total = Number.POSITIVE_INFINITY, durationMs = Number.POSITIVE_INFINITY } = opts;
  if (!Number.isFinite(total) && !Number.isFinite(durationMs)) throw new Error('runLoad needs a total or a duration');
  const latencies: number[] = [];
  let started = 0;
  let errors = 0;
  let firstError: string | null = null;
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  const worker = async (): Promise<void> => {
    while (started < total && performance.now() < deadline) {
      const i = started++;
      const s = performance.now();
      try {
        await opts.job(i);
        latencies.push(performance.now() - s);
      } catch (err) {
        errors += 1;
        firstError ??= err instanceof Error ? err.message : String(err);
        // A broken run must not spin: stop early when most jobs fail.
        if (errors > 20 && errors > latencies.length) return;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = performance.now() - t0;
  return { count: latencies.length, errors, firstError, wallMs, perSecond: (latencies.length / wallMs) * 1000, latencies };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function summary(latencies: number[]): { p50: number; p95: number; p99: number; max: number; mean: number } {
  const s = [...latencies].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s[s.length - 1] ?? Number.NaN, mean };
}

/** A free TCP port on 127.0.0.1 (closed again at once; the caller listens on it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
