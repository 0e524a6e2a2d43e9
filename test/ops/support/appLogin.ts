// The DUO app's side of a login, for the ops, scale and fault tests: discovery, an
// authorization URL with PKCE, the trip through the mock broker, the koppel form, the code
// exchange. The same steps as test/e2e/login.test.ts, against any gateway base URL.
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { Browser, type Page } from '../../support/Browser.ts';
import { TEST_CLIENT } from '../../support/stack.ts';

export interface AppLogin {
  verifier: string;
  state: string;
  nonce: string;
  url: URL;
}

export function discover(gatewayUrl: string): Promise<client.Configuration> {
  return client.discovery(new URL(`${gatewayUrl}/oidc`), TEST_CLIENT.client_id, TEST_CLIENT.client_secret, undefined, {
    execute: [client.allowInsecureRequests],
  });
}

export async function startAppLogin(oidc: client.Configuration, extra: Record<string, string> = {}): Promise<AppLogin> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(oidc, {
    redirect_uri: TEST_CLIENT.redirect_uri,
    scope: 'openid profile email phone mijnduo',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { verifier, state, nonce, url };
}

/** The app's redirect_uri and post-logout URI: nothing listens there, the browser stops. */
export function atApp(url: string): boolean {
  return url.startsWith('http://127.0.0.1:9/');
}

export function newBrowser(): Browser {
  return new Browser({ stopAt: atApp });
}

/**
 * Authorize → gateway (its login page, when it shows one: the first sector, "Log in met
 * eHerkenning") → mock broker persona screen (choose `persona`) → ACS → what follows.
 */
export async function throughBroker(browser: Browser, login: AppLogin, persona: string): Promise<Page> {
  let page = await toBroker(browser, login);
  assert.ok(page.$('input[name=persona]').length > 0, `expected the persona screen, got ${page.status} ${page.url}: ${page.$('main').text().slice(0, 300)}`);
  page = await browser.submit(page, { persona, action: 'login' });
  return browser.settle(page);
}

/** Authorize → the gateway's login page (submitted) → whatever the broker shows first. */
export async function toBroker(browser: Browser, login: AppLogin): Promise<Page> {
  let page = await browser.settle(await browser.get(login.url.toString()));
  if (isGatewayLoginPage(page)) page = await browser.settle(await browser.submit(page, chooseDefaults(page), 'form[action$="/login"]'));
  return page;
}

export function isGatewayLoginPage(page: Page): boolean {
  return page.$('form[action$="/login"]').length > 0 && page.$('input[name=persona]').length === 0;
}

/** On the koppel step: gebruikersnaam + activatiecode, through every wizard screen to the app. */
export async function koppel(browser: Browser, page: Page, gebruikersnaam: string, code: string): Promise<Page> {
  const form = await toKoppelForm(browser, page);
  return finishWizard(browser, await submitKoppelForm(browser, form, gebruikersnaam, code));
}

/** Through the wizard screens before the form (situatie, disclaimer, voorwaarden), accepting them. */
export async function toKoppelForm(browser: Browser, page: Page): Promise<Page> {
  let p = page;
  for (let i = 0; i < 6 && p.$('input[name=activatiecode]').length === 0; i++) {
    assert.ok(p.$('form').length > 0, `expected a wizard form, got ${p.status} ${p.url}: ${p.$('main').text().slice(0, 300)}`);
    p = await browser.submit(p, acceptAll(p), 'form');
  }
  assert.ok(p.$('input[name=activatiecode]').length > 0, `expected the koppel form, got ${p.status} ${p.url}`);
  return p;
}

export function submitKoppelForm(browser: Browser, form: Page, gebruikersnaam: string, code: string): Promise<Page> {
  return browser.submit(form, { gebruikersnaam, activatiecode: code }, 'form:has(input[name=activatiecode])');
}

/** After a successful koppel: the success screen's button back to the app. */
export async function finishWizard(browser: Browser, page: Page): Promise<Page> {
  let p = page;
  for (let i = 0; i < 3 && !atApp(p.url) && p.status === 200 && p.$('form').length > 0; i++) p = await browser.submit(p);
  return p;
}

/** Ticks every checkbox and picks the first choice of every radio group left open. */
function acceptAll(page: Page): Record<string, string> {
  const out: Record<string, string> = {};
  page.$('form input[type=checkbox]').each((_i, el) => {
    const name = page.$(el).attr('name');
    if (name) out[name] = page.$(el).attr('value') ?? 'on';
  });
  return { ...chooseDefaults(page), ...out };
}

/** The first value of every radio group that has nothing checked. */
function chooseDefaults(page: Page): Record<string, string> {
  const out: Record<string, string> = {};
  const checked = new Set<string>();
  page.$('form input[type=radio][checked]').each((_i, el) => {
    checked.add(page.$(el).attr('name') ?? '');
  });
  page.$('form input[type=radio]').each((_i, el) => {
    const name = page.$(el).attr('name');
    if (name && !checked.has(name) && out[name] === undefined) out[name] = page.$(el).attr('value') ?? '';
  });
  return out;
}

export async function exchangeCode(oidc: client.Configuration, page: Page, login: AppLogin): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
  assert.ok(atApp(page.url), `expected the app's redirect_uri, got ${page.status} ${page.url}: ${page.$('main').text().slice(0, 300)}`);
  return client.authorizationCodeGrant(oidc, new URL(page.url), {
    pkceCodeVerifier: login.verifier,
    expectedState: login.state,
    expectedNonce: login.nonce,
  });
}
