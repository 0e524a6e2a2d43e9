// The factories pick the store from config: a server when its URL is set, else the embedded one.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../gateway/src/clock.ts';
import { accountsRegistryFor, type StoresConfig } from '../../gateway/src/accounts/index.ts';
import { loadMigrations } from '../../gateway/src/accounts/migrate.ts';
import { keyValueStoreFor, MemoryKeyValueStore, MEMORY_STORE_WARNING, RedisKeyValueStore } from '../../gateway/src/store/index.ts';
import { deleteRedisKeys, randomSuffix, redisUrl } from '../support/stores.ts';

const clock = new ManualClock();
const embedded: StoresConfig = { pgliteDir: 'memory', keyPrefix: 'mijnduo-test:' };

describe('store factories', () => {
  it('without a Redis URL: the in-memory store, with a warning that it is single-process', async () => {
    const warnings: string[] = [];
    const kv = await keyValueStoreFor(embedded, clock, { onWarning: (m) => warnings.push(m) });
    assert.ok(kv instanceof MemoryKeyValueStore);
    assert.deepEqual(warnings, [MEMORY_STORE_WARNING]);
    await kv.close();
  });

  const url = redisUrl();
  if (url) it('with a Redis URL: Redis, under the configured prefix, reporting that it is up', async () => {
    const prefix = `mijnduo-test:${randomSuffix()}:`;
    const states: string[] = [];
    const kv = await keyValueStoreFor({ ...embedded, redisUrl: url!, keyPrefix: prefix }, clock, { onConnectionChange: (s) => states.push(s) });
    try {
      assert.ok(kv instanceof RedisKeyValueStore);
      assert.deepEqual(states, ['up']);
      await kv.set('k', 'v', 10_000);
      assert.equal(await kv.get('k'), 'v');
    } finally {
      await kv.close();
      await deleteRedisKeys(url!, prefix);
    }
  });

  it('without a database URL: PGlite on disk keeps its data and is not migrated twice', async function () {
    this.timeout(90_000);
    const dir = mkdtempSync(path.join(tmpdir(), 'mijnduo-pglite-'));
    try {
      const first = await accountsRegistryFor({ ...embedded, pgliteDir: dir }, clock);
      assert.equal(first.db.driver, 'pglite');
      const org = await first.createOrganisation({ name: 'Blijvend BV', kvk: '55556666', sector: 'mbo' });
      await first.close();

      const again = await accountsRegistryFor({ ...embedded, pgliteDir: dir }, clock);
      try {
        assert.deepEqual(await again.getOrganisation(org.id), org);
        const rows = await again.db.query('select version from schema_migrations');
        // Each migration recorded once, not once per start.
        assert.equal(rows.length, loadMigrations().length);
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
