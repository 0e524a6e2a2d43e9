// The life of a koppeling: undone after 18 months without login (at login, to the
// millisecond, and by `mijnduo sweep`), undone by the beheerder (means lost/stolen/defective),
// replaced by a new means; each time the person sees why and goes through the wizard again.
import assert from 'node:assert/strict';
import type * as client from 'openid-client';
import { addMonths, type ManualClock } from '../../gateway/src/clock.ts';
import { CliUserError } from '../../gateway/src/cli/context.ts';
import { undoKoppelingCommand } from '../../gateway/src/cli/koppeling.ts';
import { sweep } from '../../gateway/src/cli/sweep.ts';
import { issueActivationCode } from '../../gateway/src/cli/codes.ts';
import { isStale, monthsBefore, undoKoppelingOfAccount } from '../../gateway/src/koppel/Lifecycle.ts';
import { seedRegenboog } from '../support/demoData.ts';
import { clockAtNow, startStack, type Stack } from '../support/stack.ts';
import {
  assertStep,
  atRedirectUri,
  discover,
  linkDirectly,
  logInWithEherkenning,
  loginAs,
  mainText,
  newBrowser,
  openLoginPage,
  ownPersona,
  submitKoppel,
  subjectHashOf,
  walkToKoppelen,
} from './support/wizard.ts';

describe('koppeling lifecycle: the 18-month boundary and its arithmetic', () => {
  it('monthsBefore keeps the calendar moment and clamps to the end of a shorter month', () => {
    assert.equal(monthsBefore(Date.UTC(2027, 4, 15, 9, 30, 1, 2), 18), Date.UTC(2025, 10, 15, 9, 30, 1, 2));
    assert.equal(monthsBefore(Date.UTC(2026, 7, 31, 12), 18), Date.UTC(2025, 1, 28, 12));
    assert.equal(monthsBefore(Date.UTC(2025, 7, 31, 12), 18), Date.UTC(2024, 1, 29, 12), 'leap year');
    assert.equal(monthsBefore(Date.UTC(2027, 0, 1), 1), Date.UTC(2026, 11, 1));
  });

  it('stale means: last login at or before the same moment 18 months ago', () => {
    const now = Date.UTC(2027, 4, 15, 9, 30);
    const edge = Date.UTC(2025, 10, 15, 9, 30);
    assert.equal(isStale(edge, now, 18), true);
    assert.equal(isStale(edge + 1, now, 18), false);
  });
});

describe('koppeling lifecycle over HTTP: 18 months', function () {
  this.timeout(120_000);
  let clock: ManualClock;
  let stack: Stack;
  let oidc: client.Configuration;

  beforeEach(async () => {
    // A fresh clock per test: some jump 18 months ahead, and certificates last two years.
    clock = clockAtNow();
    stack = await startStack({ clock });
    oidc = await discover(stack);
  });
  afterEach(async () => {
    await stack?.close();
  });

  /** 18 months from now, and the last-login moment that is exactly stale then. */
  function boundary(): { now: number; edge: number } {
    const now = addMonths(clock.now(), stack.config.koppel.unlinkAfterMonths);
    return { now, edge: monthsBefore(now, stack.config.koppel.unlinkAfterMonths) };
  }

  it('at login: a koppeling unused for exactly 18 months is undone and the wizard says why; one a millisecond younger logs in', async () => {
    const { now, edge } = boundary();
    const stale = await seedRegenboog(stack);
    const fresh = await seedRegenboog(stack);
    clock.set(edge);
    await linkDirectly(stack, ownPersona('lc-stale'), stale.account);
    clock.set(edge + 1);
    await linkDirectly(stack, ownPersona('lc-fresh'), fresh.account);
    clock.set(now);

    const b1 = newBrowser();
    const { page } = await loginAs(stack, b1, oidc, ownPersona('lc-stale'));
    assertStep(page, 'situatie');
    assert.match(page.$('[data-testid=undone-notice]').text(), /afgelopen 18 maanden niet ingelogd/);
    assert.equal(await stack.accounts.activeKoppelingOfAccount(stale.account.id), null);
    const [undone] = await stack.accounts.listAudit({ accountId: stale.account.id, action: 'koppel.undone' });
    assert.equal(undone?.reason, 'inactive-18-months');
    assert.equal(undone?.details?.via, 'login');

    const b2 = newBrowser();
    const { page: back } = await loginAs(stack, b2, oidc, ownPersona('lc-fresh'));
    assert.ok(atRedirectUri(back.url), `a koppeling 1 ms younger still logs in, got ${back.url}`);
    assert.equal((await stack.accounts.activeKoppelingOfAccount(fresh.account.id))?.lastLoginAt, now, 'the login counts as use');

    // With a new code the person links again.
    const code = await issueActivationCode(stale.ctx, { gebruikersnaam: stale.account.gebruikersnaam, print: true });
    const form = await walkToKoppelen(b1, page);
    assertStep(await submitKoppel(b1, form, stale.account.gebruikersnaam, code.code!), 'gelukt');
  });

  it('`mijnduo sweep` undoes exactly the stale koppelingen, audits each, and the person later sees why', async () => {
    const { now, edge } = boundary();
    const stale = await seedRegenboog(stack);
    const fresh = await seedRegenboog(stack);
    clock.set(edge);
    await linkDirectly(stack, ownPersona('sw-stale'), stale.account);
    clock.set(edge + 1);
    await linkDirectly(stack, ownPersona('sw-fresh'), fresh.account);
    clock.set(now);

    const lines: string[] = [];
    const undone = await sweep({ ...stale.ctx, clock, out: (l) => lines.push(l), actor: 'cron' });
    assert.deepEqual(undone.map((k) => k.accountId), [stale.account.id]);
    assert.match(lines.join('\n'), /^1 koppeling\(en\) ongedaan gemaakt/);
    assert.ok(await stack.accounts.activeKoppelingOfAccount(fresh.account.id));
    const [audit] = await stack.accounts.listAudit({ accountId: stale.account.id, action: 'koppel.undone' });
    assert.deepEqual([audit?.actorType, audit?.actorId, audit?.reason, audit?.details?.via], ['cli', 'cron', 'inactive-18-months', 'sweep']);
    assert.equal(audit?.subjectRef, subjectHashOf(stack, ownPersona('sw-stale')).slice(0, 12));
    // A second sweep finds nothing more.
    assert.equal((await sweep({ ...stale.ctx, clock, out: () => {} })).length, 0);

    const { page } = await loginAs(stack, newBrowser(), oidc, ownPersona('sw-stale'));
    assertStep(page, 'situatie');
    assert.match(page.$('[data-testid=undone-notice]').text(), /18 maanden/);
  });
});

describe('koppeling lifecycle over HTTP: beheerder and new means', function () {
  this.timeout(120_000);
  let clock: ManualClock;
  let stack: Stack;
  let oidc: client.Configuration;

  before(async () => {
    clock = clockAtNow();
    stack = await startStack({ clock });
    oidc = await discover(stack);
  });
  after(async () => {
    await stack?.close();
  });

  it('the beheerder undoes a koppeling (means stolen): the next login goes through the wizard again, with the notice', async () => {
    const seeded = await seedRegenboog(stack);
    await linkDirectly(stack, ownPersona('bh-stolen'), seeded.account);
    const first = await loginAs(stack, newBrowser(), oidc, ownPersona('bh-stolen'));
    assert.ok(atRedirectUri(first.page.url), 'linked: straight back to the app');

    const undone = await undoKoppelingOfAccount(
      { accounts: stack.accounts, clock, config: stack.config },
      { accountId: seeded.account.id, problem: 'stolen' },
      { type: 'beheerder', id: 'beheerder-42' },
    );
    assert.equal(undone?.undoneReason, 'means-stolen');
    const [audit] = await stack.accounts.listAudit({ accountId: seeded.account.id, action: 'koppel.undone' });
    assert.deepEqual([audit?.actorType, audit?.actorId, audit?.reason], ['beheerder', 'beheerder-42', 'means-stolen']);

    const browser = newBrowser();
    const { page } = await loginAs(stack, browser, oidc, ownPersona('bh-stolen'));
    assertStep(page, 'situatie');
    assert.match(page.$('[data-testid=undone-notice]').text(), /ongedaan gemaakt door uw beheerder/);
    const code = await issueActivationCode(seeded.ctx, { gebruikersnaam: seeded.account.gebruikersnaam, print: true });
    assertStep(await submitKoppel(browser, await walkToKoppelen(browser, page), seeded.account.gebruikersnaam, code.code!), 'gelukt');
  });

  it('`mijnduo koppeling undo` checks the reason and that there is a koppeling', async () => {
    const seeded = await seedRegenboog(stack);
    const ctx = { ...seeded.ctx, clock, out: () => {} };
    await assert.rejects(undoKoppelingCommand(ctx, { gebruikersnaam: seeded.account.gebruikersnaam, reason: 'lost' }), CliUserError);
    await linkDirectly(stack, ownPersona('cli-undo'), seeded.account);
    await assert.rejects(undoKoppelingCommand(ctx, { gebruikersnaam: seeded.account.gebruikersnaam, reason: 'forgotten' }), /lost, stolen of defective/);
    const undone = await undoKoppelingCommand(ctx, { gebruikersnaam: seeded.account.gebruikersnaam, reason: 'defective' });
    assert.equal(undone.undoneReason, 'means-defective');
    assert.equal(await stack.accounts.activeKoppelingOfAccount(seeded.account.id), null);
  });

  it('a new pseudonym for the same person is a new koppeling that replaces the old one (audited); the old means then sees why', async () => {
    const seeded = await seedRegenboog(stack);
    await linkDirectly(stack, 'jan', seeded.account);
    const old = await stack.accounts.activeKoppelingOfAccount(seeded.account.id);
    const code = await issueActivationCode(seeded.ctx, { gebruikersnaam: seeded.account.gebruikersnaam, print: true });

    const browser = newBrowser();
    const opened = await openLoginPage(browser, oidc);
    stack.mock.nextLogin({ persona: 'jan', failures: ['rotated-pseudonym'] });
    const loginPage = await logInWithEherkenning(browser, opened.page);
    assertStep(loginPage, 'situatie');
    const done = await submitKoppel(browser, await walkToKoppelen(browser, loginPage), seeded.account.gebruikersnaam, code.code!);
    assertStep(done, 'gelukt');
    const now = await stack.accounts.activeKoppelingOfAccount(seeded.account.id);
    assert.ok(now && old && now.id !== old.id && now.subjectHash !== old.subjectHash, 'one active koppeling: the new one');
    const [replaced] = await stack.accounts.listAudit({ accountId: seeded.account.id, action: 'koppel.replaced' });
    assert.equal(replaced?.details?.replacedKoppelingId, old?.id);
    assert.equal(replaced?.details?.newKoppelingId, now?.id);
    const [linked] = await stack.accounts.listAudit({ accountId: seeded.account.id, action: 'koppel.linked' });
    assert.equal(linked?.details?.replacedKoppelingId, old?.id);

    // The old pseudonym logs in again: the wizard, telling that the account uses another means now.
    const { page } = await loginAs(stack, newBrowser(), oidc, 'jan');
    assertStep(page, 'situatie');
    assert.match(mainText(page), /inmiddels aan een ander eHerkenningsmiddel gekoppeld/);
  });
});
