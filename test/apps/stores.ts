// The KeyValue stores the apps-face tests run on: always the embedded one, and Redis too when
// REDIS_URL is set (with a key prefix of its own per run, so parallel runs never meet).
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../gateway/src/clock.ts';
import type { KeyValueStore } from '../../gateway/src/store/KeyValueStore.ts';
import { MemoryKeyValueStore } from '../../gateway/src/store/MemoryKeyValueStore.ts';
import { RedisKeyValueStore } from '../../gateway/src/store/RedisKeyValueStore.ts';

export interface StoreKind {
  name: string;
  /** True when expiry follows the given clock (the memory store); Redis keeps real time. */
  followsClock: boolean;
  open(clock: Clock): Promise<KeyValueStore>;
}

export function runPrefix(): string {
  return `mijnduo-test-apps-${process.pid}-${randomBytes(4).toString('hex')}:`;
}

export function storeKinds(): StoreKind[] {
  const kinds: StoreKind[] = [
    { name: 'memory', followsClock: true, open: async (clock) => new MemoryKeyValueStore(clock, { sweepIntervalMs: 0 }) },
  ];
  const url = process.env.REDIS_URL;
  if (url) {
    kinds.push({
      name: 'redis',
      followsClock: false,
      open: async () => RedisKeyValueStore.connect({ url, keyPrefix: runPrefix() }),
    });
  }
  return kinds;
}
