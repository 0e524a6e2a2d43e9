// Lockout through the wizard over HTTP: 5 wrong → 15 minutes blocked (the time shown in Dutch
// time), per gebruikersnaam across means, lifted by the beheerder; two gateways on one store
// under a parallel brute force; the per-IP throttle in front.
import assert from 'node:assert/strict';
import type * as client from 'openid-client';
import type { SqlAccountsRegistry } from '../../gateway/src/accounts/SqlAccountsRegistry.ts';
import { MINUTE, type ManualClock } from '../../gateway/src/clock.ts';
import { formatAmsterdamTime, roundUpToMinute } from '../../gateway/src/i18n/time.ts';
import { liftLockout, listLockouts, Lockout } from '../../gateway/src/koppel/Lockout.ts';
import type { KeyValueStore } from '../../gateway/src/store/KeyValueStore.ts';
import { seedRegenboog } from '../support/demoData.ts';
import { clockAtNow, startStack, type Stack } from '../support/stack.ts';
import { createTestKeyValueStore, createTestRegistry, redisUrl } from '../support/stores.ts';
import { assertStep, counting, csrfOf, discover, koppelRig, type KoppelRig, loginAs, newBrowser, ownPersona, submitKoppel, toKoppelen, uidOf, walkToKoppelen } from './support/wizard.ts';

function summary(p: { $: (s: string) => { text(): string } }): string {
  return p.$('[data-testid=error-summary]').text().replace(/\s+/g, ' ');
}

describe('lockout in the koppel wizard over HTTP', function () {
  this.timeout(120_000);
  const rig = koppelRig();
  let { clock, calls, stack, oidc } = {} as KoppelRig;
  before(() => ({ clock, calls, stack, oidc } = rig));

  const lockDeps = () => ({ kv: stack.kv, accounts: stack.accounts, clock, config: stack.config });

  it('5 wrong combinations block for 15 minutes, say until when (Dutch time), and then it works again', async () => {
    const seeded = await seedRegenboog(stack);
    const { browser, page } = await toKoppelen(stack, oidc, 'l-15min');
    const start = clock.now();
    let p = page;
    for (let i = 1; i <= 4; i++) {
      p = await submitKoppel(browser, p, seeded.account.gebruikersnaam, 'AAAA AAAA AAAA AAAA');
      assert.match(summary(p), /niet juist/, `attempt ${i}`);
    }
    p = await submitKoppel(browser, p, seeded.account.gebruikersnaam, 'AAAA AAAA AAAA AAAA');
    const shown = formatAmsterdamTime(roundUpToMinute(start + 15 * MINUTE), clock.now(), 'nl');
    assert.match(summary(p), new RegExp(`tijdelijk geblokkeerd\\. U kunt het na ${shown} uur opnieuw proberen`));

    // Even the right code is not checked while blocked.
    const checks = calls.get('linkWithActivationCode');
    clock.set(start + 15 * MINUTE - 1);
    p = await submitKoppel(browser, p, seeded.account.gebruikersnaam, seeded.code);
    assert.match(summary(p), /geblokkeerd/);
    assert.equal(calls.get('linkWithActivationCode'), checks, 'no registry check while blocked');

    clock.set(start + 15 * MINUTE);
    p = await submitKoppel(browser, p, seeded.account.gebruikersnaam, seeded.code);
    assertStep(p, 'gelukt');
    const started = (await stack.accounts.listAudit({ action: 'lockout.started', limit: 100 })).filter((e) => e.correlationId === uidOf(page.url));
    assert.deepEqual(started.map((e) => e.reason).sort(), ['gebruikersnaam', 'pseudonym']);
    assert.equal(started.find((e) => e.reason === 'gebruikersnaam')?.accountId, seeded.account.id);
  });

  it('the count is per gebruikersnaam: five different means trying one name block it for a sixth', async () => {
    const seeded = await seedRegenboog(stack);
    for (let i = 0; i < 5; i++) {
      const { browser, page } = await toKoppelen(stack, oidc, `l-name-${i}`);
      await submitKoppel(browser, page, seeded.account.gebruikersnaam.toUpperCase(), 'BBBB BBBB BBBB BBBB');
    }
    const { browser, page } = await toKoppelen(stack, oidc, 'l-name-6');
    const p = await submitKoppel(browser, page, seeded.account.gebruikersnaam, seeded.code);
    assert.match(summary(p), /geblokkeerd/);
    assert.equal(await stack.accounts.activeKoppelingOfAccount(seeded.account.id), null);
    const listed = await listLockouts(lockDeps());
    assert.ok(listed.some((e) => e.dimension === 'gebruikersnaam' && e.gebruikersnaam === seeded.account.gebruikersnaam && e.accountId === seeded.account.id));

    // The beheerder lifts it: the next attempt is checked and links.
    const lifted = await liftLockout(lockDeps(), { gebruikersnaam: seeded.account.gebruikersnaam }, { type: 'beheerder', id: 'beheerder-test' });
    assert.deepEqual(lifted.lifted, ['gebruikersnaam']);
    assertStep(await submitKoppel(browser, p, seeded.account.gebruikersnaam, seeded.code), 'gelukt');
  });

  it('an unknown gebruikersnaam is locked exactly like an existing one', async () => {
    const { browser, page } = await toKoppelen(stack, oidc, 'l-unknown');
    let p = page;
    for (let i = 0; i < 5; i++) p = await submitKoppel(browser, p, '0000nope', 'CCCC CCCC CCCC CCCC');
    assert.match(summary(p), /geblokkeerd/);
    assert.ok((await listLockouts(lockDeps())).some((e) => e.gebruikersnaam === '0000nope' && e.accountId === null));
  });
});

describe('per-IP throttle in front of the lockout', function () {
  this.timeout(60_000);
  let clock: ManualClock;
  let stack: Stack;
  let oidc: client.Configuration;

  before(async () => {
    clock = clockAtNow();
    stack = await startStack({ clock, koppel: { ipThrottle: { points: 3, durationSeconds: 600 } } });
    oidc = await discover(stack);
  });
  after(async () => {
    await stack?.close();
  });

  it('one address gets only so many attempts; a throttled attempt touches no per-account count', async () => {
    const seeded = await seedRegenboog(stack);
    const browser = newBrowser();
    const { page } = await loginAs(stack, browser, oidc, ownPersona('ip-1'));
    let p = await walkToKoppelen(browser, page);
    for (const name of ['1111aaaa', '2222bbbb', '3333cccc']) {
      p = await submitKoppel(browser, p, name, 'DDDD DDDD DDDD DDDD');
      assert.match(summary(p), /niet juist/);
    }
    p = await submitKoppel(browser, p, seeded.account.gebruikersnaam, seeded.code);
    assert.match(summary(p), /te veel pogingen gedaan\. Probeer het na \d{2}:\d{2} uur opnieuw/);
    const lockout = new Lockout({ kv: stack.kv, accounts: stack.accounts, clock, config: stack.config });
    assert.equal(await lockout.failures({ dimension: 'gebruikersnaam', id: seeded.account.gebruikersnaam }), 0);
    assert.equal(await stack.accounts.activeKoppelingOfAccount(seeded.account.id), null);
    const refused = (await stack.accounts.listAudit({ action: 'koppel.refused', limit: 100 })).filter((e) => e.reason === 'ip-throttled');
    assert.equal(refused.length, 1);
  });

  if (!redisUrl()) {
    it('(in-memory store: its TTL follows the test clock) the address may try again after the period', async () => {
      const seeded = await seedRegenboog(stack);
      const browser = newBrowser();
      const { page } = await loginAs(stack, browser, oidc, ownPersona('ip-2'));
      const p = await walkToKoppelen(browser, page);
      clock.advance(600_000);
      assertStep(await submitKoppel(browser, p, seeded.account.gebruikersnaam, seeded.code), 'gelukt');
    });
  }
});

describe(`concurrent brute force from two gateway processes on one ${redisUrl() ? 'Redis' : 'in-memory KeyValue store shared by both apps in one process'}`, function () {
  this.timeout(120_000);
  let kv: KeyValueStore;
  let registry: SqlAccountsRegistry;
  let calls: Map<string, number>;
  let a: Stack;
  let b: Stack;
  let oidc: client.Configuration;

  before(async () => {
    const clock = clockAtNow();
    kv = await createTestKeyValueStore(clock);
    registry = await createTestRegistry(clock);
    const c = counting(registry);
    calls = c.calls;
    a = await startStack({ clock, kv, accounts: c.proxy });
    b = await startStack({ clock, kv, accounts: c.proxy, mock: { mock: a.mock, running: a.mockRunning } });
    oidc = await discover(a);
  });
  after(async () => {
    await b?.close();
    await a?.close();
    await kv?.close();
    await registry?.close();
  });

  it('12 parallel wrong attempts, alternating between the two gateways: exactly 5 are checked, the rest refused as blocked', async () => {
    const seeded = await seedRegenboog(a);
    const browser = newBrowser();
    const { page } = await loginAs(a, browser, oidc, ownPersona('two-procs'));
    const form = await walkToKoppelen(browser, page);
    const uid = uidOf(form.url);
    const csrf = csrfOf(form);
    const before = calls.get('linkWithActivationCode') ?? 0;

    const statuses = await Promise.all(
      Array.from({ length: 12 }, async (_v, i) => {
        const gw = i % 2 === 0 ? a : b;
        const url = `${gw.gatewayUrl}/interaction/${uid}/koppel/koppelen`;
        const res = await fetch(url, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: await browser.jar.getCookieString(url) },
          body: new URLSearchParams({ _csrf: csrf, gebruikersnaam: seeded.account.gebruikersnaam, activatiecode: 'EEEE EEEE EEEE EEEE' }).toString(),
        });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    assert.deepEqual(statuses, Array(12).fill(303), 'both gateways served the same interaction');
    assert.equal((calls.get('linkWithActivationCode') ?? 0) - before, 5, 'exactly five attempts reached the registry');
    const refused = (await registry.listAudit({ action: 'koppel.refused', limit: 100 })).filter((e) => e.correlationId === uid);
    assert.equal(refused.filter((e) => e.reason === 'wrong-code').length, 5);
    assert.equal(refused.filter((e) => e.reason === 'blocked').length, 7);
    const started = (await registry.listAudit({ action: 'lockout.started', limit: 100 })).filter((e) => e.correlationId === uid);
    assert.deepEqual(started.map((e) => e.reason).sort(), ['gebruikersnaam', 'pseudonym'], 'each lock started once');

    // Now even the right code, on either gateway, is refused unchecked.
    const p = await submitKoppel(browser, form, seeded.account.gebruikersnaam, seeded.code);
    assert.match(summary(p), /geblokkeerd/);
    assert.equal((calls.get('linkWithActivationCode') ?? 0) - before, 5);
  });
});
