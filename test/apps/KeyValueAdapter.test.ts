import assert from 'node:assert/strict';
import { errors } from 'oidc-provider';
import { ManualClock, systemClock } from '../../gateway/src/clock.ts';
import { KeyValueAdapter, keyValueAdapterFactory, modelKey } from '../../gateway/src/apps/KeyValueAdapter.ts';
import type { KeyValueStore } from '../../gateway/src/store/KeyValueStore.ts';
import { storeKinds } from './stores.ts';

for (const kind of storeKinds()) {
  describe(`apps/KeyValueAdapter on the ${kind.name} store`, () => {
    let kv: KeyValueStore;
    let clock: ManualClock;
    let adapter: (model: string) => KeyValueAdapter;

    beforeEach(async () => {
      clock = new ManualClock(kind.followsClock ? Date.UTC(2026, 0, 15, 9) : Date.now());
      kv = await kind.open(kind.followsClock ? clock : systemClock);
      adapter = keyValueAdapterFactory(kv, clock);
    });
    afterEach(async () => {
      await kv.close();
    });

    it('stores a payload under oidc:<Model>:<id> with the TTL oidc-provider gives', async () => {
      const a = adapter('AccessToken');
      await a.upsert('at1', { jti: 'at1', kind: 'AccessToken', accountId: 'acc', clientId: 'c' }, 600);
      assert.deepEqual(await a.find('at1'), { jti: 'at1', kind: 'AccessToken', accountId: 'acc', clientId: 'c' });
      assert.ok(await kv.get(modelKey('AccessToken', 'at1')));
      const ttl = await kv.ttl('oidc:AccessToken:at1');
      assert.ok(ttl !== null && ttl > 590_000 && ttl <= 600_000, `ttl ${ttl}`);
      assert.equal(await a.find('nope'), undefined);
      // Models are kept apart.
      assert.equal(await adapter('RefreshToken').find('at1'), undefined);
    });

    if (kind.followsClock) {
      it('forgets a payload when its TTL has passed', async () => {
        const a = adapter('Interaction');
        await a.upsert('i1', { jti: 'i1', kind: 'Interaction' }, 60);
        clock.advance(59_000);
        assert.ok(await a.find('i1'));
        clock.advance(1_000);
        assert.equal(await a.find('i1'), undefined);
      });
    }

    it('upsert replaces the payload', async () => {
      const a = adapter('Grant');
      await a.upsert('g1', { jti: 'g1', kind: 'Grant', accountId: 'a' }, 100);
      await a.upsert('g1', { jti: 'g1', kind: 'Grant', accountId: 'a', scope: 'openid' }, 100);
      assert.equal((await a.find('g1'))?.scope, 'openid');
    });

    it('consume marks the model consumed; a second consume is refused with invalid_grant', async () => {
      const a = adapter('AuthorizationCode');
      await a.upsert('c1', { jti: 'c1', kind: 'AuthorizationCode', grantId: 'g' }, 60);
      assert.equal((await a.find('c1'))?.consumed, undefined);
      await a.consume('c1');
      const found = await a.find('c1');
      assert.equal(typeof found?.consumed, 'number');
      assert.equal(found?.consumed, Math.floor(clock.now() / 1000));
      await assert.rejects(a.consume('c1'), (err: unknown) => err instanceof errors.InvalidGrant && /already consumed/.test(String((err as errors.InvalidGrant).error_detail)));
    });

    it('concurrent consumes of one code: exactly one wins', async () => {
      const a = adapter('AuthorizationCode');
      await a.upsert('c2', { jti: 'c2', kind: 'AuthorizationCode' }, 60);
      // Separate adapter instances, as two gateway processes would have.
      const others = Array.from({ length: 10 }, () => new KeyValueAdapter('AuthorizationCode', kv, clock));
      const results = await Promise.allSettled(others.map((o) => o.consume('c2')));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results.filter((r) => r.status === 'rejected')) {
        assert.ok((r as PromiseRejectedResult).reason instanceof errors.InvalidGrant);
      }
    });

    it('consume of a missing model is refused', async () => {
      await assert.rejects(adapter('RefreshToken').consume('gone'), errors.InvalidGrant);
    });

    it('the consumption marker lives as long as the model and survives a re-save', async () => {
      const a = adapter('RefreshToken');
      await a.upsert('r1', { jti: 'r1', kind: 'RefreshToken' }, 300);
      await a.consume('r1');
      const ttl = await kv.ttl('oidc:RefreshToken:r1:consumed');
      assert.ok(ttl !== null && ttl > 290_000 && ttl <= 300_000, `ttl ${ttl}`);
      await a.upsert('r1', { jti: 'r1', kind: 'RefreshToken', scope: 'openid' }, 300);
      assert.ok((await a.find('r1'))?.consumed);
      // A payload that arrives already consumed keeps that fact.
      await a.upsert('r2', { jti: 'r2', kind: 'RefreshToken', consumed: 1234 }, 300);
      assert.equal((await a.find('r2'))?.consumed, 1234);
      assert.equal(JSON.parse((await kv.get('oidc:RefreshToken:r2'))!).consumed, undefined);
    });

    it('destroy removes the model and its marker', async () => {
      const a = adapter('AuthorizationCode');
      await a.upsert('c3', { jti: 'c3', kind: 'AuthorizationCode' }, 60);
      await a.consume('c3');
      await a.destroy('c3');
      assert.equal(await a.find('c3'), undefined);
      assert.equal(await kv.get('oidc:AuthorizationCode:c3:consumed'), null);
      await a.destroy('never-there');
    });

    it('findByUid finds a session by uid and follows an id change', async () => {
      const s = adapter('Session');
      await s.upsert('s1', { jti: 's1', kind: 'Session', uid: 'u1', accountId: 'a' }, 3600);
      assert.equal((await s.findByUid('u1'))?.jti, 's1');
      // oidc-provider rotates the session id: destroy the old id, save under the new one.
      await s.destroy('s1');
      assert.equal(await s.findByUid('u1'), undefined);
      await s.upsert('s2', { jti: 's2', kind: 'Session', uid: 'u1', accountId: 'a' }, 3600);
      assert.equal((await s.findByUid('u1'))?.jti, 's2');
      assert.equal(await s.findByUid('unknown'), undefined);
    });

    it('destroying an old session id does not unlink the uid from a newer one', async () => {
      const s = adapter('Session');
      await s.upsert('s3', { jti: 's3', kind: 'Session', uid: 'u3' }, 3600);
      await s.upsert('s4', { jti: 's4', kind: 'Session', uid: 'u3' }, 3600);
      await s.destroy('s3');
      assert.equal((await s.findByUid('u3'))?.jti, 's4');
    });

    it('findByUserCode finds a device code', async () => {
      const d = adapter('DeviceCode');
      await d.upsert('d1', { jti: 'd1', kind: 'DeviceCode', userCode: 'ABCD-EFGH' }, 600);
      assert.equal((await d.findByUserCode('ABCD-EFGH'))?.jti, 'd1');
      assert.equal(await d.findByUserCode('ZZZZ-ZZZZ'), undefined);
    });

    it('revokeByGrantId removes every token of the grant, of every model, and nothing else', async () => {
      await adapter('AuthorizationCode').upsert('gc', { jti: 'gc', kind: 'AuthorizationCode', grantId: 'G1' }, 60);
      await adapter('AccessToken').upsert('ga', { jti: 'ga', kind: 'AccessToken', grantId: 'G1' }, 600);
      await adapter('RefreshToken').upsert('gr', { jti: 'gr', kind: 'RefreshToken', grantId: 'G1' }, 28800);
      await adapter('RefreshToken').consume('gr');
      await adapter('AccessToken').upsert('other', { jti: 'other', kind: 'AccessToken', grantId: 'G2' }, 600);

      const indexTtl = await kv.ttl('oidc:grant:G1');
      assert.ok(indexTtl !== null && indexTtl > 28_000_000, `index ttl ${indexTtl} follows the longest member`);

      // Any model's adapter may be asked; oidc-provider asks each.
      await adapter('Grant').revokeByGrantId('G1');
      assert.equal(await adapter('AuthorizationCode').find('gc'), undefined);
      assert.equal(await adapter('AccessToken').find('ga'), undefined);
      assert.equal(await adapter('RefreshToken').find('gr'), undefined);
      assert.equal(await kv.get('oidc:RefreshToken:gr:consumed'), null);
      assert.deepEqual(await kv.members('oidc:grant:G1'), []);
      assert.ok(await adapter('AccessToken').find('other'));
      await adapter('Grant').revokeByGrantId('G-unknown');
    });

    it('never finds a Client: clients come from config only', async () => {
      const c = adapter('Client');
      await c.upsert('evil', { client_id: 'evil' }, 60);
      assert.equal(await c.find('evil'), undefined);
    });

    it('a model without expiresIn still gets a TTL', async () => {
      const a = adapter('ReplayDetection');
      await a.upsert('x', { jti: 'x', kind: 'ReplayDetection' });
      const ttl = await kv.ttl('oidc:ReplayDetection:x');
      assert.ok(ttl !== null && Number.isFinite(ttl) && ttl > 0);
      await a.destroy('x');
    });
  });
}
