import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDemoApp, isLoopbackHttp } from '../../demo-app/src/app.ts';
import { systemClock } from '../../gateway/src/clock.ts';
import { MemoryKeyValueStore } from '../../gateway/src/store/MemoryKeyValueStore.ts';
import { LOA3, startHarness, TestBrowser, type Harness } from './harness.ts';

const DEMO_SECRET = 'demo-app-secret-0123456789abcdef';

describe('demo DUO app against the apps face', function () {
  this.timeout(60_000);
  let kv: MemoryKeyValueStore;
  let h: Harness;
  let demo: http.Server;
  let demoUrl: string;

  before(async () => {
    let handler: http.RequestListener = (_q, r) => r.end();
    demo = http.createServer((q, r) => handler(q, r));
    await new Promise<void>((resolve) => demo.listen(0, '127.0.0.1', resolve));
    demoUrl = `http://127.0.0.1:${(demo.address() as AddressInfo).port}`;
    kv = new MemoryKeyValueStore(systemClock, { sweepIntervalMs: 0 });
    h = await startHarness(kv, {
      extraClients: [
        {
          client_id: 'demo-app',
          client_secret: DEMO_SECRET,
          redirect_uris: [`${demoUrl}/callback`],
          post_logout_redirect_uris: [`${demoUrl}/`],
          first_party: true,
        },
      ],
    });
    handler = createDemoApp({
      issuer: h.issuer,
      clientId: 'demo-app',
      clientSecret: DEMO_SECRET,
      redirectUri: `${demoUrl}/callback`,
      baseUrl: demoUrl,
    });
  });
  after(async () => {
    demo?.closeAllConnections();
    await new Promise<void>((resolve) => demo?.close(() => resolve()));
    await h?.close();
    await kv?.close();
  });

  it('allows http only for a gateway on this machine', () => {
    assert.equal(isLoopbackHttp('http://localhost:3000/oidc'), true);
    assert.equal(isLoopbackHttp('http://127.0.0.1:3000/oidc'), true);
    assert.equal(isLoopbackHttp('http://gateway.example/oidc'), false);
    assert.equal(isLoopbackHttp('https://localhost/oidc'), false);
  });

  it('logs in with code + PKCE, shows the person, and logs out at the gateway', async () => {
    const browser = new TestBrowser(demoUrl);
    h.script = { kind: 'login', outcome: { acr: LOA3, authTime: Date.now() } };

    const start = await browser.request(`${demoUrl}/`);
    assert.equal(start.status, 200);
    assert.match(start.body, /Inloggen/);

    // /login → gateway /oidc/auth → test interaction → gateway resume → demo /callback → /
    const login = await browser.request(`${demoUrl}/login`);
    assert.equal(login.status, 303);
    const auth = new URL(login.location!);
    assert.equal(auth.origin + auth.pathname, `${h.issuer}/auth`);
    assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(auth.searchParams.get('code_challenge'));
    assert.ok(auth.searchParams.get('state'));
    assert.ok(auth.searchParams.get('nonce'));
    const back = await followAcross(browser, auth.toString());
    assert.equal(back.status, 200, back.body.slice(0, 500));
    assert.match(back.body, /U bent ingelogd/);
    assert.match(back.body, /Anna de Vries/);
    assert.match(back.body, /Basisschool De Regenboog/);
    assert.match(back.body, /KvK 12345678/);
    assert.match(back.body, /<li>bekostiging<\/li>/);
    assert.match(back.body, /<li>brin:00AA<\/li>/);
    assert.match(back.body, /urn:etoegang:core:assurance-class:loa3/);
    assert.match(back.body, /eherkenning/);
    assert.match(back.body, /Ruwe gegevens/);

    const csrf = /name="csrf" value="([^"]+)"/.exec(back.body)?.[1];
    assert.ok(csrf);
    const out = await browser.request(`${demoUrl}/logout`, { method: 'POST', form: { csrf } });
    assert.equal(out.status, 303);
    const endSession = new URL(out.location!);
    assert.equal(endSession.origin + endSession.pathname, `${h.issuer}/session/end`);
    assert.ok(endSession.searchParams.get('id_token_hint'));
    const ask = await browser.request(endSession.toString());
    assert.match(ask.body, /Wilt u uitloggen/);
    const action = /<form[^>]*action="([^"]+)"/.exec(ask.body)![1]!.replace(/&amp;/g, '&');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(ask.body)![1]!;
    const done = await followAcross(browser, new URL(action, h.issuer).toString(), { xsrf, logout: 'yes' });
    assert.match(done.body, /Welkom/);
    assert.match(done.body, /Inloggen/);
  });

  it('shows "afgebroken" when the login is cancelled', async () => {
    const browser = new TestBrowser(demoUrl);
    h.script = { kind: 'abort' };
    const login = await browser.request(`${demoUrl}/login`);
    const back = await followAcross(browser, login.location!);
    assert.match(back.body, /Inloggen afgebroken/);
    assert.match(back.body, /access_denied/);
  });

  it('refuses a callback it did not start', async () => {
    const browser = new TestBrowser(demoUrl);
    const res = await browser.request(`${demoUrl}/callback?code=x&state=y`);
    assert.equal(res.status, 400);
    assert.match(res.body, /Inloggen verlopen/);
  });

  it('ignores a logout POST without the session token', async () => {
    const browser = new TestBrowser(demoUrl);
    const res = await browser.request(`${demoUrl}/logout`, { method: 'POST', form: { csrf: 'nope' } });
    assert.equal(res.status, 303);
    assert.equal(res.location, '/');
  });
});

/** Follows redirects across gateway and demo app (one cookie jar, like one browser). */
async function followAcross(browser: TestBrowser, url: string, form?: Record<string, string>) {
  let hop = await browser.request(url, form ? { method: 'POST', form } : {});
  for (let i = 0; i < 20 && hop.status >= 300 && hop.status < 400 && hop.location; i++) {
    hop = await browser.request(new URL(hop.location, hop.url).toString());
  }
  return hop;
}
