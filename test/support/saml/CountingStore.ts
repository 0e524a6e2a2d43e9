// A counting wrapper around a real KeyValueStore: lets a test prove that a refused login wrote
// nothing (no set, no successful setIfAbsent, no increment, no set member).
import type { KeyValueStore } from '../../../gateway/src/store/KeyValueStore.ts';

export class CountingStore implements KeyValueStore {
  /** Keys written, in order. */
  readonly written: string[] = [];
  /** Keys deleted or consumed. */
  readonly removed: string[] = [];
  /** When set, every call fails like an unreachable server. */
  down = false;

  constructor(readonly inner: KeyValueStore) {}

  private check(): void {
    if (this.down) throw Object.assign(new Error('store down'), { name: 'StoreUnavailableError' });
  }

  async get(key: string) {
    this.check();
    return this.inner.get(key);
  }
  async set(key: string, value: string, ttlMs: number) {
    this.check();
    this.written.push(key);
    return this.inner.set(key, value, ttlMs);
  }
  async setIfAbsent(key: string, value: string, ttlMs: number) {
    this.check();
    const ok = await this.inner.setIfAbsent(key, value, ttlMs);
    if (ok) this.written.push(key);
    return ok;
  }
  async increment(key: string, ttlMs: number) {
    this.check();
    this.written.push(key);
    return this.inner.increment(key, ttlMs);
  }
  async ttl(key: string) {
    this.check();
    return this.inner.ttl(key);
  }
  async delete(key: string) {
    this.check();
    const ok = await this.inner.delete(key);
    if (ok) this.removed.push(key);
    return ok;
  }
  async consume(key: string) {
    this.check();
    const v = await this.inner.consume(key);
    if (v !== null) this.removed.push(key);
    return v;
  }
  async addToSet(key: string, member: string, ttlMs: number) {
    this.check();
    this.written.push(key);
    return this.inner.addToSet(key, member, ttlMs);
  }
  async members(key: string) {
    this.check();
    return this.inner.members(key);
  }
  async ping() {
    return this.inner.ping();
  }
  async close() {
    return this.inner.close();
  }
}
