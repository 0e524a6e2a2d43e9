// The Lockout on every KeyValue store this environment has (in-memory always, Redis with
// REDIS_URL): 5 wrong → blocked 15 minutes by the clock, per gebruikersnaam and per pseudonym,
// increment-then-decide under concurrency, reset on success, list and lift.
import assert from 'node:assert/strict';
import type { AuditEvent } from '../../gateway/src/accounts/AccountsRegistry.ts';
import { MINUTE, ManualClock } from '../../gateway/src/clock.ts';
import { loadConfig, type Config } from '../../gateway/src/config.ts';
import { liftLockout, listLockouts, Lockout, type Blocked, type LockTarget, type Reservation } from '../../gateway/src/koppel/Lockout.ts';
import type { KeyValueStore } from '../../gateway/src/store/KeyValueStore.ts';
import { kvImplementations } from '../support/stores.ts';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

for (const impl of kvImplementations(new ManualClock())) {
  describe(`Lockout on the ${impl.name} store`, function () {
    this.timeout(30_000);
    let clock: ManualClock;
    let kv: KeyValueStore;
    let events: AuditEvent[];
    let config: Config;
    let lockout: Lockout;
    const deps = () => ({ kv, clock, config, accounts: { appendAudit: async (e: AuditEvent) => void events.push(e) } });

    before(() => {
      config = loadConfig({ env: { NODE_ENV: 'test' }, overrides: { publicUrl: 'http://127.0.0.1:1' } });
    });
    beforeEach(async () => {
      // The in-memory store runs on the clock given to kvImplementations; Redis on its own
      // time. Either way the Lockout decides by the clock it is given.
      clock = new ManualClock(Date.now());
      const fresh = kvImplementations(clock).find((i) => i.name === impl.name)!;
      kv = await fresh.create();
      cleanup = () => fresh.cleanup();
      events = [];
      lockout = new Lockout(deps());
    });
    let cleanup: () => Promise<void> = async () => undefined;
    afterEach(async () => {
      await cleanup();
    });

    const targets = (name: string, hash = HASH_A): LockTarget[] => Lockout.koppelTargets(name, hash);

    async function wrong(t: LockTarget[]): Promise<Reservation | Blocked> {
      const r = await lockout.reserve(t);
      if (r.kind === 'blocked') return r;
      return (await lockout.failed(r, { accountId: null })) ?? r;
    }

    it('4 wrong attempts are allowed; the 5th blocks for 15 minutes; the 6th is not even counted', async () => {
      for (let i = 1; i <= 4; i++) {
        const r = await wrong(targets('1234abcd'));
        assert.equal(r.kind, 'reserved', `attempt ${i}`);
      }
      const fifth = await wrong(targets('1234abcd'));
      assert.equal(fifth.kind, 'blocked');
      assert.equal((fifth as Blocked).until, clock.now() + 15 * MINUTE);
      const sixth = await lockout.reserve(targets('1234abcd'));
      assert.equal(sixth.kind, 'blocked');
      assert.equal(await lockout.blockedUntil({ dimension: 'gebruikersnaam', id: '1234abcd' }), clock.now() + 15 * MINUTE);
      const started = events.filter((e) => e.action === 'lockout.started');
      assert.deepEqual(started.map((e) => e.reason).sort(), ['gebruikersnaam', 'pseudonym']);
      assert.equal(started.find((e) => e.reason === 'gebruikersnaam')?.details?.gebruikersnaam, '1234abcd');
      assert.equal(started.find((e) => e.reason === 'pseudonym')?.subjectRef, HASH_A.slice(0, 12));
    });

    it('the lock holds until the last millisecond of the 15 minutes and then counting starts afresh', async () => {
      for (let i = 0; i < 5; i++) await wrong(targets('2345bcde'));
      const until = clock.now() + 15 * MINUTE;
      clock.set(until - 1);
      assert.equal((await lockout.reserve(targets('2345bcde'))).kind, 'blocked');
      clock.set(until);
      const r = await lockout.reserve(targets('2345bcde'));
      assert.equal(r.kind, 'reserved');
      assert.deepEqual((r as Reservation).entries.map((e) => e.count), [1, 1]);
    });

    it('a success forgets the failures so far', async () => {
      for (let i = 0; i < 4; i++) await wrong(targets('3456cdef'));
      const ok = await lockout.reserve(targets('3456cdef'));
      assert.equal(ok.kind, 'reserved');
      await lockout.succeeded(ok as Reservation);
      for (let i = 1; i <= 4; i++) assert.equal((await wrong(targets('3456cdef'))).kind, 'reserved', `attempt ${i} after success`);
    });

    it('counts per gebruikersnaam across pseudonyms, and per pseudonym across gebruikersnamen', async () => {
      // Five different means try one name: the name is blocked, also for a sixth means.
      for (let i = 0; i < 5; i++) await wrong(targets('4567defg', String(i).repeat(64)));
      assert.equal((await lockout.reserve(targets('4567defg', HASH_B))).kind, 'blocked');
      // Each of those means made one attempt only: another name is fine for them.
      assert.equal((await lockout.reserve(targets('other-name', '0'.repeat(64)))).kind, 'reserved');
      // One means tries five names: the means is blocked, whatever name comes next.
      for (let i = 0; i < 5; i++) await wrong(targets(`naam${i}`, HASH_A));
      assert.equal((await lockout.reserve(targets('fresh-name', HASH_A))).kind, 'blocked');
    });

    it('typed names are counted the way they are stored (case and spaces forgiven)', async () => {
      for (const typed of ['5678EFGH', ' 5678efgh', '5678Efgh ', '5678efgh', '\t5678EFGH']) await wrong(targets(typed, String(typed.length).repeat(64)));
      assert.equal((await lockout.reserve(targets('5678efgh', HASH_B))).kind, 'blocked');
    });

    it(`twelve concurrent wrong attempts through two lockouts on one ${impl.name} store: exactly 5 are checked`, async () => {
      const other = new Lockout(deps()); // a second gateway process on the same store
      const checked: number[] = [];
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, async (_v, i) => {
          const l = i % 2 === 0 ? lockout : other;
          const r = await l.reserve(targets('6789fghi'));
          if (r.kind === 'blocked') return 'blocked';
          checked.push(i);
          await l.failed(r, { accountId: null });
          return 'checked';
        }),
      );
      assert.equal(checked.length, 5);
      assert.equal(outcomes.filter((o) => o === 'blocked').length, 7);
      assert.equal(events.filter((e) => e.action === 'lockout.started').length, 2, 'one lock per dimension, started once');
    });

    it('the beheerder sees current locks and lifts them by gebruikersnaam or pseudonym reference', async () => {
      for (let i = 0; i < 5; i++) await wrong(targets('7890ghij'));
      const list = await listLockouts(deps());
      assert.deepEqual(
        list.map((e) => [e.dimension, e.gebruikersnaam ?? e.subjectRef, e.blockedUntil]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        [
          ['gebruikersnaam', '7890ghij', clock.now() + 15 * MINUTE],
          ['pseudonym', HASH_A.slice(0, 12), clock.now() + 15 * MINUTE],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
      const lifted = await liftLockout(deps(), { gebruikersnaam: '7890GHIJ' }, { type: 'beheerder', id: 'beheerder-1' });
      assert.deepEqual(lifted.lifted, ['gebruikersnaam']);
      assert.deepEqual((await listLockouts(deps())).map((e) => e.dimension), ['pseudonym']);
      // The name counts from zero again; the means is still blocked until lifted too.
      assert.equal((await lockout.reserve(targets('7890ghij', HASH_B))).kind, 'reserved');
      assert.equal((await lockout.reserve(targets('anything', HASH_A))).kind, 'blocked');
      const bySubject = await liftLockout(deps(), { subjectRef: HASH_A.slice(0, 12) }, { type: 'cli', id: 'ops' });
      assert.deepEqual(bySubject.lifted, ['pseudonym']);
      assert.equal((await lockout.reserve(targets('anything', HASH_A))).kind, 'reserved');
      const audit = events.filter((e) => e.action === 'lockout.lifted');
      assert.deepEqual(audit.map((e) => [e.actorType, e.actorId, e.reason]), [
        ['beheerder', 'beheerder-1', 'gebruikersnaam'],
        ['beheerder', 'beheerder-1', 'token'],
        ['cli', 'ops', 'pseudonym'],
      ]);
      assert.equal(audit[1]?.details?.wasBlocked, false);
    });

    it('token login locks count on their own: they never block koppelen for the same name', async () => {
      for (let i = 0; i < 5; i++) await wrong(Lockout.tokenTargets('8901hijk'));
      assert.equal((await lockout.reserve(Lockout.tokenTargets('8901hijk'))).kind, 'blocked');
      assert.equal((await lockout.reserve(targets('8901hijk'))).kind, 'reserved');
    });

    if (impl.followsClock) {
      it('(in-memory store: TTLs follow the test clock) failures older than 15 minutes are forgotten', async () => {
        for (let i = 0; i < 4; i++) await wrong(targets('9012ijkl'));
        clock.advance(15 * MINUTE);
        for (let i = 1; i <= 4; i++) assert.equal((await wrong(targets('9012ijkl'))).kind, 'reserved', `attempt ${i}`);
      });
    }
  });
}
