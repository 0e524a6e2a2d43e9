// Scale out (issue 5): two gateway PROCESSES on one Redis and one PostgreSQL behave as one.
// A round-robin proxy in front gives both the same public URL and sends the browser's
// consecutive requests to alternate processes, so every step of a login is picked up by the
// other process than the one before it. Needs real servers: without REDIS_URL and
// DATABASE_URL (the embedded stores live inside one process) these tests are not registered.
import assert from 'node:assert/strict';
import path from 'node:path';
import { pino } from 'pino';
import * as client from 'openid-client';
import { accountsRegistryFor } from '../../gateway/src/accounts/index.ts';
import type { SqlAccountsRegistry } from '../../gateway/src/accounts/SqlAccountsRegistry.ts';
import { systemClock } from '../../gateway/src/clock.ts';
import { loadConfig, PROJECT_ROOT, type Config } from '../../gateway/src/config.ts';
import { ensureDevKeys } from '../../gateway/src/keys/DevKeys.ts';
import { prepareKeys } from '../../gateway/src/keys/KeyLoader.ts';
import { loadIdpMockConfig, optionsFromConfig } from '../../idp-mock/src/config.ts';
import { createIdpMock, type IdpMock, type RunningIdpMock } from '../../idp-mock/src/idpMock.ts';
import { seedRegenboog, type Seeded } from '../support/demoData.ts';
import { mockBrokerEntry, TEST_CLIENT_ENTRY } from '../support/stack.ts';
import { databaseUrl, deleteRedisKeys, randomSuffix, redisUrl, runOnPostgres } from '../support/stores.ts';
import { atApp, discover, exchangeCode, koppel, newBrowser, startAppLogin, throughBroker, toBroker } from '../ops/support/appLogin.ts';
import { GatewayProcess } from './support/GatewayProcess.ts';
import { RoundRobinProxy } from './support/RoundRobinProxy.ts';

const rUrl = redisUrl();
const pUrl = databaseUrl();

if (rUrl && pUrl) describe('scale out: two gateway processes on one Redis and one PostgreSQL (needs REDIS_URL and DATABASE_URL)', function () {
  this.timeout(120_000);
  const prefix = `mijnduo-test:${randomSuffix()}:`;
  const schema = `t_${randomSuffix()}`;
  let proxy: RoundRobinProxy;
  let mock: IdpMock;
  let mockRunning: RunningIdpMock;
  let gateways: GatewayProcess[] = [];
  let registry: SqlAccountsRegistry;
  let config: Config;
  let seeded: Seeded;
  let oidc: client.Configuration;

  before(async () => {
    await ensureDevKeys(path.join(PROJECT_ROOT, 'certs'));
    proxy = new RoundRobinProxy();
    await proxy.start();
    const mockCfg = loadIdpMockConfig({ ...process.env, IDP_MOCK_DV_METADATA_URL: `${proxy.url}/saml/metadata` });
    mock = createIdpMock({ ...optionsFromConfig(mockCfg), publicUrl: undefined, arsUrl: undefined, logger: pino({ level: 'silent' }), controlApi: true });
    mockRunning = await mock.start({ host: '127.0.0.1', httpPort: 0, arsPort: 0 });

    const overrides = {
      publicUrl: proxy.url,
      listen: { host: '127.0.0.1', port: 0 },
      brokers: [mockBrokerEntry(mock, mockRunning)],
      oidc: { clients: [TEST_CLIENT_ENTRY] },
      stores: { redisUrl: rUrl, databaseUrl: pUrl, keyPrefix: prefix },
      ops: { listen: { host: '127.0.0.1', port: 0 } },
    };
    config = loadConfig({ env: { ...process.env, NODE_ENV: 'test' }, overrides });
    // The schema exists and is migrated before the processes start; test data goes in it.
    registry = await accountsRegistryFor(config.stores, systemClock, { schema });
    seeded = await seedRegenboog({ config, accounts: registry, keys: await prepareKeys(config), clock: systemClock });

    gateways = await Promise.all([0, 1].map(() => GatewayProcess.start({ overrides, schema })));
    proxy.upstreams = gateways.map((g) => new URL(g.url));
    // Both processes ready (stores, keys, broker metadata) before the first login.
    for (const g of gateways) {
      const res = await fetch(`${g.opsUrl}/health/ready`);
      assert.equal(res.status, 200, `${g.url} not ready: ${await res.text()}`);
    }
    // The mock reads the gateway metadata once, now, so only the browser's requests pass the proxy.
    await mock.refreshDvMetadata();
    oidc = await discover(proxy.url);
  });

  after(async () => {
    const codes = await Promise.all(gateways.map((g) => g.stop()));
    await mockRunning?.close();
    await proxy?.stop();
    await registry?.close().catch(() => undefined);
    await runOnPostgres(pUrl!, `drop schema if exists ${schema} cascade`).catch(() => undefined);
    await deleteRedisKeys(rUrl!, prefix).catch(() => undefined);
    assert.deepEqual(codes, [0, 0], 'both processes stop gracefully with exit code 0');
  });

  let idToken: string;
  let sessionBrowser: ReturnType<typeof newBrowser>;

  it('a login started on one process is finished on the other', async () => {
    proxy.log.length = 0;
    // Alternate, and make sure the two hand-overs that matter cross processes: the ACS is served
    // by the process that did not send the AuthnRequest, the token request by the one that did
    // not receive the authorization request.
    proxy.route = (req, p) => {
      const path = (req.url ?? '').split('?')[0]!;
      const other = (i: number | undefined): number | undefined => (i === undefined ? undefined : 1 - i);
      if (path === '/saml/acs') return other(p.lastUpstreamOf(sentAuthnRequest));
      if (path === '/oidc/token') return other(p.lastUpstreamOf((e) => e.path === '/oidc/auth'));
      return undefined;
    };
    const browser = newBrowser();
    const login = await startAppLogin(oidc);
    mock.nextLogin({ autoSubmit: false });
    let page = await throughBroker(browser, login, 'jan');
    assert.match(page.url, /\/koppel/, `expected the koppel step, got ${page.status} ${page.url}`);
    page = await koppel(browser, page, seeded.account.gebruikersnaam, seeded.code);
    const tokens = await exchangeCode(oidc, page, login);
    assert.equal(tokens.claims()?.sub, seeded.account.id);
    idToken = tokens.id_token!;

    const served = new Set(proxy.log.map((e) => e.upstream));
    assert.deepEqual([...served].sort(), [0, 1], 'both processes served this login');
    const acsAt = proxy.log.findIndex((e) => e.path === '/saml/acs');
    const acsBy = proxy.log[acsAt]!.upstream;
    const authnRequestBy = proxy.log.slice(0, acsAt).findLast(sentAuthnRequest)!.upstream;
    assert.notEqual(acsBy, authnRequestBy, 'the ACS ran on the other process than the AuthnRequest');
    const authorizeBy = proxy.log.find((e) => e.path === '/oidc/auth')!.upstream;
    const tokenBy = proxy.log.find((e) => e.path === '/oidc/token')!.upstream;
    assert.notEqual(tokenBy, authorizeBy, 'the code was redeemed on the other process');
    assert.ok(proxy.log.every((e) => e.status > 0 && e.status < 500), JSON.stringify(proxy.log));
    const koppeling = await registry.activeKoppelingOfAccount(seeded.account.id);
    assert.ok(koppeling, 'the koppeling is stored once, in the shared database');
  });

  it('the session made through one process is valid on both', async () => {
    const browser = newBrowser();
    // The cookies of the login above live in that test's browser; a fresh one logs in via SSO.
    const login = await startAppLogin(oidc);
    mock.nextLogin({ autoSubmit: true, persona: 'jan' });
    proxy.route = null;
    // The mock answers at once (no persona screen), the koppeling exists: straight back.
    let page = await toBroker(browser, login);
    assert.ok(atApp(page.url), `expected straight back to the app, got ${page.status} ${page.url}`);
    for (const g of gateways) {
      page = await browser.get(direct(await silentLoginUrl(oidc), g.url));
      assert.match(page.url, /[?&]code=/, `prompt=none on ${g.url} gives a code`);
    }
    sessionBrowser = browser;
  });

  it('logout through one process ends the session on both', async () => {
    const browser = sessionBrowser;
    const end = new URL(`${proxy.url}/oidc/session/end`);
    end.searchParams.set('id_token_hint', idToken);
    end.searchParams.set('post_logout_redirect_uri', 'http://127.0.0.1:9/');
    proxy.log.length = 0;
    let page = await browser.get(end.toString());
    assert.equal(page.status, 200, page.body.slice(0, 300));
    page = await browser.submit(page, { logout: 'yes' });
    assert.ok(atApp(page.url), `expected the post-logout redirect, got ${page.status} ${page.url}`);
    const shownBy = proxy.log.find((e) => e.path === '/oidc/session/end')!.upstream;
    const confirmedBy = proxy.log.find((e) => e.path === '/oidc/session/end/confirm')!.upstream;
    assert.notEqual(confirmedBy, shownBy, 'the logout question and its answer went to different processes');
    for (const g of gateways) {
      page = await browser.get(direct(await silentLoginUrl(oidc), g.url));
      assert.match(page.url, /[?&]error=login_required/, `no session left on ${g.url}: ${page.url}`);
    }
  });

  it('a lockout counted on one process holds on the other', async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    const gebruikersnaam = seeded.account.gebruikersnaam;
    const subjectHash = 'ab'.repeat(32);
    const attempt = (g: GatewayProcess) =>
      g.ask<{ blocked: boolean; until: number | null; count?: number }>({ op: 'koppel-attempt-failed', gebruikersnaam, subjectHash });
    const max = config.koppel.maxFailedAttempts;
    // Wrong codes on both processes at once: the counter is one atomic Redis counter.
    const results = await Promise.all(Array.from({ length: max }, (_, i) => attempt(i % 2 === 0 ? a : b)));
    assert.equal(results.filter((r) => r.blocked).length, 1, `exactly the ${max}th attempt starts the lock: ${JSON.stringify(results)}`);
    assert.deepEqual(results.map((r) => r.count).sort((x, y) => x! - y!), Array.from({ length: max }, (_, i) => i + 1));
    for (const g of [a, b]) {
      const { until } = await g.ask<{ until: number | null }>({ op: 'blocked-until', gebruikersnaam });
      assert.ok(until && until > Date.now(), `locked as seen from ${g.url}`);
      const next = await attempt(g);
      assert.equal(next.blocked, true, `a further attempt on ${g.url} is refused without being checked`);
    }
    const audit = await registry.listAudit({ action: 'lockout.started' });
    assert.equal(audit.filter((e) => e.reason === 'gebruikersnaam').length, 1, 'one lock, started once');
  });
});

/** The request that sends the browser to the broker: the login page's POST (or its GET, before it had one). */
function sentAuthnRequest(e: { method: string; path: string }): boolean {
  return /^\/interaction\/[^/]+\/login$/.test(e.path) || (e.method === 'GET' && /^\/interaction\/[^/]+$/.test(e.path));
}

/** The same authorization request with prompt=none, for "does this browser have a session?". */
async function silentLoginUrl(oidc: client.Configuration): Promise<URL> {
  return (await startAppLogin(oidc, { prompt: 'none' })).url;
}

/** `url` sent straight to one process instead of through the proxy (cookies are per host, not port). */
function direct(url: URL, base: string): string {
  const b = new URL(base);
  const u = new URL(url);
  u.host = b.host;
  return u.toString();
}
