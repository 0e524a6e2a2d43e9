// The Mijn DUO portal for a gebruiker, over real HTTP through the mock broker: the start page,
// a login that did not come from an app (broker → koppel → overview), the overview (manual
// 1.6), Mijn gegevens (1.7), Uitloggen (1.8), and the portal session's limits.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MINUTE } from '../../gateway/src/clock.ts';
import { Browser, type Page } from '../support/Browser.ts';
import { TEST_CLIENT } from '../support/stack.ts';
import { walkLogin } from './support/loginWalker.ts';
import { csrfOf, mededelingenOf, portalLogin, startWorld, text, type World } from './support/world.ts';

const list = (page: Page, selector: string): string[] =>
  page
    .$(selector)
    .toArray()
    .map((el) => page.$(el).text().replace(/\s+/g, ' ').trim());

/** An authorization request of the test app (not the portal), for single sign-on checks. */
function appAuthorizeUrl(base: string): string {
  const params = new URLSearchParams({
    client_id: TEST_CLIENT.client_id,
    redirect_uri: TEST_CLIENT.redirect_uri,
    response_type: 'code',
    scope: 'openid',
    code_challenge: createHash('sha256').update('a-verifier-for-this-test-only-0123456789-abcdef').digest('base64url'),
    code_challenge_method: 'S256',
    state: 'st-' + Math.random().toString(36).slice(2),
  });
  return `${base}/oidc/auth?${params.toString()}`;
}

const atAppRedirect = (url: string) => url.startsWith(TEST_CLIENT.redirect_uri);

describe('portal: Mijn DUO for a gebruiker', function () {
  this.timeout(60_000);
  let world: World;
  let base: string;
  let brokerBase: string;

  before(async () => {
    world = await startWorld();
    base = world.stack.gatewayUrl;
    brokerBase = new URL(world.stack.mockRunning.metadataUrl).origin;
    const now = world.clock.now();
    const m = mededelingenOf(world.stack);
    // Jan has Leerlingadministratie and Bekostiging.
    await m.createMededeling({ rol: 'Leerlingadministratie', title: 'Nieuwe versie BRON-koppeling', body: 'Vanaf maandag.', validFrom: now - 60 * MINUTE, validUntil: now + 60 * MINUTE });
    await m.createMededeling({ rol: null, title: 'Onderhoud zaterdag', body: 'Mijn DUO is zaterdag niet bereikbaar.', validFrom: now - MINUTE });
    await m.createMededeling({ rol: 'Examens', title: 'Examenperiode', body: 'Alleen voor examens.', validFrom: now - MINUTE });
    await m.createMededeling({ rol: 'Leerlingadministratie', title: 'Verlopen bericht', body: 'Voorbij.', validFrom: now - 120 * MINUTE, validUntil: now - 60 * MINUTE });
    await m.createMededeling({ rol: 'Bekostiging', title: 'Toekomstig bericht', body: 'Nog niet.', validFrom: now + 60 * MINUTE });
  });
  after(async () => {
    await world?.close();
  });

  it('the start page is "Mijn DUO zakelijk" with Inloggen, and nothing personal', async () => {
    const page = await new Browser().get(`${base}/`);
    assert.equal(page.status, 200);
    assert.equal(text(page, 'h1'), 'Mijn DUO zakelijk');
    assert.equal(page.$('[data-testid=login]').attr('href'), '/inloggen');
    assert.match(text(page, 'main'), /De activatiecode is 24 uur geldig/);
    assert.equal(page.$('[data-testid=user-name]').length, 0);
    assert.match(page.headers.get('cache-control') ?? '', /no-store/);
  });

  it('a login not from an app goes broker → koppel → overview with the onderwerpen of the rollen and the mededelingen in their period', async () => {
    const { page, koppeled, browser } = await portalLogin(world, world.jan);
    assert.ok(koppeled, 'the first login went through koppelen');
    assert.ok(browser.history.some((h) => h.includes(brokerBase)), 'the broker was visited');
    assert.equal(page.url, `${base}/`);
    assert.equal(page.status, 200);

    // Name top right, a link back to the overview (manual 1.6).
    assert.equal(text(page, '[data-testid=user-name]'), 'Jan Jansen');
    assert.equal(page.$('[data-testid=user-name]').attr('href'), '/');
    assert.deepEqual(list(page, '[data-testid=onderwerpen] li'), ['Leerlingadministratie', 'Bestanden uitwisselen', 'Bekostiging']);
    assert.deepEqual(list(page, '[data-testid=snel-naar] li'), ['Leerlingadministratie', 'Bekostiging']);
    assert.equal(page.$('[data-testid=onderwerpen] a[data-onderwerp=bekostiging]').attr('href'), world.stack.config.portal.onderwerpen.bekostiging!.url);
    // Alle onderwerpen: everything, the ones without a rol marked.
    const all = list(page, '[data-testid=alle-onderwerpen] li');
    assert.equal(all.length, Object.keys(world.stack.config.portal.onderwerpen).length);
    assert.ok(page.$('[data-testid=alle-onderwerpen] [data-no-access=examenresultaten]').length === 1);
    assert.ok(page.$('[data-testid=alle-onderwerpen] [data-no-access=bekostiging]').length === 0);
    // Profiel: Mijn gegevens and Uitloggen.
    assert.equal(page.$('[data-testid=profiel] a[href="/mijn-gegevens"]').length, 1);
    assert.equal(page.$('[data-testid=profiel] form[action="/uitloggen"] [data-testid=logout]').length, 1);
    // Mededelingen for Jan's rollen or for everyone, current only.
    assert.deepEqual(list(page, '[data-testid=mededelingen] article h4').sort(), ['Nieuwe versie BRON-koppeling', 'Onderhoud zaterdag']);
    assert.equal(page.$('[data-testid=beheer]').length, 0, 'no beheer for a gebruiker');

    // The session cookie: HttpOnly, SameSite=Lax, not Secure on http; the store key is its hash.
    const cookie = (await browser.jar.getCookies(base)).find((c) => c.key === 'mijnduo_portal');
    assert.ok(cookie);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'lax');
    assert.equal(cookie.secure, false);
    assert.equal(cookie.expires, 'Infinity', 'a browser-session cookie');
    assert.equal(await world.stack.kv.get(`portal:session:${cookie.value}`), null);
    const stored = JSON.parse((await world.stack.kv.get(`portal:session:${createHash('sha256').update(cookie.value).digest('hex')}`))!) as { accountId: string };
    assert.equal(stored.accountId, world.jan.account.id);
  });

  it('shows the overview in English with ?lang=en', async () => {
    const { browser } = await portalLogin(world, world.jan);
    const page = await browser.get(`${base}/?lang=en`);
    assert.equal(page.$('html').attr('lang'), 'en');
    assert.equal(text(page, '#onderwerpen-titel'), 'Topics');
    assert.equal(text(page, '[data-testid=profiel] a[href="/mijn-gegevens"]'), 'My details');
    assert.equal(text(page, '#alle-titel'), 'All topics');
  });

  it('a second login of the same person skips koppelen', async () => {
    const { page, koppeled, steps } = await portalLogin(world, world.jan);
    assert.equal(koppeled, false);
    assert.ok(!steps.some((s) => s.includes('/koppel')), `no koppel screens: ${steps.join(', ')}`);
    assert.equal(text(page, '[data-testid=user-name]'), 'Jan Jansen');
  });

  it('Mijn gegevens shows the account and saves valid contact data, audited; invalid data changes nothing', async () => {
    const { browser } = await portalLogin(world, world.jan);
    let page = await browser.get(`${base}/mijn-gegevens`);
    assert.equal(page.status, 200);
    const facts = text(page, '[data-testid=account]');
    for (const v of ['Jan Jansen', 'Basisschool De Regenboog', world.jan.account.gebruikersnaam, 'Bekostiging, Leerlingadministratie', 'BRIN:12AB']) {
      assert.ok(facts.includes(v), `Mijn gegevens shows ${v}: ${facts}`);
    }
    assert.equal(page.$('label[for=email]').length, 1);
    assert.equal(page.$('input#email').attr('autocomplete'), 'email');

    page = await browser.submit(page, { email: 'geen-adres', phone: 'abc' }, 'form[action="/mijn-gegevens"]');
    assert.equal(page.status, 400);
    assert.match(text(page, 'title'), /^Fout: /);
    assert.equal(page.$('[data-testid=error-summary] a[href="#email"]').length, 1);
    assert.equal(page.$('[data-testid=error-summary] a[href="#phone"]').length, 1);
    assert.equal(page.$('input#email').attr('aria-invalid'), 'true');
    assert.match(page.$('input#email').attr('aria-describedby') ?? '', /email-fout/);
    assert.equal(page.$('input#email').attr('value'), 'geen-adres', 'what was typed stays');
    assert.equal((await world.stack.accounts.getAccount(world.jan.account.id))!.email, 'jan.jansen@regenboog.example');

    page = await browser.submit(page, { email: 'j.jansen@regenboog.example', phone: '050 765 4321' }, 'form[action="/mijn-gegevens"]');
    assert.equal(page.status, 200);
    assert.equal(new URL(page.url).pathname, '/mijn-gegevens', 'post/redirect/get');
    assert.match(text(page, '[data-testid=flash]'), /opgeslagen/);
    const saved = (await world.stack.accounts.getAccount(world.jan.account.id))!;
    assert.equal(saved.email, 'j.jansen@regenboog.example');
    assert.equal(saved.phone, '050 765 4321');
    const [event] = await world.stack.accounts.listAudit({ accountId: world.jan.account.id, action: 'account.contact-changed' });
    assert.ok(event);
    assert.equal(event.actorType, 'account');
    assert.equal(event.actorId, world.jan.account.id);
    assert.deepEqual((event.details as { fields: string[] }).fields, ['email', 'phone']);
    assert.doesNotMatch(JSON.stringify(event), /765 4321|j\.jansen@/, 'values are not in the audit trail');

    // Without the form's token: 403 and nothing changed.
    const forged = await browser.request(`${base}/mijn-gegevens`, {
      method: 'POST',
      body: new URLSearchParams({ email: 'evil@example.org', phone: '' }),
    });
    assert.equal(forged.status, 403);
    assert.equal((await world.stack.accounts.getAccount(world.jan.account.id))!.email, 'j.jansen@regenboog.example');
  });

  it('a page that needs a login sends a stranger to the login and back there afterwards', async () => {
    const browser = new Browser();
    world.stack.mock.nextLogin({ persona: 'jan' });
    const first = await browser.get(`${base}/mijn-gegevens`);
    const { page } = await walkLogin(browser, first, { gatewayUrl: base });
    assert.equal(page.url, `${base}/mijn-gegevens`);
    assert.equal(text(page, 'h1'), 'Mijn gegevens');
  });

  it('refuses a callback that this browser did not start (login CSRF)', async () => {
    const victim = new Browser();
    const attacker = new Browser();
    const started = await attacker.request(`${base}/inloggen`, { method: 'GET' });
    assert.ok(started.url.includes('/interaction/'), 'the attacker got as far as the gateway');
    const state = new URL(attacker.history.find((h) => h.includes('/oidc/auth'))!.split(' ')[1]!).searchParams.get('state')!;
    const page = await victim.get(`${base}/inloggen/callback?code=x&state=${encodeURIComponent(state)}`);
    assert.equal(page.status, 400);
    assert.equal(text(page, '[data-testid=error-code]'), 'PORTAL-STATE');
    const refused = await world.stack.accounts.listAudit({ action: 'portal.login-refused' });
    assert.ok(refused.some((e) => e.reason === 'PORTAL-STATE' && e.correlationId === text(page, '[data-testid=correlation-id]')));
    assert.equal((await victim.jar.getCookies(base)).some((c) => c.key === 'mijnduo_portal'), false);
  });

  it('Uitloggen ends the portal session and the gateway session: a fresh authorize needs the broker again', async () => {
    const browser = new Browser({ stopAt: atAppRedirect });
    const { page: overview } = await portalLogin(world, world.jan, { browser });
    // Single sign-on works before: an app gets its code without the broker.
    browser.history.length = 0;
    const sso = await browser.get(appAuthorizeUrl(base));
    assert.ok(atAppRedirect(sso.url), `SSO to the app, got ${sso.url}`);
    assert.ok(!browser.history.some((h) => h.includes(brokerBase)));

    // Uitloggen under Profiel: the gateway asks to confirm (RP-initiated logout, id_token_hint).
    let page = await browser.submit(overview, {}, 'form[action="/uitloggen"]');
    const endSession = browser.history.find((h) => h.includes('/oidc/session/end?'));
    assert.ok(endSession, 'RP-initiated logout at the gateway');
    const q = new URL(endSession.split(' ')[1]!).searchParams;
    assert.ok(q.get('id_token_hint'));
    assert.equal(q.get('post_logout_redirect_uri'), `${base}/uitgelogd`);
    assert.equal(new URL(page.url).pathname, '/oidc/session/end');
    assert.equal((await new Browser().get(`${base}/`)).status, 200);
    // The portal session is gone before the question is even answered.
    const portalCookie = (await browser.jar.getCookies(base)).find((c) => c.key === 'mijnduo_portal');
    assert.equal(portalCookie, undefined);
    page = await browser.submit(page, { logout: 'yes' }, 'form');
    assert.equal(page.url, `${base}/uitgelogd`);
    assert.equal(text(page, 'h1'), 'U bent uitgelogd');

    // Now the app's authorize needs eHerkenning again.
    browser.history.length = 0;
    world.stack.mock.nextLogin({ persona: 'jan' });
    const again = await browser.get(appAuthorizeUrl(base));
    assert.match(again.url, /\/interaction\//, 'a login screen, not single sign-on');
    const walked = await walkLogin(browser, again, { gatewayUrl: base, until: atAppRedirect });
    assert.ok(atAppRedirect(walked.page.url));
    assert.ok(browser.history.some((h) => h.includes(brokerBase)), 'through the broker');
    assert.ok((await world.stack.accounts.listAudit({ accountId: world.jan.account.id, action: 'portal.logout' })).length >= 1);
  });

  it('a logout at the gateway from another app ends the portal session too', async () => {
    const browser = new Browser({ stopAt: atAppRedirect });
    await portalLogin(world, world.jan, { browser });
    assert.equal(text(await browser.get(`${base}/`), '[data-testid=user-name]'), 'Jan Jansen');
    let page = await browser.get(`${base}/oidc/session/end?client_id=${TEST_CLIENT.client_id}`);
    page = await browser.submit(page, { logout: 'yes' }, 'form');
    page = await browser.get(`${base}/`);
    assert.equal(page.$('[data-testid=user-name]').length, 0);
    assert.equal(text(page, 'h1'), 'Mijn DUO zakelijk');
  });

  it('after the idle timeout the portal session is over and the next login asks for eHerkenning again', async () => {
    const idle = world.stack.config.portal.session.idleMinutes * MINUTE;
    const browser = new Browser();
    await portalLogin(world, world.jan, { browser });
    // Activity keeps it alive (the idle window slides)...
    world.clock.advance(idle - MINUTE);
    assert.equal((await browser.get(`${base}/mijn-gegevens`)).status, 200);
    world.clock.advance(idle - MINUTE);
    assert.equal(text(await browser.get(`${base}/`), '[data-testid=user-name]'), 'Jan Jansen');
    // ...inactivity ends it.
    world.clock.advance(idle);
    const page = await browser.get(`${base}/mijn-gegevens`);
    assert.equal(page.status, 200);
    assert.equal(page.$('[data-testid=expired]').length, 1);
    assert.equal(page.$('[data-testid=user-name]').length, 0);
    assert.equal(page.$('[data-testid=login]').attr('href'), '/inloggen?terug=%2Fmijn-gegevens');

    // The gateway session still exists, yet the portal asks for a fresh login (prompt=login).
    browser.history.length = 0;
    world.stack.mock.nextLogin({ persona: 'jan' });
    const start = await browser.get(`${base}/inloggen?terug=%2Fmijn-gegevens`);
    const auth = browser.history.find((h) => h.includes('/oidc/auth?'));
    assert.equal(new URL(auth!.split(' ')[1]!).searchParams.get('prompt'), 'login');
    const walked = await walkLogin(browser, start, { gatewayUrl: base });
    assert.ok(browser.history.some((h) => h.includes(brokerBase)), 'through the broker again');
    assert.equal(walked.page.url, `${base}/mijn-gegevens`);
  });

  it('a disabled account loses its portal session at its next request', async () => {
    const { browser } = await portalLogin(world, world.jan);
    await world.stack.accounts.setStatus(world.jan.account.id, 'disabled');
    try {
      const page = await browser.get(`${base}/`);
      assert.equal(page.$('[data-testid=user-name]').length, 0);
      assert.equal(text(page, 'h1'), 'Mijn DUO zakelijk');
    } finally {
      await world.stack.accounts.setStatus(world.jan.account.id, 'active');
    }
  });

  it('Uitloggen without the form token changes nothing', async () => {
    const { browser } = await portalLogin(world, world.jan);
    const page = await browser.request(`${base}/uitloggen`, { method: 'POST', body: new URLSearchParams({}) });
    assert.equal(page.status, 403);
    assert.equal(text(await browser.get(`${base}/`), '[data-testid=user-name]'), 'Jan Jansen');
    assert.ok(csrfOf(await browser.get(`${base}/`)));
  });
});
