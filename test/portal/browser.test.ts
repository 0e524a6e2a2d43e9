// The portal and beheer screens in headless Chromium: NL Design System styling applied, no
// serious axe (WCAG 2.1 AA) violations, the error summary takes the focus, the name top right
// leads back to the overview, and Uitloggen is reachable by keyboard. Screenshots go to
// /tmp/screens (SCREENS_DIR) for people to look at.
import assert from 'node:assert/strict';
import type { Browser as Chromium, BrowserContext, Page } from 'playwright-core';
import { describeInChromium, launch, screenshot, seriousViolations, tabTo } from '../browser/support.ts';
import { MINUTE } from '../../gateway/src/clock.ts';
import { mededelingenOf, portalLogin, startWorld, type Person, type World } from './support/world.ts';

describeInChromium('portal: the screens in Chromium', function () {
  this.timeout(90_000);
  let world: World;
  let chromium: Chromium;
  let base: string;

  before(async () => {
    world = await startWorld();
    base = world.stack.gatewayUrl;
    const now = world.clock.now();
    await mededelingenOf(world.stack).createMededeling({
      rol: 'Leerlingadministratie',
      title: 'Nieuwe versie BRON-koppeling',
      body: 'Vanaf 1 februari levert u leerlinggegevens aan via de nieuwe koppeling.\nDe oude koppeling stopt op 1 maart.',
      validFrom: now - MINUTE,
    });
    await mededelingenOf(world.stack).createMededeling({ rol: null, title: 'Onderhoud zaterdag', body: 'Mijn DUO is zaterdag van 8.00 tot 12.00 uur niet bereikbaar.', validFrom: now - MINUTE });
    chromium = await launch();
  });
  after(async () => {
    await chromium?.close();
    await world?.close();
  });

  /** Logs `who` in over HTTP (broker, koppel), then hands the portal session to Chromium. */
  async function contextFor(who: Person): Promise<BrowserContext> {
    const { browser } = await portalLogin(world, who);
    const cookie = (await browser.jar.getCookies(base)).find((c) => c.key === 'mijnduo_portal');
    assert.ok(cookie);
    const context = await chromium.newContext({ locale: 'nl-NL', viewport: { width: 1200, height: 900 } });
    await context.addCookies([{ name: cookie.key, value: cookie.value, domain: '127.0.0.1', path: '/', httpOnly: true, sameSite: 'Lax' }]);
    return context;
  }

  async function noSeriousViolations(page: Page): Promise<void> {
    assert.deepEqual(await seriousViolations(page), [], `axe on ${page.url()}`);
  }

  it('the start page', async () => {
    const context = await chromium.newContext({ locale: 'nl-NL', viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await noSeriousViolations(page);
    await screenshot(page, 'portal-start');
    await context.close();
  });

  it('the overview of a gebruiker: styled, accessible, name top right back to the overview, Uitloggen by keyboard', async () => {
    const context = await contextFor(world.jan);
    const page = await context.newPage();
    await page.goto(`${base}/`);
    assert.equal(await page.locator('h1').textContent(), 'Welkom, Jan Jansen');
    // The NL Design System CSS is applied (not the browser's default link list).
    const listStyle = await page.locator('[data-testid=onderwerpen] li').first().evaluate((el) => getComputedStyle(el).listStyleType);
    assert.equal(listStyle, 'none');
    // Name at the top right of the bar.
    const bar = (await page.locator('.portal-bar').boundingBox())!;
    const name = (await page.locator('[data-testid=user-name]').boundingBox())!;
    assert.ok(name.x + name.width > bar.x + bar.width * 0.75, 'the name sits on the right');
    await noSeriousViolations(page);
    await screenshot(page, 'portal-overview');
    await tabTo(page, '[data-testid=logout]');
    await page.goto(`${base}/mijn-gegevens`);
    await page.locator('[data-testid=user-name]').click();
    assert.equal(page.url(), `${base}/`);
    await context.close();
  });

  it('Mijn gegevens with an error: the summary takes the focus and links to the field', async () => {
    const context = await contextFor(world.jan);
    const page = await context.newPage();
    await page.goto(`${base}/mijn-gegevens`);
    await noSeriousViolations(page);
    await page.fill('#email', 'geen-adres');
    await page.click('form[action="/mijn-gegevens"] button[type=submit]');
    await page.waitForSelector('[data-testid=error-summary]');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'fouten');
    assert.match(await page.title(), /^Fout: Mijn gegevens/);
    await noSeriousViolations(page);
    await screenshot(page, 'portal-gegevens-fout');
    await page.click('[data-testid=error-summary] a[href="#email"]');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'email');
    await context.close();
  });

  it('the beheer list, a gebruiker and the registration form', async () => {
    await portalLogin(world, world.jan); // Jan linked, so the list shows a koppeling
    const context = await contextFor(world.anna);
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await screenshot(page, 'portal-overview-beheerder');
    await page.click('[data-testid=beheer] a');
    assert.equal(new URL(page.url()).pathname, '/beheer/gebruikers');
    await noSeriousViolations(page);
    await screenshot(page, 'beheer-list');
    await page.click(`a[href="/beheer/gebruikers/${world.jan.account.gebruikersnaam}"]`);
    await noSeriousViolations(page);
    await screenshot(page, 'beheer-gebruiker');
    await page.goto(`${base}/beheer/gebruiker-aanmelden`);
    await page.click('[data-testid=new-user-form] button[type=submit]');
    await page.waitForSelector('[data-testid=error-summary]');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'fouten');
    await noSeriousViolations(page);
    await screenshot(page, 'beheer-aanmelden-fout');
    await context.close();
  });
});
