// Drives the login page and the koppel wizard over real HTTP with the test Browser, the way a
// person does: an app starts the OIDC code flow, the login page, the mock broker, the wizard.
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import type { Account } from '../../../gateway/src/accounts/AccountsRegistry.ts';
import { generateActivationCode, hashActivationCode } from '../../../gateway/src/koppel/ActivationCode.ts';
import { subjectHash } from '../../../gateway/src/koppel/SubjectHash.ts';
import { personaSchema, pseudonymFor, type PersonaInput } from '../../../idp-mock/src/personas.ts';
import { Browser, type Page } from '../../support/Browser.ts';
import type { SqlAccountsRegistry } from '../../../gateway/src/accounts/SqlAccountsRegistry.ts';
import type { ManualClock } from '../../../gateway/src/clock.ts';
import { clockAtNow, startStack, TEST_CLIENT, useStack, type Stack } from '../../support/stack.ts';
import { createTestRegistry } from '../../support/stores.ts';
import { discover as discoverAt, startAppLogin, type AppLogin } from '../../ops/support/appLogin.ts';

export { startAppLogin, type AppLogin };

export function atRedirectUri(url: string): boolean {
  return url.startsWith(TEST_CLIENT.redirect_uri);
}

export function newBrowser(): Browser {
  return new Browser({ stopAt: atRedirectUri });
}

export function discover(stack: Stack): Promise<client.Configuration> {
  return discoverAt(stack.gatewayUrl);
}

export function uidOf(url: string): string {
  const m = /\/interaction\/([^/?#]+)/.exec(url);
  if (!m) throw new Error(`no interaction in ${url}`);
  return m[1]!;
}

/** App → /oidc/auth → the login page. */
export async function openLoginPage(browser: Browser, oidc: client.Configuration): Promise<{ login: AppLogin; page: Page }> {
  const login = await startAppLogin(oidc);
  const page = await browser.get(login.url.toString());
  assert.match(page.url, /\/interaction\/[^/]+$/, `expected the login page, got ${page.url}`);
  assert.equal(page.status, 200);
  return { login, page };
}

/** On the login page: choose the sector, "Log in met eHerkenning", through the mock broker. */
export async function logInWithEherkenning(browser: Browser, page: Page, sector = 'po'): Promise<Page> {
  return browser.settle(await browser.submit(page, { sector }, 'form[action$="/login"]'));
}

/** A whole login up to the first wizard screen (or wherever the broker's answer leads). */
export async function loginAs(stack: Stack, browser: Browser, oidc: client.Configuration, persona: string | PersonaInput): Promise<{ login: AppLogin; page: Page }> {
  const { login, page } = await openLoginPage(browser, oidc);
  stack.mock.nextLogin({ persona });
  return { login, page: await logInWithEherkenning(browser, page) };
}

export function assertStep(page: Page, step: string): void {
  assert.ok(page.url.endsWith(`/koppel/${step}`), `expected step ${step}, got ${page.status} ${page.url}: ${page.$('main').text().replace(/\s+/g, ' ').slice(0, 400)}`);
}

/** From Voordat u begint to the Koppelen form: situatie=wel, disclaimer and terms accepted. */
export async function walkToKoppelen(browser: Browser, page: Page): Promise<Page> {
  assertStep(page, 'situatie');
  let p = await browser.submit(page, { situatie: 'wel' });
  assertStep(p, 'disclaimer');
  p = await browser.submit(p, { akkoord: 'ja' });
  assertStep(p, 'voorwaarden');
  p = await browser.submit(p, { akkoord: 'ja' });
  assertStep(p, 'koppelen');
  return p;
}

export async function submitKoppel(browser: Browser, page: Page, gebruikersnaam: string, activatiecode: string): Promise<Page> {
  return browser.submit(page, { gebruikersnaam, activatiecode }, 'form[action$="/koppel/koppelen"]');
}

/** POST a form of the current page to another action, as a crafted request would. */
export async function postTo(browser: Browser, url: string, fields: Record<string, string>): Promise<Page> {
  return browser.request(url, { method: 'POST', body: new URLSearchParams(fields) });
}

export function csrfOf(page: Page): string {
  const v = page.$('input[name=_csrf]').first().attr('value');
  if (!v) throw new Error(`no CSRF token on ${page.url}`);
  return v;
}

/** The page with its CSRF token masked: what must be identical between enumeration cases. */
export function maskCsrf(html: string): string {
  return html.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value="…"');
}

export function mainText(page: Page): string {
  return page.$('main').text().replace(/\s+/g, ' ').trim();
}

/** A persona of its own (own pseudonym) for the organisation of `jan`. */
export function ownPersona(id: string, kvk = '12345678'): PersonaInput {
  return { id, name: `Persoon ${id}`, organisation: 'Basisschool De Regenboog', kvk, level: 'loa3', machtiging: true, seed: `seed-${id}` };
}

/** The subject hash the gateway computes for a persona (as the bench seeds it). */
export function subjectHashOf(stack: Stack, persona: string | PersonaInput): string {
  const input = typeof persona === 'string' ? stack.mock.personas.find((p) => p.id === persona) : persona;
  if (!input) throw new Error(`unknown persona ${String(persona)}`);
  const p = personaSchema.parse(input);
  return subjectHash(stack.keys.secrets.subjectHashKey, pseudonymFor(p, stack.config.service.entityId), { type: 'KvKnr', value: p.kvk });
}

/** Link a persona to an account directly through the registry (set-up, not under test). */
export async function linkDirectly(stack: Stack, persona: string | PersonaInput, account: Account): Promise<void> {
  const code = generateActivationCode();
  const now = stack.clock.now();
  await stack.accounts.issueActivationCode({ accountId: account.id, codeHash: hashActivationCode(code, stack.keys.secrets.activationCodeKey), issuedAt: now, expiresAt: now + 3_600_000 });
  const input = typeof persona === 'string' ? stack.mock.personas.find((p) => p.id === persona)! : persona;
  const kvk = personaSchema.parse(input).kvk;
  const result = await stack.accounts.linkWithActivationCode({
    gebruikersnaam: account.gebruikersnaam,
    codeHash: hashActivationCode(code, stack.keys.secrets.activationCodeKey),
    now,
    subjectHash: subjectHashOf(stack, persona),
    broker: stack.mock.entityId,
    legalSubjectType: 'KvKnr',
    legalSubjectValue: kvk,
    disclaimerVersion: 'test',
    termsVersion: 'test',
    acceptedAt: now,
  });
  if (!result.ok) throw new Error(`link failed: ${result.reason}`);
}

/**
 * The registry with a call counter per method: proves that every attempt does the same
 * registry work, and how many attempts were actually checked.
 */
export function counting<T extends object>(target: T): { proxy: T; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(target, {
    get(obj, prop, receiver) {
      const v = Reflect.get(obj, prop, receiver) as unknown;
      if (typeof v !== 'function' || typeof prop !== 'string') return v;
      return (...args: unknown[]) => {
        calls.set(prop, (calls.get(prop) ?? 0) + 1);
        return (v as (...a: unknown[]) => unknown).apply(obj, args);
      };
    },
  });
  return { proxy, calls };
}

/** A gateway with the default test stack, and the test app's view of it, for the calling `describe`. */
export function stackRig(): { stack: Stack; oidc: client.Configuration } {
  const rig = useStack() as { stack: Stack; oidc: client.Configuration };
  before(async () => {
    rig.oidc = await discover(rig.stack);
  });
  return rig;
}

/** What the koppel tests share: a ManualClock, a test registry whose calls are counted, a gateway on both. */
export interface KoppelRig {
  clock: ManualClock;
  registry: SqlAccountsRegistry;
  calls: Map<string, number>;
  stack: Stack;
  oidc: client.Configuration;
}

/**
 * Sets up a KoppelRig before the tests of the calling `describe` and closes it after them. For
 * plain names in the tests: `let { clock, stack } = {} as KoppelRig; before(() => ({ clock, stack } = rig));`
 * (registered after this, so it runs after the set-up).
 */
export function koppelRig(): KoppelRig {
  const rig = {} as KoppelRig;
  before(async () => {
    rig.clock = clockAtNow();
    rig.registry = await createTestRegistry(rig.clock);
    const c = counting(rig.registry);
    rig.calls = c.calls;
    rig.stack = await startStack({ clock: rig.clock, accounts: c.proxy });
    rig.oidc = await discover(rig.stack);
  });
  after(async () => {
    await rig.stack?.close();
    await rig.registry?.close();
  });
  return rig;
}

/** A person logged in with eHerkenning and walked through the wizard to the koppel form. */
export async function toKoppelen(stack: Stack, oidc: client.Configuration, persona: string): Promise<{ browser: Browser; page: Page }> {
  const browser = newBrowser();
  const { page } = await loginAs(stack, browser, oidc, ownPersona(persona));
  return { browser, page: await walkToKoppelen(browser, page) };
}
