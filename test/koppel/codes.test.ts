// Activation codes through the wizard: valid 24 hours to the millisecond, single use, a new
// code voids the old one, and every way to be wrong looks (and costs) the same.
import assert from 'node:assert/strict';
import { issueActivationCode } from '../../gateway/src/cli/codes.ts';
import { HOUR } from '../../gateway/src/clock.ts';
import { seedRegenboog } from '../support/demoData.ts';
import { assertStep, koppelRig, type KoppelRig, maskCsrf, submitKoppel, toKoppelen, uidOf } from './support/wizard.ts';

describe('activation codes in the koppel step', function () {
  this.timeout(90_000);
  const rig = koppelRig();
  let { clock, calls, stack, oidc } = {} as KoppelRig;
  before(() => ({ clock, calls, stack, oidc } = rig));

  async function lastRefusal(uid: string): Promise<string | null | undefined> {
    const [e] = (await stack.accounts.listAudit({ action: 'koppel.refused', limit: 1000 })).filter((x) => x.correlationId === uid);
    return e?.reason;
  }

  it('a code works until 24 hours after it was issued, to the millisecond', async () => {
    const issuedAt = clock.now();
    const seeded = await seedRegenboog(stack);
    clock.set(issuedAt + 24 * HOUR - 1);
    const { browser, page } = await toKoppelen(stack, oidc, 'c-24h-ok');
    const done = await submitKoppel(browser, page, seeded.account.gebruikersnaam, seeded.code);
    assertStep(done, 'gelukt');
  });

  it('at exactly 24 hours the code has expired (same answer as a wrong code)', async () => {
    const issuedAt = clock.now();
    const seeded = await seedRegenboog(stack);
    clock.set(issuedAt + 24 * HOUR);
    const { browser, page } = await toKoppelen(stack, oidc, 'c-24h-expired');
    const refused = await submitKoppel(browser, page, seeded.account.gebruikersnaam, seeded.code);
    assertStep(refused, 'koppelen');
    assert.match(refused.$('[data-testid=error-summary]').text(), /niet juist, of de activatiecode is niet meer geldig/);
    assert.equal(await lastRefusal(uidOf(page.url)), 'expired-code');
    assert.equal(await stack.accounts.activeKoppelingOfAccount(seeded.account.id), null);
  });

  it('a code is single use: the same code cannot link a second means', async () => {
    const seeded = await seedRegenboog(stack);
    const first = await toKoppelen(stack, oidc, 'c-reuse-1');
    assertStep(await submitKoppel(first.browser, first.page, seeded.account.gebruikersnaam, seeded.code), 'gelukt');
    const linked = await stack.accounts.activeKoppelingOfAccount(seeded.account.id);
    const second = await toKoppelen(stack, oidc, 'c-reuse-2');
    const refused = await submitKoppel(second.browser, second.page, seeded.account.gebruikersnaam, seeded.code);
    assertStep(refused, 'koppelen');
    assert.equal(await lastRefusal(uidOf(second.page.url)), 'used-code');
    assert.equal((await stack.accounts.activeKoppelingOfAccount(seeded.account.id))?.id, linked?.id, 'the first koppeling stays');
  });

  it('a newly issued code voids the previous one', async () => {
    const seeded = await seedRegenboog(stack);
    const second = await issueActivationCode(seeded.ctx, { gebruikersnaam: seeded.account.gebruikersnaam, print: true });
    const { browser, page } = await toKoppelen(stack, oidc, 'c-voided');
    const refused = await submitKoppel(browser, page, seeded.account.gebruikersnaam, seeded.code);
    assertStep(refused, 'koppelen');
    assert.equal(await lastRefusal(uidOf(page.url)), 'wrong-code');
    assertStep(await submitKoppel(browser, refused, seeded.account.gebruikersnaam, second.code!), 'gelukt');
  });

  it('a wrong name, a wrong code, an expired code and a used code give identical pages and do the same work', async () => {
    const wrongCode = await seedRegenboog(stack);
    const expiredAt = clock.now();
    const expired = await seedRegenboog(stack);
    const used = await seedRegenboog(stack);
    const user = await toKoppelen(stack, oidc, 'c-enum-user');
    assertStep(await submitKoppel(user.browser, user.page, used.account.gebruikersnaam, used.code), 'gelukt');
    clock.set(expiredAt + 24 * HOUR);

    const { browser, page } = await toKoppelen(stack, oidc, 'c-enum');
    const uid = uidOf(page.url);
    const cases: [string, string, string][] = [
      ['unknown-gebruikersnaam', '9999zzzz', wrongCode.code],
      ['wrong-code', wrongCode.account.gebruikersnaam, 'ABCD EFGH JKMN PQRS'],
      ['expired-code', expired.account.gebruikersnaam, expired.code],
      ['used-code', used.account.gebruikersnaam, used.code],
    ];
    const bodies: string[] = [];
    for (const [reason, name, code] of cases) {
      const before = calls.get('linkWithActivationCode') ?? 0;
      const p = await submitKoppel(browser, page, name, code);
      assert.equal(p.status, 200);
      assertStep(p, 'koppelen');
      assert.equal(await lastRefusal(uid), reason);
      assert.equal((calls.get('linkWithActivationCode') ?? 0) - before, 1, `${reason}: one registry check`);
      bodies.push(maskCsrf(p.body));
    }
    for (let i = 1; i < bodies.length; i++) assert.equal(bodies[i], bodies[0], `${cases[i]![0]} answers like ${cases[0]![0]}`);
    assert.doesNotMatch(bodies[0]!, /9999zzzz|value="[a-z0-9]{8}"/, 'the typed gebruikersnaam is not echoed');
  });
});
