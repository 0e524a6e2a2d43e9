// Outages of the servers behind the stores (issue 5, Faults): calls fail fast with
// StoreUnavailableError (the gateway shows its 503 page), nothing hangs, and the stores recover
// by themselves when the server returns. The outage is played by a TCP proxy in front of the
// real server, so the shared Redis and PostgreSQL keep running for everyone else.
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { ManualClock } from '../../gateway/src/clock.ts';
import { StoreUnavailableError } from '../../gateway/src/store/KeyValueStore.ts';
import { RedisKeyValueStore } from '../../gateway/src/store/RedisKeyValueStore.ts';
import { PgDatabase } from '../../gateway/src/accounts/PgDatabase.ts';
import { accountsRegistryFor } from '../../gateway/src/accounts/index.ts';
import type { SqlAccountsRegistry } from '../../gateway/src/accounts/SqlAccountsRegistry.ts';
import { databaseUrl, deleteRedisKeys, randomSuffix, redisUrl, runOnPostgres } from '../support/stores.ts';
import { closedPort, TcpProxy } from './support/TcpProxy.ts';

/** Resolves on the next report of `state` from a store's hooks. */
class ConnectionEvents {
  private waiting: { state: 'up' | 'down'; resolve: () => void }[] = [];
  readonly seen: ('up' | 'down')[] = [];
  readonly hook = (state: 'up' | 'down'): void => {
    this.seen.push(state);
    for (const w of this.waiting.filter((x) => x.state === state)) w.resolve();
    this.waiting = this.waiting.filter((x) => x.state !== state);
  };
  next(state: 'up' | 'down'): Promise<void> {
    return new Promise((resolve) => this.waiting.push({ state, resolve }));
  }
}

async function elapsed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function via(url: string, proxy: TcpProxy): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}

describe('Store faults', () => {
  it('Redis unreachable at start: connect fails with StoreUnavailableError within the startup timeout', async () => {
    const port = await closedPort();
    const ms = await elapsed(() =>
      assert.rejects(RedisKeyValueStore.connect({ url: `redis://127.0.0.1:${port}/0`, keyPrefix: 'x:', startupTimeoutMs: 300 }), StoreUnavailableError),
    );
    assert.ok(ms < 2_000, `took ${ms} ms`);
  });

  it('PostgreSQL unreachable at start: connect fails with StoreUnavailableError at once', async () => {
    const port = await closedPort();
    const ms = await elapsed(() =>
      assert.rejects(PgDatabase.connect({ connectionString: `postgres://postgres@127.0.0.1:${port}/x` }), StoreUnavailableError),
    );
    assert.ok(ms < 2_000, `took ${ms} ms`);
  });

  const rUrl = redisUrl();
  if (rUrl) describe('Redis outage (REDIS_URL)', () => {
    const url = rUrl!;
    const prefix = `mijnduo-test:${randomSuffix()}:`;
    const events = new ConnectionEvents();
    let proxy: TcpProxy;
    let store: RedisKeyValueStore;

    before(async () => {
      const target = new URL(url);
      proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
      await proxy.start();
      store = await RedisKeyValueStore.connect({ url: via(url, proxy), keyPrefix: prefix, commandTimeoutMs: 300, hooks: { onConnectionChange: events.hook } });
    });
    after(async () => {
      await store?.close().catch(() => undefined);
      await proxy?.stop();
      await deleteRedisKeys(url, prefix);
    });

    it('keeps every key under the configured prefix', async () => {
      await store.set('lockout:abc', '1', 60_000);
      const raw = createClient({ url });
      await raw.connect();
      try {
        assert.equal(await raw.get(`${prefix}lockout:abc`), '1');
        assert.equal(await raw.exists('lockout:abc'), 0);
      } finally {
        await raw.close();
      }
    });

    it('while Redis is away every call fails at once with StoreUnavailableError; it recovers by itself', async () => {
      await store.set('k', 'v', 60_000);
      const down = events.next('down');
      await proxy.cut();
      await down;
      const ms = await elapsed(async () => {
        await assert.rejects(store.get('k'), StoreUnavailableError);
        await assert.rejects(store.increment('lock', 60_000), StoreUnavailableError);
        await assert.rejects(store.consume('k'), StoreUnavailableError);
        await assert.rejects(store.setIfAbsent('n', 'v', 60_000), StoreUnavailableError);
        await assert.rejects(store.addToSet('s', 'm', 60_000), StoreUnavailableError);
        await assert.rejects(store.ping(), StoreUnavailableError);
      });
      assert.ok(ms < 250, `failing took ${ms} ms: commands must not wait for the server`);

      const up = events.next('up');
      await proxy.restore();
      await up;
      assert.equal(await store.get('k'), 'v');
      assert.equal(await store.increment('lock', 60_000), 1);
      assert.deepEqual(events.seen.slice(-2), ['down', 'up']);
    });

    it("leaves the time limit to run(): node-redis's own per-command AbortSignal timer is off", async () => {
      // Its timer fired seconds after every command, answered or not (docs/performance.md).
      const original = AbortSignal.timeout;
      let made = 0;
      AbortSignal.timeout = (ms: number) => {
        made += 1;
        return original.call(AbortSignal, ms);
      };
      try {
        await store.set('timer', 'v', 60_000);
        assert.equal(await store.get('timer'), 'v');
        assert.equal(await store.increment('timer-count', 60_000), 1);
      } finally {
        AbortSignal.timeout = original;
      }
      assert.equal(made, 0);
    });

    it('a hung server fails a command after the command timeout, and answers correctly afterwards', async () => {
      await store.set('hung', 'before', 60_000);
      proxy.freeze();
      const ms = await elapsed(() => assert.rejects(store.get('hung'), StoreUnavailableError));
      assert.ok(ms >= 250 && ms < 1_500, `timed out after ${ms} ms`);
      proxy.thaw();
      // The late answer to the timed-out command must not be taken for the next one.
      await store.set('hung', 'after', 60_000);
      assert.equal(await store.get('hung'), 'after');
    });
  });

  const pUrl = databaseUrl();
  if (pUrl) describe('PostgreSQL outage (DATABASE_URL)', () => {
    const url = pUrl!;
    const schema = `t_${randomSuffix()}`;
    const events = new ConnectionEvents();
    const clock = new ManualClock();
    let proxy: TcpProxy;
    let registry: SqlAccountsRegistry;

    before(async () => {
      const target = new URL(url);
      proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
      await proxy.start();
      registry = await accountsRegistryFor({ databaseUrl: via(url, proxy), pgliteDir: 'memory', keyPrefix: 'unused:' }, clock, {
        schema,
        hooks: { onConnectionChange: events.hook },
      });
    });
    after(async () => {
      await registry?.close().catch(() => undefined);
      await proxy?.stop();
      await runOnPostgres(url, `drop schema if exists ${schema} cascade`);
    });

    it('while PostgreSQL is away calls fail at once with StoreUnavailableError; it recovers by itself', async () => {
      const org = await registry.createOrganisation({ name: 'Storing BV', kvk: '11112222', sector: 'po' });
      await proxy.cut();
      const ms = await elapsed(async () => {
        await assert.rejects(registry.ping(), StoreUnavailableError);
        await assert.rejects(registry.getOrganisation(org.id), StoreUnavailableError);
        await assert.rejects(registry.createAccount({ organisationId: org.id, name: 'A', email: 'a@example.nl' }), StoreUnavailableError);
      });
      assert.ok(ms < 2_000, `failing took ${ms} ms`);
      assert.ok(events.seen.includes('down'));

      await proxy.restore();
      await registry.ping();
      assert.equal((await registry.getOrganisation(org.id))?.name, 'Storing BV');
      assert.equal(events.seen.at(-1), 'up');
    });
  });
});
