// Stores for tests. With REDIS_URL / DATABASE_URL set, tests run against the real servers,
// each store in its own space (a random key prefix, a fresh schema) that is removed afterwards,
// so a shared server is left as it was. Without them, the embedded stores are used.
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import pg from 'pg';
import { systemClock, type Clock } from '../../gateway/src/clock.ts';
import type { KeyValueStore } from '../../gateway/src/store/KeyValueStore.ts';
import { MemoryKeyValueStore } from '../../gateway/src/store/MemoryKeyValueStore.ts';
import { RedisKeyValueStore } from '../../gateway/src/store/RedisKeyValueStore.ts';
import { accountsRegistryFor } from '../../gateway/src/accounts/index.ts';
import type { SqlAccountsRegistry } from '../../gateway/src/accounts/SqlAccountsRegistry.ts';

export interface StoreImplementation<T> {
  /** 'memory', 'redis', 'pglite', 'postgresql'. */
  name: string;
  /**
   * True when time inside the store follows the clock given to kvImplementations() /
   * registryImplementations() (the embedded KeyValue store). Redis keeps its own time.
   */
  followsClock: boolean;
  /** A new, empty store; may be called more than once. */
  create(): Promise<T>;
  /** Closes every store this entry created and removes what they left on a server. */
  cleanup(): Promise<void>;
}

export const redisUrl = (): string | undefined => process.env.REDIS_URL || undefined;
export const databaseUrl = (): string | undefined => process.env.DATABASE_URL || undefined;

export function randomSuffix(): string {
  return randomBytes(5).toString('hex');
}

/** Deletes every key under a prefix (SCAN, never KEYS, so a busy server is not blocked). */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      if (keys.length > 0) await client.del(keys);
    }
  } finally {
    await client.close();
  }
}

/** Runs one statement on a fresh connection (schema create/drop outside any registry). */
export async function runOnPostgres(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function memoryKv(clock: Clock): StoreImplementation<KeyValueStore> {
  // The close functions as they were at creation: createTest…() replaces close() afterwards.
  const closers: (() => Promise<void>)[] = [];
  return {
    name: 'memory',
    followsClock: true,
    async create() {
      const s = new MemoryKeyValueStore(clock, { sweepIntervalMs: 0 });
      closers.push(s.close.bind(s));
      return s;
    },
    async cleanup() {
      await Promise.all(closers.splice(0).map((close) => close()));
    },
  };
}

function redisKv(url: string): StoreImplementation<KeyValueStore> {
  const made: { close: () => Promise<void>; prefix: string }[] = [];
  return {
    name: 'redis',
    followsClock: false,
    async create() {
      const prefix = `mijnduo-test:${randomSuffix()}:`;
      const store = await RedisKeyValueStore.connect({ url, keyPrefix: prefix });
      made.push({ close: store.close.bind(store), prefix });
      return store;
    },
    async cleanup() {
      for (const { close, prefix } of made.splice(0)) {
        await close().catch(() => undefined);
        await deleteRedisKeys(url, prefix);
      }
    },
  };
}

function pgliteRegistry(clock: Clock): StoreImplementation<SqlAccountsRegistry> {
  const closers: (() => Promise<void>)[] = [];
  return {
    name: 'pglite',
    followsClock: true,
    async create() {
      const r = await accountsRegistryFor({ pgliteDir: 'memory', keyPrefix: 'unused:' }, clock);
      closers.push(r.close.bind(r));
      return r;
    },
    async cleanup() {
      await Promise.all(closers.splice(0).map((close) => close().catch(() => undefined)));
    },
  };
}

function postgresRegistry(url: string, clock: Clock): StoreImplementation<SqlAccountsRegistry> {
  const made: { close: () => Promise<void>; schema: string }[] = [];
  return {
    name: 'postgresql',
    followsClock: true,
    async create() {
      const schema = `t_${randomSuffix()}`;
      try {
        const registry = await accountsRegistryFor({ databaseUrl: url, pgliteDir: 'memory', keyPrefix: 'unused:' }, clock, { schema });
        made.push({ close: registry.close.bind(registry), schema });
        return registry;
      } catch (err) {
        await runOnPostgres(url, `drop schema if exists ${schema} cascade`).catch(() => undefined);
        throw err;
      }
    },
    async cleanup() {
      for (const { close, schema } of made.splice(0)) {
        await close().catch(() => undefined);
        await runOnPostgres(url, `drop schema if exists ${schema} cascade`);
      }
    },
  };
}

/** Every KeyValue implementation this environment can run: memory always, Redis with REDIS_URL. */
export function kvImplementations(clock: Clock = systemClock): StoreImplementation<KeyValueStore>[] {
  const url = redisUrl();
  return url ? [memoryKv(clock), redisKv(url)] : [memoryKv(clock)];
}

/** Every registry implementation: PGlite in memory always, PostgreSQL with DATABASE_URL. */
export function registryImplementations(clock: Clock = systemClock): StoreImplementation<SqlAccountsRegistry>[] {
  const url = databaseUrl();
  return url ? [pgliteRegistry(clock), postgresRegistry(url, clock)] : [pgliteRegistry(clock)];
}

/**
 * One KeyValue store for a test: Redis when REDIS_URL is set, else the embedded store on `clock`.
 * Its close() also removes its keys from Redis.
 */
export async function createTestKeyValueStore(clock: Clock = systemClock): Promise<KeyValueStore> {
  const url = redisUrl();
  const impl = url ? redisKv(url) : memoryKv(clock);
  const store = await impl.create();
  store.close = () => impl.cleanup();
  return store;
}

/**
 * One accounts registry for a test: PostgreSQL (fresh schema) when DATABASE_URL is set, else
 * PGlite in memory. Its close() also drops the schema.
 */
export async function createTestRegistry(clock: Clock = systemClock): Promise<SqlAccountsRegistry> {
  const url = databaseUrl();
  const impl = url ? postgresRegistry(url, clock) : pgliteRegistry(clock);
  const registry = await impl.create();
  registry.close = () => impl.cleanup();
  return registry;
}
