import assert from 'node:assert/strict';
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { systemClock } from '../../gateway/src/clock.ts';
import type { KeyValueStore } from '../../gateway/src/store/KeyValueStore.ts';
import {
  authorizationUrl,
  CLIENT_ID,
  CLIENT_SECRET,
  LOA3,
  LOA4,
  pkcePair,
  POST_LOGOUT_URI,
  REDIRECT_URI,
  startHarness,
  TestBrowser,
  THIRD_PARTY_ID,
  tokenRequest,
  type Harness,
} from './harness.ts';
import { storeKinds } from './stores.ts';

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

interface Tokens {
  access_token: string;
  id_token: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

for (const kind of storeKinds()) {
  describe(`apps face: oidc-provider on the ${kind.name} store`, function () {
    this.timeout(60_000);
    let kv: KeyValueStore;
    let h: Harness;

    before(async () => {
      kv = await kind.open(systemClock);
      h = await startHarness(kv);
    });
    after(async () => {
      await h?.close();
      await kv?.close();
    });
    beforeEach(() => {
      h.prompts.length = 0;
      h.script = { kind: 'login', outcome: { acr: LOA3, authTime: Date.now() - 5_000 } };
    });

    /** Runs the browser part of a code flow; returns the redirect to the app, parsed. */
    async function authorize(
      browser: TestBrowser,
      params: Record<string, string | undefined> = {},
    ): Promise<{ url: URL; code: string | null; state: string; nonce: string; verifier: string }> {
      const { verifier, challenge } = pkcePair();
      const state = params.state ?? `st-${Math.random().toString(36).slice(2)}`;
      const nonce = params.nonce ?? `no-${Math.random().toString(36).slice(2)}`;
      const hop = await browser.follow(
        authorizationUrl(h.issuer, { code_challenge: challenge, code_challenge_method: 'S256', state, nonce, ...params }),
      );
      assert.ok(hop.location, `expected a redirect to the app, got ${hop.status}: ${hop.body.slice(0, 300)}`);
      const url = new URL(hop.location);
      assert.equal(`${url.origin}${url.pathname}`, REDIRECT_URI);
      return { url, code: url.searchParams.get('code'), state, nonce, verifier };
    }

    async function codeFlow(
      browser: TestBrowser,
      params: Record<string, string | undefined> = {},
    ): Promise<{ tokens: Tokens; nonce: string }> {
      const r = await authorize(browser, params);
      assert.ok(r.code, `no code: ${r.url}`);
      assert.equal(r.url.searchParams.get('state'), r.state);
      assert.equal(r.url.searchParams.get('iss'), h.issuer);
      const res = await tokenRequest(h.issuer, {
        grant_type: 'authorization_code',
        code: r.code,
        redirect_uri: REDIRECT_URI,
        code_verifier: r.verifier,
      });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      return { tokens: res.json as unknown as Tokens, nonce: r.nonce };
    }

    async function verifyIdToken(idToken: string): Promise<JWTPayload> {
      const jwks = createRemoteJWKSet(new URL(`${h.issuer}/jwks`));
      const { payload, protectedHeader } = await jwtVerify(idToken, jwks, { issuer: h.issuer, audience: CLIENT_ID });
      assert.equal(protectedHeader.alg, 'RS256');
      return payload;
    }

    async function userinfo(accessToken: string): Promise<{ status: number; body: Record<string, unknown> | null }> {
      const res = await fetch(`${h.issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
    }

    it('publishes discovery for the issuer under /oidc, code flow with S256 only', async () => {
      const res = await fetch(`${h.issuer}/.well-known/openid-configuration`);
      assert.equal(res.status, 200);
      const d = (await res.json()) as Record<string, unknown>;
      assert.equal(d.issuer, h.issuer);
      assert.equal(d.authorization_endpoint, `${h.issuer}/auth`);
      assert.equal(d.token_endpoint, `${h.issuer}/token`);
      assert.equal(d.userinfo_endpoint, `${h.issuer}/me`);
      assert.equal(d.jwks_uri, `${h.issuer}/jwks`);
      assert.equal(d.end_session_endpoint, `${h.issuer}/session/end`);
      assert.equal(d.revocation_endpoint, `${h.issuer}/token/revocation`);
      assert.equal(d.introspection_endpoint, `${h.issuer}/token/introspection`);
      assert.equal(d.backchannel_logout_supported, true);
      assert.equal(d.claims_parameter_supported, true);
      assert.deepEqual(d.response_types_supported, ['code']);
      assert.deepEqual(d.code_challenge_methods_supported, ['S256']);
      // Token logins (the old way) carry their own acr, advertised next to the eHerkenning levels.
      assert.deepEqual(d.acr_values_supported, [LOA3, LOA4, 'urn:mijnduo:token']);
      assert.equal(d.registration_endpoint, undefined);
      for (const s of ['openid', 'profile', 'email', 'phone', 'mijnduo', 'offline_access']) {
        assert.ok((d.scopes_supported as string[]).includes(s), s);
      }
      for (const c of ['sub', 'name', 'email', 'phone_number', 'organisation', 'rollen', 'kenmerken', 'acr', 'amr', 'auth_time']) {
        assert.ok((d.claims_supported as string[]).includes(c), c);
      }
      // RFC 8414 location for an issuer with a path.
      const rfc8414 = await fetch(`${h.baseUrl}/.well-known/oauth-authorization-server/oidc`);
      assert.equal(rfc8414.status, 200);
      assert.equal(((await rfc8414.json()) as { issuer: string }).issuer, h.issuer);
    });

    it('publishes a JWKS without private key members', async () => {
      const res = await fetch(`${h.issuer}/jwks`);
      assert.equal(res.status, 200);
      const { keys } = (await res.json()) as { keys: Array<Record<string, unknown>> };
      assert.equal(keys.length, 1);
      assert.equal(keys[0]!.kty, 'RSA');
      assert.ok(keys[0]!.kid);
      for (const m of PRIVATE_JWK_MEMBERS) assert.equal(keys[0]![m], undefined, m);
    });

    it('refuses an authorization request without code_challenge (PKCE required)', async () => {
      const browser = new TestBrowser(h.baseUrl);
      const hop = await browser.follow(authorizationUrl(h.issuer, {}));
      assert.ok(hop.location);
      const url = new URL(hop.location);
      assert.equal(url.searchParams.get('error'), 'invalid_request');
      assert.match(url.searchParams.get('error_description') ?? '', /PKCE/);
      assert.equal(url.searchParams.get('code'), null);
      assert.deepEqual(h.prompts, [], 'no interaction was started');
    });

    it('refuses the plain PKCE method and response types other than code', async () => {
      const browser = new TestBrowser(h.baseUrl);
      const plain = await browser.follow(authorizationUrl(h.issuer, { code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' }));
      assert.equal(new URL(plain.location!).searchParams.get('error'), 'invalid_request');
      const { challenge } = pkcePair();
      const implicit = await browser.follow(
        authorizationUrl(h.issuer, { response_type: 'id_token', code_challenge: challenge, code_challenge_method: 'S256' }),
      );
      assert.ok(implicit.location);
      assert.equal(new URL(implicit.location.replace('#', '?')).searchParams.get('error'), 'unsupported_response_type');
    });

    it('runs the code flow: id_token verifies against the JWKS and carries every claim', async () => {
      const browser = new TestBrowser(h.baseUrl);
      const authTime = Math.floor(Date.now() / 1000) - 30;
      h.script = { kind: 'login', outcome: { acr: LOA3, authTime } };
      const { tokens, nonce } = await codeFlow(browser);
      assert.deepEqual(
        h.prompts.map((p) => p.name),
        ['login'],
        'one interaction (login); consent is skipped for a first-party app',
      );
      assert.equal(tokens.token_type, 'Bearer');
      assert.equal(tokens.refresh_token, undefined, 'no refresh token without offline_access');
      assert.equal(tokens.expires_in, h.config.oidc.ttl.accessTokenSeconds);

      const claims = await verifyIdToken(tokens.id_token);
      assert.equal(claims.sub, h.account.id);
      assert.equal(claims.nonce, nonce);
      assert.equal(claims.name, 'Anna de Vries');
      assert.equal(claims.email, 'anna@regenboog.example');
      assert.equal(claims.phone_number, '+31 6 12345678');
      assert.deepEqual(claims.organisation, { name: 'Basisschool De Regenboog', kvk: '12345678', sector: 'po' });
      assert.deepEqual(claims.rollen, ['bekostiging', 'leerlingen']);
      assert.deepEqual(claims.kenmerken, ['brin:00AA']);
      assert.equal(claims.acr, LOA3);
      assert.deepEqual(claims.amr, ['eherkenning']);
      assert.equal(claims.auth_time, authTime);
      assert.ok(claims.exp! - claims.iat! <= h.config.oidc.ttl.idTokenSeconds);

      const ui = await userinfo(tokens.access_token);
      assert.equal(ui.status, 200);
      assert.equal(ui.body!.sub, h.account.id);
      assert.equal(ui.body!.name, 'Anna de Vries');
      assert.deepEqual(ui.body!.organisation, claims.organisation);
      assert.deepEqual(ui.body!.rollen, claims.rollen);
      assert.deepEqual(ui.body!.kenmerken, claims.kenmerken);
      assert.equal(ui.body!.acr, LOA3);
      assert.deepEqual(ui.body!.amr, ['eherkenning']);
      assert.equal(ui.body!.auth_time, authTime);
    });

    it('gives only the claims of the granted scopes', async () => {
      const browser = new TestBrowser(h.baseUrl);
      h.script = { kind: 'login', outcome: { acr: LOA4, authTime: Date.now() } };
      const { tokens } = await codeFlow(browser, { scope: 'openid profile' });
      const claims = decodeJwt(tokens.id_token);
      assert.equal(claims.name, 'Anna de Vries');
      assert.equal(claims.acr, LOA4);
      for (const c of ['email', 'phone_number', 'organisation', 'rollen', 'kenmerken']) assert.equal(claims[c], undefined, c);
    });

    it('reuses the session: a second authorization in the same browser needs no interaction', async () => {
      const browser = new TestBrowser(h.baseUrl);
      await codeFlow(browser);
      assert.equal(h.prompts.length, 1);
      const { tokens } = await codeFlow(browser);
      assert.equal(h.prompts.length, 1, 'no second interaction');
      assert.equal((await verifyIdToken(tokens.id_token)).acr, LOA3);
    });

    it('a code is redeemed once; a later reuse is refused and revokes the tokens', async () => {
      const browser = new TestBrowser(h.baseUrl);
      const r = await authorize(browser);
      const form = { grant_type: 'authorization_code', code: r.code!, redirect_uri: REDIRECT_URI, code_verifier: r.verifier };
      const first = await tokenRequest(h.issuer, form);
      assert.equal(first.status, 200);
      const again = await tokenRequest(h.issuer, form);
      assert.equal(again.status, 400);
      assert.equal(again.json.error, 'invalid_grant');
      assert.equal((await userinfo(first.json.access_token as string)).status, 401, 'grant revoked on reuse');
    });

    it('two concurrent redemptions of one code: exactly one gets tokens', async () => {
      const browser = new TestBrowser(h.baseUrl);
      const r = await authorize(browser);
      const form = { grant_type: 'authorization_code', code: r.code!, redirect_uri: REDIRECT_URI, code_verifier: r.verifier };
      const results = await Promise.all(Array.from({ length: 5 }, () => tokenRequest(h.issuer, form)));
      assert.deepEqual(results.map((x) => x.status).sort(), [200, 400, 400, 400, 400]);
      for (const x of results.filter((x) => x.status === 400)) assert.equal(x.json.error, 'invalid_grant');
    });

    it('two gateway instances on one store behave as one: a code is redeemed once across them', async () => {
      const other = await h.secondInstance();
      const browser = new TestBrowser(h.baseUrl);
      const r = await authorize(browser);
      const form = { grant_type: 'authorization_code', code: r.code!, redirect_uri: REDIRECT_URI, code_verifier: r.verifier };
      const results = await Promise.all([
        tokenRequest(h.issuer, form),
        tokenRequest(`${other.baseUrl}${other.issuerPath}`, form),
        tokenRequest(h.issuer, form),
        tokenRequest(`${other.baseUrl}${other.issuerPath}`, form),
      ]);
      assert.deepEqual(results.map((x) => x.status).sort(), [200, 400, 400, 400]);
      // (Whether the winner's tokens survive depends on timing: a loser that already sees the
      // code consumed is a replay, and oidc-provider then revokes the whole grant.)

      // What one instance issues, the other honours.
      const r2 = await authorize(browser);
      const issued = await tokenRequest(`${other.baseUrl}${other.issuerPath}`, {
        grant_type: 'authorization_code',
        code: r2.code!,
        redirect_uri: REDIRECT_URI,
        code_verifier: r2.verifier,
      });
      assert.equal(issued.status, 200);
      assert.equal((await userinfo(issued.json.access_token as string)).status, 200);
    });

    it('refuses a wrong code_verifier', async () => {
      const browser = new TestBrowser(h.baseUrl);
      const r = await authorize(browser);
      const res = await tokenRequest(h.issuer, {
        grant_type: 'authorization_code',
        code: r.code!,
        redirect_uri: REDIRECT_URI,
        code_verifier: pkcePair().verifier,
      });
      assert.equal(res.status, 400);
      assert.equal(res.json.error, 'invalid_grant');
    });

    it('refuses a wrong client secret', async () => {
      const browser = new TestBrowser(h.baseUrl);
      const r = await authorize(browser);
      const res = await tokenRequest(
        h.issuer,
        { grant_type: 'authorization_code', code: r.code!, redirect_uri: REDIRECT_URI, code_verifier: r.verifier },
        { id: CLIENT_ID, secret: `${CLIENT_SECRET}-wrong` },
      );
      assert.equal(res.status, 401);
      assert.equal(res.json.error, 'invalid_client');
    });

    it('issues a refresh token for offline_access, which works (and is not rotated for a confidential app)', async () => {
      const browser = new TestBrowser(h.baseUrl);
      // OIDC Core §11: offline_access counts only together with prompt=consent.
      const without = await codeFlow(browser, { scope: 'openid offline_access' });
      assert.equal(without.tokens.refresh_token, undefined);
      const { tokens } = await codeFlow(new TestBrowser(h.baseUrl), { scope: 'openid profile mijnduo offline_access', prompt: 'consent' });
      assert.ok(tokens.refresh_token, 'refresh token issued');
      assert.ok(tokens.scope.split(' ').includes('offline_access'));

      const refreshed = await tokenRequest(h.issuer, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.json));
      assert.ok(refreshed.json.access_token);
      assert.notEqual(refreshed.json.access_token, tokens.access_token);
      assert.equal(refreshed.json.refresh_token, tokens.refresh_token, 'same refresh token: no rotation');
      const claims = await verifyIdToken(refreshed.json.id_token as string);
      assert.equal(claims.sub, h.account.id);
      assert.equal(claims.acr, LOA3);
      assert.deepEqual(claims.amr, ['eherkenning']);
      assert.deepEqual(claims.rollen, ['bekostiging', 'leerlingen']);
      assert.equal((await userinfo(refreshed.json.access_token as string)).status, 200);

      // Still usable once more; a wrong client cannot use it.
      const again = await tokenRequest(h.issuer, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
      assert.equal(again.status, 200);
      const stolen = await tokenRequest(
        h.issuer,
        { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
        { id: THIRD_PARTY_ID, secret: `${CLIENT_SECRET}-third` },
      );
      assert.equal(stolen.status, 400);
    });

    it('introspection and revocation work for the own client', async () => {
      const browser = new TestBrowser(h.baseUrl);
      const { tokens } = await codeFlow(browser);
      const auth = { authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' };
      const intro = await fetch(`${h.issuer}/token/introspection`, { method: 'POST', headers: auth, body: new URLSearchParams({ token: tokens.access_token }) });
      const body = (await intro.json()) as Record<string, unknown>;
      assert.equal(body.active, true);
      assert.equal(body.sub, h.account.id);
      assert.equal(body.acr, LOA3, 'the level travels with the access token');
      assert.deepEqual(body.amr, ['eherkenning']);
      const third = { ...auth, authorization: `Basic ${Buffer.from(`${THIRD_PARTY_ID}:${CLIENT_SECRET}-third`).toString('base64')}` };
      const other = await fetch(`${h.issuer}/token/introspection`, { method: 'POST', headers: third, body: new URLSearchParams({ token: tokens.access_token }) });
      assert.equal(((await other.json()) as Record<string, unknown>).active, false, 'another client learns nothing');
      const notMine = await fetch(`${h.issuer}/token/revocation`, { method: 'POST', headers: third, body: new URLSearchParams({ token: tokens.access_token }) });
      assert.equal(notMine.status, 200);
      assert.equal((await userinfo(tokens.access_token)).status, 200, 'another client cannot revoke it');
      const rev = await fetch(`${h.issuer}/token/revocation`, { method: 'POST', headers: auth, body: new URLSearchParams({ token: tokens.access_token }) });
      assert.equal(rev.status, 200);
      assert.equal((await userinfo(tokens.access_token)).status, 401);
    });

    it('RP-initiated logout asks in Dutch, ends the session and returns to the app', async () => {
      const browser = new TestBrowser(h.baseUrl);
      const { tokens } = await codeFlow(browser);
      assert.equal((await userinfo(tokens.access_token)).status, 200);

      const end = new URL(`${h.issuer}/session/end`);
      end.searchParams.set('id_token_hint', tokens.id_token);
      end.searchParams.set('post_logout_redirect_uri', POST_LOGOUT_URI);
      end.searchParams.set('state', 'bye');
      const ask = await browser.follow(end.toString());
      assert.equal(ask.status, 200);
      assert.match(ask.headers.get('content-type') ?? '', /html/);
      assert.match(ask.body, /<html lang="nl">/);
      assert.match(ask.body, /Wilt u uitloggen/);
      assert.doesNotMatch(ask.body, /<script|style=/, 'CSP-safe: no script, no inline style');
      const action = /<form[^>]*action="([^"]+)"/.exec(ask.body)?.[1];
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(ask.body)?.[1];
      assert.ok(action && xsrf);

      const done = await browser.follow(new URL(action.replace(/&amp;/g, '&'), h.issuer).toString(), {
        method: 'POST',
        form: { xsrf, logout: 'yes' },
      });
      assert.ok(done.location);
      const back = new URL(done.location);
      assert.equal(`${back.origin}${back.pathname}`, POST_LOGOUT_URI);
      assert.equal(back.searchParams.get('state'), 'bye');

      // The session-bound access token is gone, and a new authorization needs a new login.
      assert.equal((await userinfo(tokens.access_token)).status, 401);
      h.prompts.length = 0;
      await codeFlow(browser);
      assert.deepEqual(h.prompts.map((p) => p.name), ['login']);
    });

    it('logout without a redirect ends on the Dutch "U bent uitgelogd" page', async () => {
      const browser = new TestBrowser(h.baseUrl);
      await codeFlow(browser);
      const ask = await browser.follow(`${h.issuer}/session/end?client_id=${CLIENT_ID}`);
      const action = /<form[^>]*action="([^"]+)"/.exec(ask.body)?.[1];
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(ask.body)?.[1];
      const done = await browser.follow(new URL(action!.replace(/&amp;/g, '&'), h.issuer).toString(), {
        method: 'POST',
        form: { xsrf: xsrf!, logout: 'yes' },
      });
      assert.equal(done.status, 200);
      assert.match(done.body, /U bent uitgelogd/);
    });

    it('keeps the session within SessionNotOnOrAfter, with a browser-session cookie', async () => {
      const browser = new TestBrowser(h.baseUrl);
      h.script = { kind: 'login', outcome: { acr: LOA3, authTime: Date.now(), sessionNotOnOrAfter: Date.now() + 120_000 } };
      await codeFlow(browser);
      const sessionId = await browser.cookie('mijnduo_oidc_session');
      assert.ok(sessionId);
      const ttl = await kv.ttl(`oidc:Session:${sessionId}`);
      assert.ok(ttl !== null && ttl <= 121_000 && ttl > 60_000, `session ttl ${ttl}`);
      const cookies = await browser.jar.getCookies(`${h.baseUrl}/`);
      const c = cookies.find((x) => x.key === 'mijnduo_oidc_session')!;
      assert.equal(c.expires, 'Infinity', 'session cookie: no Expires');
      assert.equal(c.httpOnly, true);
      assert.equal(c.sameSite, 'lax');

      // A later request in the session does not extend it.
      await codeFlow(browser);
      const later = await kv.ttl(`oidc:Session:${(await browser.cookie('mijnduo_oidc_session'))!}`);
      assert.ok(later !== null && later <= 121_000, `session ttl after reuse ${later}`);
    });

    it('without SessionNotOnOrAfter the session lives ttl.sessionSeconds from authentication', async () => {
      const browser = new TestBrowser(h.baseUrl);
      h.script = { kind: 'login', outcome: { acr: LOA3, authTime: Date.now() - 600_000 } };
      await codeFlow(browser);
      const ttl = await kv.ttl(`oidc:Session:${(await browser.cookie('mijnduo_oidc_session'))!}`);
      const expected = (h.config.oidc.ttl.sessionSeconds - 600) * 1000;
      assert.ok(ttl !== null && ttl <= expected + 1000 && ttl > expected - 10_000, `session ttl ${ttl}, expected ~${expected}`);
    });

    it('an aborted login returns access_denied to the app', async () => {
      const browser = new TestBrowser(h.baseUrl);
      h.script = { kind: 'abort', description: 'Inloggen geannuleerd' };
      const r = await authorize(browser);
      assert.equal(r.code, null);
      assert.equal(r.url.searchParams.get('error'), 'access_denied');
      assert.equal(r.url.searchParams.get('error_description'), 'Inloggen geannuleerd');
      assert.equal(r.url.searchParams.get('state'), r.state);
    });

    it('a third-party app gets the consent prompt; finishConsent grants it', async () => {
      const browser = new TestBrowser(h.baseUrl);
      const r = await authorize(browser, { client_id: THIRD_PARTY_ID });
      assert.deepEqual(h.prompts.map((p) => p.name), ['login', 'consent']);
      assert.ok(r.code);
      const res = await tokenRequest(
        h.issuer,
        { grant_type: 'authorization_code', code: r.code, redirect_uri: REDIRECT_URI, code_verifier: r.verifier },
        { id: THIRD_PARTY_ID, secret: `${CLIENT_SECRET}-third` },
      );
      assert.equal(res.status, 200);
      const claims = decodeJwt(res.json.id_token as string);
      assert.equal(claims.aud, THIRD_PARTY_ID);
      assert.deepEqual(claims.rollen, ['bekostiging', 'leerlingen']);
    });

    it('a first-party app asking prompt=consent is answered without a consent screen', async () => {
      const browser = new TestBrowser(h.baseUrl);
      const { tokens } = await codeFlow(browser, { prompt: 'consent' });
      assert.deepEqual(h.prompts.map((p) => p.name), ['login']);
      assert.ok(tokens.id_token);
    });

    it('prompt=none without a session answers login_required', async () => {
      const browser = new TestBrowser(h.baseUrl);
      const r = await authorize(browser, { prompt: 'none' });
      assert.equal(r.url.searchParams.get('error'), 'login_required');
      assert.deepEqual(h.prompts, []);
    });

    it('a disabled account loses its tokens and its session must log in again', async () => {
      const other = await h.registry.createAccount({
        organisationId: h.organisation.id,
        name: 'Bram Bakker',
        email: 'bram@regenboog.example',
        rollen: ['leerlingen'],
      });
      const browser = new TestBrowser(h.baseUrl);
      h.script = { kind: 'login', outcome: { acr: LOA3, authTime: Date.now(), accountId: other.id } };
      const { tokens } = await codeFlow(browser);
      assert.equal(decodeJwt(tokens.id_token).sub, other.id);
      assert.equal(decodeJwt(tokens.id_token).phone_number, undefined, 'no phone, no claim');
      await h.registry.setStatus(other.id, 'disabled');
      assert.equal((await userinfo(tokens.access_token)).status, 401);
      h.prompts.length = 0;
      h.script = { kind: 'abort' };
      const r = await authorize(browser);
      assert.deepEqual(h.prompts, [{ name: 'login', reasons: ['account_unavailable'] }]);
      assert.equal(r.url.searchParams.get('error'), 'access_denied');
    });

    it('finishLogin refuses a level that is not loa3 or loa4', async () => {
      const browser = new TestBrowser(h.baseUrl);
      h.script = { kind: 'login', outcome: { acr: 'urn:etoegang:core:assurance-class:loa2', authTime: Date.now() } };
      const hop = await browser.follow(authorizationUrl(h.issuer, { ...(() => { const p = pkcePair(); return { code_challenge: p.challenge, code_challenge_method: 'S256' }; })() }));
      assert.equal(hop.status, 500);
      assert.match(hop.body, /acr must be one of/);
    });

    it('shows a Dutch error page without internal details for an unknown client', async () => {
      const browser = new TestBrowser(h.baseUrl);
      const { challenge } = pkcePair();
      const hop = await browser.follow(
        authorizationUrl(h.issuer, { client_id: 'onbekend', code_challenge: challenge, code_challenge_method: 'S256' }),
      );
      assert.equal(hop.status, 400);
      assert.match(hop.body, /<html lang="nl">/);
      assert.match(hop.body, /Onbekende applicatie/);
      assert.match(hop.body, /OIDC-invalid_client/);
      assert.match(hop.body, /Referentie: <code>[0-9A-F]{10}<\/code>/);
      assert.doesNotMatch(hop.body, /client is invalid|not found|onbekend<|stack/i);
      assert.doesNotMatch(hop.body, /<script|style=/);
    });

    it('shows the "verlopen" page when the interaction cookie is gone', async () => {
      const browser = new TestBrowser(h.baseUrl);
      const { challenge } = pkcePair();
      const start = await browser.request(authorizationUrl(h.issuer, { code_challenge: challenge, code_challenge_method: 'S256' }));
      assert.equal(start.status, 303);
      const interaction = new URL(start.location!, h.baseUrl);
      // Another browser (no cookies) resumes the authorization: oidc-provider refuses.
      const stranger = new TestBrowser(h.baseUrl);
      const uid = interaction.pathname.split('/').pop();
      const hop = await stranger.follow(`${h.issuer}/auth/${uid}`);
      assert.equal(hop.status, 400);
      assert.match(hop.body, /Uw inlogpoging is verlopen/);
    });
  });
}
