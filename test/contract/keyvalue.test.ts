// One contract for the KeyValue port, run against every implementation available here:
// the embedded store always, Redis when REDIS_URL is set. Expiry is shown by moving the clock
// on the embedded store; on Redis (its own clock) by the TTL it reports, never by waiting.
import assert from 'node:assert/strict';
import { ManualClock } from '../../gateway/src/clock.ts';
import { StoreUnavailableError, type KeyValueStore } from '../../gateway/src/store/KeyValueStore.ts';
import { MemoryKeyValueStore } from '../../gateway/src/store/MemoryKeyValueStore.ts';
import { kvImplementations } from '../support/stores.ts';

const clock = new ManualClock();

for (const impl of kvImplementations(clock)) {
  describe(`KeyValueStore contract: ${impl.name}`, () => {
    let kv: KeyValueStore;
    let n = 0;
    /** A key of its own for every test, so tests never see each other's state. */
    const key = (name: string): string => `${name}:${++n}`;

    before(async () => {
      kv = await impl.create();
    });
    after(() => impl.cleanup());

    describe('get / set', () => {
      it('answers null for a key that was never set', async () => {
        assert.equal(await kv.get(key('absent')), null);
      });

      it('returns what was set, and a second set replaces value and TTL', async () => {
        const k = key('set');
        await kv.set(k, 'one', 60_000);
        assert.equal(await kv.get(k), 'one');
        await kv.set(k, 'two', 5_000);
        assert.equal(await kv.get(k), 'two');
        const ttl = await kv.ttl(k);
        assert.ok(ttl !== null && ttl > 0 && ttl <= 5_000, `ttl ${ttl}`);
      });

      it('keeps values byte for byte (unicode, JSON, empty)', async () => {
        for (const v of ['', 'één – ✓ 𝄞', JSON.stringify({ a: [1, 'b'], c: null })]) {
          const k = key('bytes');
          await kv.set(k, v, 60_000);
          assert.equal(await kv.get(k), v);
        }
      });

      it('reports the remaining TTL in ms, and null for a missing key', async () => {
        const k = key('ttl');
        await kv.set(k, 'v', 30_000);
        const ttl = await kv.ttl(k);
        assert.ok(ttl !== null && ttl > 29_000 && ttl <= 30_000, `ttl ${ttl}`);
        assert.equal(await kv.ttl(key('ttl-absent')), null);
      });

      if (impl.followsClock) {
        it('forgets a value when its TTL has passed, exactly at the TTL', async () => {
          const k = key('expiry');
          await kv.set(k, 'v', 1_000);
          clock.advance(999);
          assert.equal(await kv.get(k), 'v');
          assert.equal(await kv.ttl(k), 1);
          clock.advance(1);
          assert.equal(await kv.get(k), null);
          assert.equal(await kv.ttl(k), null);
        });
      }

      it('refuses a TTL that is not a positive whole number of ms, in every method', async () => {
        for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await assert.rejects(kv.set(key('bad'), 'v', bad), RangeError);
          await assert.rejects(kv.setIfAbsent(key('bad'), 'v', bad), RangeError);
          await assert.rejects(kv.increment(key('bad'), bad), RangeError);
          await assert.rejects(kv.addToSet(key('bad'), 'm', bad), RangeError);
        }
      });
    });

    describe('setIfAbsent', () => {
      it('sets only the first time and leaves the first value in place', async () => {
        const k = key('nx');
        assert.equal(await kv.setIfAbsent(k, 'first', 60_000), true);
        assert.equal(await kv.setIfAbsent(k, 'second', 60_000), false);
        assert.equal(await kv.get(k), 'first');
      });

      it('sets the TTL', async () => {
        const k = key('nx-ttl');
        await kv.setIfAbsent(k, 'v', 7_000);
        const ttl = await kv.ttl(k);
        assert.ok(ttl !== null && ttl > 0 && ttl <= 7_000, `ttl ${ttl}`);
      });

      if (impl.followsClock) {
        it('sets again once the earlier value expired', async () => {
          const k = key('nx-expired');
          await kv.setIfAbsent(k, 'old', 1_000);
          clock.advance(1_000);
          assert.equal(await kv.setIfAbsent(k, 'new', 1_000), true);
          assert.equal(await kv.get(k), 'new');
        });
      }
    });

    describe('increment', () => {
      it('counts up from 1', async () => {
        const k = key('count');
        assert.equal(await kv.increment(k, 60_000), 1);
        assert.equal(await kv.increment(k, 60_000), 2);
        assert.equal(await kv.increment(k, 60_000), 3);
        assert.equal(await kv.get(k), '3');
      });

      it('sets the TTL when the counter is created and never extends it', async () => {
        const k = key('count-ttl');
        await kv.increment(k, 10_000);
        await kv.increment(k, 900_000);
        await kv.increment(k, 900_000);
        const ttl = await kv.ttl(k);
        assert.ok(ttl !== null && ttl > 0 && ttl <= 10_000, `ttl ${ttl}`);
      });

      if (impl.followsClock) {
        it('starts a new window at 1 after the first one expired', async () => {
          const k = key('count-window');
          await kv.increment(k, 15_000);
          clock.advance(10_000);
          assert.equal(await kv.increment(k, 15_000), 2);
          clock.advance(5_000);
          assert.equal(await kv.increment(k, 15_000), 1);
          assert.equal(await kv.ttl(k), 15_000);
        });
      }
    });

    describe('delete', () => {
      it('answers true only when something was deleted', async () => {
        const k = key('del');
        await kv.set(k, 'v', 60_000);
        assert.equal(await kv.delete(k), true);
        assert.equal(await kv.get(k), null);
        assert.equal(await kv.delete(k), false);
      });

      it('deletes a set too', async () => {
        const k = key('del-set');
        await kv.addToSet(k, 'm', 60_000);
        assert.equal(await kv.delete(k), true);
        assert.deepEqual(await kv.members(k), []);
      });
    });

    describe('consume', () => {
      it('returns the value once, then null', async () => {
        const k = key('once');
        await kv.set(k, 'ticket', 60_000);
        assert.equal(await kv.consume(k), 'ticket');
        assert.equal(await kv.consume(k), null);
        assert.equal(await kv.get(k), null);
      });

      it('returns null for a missing key', async () => {
        assert.equal(await kv.consume(key('once-absent')), null);
      });

      if (impl.followsClock) {
        it('returns null for an expired key', async () => {
          const k = key('once-expired');
          await kv.set(k, 'v', 1_000);
          clock.advance(1_000);
          assert.equal(await kv.consume(k), null);
        });
      }
    });

    describe('sets', () => {
      it('collects distinct members', async () => {
        const k = key('set');
        await kv.addToSet(k, 'a', 60_000);
        await kv.addToSet(k, 'b', 60_000);
        await kv.addToSet(k, 'a', 60_000);
        assert.deepEqual((await kv.members(k)).sort(), ['a', 'b']);
      });

      it('answers [] for a missing set', async () => {
        assert.deepEqual(await kv.members(key('set-absent')), []);
      });

      it('lives as long as its longest-lived member: a longer TTL extends it, a shorter one does not shorten it', async () => {
        const k = key('set-ttl');
        await kv.addToSet(k, 'a', 10_000);
        await kv.addToSet(k, 'b', 50_000);
        let ttl = await kv.ttl(k);
        assert.ok(ttl !== null && ttl > 40_000 && ttl <= 50_000, `after longer: ${ttl}`);
        await kv.addToSet(k, 'c', 1_000);
        ttl = await kv.ttl(k);
        assert.ok(ttl !== null && ttl > 40_000 && ttl <= 50_000, `after shorter: ${ttl}`);
      });

      if (impl.followsClock) {
        it('is gone when its TTL has passed', async () => {
          const k = key('set-expiry');
          await kv.addToSet(k, 'a', 1_000);
          clock.advance(1_000);
          assert.deepEqual(await kv.members(k), []);
        });
      }

      it('refuses string operations on a set and set operations on a string', async () => {
        const s = key('kind-set');
        const v = key('kind-string');
        await kv.addToSet(s, 'a', 60_000);
        await kv.set(v, 'x', 60_000);
        await assert.rejects(kv.get(s));
        await assert.rejects(kv.consume(s));
        await assert.rejects(kv.increment(s, 60_000));
        await assert.rejects(kv.addToSet(v, 'a', 60_000));
        await assert.rejects(kv.members(v));
      });
    });

    describe('atomicity under concurrency', () => {
      it('50 parallel consumes of one key: exactly one gets the value', async () => {
        const k = key('race-consume');
        await kv.set(k, 'only-once', 60_000);
        const got = await Promise.all(Array.from({ length: 50 }, () => kv.consume(k)));
        assert.deepEqual(
          got.filter((v) => v !== null),
          ['only-once'],
        );
      });

      it('50 parallel setIfAbsent: exactly one true, and its value stays', async () => {
        const k = key('race-nx');
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => kv.setIfAbsent(k, `v${i}`, 60_000)));
        const winners = results.flatMap((ok, i) => (ok ? [i] : []));
        assert.equal(winners.length, 1);
        assert.equal(await kv.get(k), `v${winners[0]}`);
      });

      it('20 parallel increments: 20, each value handed out once', async () => {
        const k = key('race-incr');
        const values = await Promise.all(Array.from({ length: 20 }, () => kv.increment(k, 60_000)));
        assert.deepEqual(
          [...values].sort((a, b) => a - b),
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        assert.equal(await kv.get(k), '20');
      });

      it('parallel addToSet: no member lost', async () => {
        const k = key('race-set');
        await Promise.all(Array.from({ length: 30 }, (_, i) => kv.addToSet(k, `m${i}`, 60_000)));
        assert.equal((await kv.members(k)).length, 30);
      });
    });

    describe('lifecycle', () => {
      it('answers ping', async () => {
        await kv.ping();
      });

      it('after close, every call fails with StoreUnavailableError', async () => {
        const other = await impl.create();
        await other.set('closing', 'v', 60_000);
        await other.close();
        await assert.rejects(other.get('closing'), StoreUnavailableError);
        await assert.rejects(other.set('closing', 'v', 1_000), StoreUnavailableError);
        await assert.rejects(other.ping(), StoreUnavailableError);
      });

      it('two stores (two processes, or two prefixes) keep their keys apart', async () => {
        const other = await impl.create();
        const k = key('apart');
        await kv.set(k, 'mine', 60_000);
        assert.equal(await other.get(k), null);
        await other.close();
      });
    });
  });
}

describe('MemoryKeyValueStore (embedded only)', () => {
  it('drops expired entries, so memory stays bounded without reads', async () => {
    const own = new ManualClock();
    const kv = new MemoryKeyValueStore(own, { sweepIntervalMs: 0 });
    for (let i = 0; i < 100; i++) await kv.set(`k${i}`, 'v', 1_000 + i);
    await kv.addToSet('s', 'm', 5_000);
    assert.equal(kv.size(), 101);
    own.advance(1_050);
    assert.equal(kv.size(), 50); // 49 keys (ttl 1051..1099) and the set
    own.advance(10_000);
    assert.equal(kv.size(), 0);
    await kv.close();
  });
});
