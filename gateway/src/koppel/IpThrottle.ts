// Per-IP throttle on the koppel and token forms (anchors §2.4): one address may make only so
// many attempts per period, so a single attacker cannot cheaply run every letter-holder into
// the 15-minute lock. It sits in front of the exact per-account count (Lockout.ts) and never
// replaces it: it is coarse (an office behind one NAT shares it) and is checked first, so a
// throttled request reserves no per-account attempt at all.
//
// rate-limiter-flexible does the limiting; its storage is our KeyValue port, so the count is
// shared by every gateway process on one Redis and follows the test clock in the embedded store.
import { createRequire } from 'node:module';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Clock } from '../clock.ts';
import type { KeyValueStore } from '../store/KeyValueStore.ts';

export interface IpThrottleOptions {
  /** Attempts allowed per address per period. */
  points: number;
  durationSeconds: number;
}

/** 30 attempts per 15 minutes: a busy office on koppel day passes, a spray of names does not. */
export const DEFAULT_IP_THROTTLE: IpThrottleOptions = { points: 30, durationSeconds: 15 * 60 };

interface StoreOptions {
  storeClient: unknown;
  keyPrefix: string;
  points: number;
  duration: number;
}

interface StoreLimiter {
  consume(key: string, points?: number): Promise<RateLimiterRes>;
}

// The package exports its store base class only by path (no types): load it as CommonJS.
const require = createRequire(import.meta.url);
const RateLimiterStoreAbstract = require('rate-limiter-flexible/lib/RateLimiterStoreAbstract.js') as new (opts: StoreOptions) => StoreLimiter;

interface StoreResult {
  consumed: number;
  msBeforeNext: number;
}

/** A rate-limiter-flexible store on the KeyValue port (atomic INCR with a TTL set once). */
class KeyValueRateLimiter extends RateLimiterStoreAbstract {
  constructor(
    private readonly kv: KeyValueStore,
    opts: Omit<StoreOptions, 'storeClient'>,
  ) {
    super({ ...opts, storeClient: kv });
  }

  _getRateLimiterRes(_rlKey: string, changedPoints: number, result: StoreResult): RateLimiterRes {
    const points = (this as unknown as { points: number }).points;
    return new RateLimiterRes(Math.max(points - result.consumed, 0), result.msBeforeNext, result.consumed, result.consumed === changedPoints);
  }

  async _upsert(rlKey: string, points: number, msDuration: number, forceExpire = false): Promise<StoreResult> {
    if (forceExpire) {
      await this.kv.set(rlKey, String(points), msDuration);
      return { consumed: points, msBeforeNext: msDuration };
    }
    // The port increments by one; this throttle only ever consumes one point per attempt.
    if (points !== 1) throw new Error('KeyValueRateLimiter consumes one point at a time');
    const consumed = await this.kv.increment(rlKey, msDuration);
    return { consumed, msBeforeNext: (await this.kv.ttl(rlKey)) ?? msDuration };
  }

  async _get(rlKey: string): Promise<StoreResult | null> {
    const raw = await this.kv.get(rlKey);
    if (raw === null) return null;
    return { consumed: Number(raw), msBeforeNext: (await this.kv.ttl(rlKey)) ?? 0 };
  }

  async _delete(rlKey: string): Promise<boolean> {
    return this.kv.delete(rlKey);
  }
}

export type ThrottleResult = { ok: true } | { ok: false; until: number };

export class IpThrottle {
  private readonly limiter: StoreLimiter;

  constructor(
    kv: KeyValueStore,
    private readonly clock: Clock,
    opts: IpThrottleOptions = DEFAULT_IP_THROTTLE,
  ) {
    this.limiter = new KeyValueRateLimiter(kv, { keyPrefix: 'throttle:ip', points: opts.points, duration: opts.durationSeconds });
  }

  /** Take one attempt for `ip`; refused with the moment the address may try again. */
  async take(ip: string): Promise<ThrottleResult> {
    try {
      await this.limiter.consume(ip || 'unknown', 1);
      return { ok: true };
    } catch (err) {
      if (err instanceof RateLimiterRes) return { ok: false, until: this.clock.now() + err.msBeforeNext };
      throw err;
    }
  }
}
