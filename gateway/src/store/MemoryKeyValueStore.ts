// The embedded KeyValue store, used when no Redis is configured. Every method runs to the end
// without awaiting in between, so each one is atomic on Node's single thread: no locks needed.
// The state lives in this process only: two gateway processes each have their own, so lockouts
// and single-use checks do not hold across processes. The gateway warns about that at start.
import type { Clock } from '../clock.ts';
import { StoreUnavailableError, type KeyValueStore } from './KeyValueStore.ts';
import { assertTtl } from './ttl.ts';

type Entry =
  | { kind: 'string'; value: string; expiresAt: number }
  | { kind: 'set'; members: Set<string>; expiresAt: number };

export interface MemoryKeyValueStoreOptions {
  /**
   * How often (real time) expired entries are dropped; 0 disables the sweep. Reads already
   * ignore expired entries, so the sweep only bounds memory.
   */
  sweepIntervalMs?: number;
}

function wrongType(key: string): Error {
  // Same failure as Redis gives for a key of the other kind.
  return new TypeError(`WRONGTYPE operation against a key holding the wrong kind of value: ${key}`);
}

export class MemoryKeyValueStore implements KeyValueStore {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout | null;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    opts: MemoryKeyValueStoreOptions = {},
  ) {
    const every = opts.sweepIntervalMs ?? 60_000;
    this.sweeper = every > 0 ? setInterval(() => this.sweep(), every) : null;
    // The sweep must never keep a finished process (a CLI run, a test) alive.
    this.sweeper?.unref();
  }

  /** Number of live entries; for tests of the sweep. */
  size(): number {
    this.sweep();
    return this.entries.size;
  }

  async get(key: string): Promise<string | null> {
    const e = this.live(key);
    if (!e) return null;
    if (e.kind !== 'string') throw wrongType(key);
    return e.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.open();
    assertTtl(ttlMs);
    this.entries.set(key, { kind: 'string', value, expiresAt: this.clock.now() + ttlMs });
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    if (this.live(key)) return false;
    this.entries.set(key, { kind: 'string', value, expiresAt: this.clock.now() + ttlMs });
    return true;
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    assertTtl(ttlMs);
    const e = this.live(key);
    if (!e) {
      this.entries.set(key, { kind: 'string', value: '1', expiresAt: this.clock.now() + ttlMs });
      return 1;
    }
    if (e.kind !== 'string') throw wrongType(key);
    if (!/^-?\d+$/.test(e.value)) throw new TypeError(`value is not an integer: ${key}`);
    // The window keeps its original expiry: a counter is not extended by further failures.
    const next = Number(e.value) + 1;
    e.value = String(next);
    return next;
  }

  async ttl(key: string): Promise<number | null> {
    const e = this.live(key);
    return e ? e.expiresAt - this.clock.now() : null;
  }

  async delete(key: string): Promise<boolean> {
    const existed = this.live(key) !== null;
    this.entries.delete(key);
    return existed;
  }

  async consume(key: string): Promise<string | null> {
    const e = this.live(key);
    if (!e) return null;
    if (e.kind !== 'string') throw wrongType(key);
    this.entries.delete(key);
    return e.value;
  }

  async addToSet(key: string, member: string, ttlMs: number): Promise<void> {
    assertTtl(ttlMs);
    const e = this.live(key);
    const expiresAt = this.clock.now() + ttlMs;
    if (!e) {
      this.entries.set(key, { kind: 'set', members: new Set([member]), expiresAt });
      return;
    }
    if (e.kind !== 'set') throw wrongType(key);
    e.members.add(member);
    // The index must outlive its longest-lived member, so a shorter TTL never shortens it.
    e.expiresAt = Math.max(e.expiresAt, expiresAt);
  }

  async members(key: string): Promise<string[]> {
    const e = this.live(key);
    if (!e) return [];
    if (e.kind !== 'set') throw wrongType(key);
    return [...e.members];
  }

  async ping(): Promise<void> {
    this.open();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.entries.clear();
  }

  /** The entry when present and unexpired; drops it when expired. */
  private live(key: string): Entry | null {
    this.open();
    const e = this.entries.get(key);
    if (!e) return null;
    if (e.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return null;
    }
    return e;
  }

  private open(): void {
    // Same face as a closed Redis client, so callers handle one error for both.
    if (this.closed) throw new StoreUnavailableError('the in-memory store is closed');
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [key, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(key);
  }
}
