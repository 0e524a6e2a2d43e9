// The key screens in headless Chromium: the login page, every wizard step, success, the
// blocked message, the token page; keyboard-only completion of the wizard; axe (no serious or
// critical violations). Screenshots go to /tmp/screens for a person to look at.
import assert from 'node:assert/strict';
import type * as client from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { seedRegenboog, type Seeded } from '../support/demoData.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { discover, linkDirectly, startAppLogin } from '../koppel/support/wizard.ts';
import { undoKoppelingOfAccount } from '../../gateway/src/koppel/Lifecycle.ts';
import { describeInChromium, focusedId, launch, newContext, screenshot, seriousViolations, tabTo } from './support.ts';

/** Back at the app with an authorization code (the stub answers; Chromium may still call port 9 unsafe). */
const toApp = (r: { url(): string }): boolean => /^http:\/\/127\.0\.0\.1:9\/callback\?code=/.test(r.url());

describeInChromium('browser: the login page and the koppel wizard in Chromium', function () {
  this.timeout(120_000);
  let stack: Stack;
  let oidc: client.Configuration;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    stack = await startStack();
    oidc = await discover(stack);
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });
  beforeEach(async () => {
    context = await newContext(browser);
    page = await context.newPage();
  });
  afterEach(async () => {
    await context?.close();
  });

  async function openLogin(): Promise<void> {
    const login = await startAppLogin(oidc);
    await page.goto(login.url.toString());
    await page.waitForURL(/\/interaction\/[^/]+$/);
  }

  /**
   * The mock broker's own screen (its "Inloggen" button). The persona screen is used, not the
   * mock's instant answer: the AuthnRequest page's CSP (broker face) allows its form to go to
   * the broker only, so Chromium refuses a broker that redirects straight back to our ACS.
   */
  async function atBroker(): Promise<void> {
    await page.locator('button[name=action][value=login]').click();
  }

  /** Personas from config/idp-mock.yaml (its persona screen preselects them). */
  async function toWizard(persona: string): Promise<void> {
    await openLogin();
    await page.getByLabel('Primair onderwijs').check();
    stack.mock.nextLogin({ persona, autoSubmit: false });
    await page.getByRole('button', { name: 'Log in met eHerkenning' }).click();
    await atBroker();
    await page.waitForURL(/\/koppel\/situatie$/);
  }

  async function noSeriousViolations(name: string): Promise<void> {
    const v = await seriousViolations(page);
    assert.deepEqual(v, [], `${name}: axe found\n${v.join('\n')}`);
  }

  it('the login page: Dutch, styled by the NL Design System, accessible, and it needs a sector', async () => {
    await openLogin();
    assert.equal(await page.title(), 'Inloggen op Mijn DUO zakelijk | Mijn DUO zakelijk');
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Inloggen op Mijn DUO zakelijk');
    for (const name of ['eHerkenning aanvragen en gebruiken', 'Inloggen met token', 'Problemen met inloggen']) {
      assert.equal(await page.getByRole('link', { name, exact: true }).first().isVisible(), true, name);
    }
    // The NL Design System stylesheet is loaded and applied (the button gets its token colours).
    const styled = await page.evaluate(() => {
      const b = document.querySelector('.utrecht-button--primary-action');
      return b ? getComputedStyle(b).backgroundColor : '';
    });
    assert.notEqual(styled, 'rgba(0, 0, 0, 0)', 'primary button has a background from components.css');
    await screenshot(page, '01-login');
    await noSeriousViolations('login');

    // Without a sector: the same page, with the error summary focused.
    await page.getByRole('button', { name: 'Log in met eHerkenning' }).click();
    await page.waitForSelector('[data-testid=error-summary]');
    assert.equal(await focusedId(page), 'fouten');
    assert.match((await page.title()) ?? '', /^Fout:/);
    await screenshot(page, '01b-login-sector-missing');
    await noSeriousViolations('login with error');

    await page.getByRole('link', { name: 'Problemen met inloggen' }).first().click();
    await page.waitForURL(/\/problemen$/);
    assert.match((await page.locator('main').textContent()) ?? '', /18 maanden/);
    await screenshot(page, '09-problemen');
    await noSeriousViolations('problemen');
  });

  it('every wizard step, the checkbox error and success look right and pass axe', async () => {
    const seeded: Seeded = await seedRegenboog(stack);
    await toWizard('jan');
    await screenshot(page, '02-situatie');
    await noSeriousViolations('situatie');
    await page.getByLabel('Ik heb een gebruikersnaam en een geldige activatiecode').check();
    await page.getByRole('button', { name: 'Verder' }).click();
    await page.waitForURL(/\/koppel\/disclaimer$/);
    await screenshot(page, '03-disclaimer');
    await noSeriousViolations('disclaimer');

    // Not ticked: same screen, clear error, focus on the summary, field marked invalid.
    await page.getByRole('button', { name: 'Verder' }).click();
    await page.waitForSelector('[data-testid=error-summary]');
    assert.equal(page.url().endsWith('/koppel/disclaimer'), true);
    assert.equal(await focusedId(page), 'fouten');
    assert.equal(await page.locator('#akkoord').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#akkoord').getAttribute('aria-describedby'), 'akkoord-fout');
    await screenshot(page, '03b-disclaimer-error');
    await noSeriousViolations('disclaimer with error');

    await page.getByLabel('Ik heb bovenstaande informatie gelezen en ga hiermee akkoord').check();
    await page.getByRole('button', { name: 'Verder' }).click();
    await page.waitForURL(/\/koppel\/voorwaarden$/);
    await screenshot(page, '04-voorwaarden');
    await noSeriousViolations('voorwaarden');
    await page.getByLabel('Ik heb bovenstaande informatie gelezen en ga hiermee akkoord').check();
    await page.getByRole('button', { name: 'Verder' }).click();
    await page.waitForURL(/\/koppel\/koppelen$/);
    await screenshot(page, '05-koppelen');
    await noSeriousViolations('koppelen');

    // The browser's back button goes to the previous step, with the acceptance still ticked.
    await page.goBack();
    await page.waitForURL(/\/koppel\/voorwaarden$/);
    assert.equal(await page.locator('#akkoord').isChecked(), true);
    await page.goForward();
    await page.waitForURL(/\/koppel\/koppelen$/);

    await page.getByLabel('Gebruikersnaam').fill(seeded.account.gebruikersnaam);
    await page.getByLabel('Activatiecode').fill('ABCD EFGH JKMN PQRS');
    await page.getByRole('button', { name: 'Koppel' }).click();
    await page.waitForSelector('[data-testid=error-summary]');
    assert.equal(await focusedId(page), 'fouten');
    await screenshot(page, '05b-koppelen-wrong');
    await noSeriousViolations('koppelen wrong');

    await page.getByLabel('Gebruikersnaam').fill(seeded.account.gebruikersnaam);
    await page.getByLabel('Activatiecode').fill(seeded.code);
    await page.getByRole('button', { name: 'Koppel' }).click();
    await page.waitForURL(/\/koppel\/gelukt$/);
    assert.match((await page.locator('main').textContent()) ?? '', /Vergeet dan niet om deze in te leveren!/);
    await screenshot(page, '06-gelukt');
    await noSeriousViolations('gelukt');
    // Refresh of the success page: still the success page, nothing linked twice.
    await page.reload();
    assert.equal(page.url().endsWith('/koppel/gelukt'), true);
    await Promise.all([page.waitForRequest(toApp), page.getByRole('button', { name: 'Verder' }).click()]);
    const linked = await stack.accounts.listAudit({ accountId: seeded.account.id, action: 'koppel.linked' });
    assert.equal(linked.length, 1);
  });

  it('the blocked message names the time, in Dutch time', async () => {
    await toWizard('kees');
    await page.getByLabel('Ik heb een gebruikersnaam en een geldige activatiecode').check();
    await page.getByRole('button', { name: 'Verder' }).click();
    for (let i = 0; i < 2; i++) {
      await page.getByLabel('Ik heb bovenstaande informatie gelezen en ga hiermee akkoord').check();
      await page.getByRole('button', { name: 'Verder' }).click();
    }
    await page.waitForURL(/\/koppel\/koppelen$/);
    for (let i = 0; i < stack.config.koppel.maxFailedAttempts; i++) {
      await page.getByLabel('Gebruikersnaam').fill('0000zzzz');
      await page.getByLabel('Activatiecode').fill('AAAA BBBB CCCC DDDD');
      await page.getByRole('button', { name: 'Koppel' }).click();
      await page.waitForSelector('[data-testid=error-summary]');
    }
    const text = (await page.locator('[data-testid=error-summary]').textContent()) ?? '';
    assert.match(text, /tijdelijk geblokkeerd\. U kunt het na \d{2}:\d{2} uur opnieuw proberen/);
    await screenshot(page, '07-blocked');
    await noSeriousViolations('blocked');
  });

  it('the first screen explains why a koppeling was undone', async () => {
    const seeded = await seedRegenboog(stack);
    await linkDirectly(stack, 'kees', seeded.account);
    await undoKoppelingOfAccount({ accounts: stack.accounts, clock: stack.clock, config: stack.config }, { accountId: seeded.account.id, problem: 'lost' }, { type: 'beheerder', id: 'b' });
    await toWizard('kees');
    assert.match((await page.locator('[data-testid=undone-notice]').textContent()) ?? '', /ongedaan gemaakt door uw beheerder/);
    await screenshot(page, '02b-situatie-notice');
    await noSeriousViolations('situatie with notice');
  });

  it('keyboard only: Tab, Space and Enter complete the whole wizard and return to the app', async () => {
    const seeded = await seedRegenboog(stack, { kvk: '12345678' });
    await openLogin();
    await tabTo(page, 'input[name=sector]');
    await page.keyboard.press('Space');
    stack.mock.nextLogin({ persona: 'fatima', autoSubmit: false });
    await tabTo(page, 'button[type=submit]');
    await page.keyboard.press('Enter');
    await atBroker();
    await page.waitForURL(/\/koppel\/situatie$/);

    await tabTo(page, '#situatie-wel');
    await page.keyboard.press('Space');
    await tabTo(page, 'button.utrecht-button--primary-action');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/koppel\/disclaimer$/);

    for (const next of [/\/koppel\/voorwaarden$/, /\/koppel\/koppelen$/]) {
      await tabTo(page, '#akkoord');
      await page.keyboard.press('Space');
      await tabTo(page, 'button.utrecht-button--primary-action');
      await page.keyboard.press('Enter');
      await page.waitForURL(next);
    }

    await tabTo(page, '#gebruikersnaam');
    await page.keyboard.type(seeded.account.gebruikersnaam);
    await page.keyboard.press('Tab');
    assert.equal(await focusedId(page), 'activatiecode');
    await page.keyboard.type(seeded.code);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/koppel\/gelukt$/);

    await tabTo(page, 'button.utrecht-button--primary-action');
    await Promise.all([page.waitForRequest(toApp), page.keyboard.press('Enter')]);
    assert.ok(await stack.accounts.activeKoppelingOfAccount(seeded.account.id));
  });

  it('the token page and the English login page', async () => {
    await openLogin();
    await page.getByRole('link', { name: 'Inloggen met token' }).click();
    await page.waitForURL(/\/token$/);
    await screenshot(page, '08-token');
    await noSeriousViolations('token');
    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForURL(/lang=en/);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Log in with a token');
    await page.getByRole('link', { name: 'To Log in to Mijn DUO business' }).click();
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Log in to Mijn DUO business');
    await screenshot(page, '10-login-en');
    await noSeriousViolations('login en');
  });
});
