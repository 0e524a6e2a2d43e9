// The koppel wizard over real HTTP (mock broker + gateway on 127.0.0.1): step order held
// server side, CSRF, POST-redirect-GET, back links, cancel, acceptance recorded, English.
import assert from 'node:assert/strict';
import { seedRegenboog } from '../support/demoData.ts';
import { TEST_CLIENT } from '../support/stack.ts';
import {
  assertStep,
  csrfOf,
  loginAs,
  mainText,
  newBrowser,
  openLoginPage,
  ownPersona,
  postTo,
  stackRig,
  submitKoppel,
  uidOf,
  walkToKoppelen,
} from './support/wizard.ts';

describe('koppel wizard over HTTP', function () {
  this.timeout(60_000);
  const rig = stackRig();
  let { stack, oidc } = {} as typeof rig;
  before(() => ({ stack, oidc } = rig));

  const base = (url: string) => `${new URL(url).origin}/interaction/${uidOf(url)}/koppel`;

  async function auditCount(action: string, filter: (e: { reason?: string | null; correlationId?: string | null }) => boolean = () => true): Promise<number> {
    return (await stack.accounts.listAudit({ action, limit: 1000 })).filter(filter).length;
  }

  it('an unknown pseudonym lands on "Voordat u begint" with both choices', async () => {
    const browser = newBrowser();
    const { page } = await loginAs(stack, browser, oidc, ownPersona('w-first'));
    assertStep(page, 'situatie');
    assert.match(mainText(page), /Voordat u begint/);
    assert.match(mainText(page), /Ik heb een gebruikersnaam en een geldige activatiecode/);
    assert.match(mainText(page), /Ik heb geen gebruikersnaam en\/of geen \(geldige\) activatiecode/);
    assert.equal(page.$('[data-testid=undone-notice]').length, 0, 'no notice for a first koppeling');
    assert.equal(await auditCount('koppel.started', (e) => e.correlationId === uidOf(page.url)), 1);
  });

  it('steps cannot be skipped: a later step (GET or POST) sends back to the current one and stores nothing', async () => {
    const seeded = await seedRegenboog(stack);
    const browser = newBrowser();
    const { page } = await loginAs(stack, browser, oidc, ownPersona('w-skip'));
    const csrf = csrfOf(page);
    const uid = uidOf(page.url);

    for (const step of ['disclaimer', 'voorwaarden', 'koppelen', 'gelukt']) {
      const got = await browser.get(`${base(page.url)}/${step}`);
      assertStep(got, 'situatie');
    }
    // Straight to Koppel with a valid token and a valid code: refused, nothing linked.
    let p = await postTo(browser, `${base(page.url)}/koppelen`, { _csrf: csrf, gebruikersnaam: seeded.account.gebruikersnaam, activatiecode: seeded.code });
    assertStep(p, 'situatie');
    p = await postTo(browser, `${base(page.url)}/gelukt`, { _csrf: csrf });
    assertStep(p, 'situatie');
    p = await postTo(browser, `${base(page.url)}/voorwaarden`, { _csrf: csrf, akkoord: 'ja' });
    assertStep(p, 'situatie');
    assert.equal(await stack.accounts.activeKoppelingOfAccount(seeded.account.id), null);
    assert.equal(await auditCount('koppel.request-refused', (e) => e.correlationId === uid && e.reason === 'out-of-order'), 3);
    const state = await stack.gateway.states.get(uid);
    assert.equal(state?.wizard.step, 'situatie');
    assert.equal(state?.wizard.termsAcceptedAt, undefined);

    // The code was not used up by the refused post: the proper route still links with it.
    p = await walkToKoppelen(browser, page);
    p = await submitKoppel(browser, p, seeded.account.gebruikersnaam, seeded.code);
    assertStep(p, 'gelukt');
  });

  it('a POST without or with a wrong CSRF token gets 403 and changes nothing', async () => {
    const browser = newBrowser();
    const { page } = await loginAs(stack, browser, oidc, ownPersona('w-csrf'));
    const uid = uidOf(page.url);
    const none = await postTo(browser, `${base(page.url)}/situatie`, { situatie: 'wel' });
    assert.equal(none.status, 403);
    const wrong = await postTo(browser, `${base(page.url)}/situatie`, { situatie: 'wel', _csrf: csrfOf(page).replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) });
    assert.equal(wrong.status, 403);
    const cancel = await postTo(browser, `${base(page.url)}/annuleren`, { _csrf: 'x' });
    assert.equal(cancel.status, 403);
    assert.equal((await stack.gateway.states.get(uid))?.wizard.step, 'situatie');
    assert.equal(await auditCount('koppel.request-refused', (e) => e.correlationId === uid && e.reason === 'csrf'), 3);
    // With the right token the same post works.
    const ok = await browser.submit(page, { situatie: 'wel' });
    assertStep(ok, 'disclaimer');
  });

  it('no choice or an unticked box: the same screen with a clear, linked error; a refresh shows it no more', async () => {
    const browser = newBrowser();
    const { page } = await loginAs(stack, browser, oidc, ownPersona('w-unticked'));
    let p = await browser.submit(page);
    assertStep(p, 'situatie');
    assert.match(p.$('[data-testid=error-summary]').text(), /Kies uw situatie/);
    assert.equal(p.$('[data-testid=error-summary] a').attr('href'), '#situatie-wel');
    assert.match(p.$('title').text(), /^Fout: Voordat u begint/);

    p = await browser.submit(p, { situatie: 'wel' });
    assertStep(p, 'disclaimer');
    assert.match(mainText(p), /identiteitsfraude en is conform het Nederlands recht strafbaar/);
    assert.match(mainText(p), /herleidbaar kunnen zijn naar uw persoonlijke gegevens/);
    p = await browser.submit(p); // box not ticked
    assertStep(p, 'disclaimer');
    assert.match(p.$('#akkoord-fout').text(), /Vink aan dat u bovenstaande informatie hebt gelezen/);
    assert.equal(p.$('#akkoord').attr('aria-invalid'), 'true');
    assert.equal(p.$('#akkoord').attr('aria-describedby'), 'akkoord-fout');
    assert.notEqual(p.$('#fouten').attr('autofocus'), undefined, 'the summary takes focus');
    // The error was a one-time message: reloading the page shows the plain step.
    const again = await browser.get(p.url);
    assert.equal(again.$('[data-testid=error-summary]').length, 0);
    assert.equal((await stack.gateway.states.get(uidOf(p.url)))?.wizard.disclaimerAcceptedAt, undefined);
  });

  it('back links and the back button work; going back keeps what was accepted; refresh never re-submits', async () => {
    const seeded = await seedRegenboog(stack);
    const browser = newBrowser();
    const { page } = await loginAs(stack, browser, oidc, ownPersona('w-back'));
    const koppelen = await walkToKoppelen(browser, page);
    assert.equal(koppelen.$('a[data-testid=back]').attr('href'), `/interaction/${uidOf(page.url)}/koppel/voorwaarden`);
    const voorwaarden = await browser.get(new URL(koppelen.$('a[data-testid=back]').attr('href')!, koppelen.url).toString());
    assertStep(voorwaarden, 'voorwaarden');
    assert.ok(voorwaarden.$('#akkoord').is(':checked'), 'accepted before, still ticked');
    const disclaimer = await browser.get(new URL(voorwaarden.$('.mijnduo-back a').attr('href')!, voorwaarden.url).toString());
    assertStep(disclaimer, 'disclaimer');
    const situatie = await browser.get(new URL(disclaimer.$('.mijnduo-back a').attr('href')!, disclaimer.url).toString());
    assertStep(situatie, 'situatie');
    assert.ok(situatie.$('#situatie-wel').is(':checked'));
    // Forward again by posting an earlier step: the progress made is kept.
    const next = await browser.submit(situatie, { situatie: 'wel' });
    assertStep(next, 'disclaimer');
    assert.equal((await stack.gateway.states.get(uidOf(page.url)))?.wizard.step, 'koppelen');
    const direct = await browser.get(`${base(page.url)}/koppelen`);
    assertStep(direct, 'koppelen');

    const linked = await submitKoppel(browser, direct, seeded.account.gebruikersnaam, seeded.code);
    assertStep(linked, 'gelukt');
    // Refresh, and the back button to the form and its re-post: still one koppeling.
    assertStep(await browser.get(linked.url), 'gelukt');
    assertStep(await browser.get(`${base(page.url)}/koppelen`), 'gelukt');
    assertStep(await submitKoppel(browser, direct, seeded.account.gebruikersnaam, seeded.code), 'gelukt');
    assertStep(await browser.get(`${base(page.url)}/situatie`), 'gelukt');
    assert.equal((await stack.accounts.listAudit({ accountId: seeded.account.id, action: 'koppel.linked' })).length, 1);
  });

  it('"Ik heb geen gebruikersnaam" explains what to do; "annuleer en log uit" ends the login for the app and keeps nothing', async () => {
    const browser = newBrowser();
    const { page } = await loginAs(stack, browser, oidc, ownPersona('w-cancel'));
    const uid = uidOf(page.url);
    const hulp = await browser.submit(page, { situatie: 'geen' });
    assert.ok(hulp.url.endsWith('/koppel/hulp'), `${hulp.url} ${browser.history.slice(-4).join(' | ')} ${mainText(hulp).slice(0, 300)}`);
    assert.match(mainText(hulp), /Vraag uw beheerder om een nieuwe activatiecode/);
    assert.match(mainText(hulp), /brief met uw gebruikersnaam/);
    const back = await browser.submit(hulp);
    assert.ok(back.url.startsWith(TEST_CLIENT.redirect_uri), back.url);
    const params = new URL(back.url).searchParams;
    assert.equal(params.get('error'), 'access_denied');
    assert.equal(await stack.gateway.states.get(uid), null);
    assert.equal(await auditCount('koppel.cancelled', (e) => e.correlationId === uid), 1);
    // The interaction is over: its pages are gone.
    const gone = await browser.get(`${base(page.url)}/situatie`);
    assert.equal(gone.status, 400);
  });

  it('acceptance of disclaimer and terms is recorded with the koppeling (versions and times)', async () => {
    const seeded = await seedRegenboog(stack);
    const browser = newBrowser();
    const { page } = await loginAs(stack, browser, oidc, ownPersona('w-accept'));
    const p = await walkToKoppelen(browser, page);
    const state = await stack.gateway.states.get(uidOf(page.url));
    assert.ok(state?.wizard.disclaimerAcceptedAt && state.wizard.termsAcceptedAt);
    await submitKoppel(browser, p, seeded.account.gebruikersnaam, seeded.code);
    const k = await stack.accounts.activeKoppelingOfAccount(seeded.account.id);
    assert.ok(k);
    assert.equal(k.disclaimerVersion, stack.config.koppel.disclaimerVersion);
    assert.equal(k.termsVersion, stack.config.koppel.termsVersion);
    assert.equal(k.acceptedAt, state.wizard.termsAcceptedAt);
    assert.equal(k.disclaimerAcceptedAt, state.wizard.disclaimerAcceptedAt);
    const [linked] = await stack.accounts.listAudit({ accountId: seeded.account.id, action: 'koppel.linked' });
    assert.equal(linked?.details?.disclaimerAcceptedAt, new Date(state.wizard.disclaimerAcceptedAt).toISOString());
    assert.equal(linked?.details?.termsAcceptedAt, new Date(state.wizard.termsAcceptedAt).toISOString());
    assert.equal(linked?.details?.sector, 'po');
    // Every step left a trace, none of them the code.
    const trail = (await stack.accounts.listAudit({ limit: 1000 })).filter((e) => e.correlationId === uidOf(page.url));
    const actions = trail.map((e) => `${e.action}:${e.outcome}`).reverse();
    assert.deepEqual(actions.slice(0, 5), ['koppel.started:success', 'koppel.situatie:success', 'koppel.disclaimer:success', 'koppel.terms:success', 'koppel.linked:success']);
    assert.doesNotMatch(JSON.stringify(trail), new RegExp(seeded.code, 'i'));
  });

  it('the wizard speaks English with ?lang=en', async () => {
    const browser = newBrowser();
    const { page } = await loginAs(stack, browser, oidc, ownPersona('w-en'));
    const en = await browser.get(`${page.url}?lang=en`);
    assert.match(mainText(en), /Before you start/);
    assert.match(mainText(en), /I have a username and a valid activation code/);
    const d = await browser.submit(en, { situatie: 'wel' });
    assert.match(mainText(d), /identity fraud and punishable under Dutch law/);
    assert.match(d.$('label[for=akkoord]').text(), /I have read the information above and I agree/);
  });

  it('the terms link points to the configured terms, and the default terms page is served', async () => {
    const browser = newBrowser();
    const { page } = await loginAs(stack, browser, oidc, ownPersona('w-terms'));
    let p = await browser.submit(page, { situatie: 'wel' });
    p = await browser.submit(p, { akkoord: 'ja' });
    assertStep(p, 'voorwaarden');
    assert.equal(p.$('[data-testid=terms-link]').attr('href'), stack.config.koppel.termsUrl);
    assert.match(mainText(p), /U moet die accepteren om verder te gaan/);
    const terms = await browser.get(new URL(stack.config.koppel.termsUrl, stack.gatewayUrl).toString());
    assert.equal(terms.status, 200);
    assert.match(mainText(terms), /Gebruikersvoorwaarden Mijn DUO zakelijk/);
    assert.match(terms.$('[data-testid=terms-version]').text(), new RegExp(stack.config.koppel.termsVersion));
  });
});

describe('the login page over HTTP', function () {
  this.timeout(60_000);
  const rig = stackRig();
  let { stack, oidc } = {} as typeof rig;
  before(() => ({ stack, oidc } = rig));

  it('shows the sectors, Log in met eHerkenning, and the three links', async () => {
    const browser = newBrowser();
    const { page } = await openLoginPage(browser, oidc);
    assert.equal(page.$('h1').text(), 'Inloggen op Mijn DUO zakelijk');
    assert.deepEqual(
      page.$('input[name=sector]').map((_i, el) => page.$(el).attr('value')).get(),
      stack.config.portal.sectors.map((s) => s.id),
    );
    assert.equal(page.$('button[data-testid=login-eherkenning]').text(), 'Log in met eHerkenning');
    const uid = uidOf(page.url);
    for (const [text, href] of [
      ['eHerkenning aanvragen en gebruiken', `/interaction/${uid}/informatie`],
      ['Inloggen met token', `/interaction/${uid}/token`],
      ['Problemen met inloggen', `/interaction/${uid}/problemen`],
    ] as const) {
      assert.equal(page.$(`nav a:contains("${text}")`).attr('href'), href, text);
    }
  });

  it('needs a sector, and a valid CSRF token to start the broker login', async () => {
    const browser = newBrowser();
    const { page } = await openLoginPage(browser, oidc);
    const before = stack.mock.issued.length;
    const noSector = await browser.submit(page, {}, 'form[action$="/login"]');
    assert.match(noSector.$('[data-testid=error-summary]').text(), /Kies de sector/);
    const noCsrf = await postTo(browser, `${stack.gatewayUrl}/interaction/${uidOf(page.url)}/login`, { sector: 'po' });
    assert.equal(noCsrf.status, 403);
    assert.equal(stack.mock.issued.length, before, 'no login reached the broker');
    // With both, the AuthnRequest goes out (the auto-posting form to the broker).
    const started = await browser.submit(page, { sector: 'vo' }, 'form[action$="/login"]');
    assert.match(started.body, /SAMLRequest/);
    assert.equal((await stack.gateway.states.getPreLogin(uidOf(page.url)))?.sector, 'vo');
    // The choice is remembered for next time.
    const next = await openLoginPage(browser, oidc);
    assert.ok(next.page.$('#sector-vo').is(':checked'));
  });

  it('the problems page gives the manual\'s advice (18 months, lost/stolen/defective means → beheerder, contact)', async () => {
    const browser = newBrowser();
    const { page } = await openLoginPage(browser, oidc);
    const p = await browser.get(new URL(page.$('nav a:contains("Problemen met inloggen")').attr('href')!, page.url).toString());
    assert.equal(p.status, 200);
    const text = mainText(p);
    assert.match(text, /afgelopen 18 maanden niet hebt ingelogd/);
    assert.match(text, /defect, gestolen of zoek is\? Meld dit ogenblikkelijk aan uw beheerder/);
    assert.match(text, /contact op met uw beheerder of de leverancier/);
    assert.match(text, /duo\.nl\/zakelijk\/contact/);
    assert.equal(p.$('.mijnduo-back a').attr('href'), `/interaction/${uidOf(page.url)}`);
    const pub = await browser.get(`${stack.gatewayUrl}/problemen-met-inloggen`);
    assert.equal(pub.status, 200);
    assert.equal(pub.$('.mijnduo-back').length, 0);
    const info = await browser.get(new URL(page.$('nav a:contains("eHerkenning aanvragen en gebruiken")').attr('href')!, page.url).toString());
    assert.match(mainText(info), /niveau 3 of hoger/);
  });
});
