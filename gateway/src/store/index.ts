// Chooses the KeyValue store from config: Redis when a URL is configured, else the embedded
// in-memory store (single process only; the owner is warned through hooks.onWarning).
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { KeyValueStore } from './KeyValueStore.ts';
import { MemoryKeyValueStore } from './MemoryKeyValueStore.ts';
import { RedisKeyValueStore } from './RedisKeyValueStore.ts';
import type { StoreHooks } from './StoreHooks.ts';

export type { KeyValueStore } from './KeyValueStore.ts';
export { StoreUnavailableError } from './KeyValueStore.ts';
export type { StoreHooks } from './StoreHooks.ts';
export { MemoryKeyValueStore } from './MemoryKeyValueStore.ts';
export { RedisKeyValueStore } from './RedisKeyValueStore.ts';

export const MEMORY_STORE_WARNING =
  'No REDIS_URL: using the in-memory KeyValue store. State (sessions, lockouts, replay caches) ' +
  'lives in this process only; never run more than one gateway process like this.';

export type StoresConfig = Config['stores'];

export async function createKeyValueStore(cfg: Config, clock: Clock, hooks: StoreHooks = {}): Promise<KeyValueStore> {
  return keyValueStoreFor(cfg.stores, clock, hooks);
}

/** The same, from the stores section alone (tests and tools that have no full Config). */
export async function keyValueStoreFor(stores: StoresConfig, clock: Clock, hooks: StoreHooks = {}): Promise<KeyValueStore> {
  if (stores.redisUrl) {
    // Redis keeps its own time for TTLs; the clock only drives the embedded store.
    return RedisKeyValueStore.connect({ url: stores.redisUrl, keyPrefix: stores.keyPrefix, hooks });
  }
  hooks.onWarning?.(MEMORY_STORE_WARNING);
  return new MemoryKeyValueStore(clock);
}
