// What this process knows about its two stores: up until a call failed with
// StoreUnavailableError (or a store's connection hook said 'down'), up again after any call
// succeeds. While a store is down a probe pings it in the background, so the gateway comes
// back by itself even when no request reaches the store (the login gate keeps them away).
import type { Logger } from '../logger.ts';
import type { StoreHooks } from '../store/StoreHooks.ts';
import type { Metrics, StoreName } from './Metrics.ts';

export interface StoreStatusOptions {
  logger: Logger;
  metrics: Metrics;
  /** Pause between recovery probes while a store is down. */
  probeIntervalMs: number;
  /** A probe that takes longer than this counts as failed. */
  probeTimeoutMs: number;
}

export function isStoreUnavailable(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'StoreUnavailableError';
}

/** Rejects when `p` does not settle within `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  p.catch(() => undefined); // may settle after the limit
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

export class StoreStatus {
  private readonly down = new Set<StoreName>();
  private readonly probes = new Map<StoreName, NodeJS.Timeout>();
  private readonly pings = new Map<StoreName, () => Promise<void>>();
  private stopped = false;

  constructor(private readonly opts: StoreStatusOptions) {}

  /** The ping the recovery probe uses for a store. */
  setPing(store: StoreName, ping: () => Promise<void>): void {
    this.pings.set(store, ping);
  }

  isUp(store: StoreName): boolean {
    return !this.down.has(store);
  }

  /** The stores currently known to be down. */
  downStores(): StoreName[] {
    return [...this.down];
  }

  markDown(store: StoreName, err?: unknown): void {
    if (this.down.has(store) || this.stopped) return;
    this.down.add(store);
    this.opts.metrics.storeUp.set({ store }, 0);
    this.opts.logger.error({ store, err: errorSummary(err) }, 'store unavailable');
    this.scheduleProbe(store);
  }

  markUp(store: StoreName): void {
    if (!this.down.has(store)) return;
    this.down.delete(store);
    this.opts.metrics.storeUp.set({ store }, 1);
    const t = this.probes.get(store);
    if (t) clearTimeout(t);
    this.probes.delete(store);
    this.opts.logger.warn({ store }, 'store available again');
  }

  /** Hooks for a store's own connection reports (RedisKeyValueStore, PgDatabase). */
  hooks(store: StoreName): StoreHooks {
    return {
      onWarning: (message) => this.opts.logger.warn({ store }, message),
      onConnectionChange: (state, error) => (state === 'down' ? this.markDown(store, error) : this.markUp(store)),
    };
  }

  /** Stops the probes (shutdown); the stores are about to be closed on purpose. */
  stop(): void {
    this.stopped = true;
    for (const t of this.probes.values()) clearTimeout(t);
    this.probes.clear();
  }

  private scheduleProbe(store: StoreName): void {
    const ping = this.pings.get(store);
    if (!ping || this.stopped) return;
    const timer = setTimeout(() => {
      this.probes.delete(store);
      withTimeout(ping(), this.opts.probeTimeoutMs, `${store} probe`).then(
        () => this.markUp(store),
        () => {
          if (this.down.has(store)) this.scheduleProbe(store);
        },
      );
    }, this.opts.probeIntervalMs);
    // A probe must never keep a finished process alive.
    timer.unref();
    this.probes.set(store, timer);
  }
}

/** Name and message of an error, without its cause chain (which may quote server output). */
export function errorSummary(err: unknown): { name: string; message?: string } | undefined {
  if (!err) return undefined;
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: typeof err };
}
