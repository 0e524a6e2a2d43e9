// "Inloggen met token" (the old way): gebruikersnaam + TOTP code, only for accounts without a
// koppeling; one answer for every wrong combination; a code works once; same lockout rules.
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { assignToken, totpFor } from '../../gateway/src/cli/token.ts';
import { Lockout } from '../../gateway/src/koppel/Lockout.ts';
import { seedRegenboog, type Seeded } from '../support/demoData.ts';
import type { Browser, Page } from '../support/Browser.ts';
import { type AppLogin, atRedirectUri, koppelRig, type KoppelRig, linkDirectly, maskCsrf, newBrowser, openLoginPage, ownPersona } from './support/wizard.ts';

describe('token login over HTTP', function () {
  this.timeout(90_000);
  const rig = koppelRig();
  let { clock, calls, stack, oidc } = {} as KoppelRig;
  before(() => ({ clock, calls, stack, oidc } = rig));

  async function withToken(): Promise<Seeded & { secret: string }> {
    const seeded = await seedRegenboog(stack);
    const { uri } = await assignToken({ ...seeded.ctx, out: () => {} }, { gebruikersnaam: seeded.account.gebruikersnaam });
    const secret = new URL(uri).searchParams.get('secret')!;
    return { ...seeded, secret };
  }

  function codeAt(seeded: { account: { gebruikersnaam: string }; secret: string }, at = clock.now()): string {
    return totpFor(seeded.account.gebruikersnaam, seeded.secret).generate({ timestamp: at });
  }

  async function tokenPage(browser: Browser): Promise<{ login: AppLogin; page: Page }> {
    const { login, page } = await openLoginPage(browser, oidc);
    const p = await browser.get(new URL(page.$('nav a:contains("Inloggen met token")').attr('href')!, page.url).toString());
    assert.ok(p.url.endsWith('/token'), p.url);
    assert.equal(p.$('h1').text(), 'Inloggen met token');
    return { login, page: p };
  }

  function errorText(p: Page): string {
    return p.$('[data-testid=error-summary]').text().replace(/\s+/g, ' ');
  }

  it('an account without koppeling logs in with its token: acr urn:mijnduo:token, amr otp', async () => {
    const seeded = await withToken();
    const browser = newBrowser();
    const { login, page } = await tokenPage(browser);
    const back = await browser.submit(page, { gebruikersnaam: seeded.account.gebruikersnaam.toUpperCase(), tokencode: codeAt(seeded).replace(/(\d{3})/, '$1 ') });
    assert.ok(atRedirectUri(back.url), `expected the app, got ${back.url}: ${errorText(back)}`);
    const tokens = await client.authorizationCodeGrant(oidc, new URL(back.url), {
      pkceCodeVerifier: login.verifier,
      expectedState: login.state,
      expectedNonce: login.nonce,
    });
    const claims = tokens.claims()!;
    assert.equal(claims.sub, seeded.account.id);
    assert.equal(claims.acr, 'urn:mijnduo:token');
    assert.deepEqual(claims.amr, ['otp']);
    const [done] = await stack.accounts.listAudit({ accountId: seeded.account.id, action: 'login.completed' });
    assert.equal(done?.details?.method, 'token');
  });

  it('a code is accepted once: the same code again is refused', async () => {
    const seeded = await withToken();
    const code = codeAt(seeded);
    const b1 = newBrowser();
    const first = await tokenPage(b1);
    assert.ok(atRedirectUri((await b1.submit(first.page, { gebruikersnaam: seeded.account.gebruikersnaam, tokencode: code })).url));
    const b2 = newBrowser();
    const again = await tokenPage(b2);
    const refused = await b2.submit(again.page, { gebruikersnaam: seeded.account.gebruikersnaam, tokencode: code });
    assert.match(errorText(refused), /combinatie van gebruikersnaam en code is niet juist/);
    const audit = (await stack.accounts.listAudit({ accountId: seeded.account.id, action: 'token.login' })).map((e) => e.reason);
    assert.deepEqual(audit, ['replayed', 'ok']);
  });

  it('after koppelen, token login is refused with the manual\'s message', async () => {
    const seeded = await withToken();
    await linkDirectly(stack, ownPersona('t-linked'), seeded.account);
    const browser = newBrowser();
    const { page } = await tokenPage(browser);
    const refused = await browser.submit(page, { gebruikersnaam: seeded.account.gebruikersnaam, tokencode: codeAt(seeded) });
    assert.ok(refused.url.endsWith('/token'));
    assert.match(errorText(refused), /Na een succesvol koppelproces met uw eHerkenningsmiddel kunt u niet meer inloggen met een token/);
    const [audit] = await stack.accounts.listAudit({ accountId: seeded.account.id, action: 'token.login' });
    assert.equal(audit?.reason, 'linked');
  });

  it('after a koppeling was undone (means lost), token login stays refused: the way back is a new koppeling', async () => {
    const seeded = await withToken();
    await linkDirectly(stack, ownPersona('t-undone'), seeded.account);
    const linked = await stack.accounts.activeKoppelingOfAccount(seeded.account.id);
    assert.ok(linked);
    assert.equal(await stack.accounts.undoKoppeling(linked.id, 'means-lost', stack.clock.now()), true);
    assert.equal(await stack.accounts.activeKoppelingOfAccount(seeded.account.id), null);
    const browser = newBrowser();
    const { page } = await tokenPage(browser);
    const refused = await browser.submit(page, { gebruikersnaam: seeded.account.gebruikersnaam, tokencode: codeAt(seeded) });
    assert.ok(refused.url.endsWith('/token'));
    assert.match(errorText(refused), /Na een succesvol koppelproces met uw eHerkenningsmiddel kunt u niet meer inloggen met een token/);
  });

  it('unknown name, no token, wrong code: identical pages, each one TOTP check and one lookup', async () => {
    const withT = await withToken();
    const withoutT = await seedRegenboog(stack);
    const browser = newBrowser();
    const { page } = await tokenPage(browser);
    const bodies: string[] = [];
    for (const [name, code] of [
      ['9999nope', '123456'],
      [withoutT.account.gebruikersnaam, '123456'],
      [withT.account.gebruikersnaam, String((Number(codeAt(withT)) + 1) % 1_000_000).padStart(6, '0')],
    ] as const) {
      const before = calls.get('findAccountByGebruikersnaam') ?? 0;
      const p = await browser.submit(page, { gebruikersnaam: name, tokencode: code });
      assert.equal((calls.get('findAccountByGebruikersnaam') ?? 0) - before, 1);
      bodies.push(maskCsrf(p.body));
    }
    assert.equal(bodies[1], bodies[0]);
    assert.equal(bodies[2], bodies[0]);
  });

  it('5 wrong codes block token login for 15 minutes, without touching koppelen for that name', async () => {
    const seeded = await withToken();
    const browser = newBrowser();
    const { page } = await tokenPage(browser);
    let p = page;
    for (let i = 0; i < 5; i++) p = await browser.submit(page, { gebruikersnaam: seeded.account.gebruikersnaam, tokencode: '000000' });
    assert.match(errorText(p), /inloggen met token tijdelijk geblokkeerd\. U kunt het na \d{2}:\d{2} uur opnieuw proberen/);
    // Even the right code is refused now.
    p = await browser.submit(page, { gebruikersnaam: seeded.account.gebruikersnaam, tokencode: codeAt(seeded) });
    assert.match(errorText(p), /geblokkeerd/);
    const lockout = new Lockout({ kv: stack.kv, accounts: stack.accounts, clock, config: stack.config });
    assert.equal(await lockout.blockedUntil({ dimension: 'gebruikersnaam', id: seeded.account.gebruikersnaam }), null, 'koppelen is not blocked');
    assert.ok(await lockout.blockedUntil({ dimension: 'token', id: seeded.account.gebruikersnaam }));
    clock.advance(15 * 60_000);
    p = await browser.submit(page, { gebruikersnaam: seeded.account.gebruikersnaam, tokencode: codeAt(seeded) });
    assert.ok(atRedirectUri(p.url), `after 15 minutes it works, got ${p.url}: ${errorText(p)}`);
  });

  it('needs the page\'s CSRF token', async () => {
    const seeded = await withToken();
    const browser = newBrowser();
    const { page } = await tokenPage(browser);
    const res = await browser.request(new URL(page.$('form').attr('action')!, page.url).toString(), {
      method: 'POST',
      body: new URLSearchParams({ gebruikersnaam: seeded.account.gebruikersnaam, tokencode: codeAt(seeded) }),
    });
    assert.equal(res.status, 403);
    assert.equal((await stack.accounts.listAudit({ accountId: seeded.account.id, action: 'login.completed' })).length, 0);
  });
});
