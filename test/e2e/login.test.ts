// The spine, end to end: a real OIDC client (openid-client) runs the code flow with PKCE;
// a cookie-keeping browser follows redirects and submits forms through the login page, the
// mock broker's persona screen, the artifact, the koppel wizard and back; the id_token is
// verified against the gateway's JWKS. A second login of the same persona skips koppelen.
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser, Page } from '../support/Browser.ts';
import { seedRegenboog, type Seeded } from '../support/demoData.ts';
import { startStack, TEST_CLIENT, type Stack } from '../support/stack.ts';
import {
  assertStep,
  atRedirectUri,
  discover,
  logInWithEherkenning,
  newBrowser,
  openLoginPage,
  submitKoppel,
  walkToKoppelen,
  type AppLogin,
} from '../koppel/support/wizard.ts';

/** Authorize → login page → "Log in met eHerkenning" → mock broker persona screen (choose `persona`) → ACS. */
async function throughBroker(stack: Stack, browser: Browser, oidc: client.Configuration, persona: string): Promise<{ login: AppLogin; page: Page }> {
  const { login, page: loginPage } = await openLoginPage(browser, oidc);
  assert.match(loginPage.body, /Inloggen op Mijn DUO zakelijk/);
  stack.mock.nextLogin({ autoSubmit: false });
  let page = await logInWithEherkenning(browser, loginPage);
  assert.ok(page.$('input[name=persona]').length > 0, `expected the persona screen, got ${page.url}: ${page.body.slice(0, 500)}`);
  page = await browser.submit(page, { persona, action: 'login' });
  return { login, page: await browser.settle(page) };
}

describe('e2e: login from a DUO app through eHerkenning and back', function () {
  this.timeout(60_000);
  let stack: Stack;
  let oidc: client.Configuration;
  let seeded: Seeded;

  before(async () => {
    stack = await startStack();
    oidc = await discover(stack);
    seeded = await seedRegenboog(stack);
  });
  after(async () => {
    await stack?.close();
  });

  it('first login walks the wizard and links the persona with gebruikersnaam + activatiecode, then tokens carry every claim', async () => {
    const browser = newBrowser();
    const { login, page: first } = await throughBroker(stack, browser, oidc, 'jan');
    assertStep(first, 'situatie');
    assert.match(first.body, /Voordat u begint/);
    let page = await walkToKoppelen(browser, first);
    assert.ok(page.$('input[name=gebruikersnaam]').length && page.$('input[name=activatiecode]').length);

    // Typed the way a person might: lower case, with spaces.
    const typed = seeded.code.toLowerCase().replace(/(.{4})/g, '$1 ');
    page = await submitKoppel(browser, page, seeded.account.gebruikersnaam.toUpperCase(), typed);
    assertStep(page, 'gelukt');
    assert.match(page.body, /Koppeling gelukt/);
    assert.match(page.body, /Vergeet dan\s+niet om deze in te leveren/);

    page = await browser.submit(page);
    assert.ok(atRedirectUri(page.url), `expected the app's redirect_uri, got ${page.url}`);

    const tokens = await client.authorizationCodeGrant(oidc, new URL(page.url), {
      pkceCodeVerifier: login.verifier,
      expectedState: login.state,
      expectedNonce: login.nonce,
    });
    const idToken = tokens.id_token;
    assert.ok(idToken);
    const meta = oidc.serverMetadata();
    const jwks = createRemoteJWKSet(new URL(meta.jwks_uri!));
    const { payload } = await jwtVerify(idToken, jwks, { issuer: meta.issuer, audience: TEST_CLIENT.client_id });
    assert.equal(payload.sub, seeded.account.id);
    assert.equal(payload.acr, 'urn:etoegang:core:assurance-class:loa3');
    assert.deepEqual(payload.amr, ['eherkenning']);
    assert.equal(payload.nonce, login.nonce);

    const userinfo = await client.fetchUserInfo(oidc, tokens.access_token, seeded.account.id);
    assert.equal(userinfo.name, 'Jan Jansen');
    assert.equal(userinfo.email, 'jan.jansen@regenboog.example');
    assert.equal(userinfo.phone_number, '+31 50 123 4567');
    assert.deepEqual(userinfo.organisation, { name: 'Basisschool De Regenboog', kvk: '12345678', sector: 'po' });
    assert.deepEqual([...(userinfo.rollen as string[])].sort(), ['Bekostiging', 'Leerlingadministratie']);
    assert.deepEqual([...(userinfo.kenmerken as string[])].sort(), ['BRIN:12AB', 'Bestuursnummer:41234']);

    const koppeling = await stack.accounts.activeKoppelingOfAccount(seeded.account.id);
    assert.ok(koppeling, 'a koppeling was stored');
    assert.equal(koppeling.legalSubjectValue, '12345678');
    assert.equal(koppeling.disclaimerVersion, stack.config.koppel.disclaimerVersion);
    assert.equal(koppeling.termsVersion, stack.config.koppel.termsVersion);
    assert.doesNotMatch(JSON.stringify(koppeling), /[0-9a-f]{64}@/i, 'no raw pseudonym stored');
  });

  it('a second login of the same persona skips koppelen and reuses the code no more', async () => {
    const browser = newBrowser();
    const { login, page } = await throughBroker(stack, browser, oidc, 'jan');
    assert.ok(atRedirectUri(page.url), `expected straight back to the app, got ${page.url}`);
    assert.ok(!browser.history.some((h) => h.includes('/koppel')), 'no koppel step');
    const tokens = await client.authorizationCodeGrant(oidc, new URL(page.url), {
      pkceCodeVerifier: login.verifier,
      expectedState: login.state,
      expectedNonce: login.nonce,
    });
    assert.equal(tokens.claims()?.sub, seeded.account.id);
  });

  it('the used activation code does not link another persona', async () => {
    const browser = newBrowser();
    const { page: first } = await throughBroker(stack, browser, oidc, 'kees');
    let page = await walkToKoppelen(browser, first);
    page = await submitKoppel(browser, page, seeded.account.gebruikersnaam, seeded.code);
    assertStep(page, 'koppelen');
    assert.match(page.$('[data-testid=error-summary]').text(), /niet juist/);
    const koppeling = await stack.accounts.activeKoppelingOfAccount(seeded.account.id);
    assert.ok(koppeling);
    assert.equal(koppeling.subjectHash.length, 64);
  });
});
