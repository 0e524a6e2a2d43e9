// Faults (issue 5): Redis goes away. A REAL redis-server of this test's own (AOF, appendfsync
// always, like the deployment docs ask) is killed with SIGKILL and started again on the same
// port and data; the shared Redis is never touched. The gateway must refuse new logins with
// the 503 "tijdelijk niet beschikbaar" page, let nobody link without the lockout check, come
// back by itself, and a lockout must survive the restart.
import assert from 'node:assert/strict';
import type * as client from 'openid-client';
import { RedisKeyValueStore } from '../../gateway/src/store/RedisKeyValueStore.ts';
import { seedRegenboog, type Seeded } from '../support/demoData.ts';
import { startStack, TEST_CLIENT, type Stack } from '../support/stack.ts';
import {
  discover,
  exchangeCode,
  finishWizard,
  newBrowser,
  startAppLogin,
  submitKoppelForm,
  throughBroker,
  toBroker,
  toKoppelForm,
} from '../ops/support/appLogin.ts';
import { haveRedisServer, RedisServer } from './support/RedisServer.ts';
import { until } from './support/wait.ts';

const UNAVAILABLE = /Tijdelijk niet beschikbaar/;
const BLOCKED = /tijdelijk geblokkeerd/;

if (haveRedisServer()) describe('faults: Redis stops and comes back (own redis-server with AOF)', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let kv: RedisKeyValueStore;
  let stack: Stack;
  let oidc: client.Configuration;

  before(async () => {
    redis = await RedisServer.start();
    kv = await RedisKeyValueStore.connect({ url: redis.url, keyPrefix: 'mijnduo-faults:', commandTimeoutMs: 500, maxReconnectDelayMs: 200 });
    stack = await startStack({ kv, config: { ops: { storeProbeIntervalMs: 100, readyTimeoutMs: 2000 } } });
    oidc = await discover(stack.gatewayUrl);
  });
  after(async () => {
    await stack?.close();
    await kv?.close().catch(() => undefined);
    await redis?.destroy();
  });

  /** Restart Redis and wait until the gateway is ready again. */
  async function restartAndRecover(): Promise<void> {
    await redis.run();
    await until('the gateway to be ready again', async () => (await ready()).status === 200);
  }

  async function ready(): Promise<{ status: number; body: { status: string; checks?: Record<string, { ok: boolean }> } }> {
    const res = await fetch(`${stack.gatewayUrl}/health/ready`);
    return { status: res.status, body: (await res.json()) as { status: string; checks?: Record<string, { ok: boolean }> } };
  }

  it('refuses a new login with the 503 "tijdelijk niet beschikbaar" page while Redis is down, and recovers by itself', async () => {
    await until('the gateway to be ready', async () => (await ready()).status === 200);
    await redis.kill();
    const issued = stack.mock.issued.length;

    const page = await newBrowser().get((await startAppLogin(oidc)).url.toString());
    assert.equal(page.status, 503);
    assert.match(page.body, UNAVAILABLE);
    assert.match(page.headers.get('cache-control') ?? '', /no-store/);
    assert.equal(stack.mock.issued.length, issued, 'nobody was sent to the broker');
    assert.match(await stack.gateway.ops.metrics.render(), /^mijnduo_logins_failed_total\{reason="store-unavailable"\} [1-9]/m);
    const r = await ready();
    assert.equal(r.status, 503);
    assert.equal(r.body.checks?.redis?.ok, false);
    assert.equal(r.body.checks?.database?.ok, true);

    // Recovery by itself: no request reaches the gateway until its own probe has seen Redis.
    await redis.run();
    await until('the gateway to see Redis again', () => stack.gateway.ops.status.isUp('redis'));
    assert.equal((await ready()).status, 200);
    const browser = newBrowser();
    const login = await startAppLogin(oidc);
    stack.mock.nextLogin({ autoSubmit: false });
    const back = await throughBroker(browser, login, 'jan');
    assert.match(back.url, /\/koppel/, `a new login works again: ${back.status} ${back.url}`);
  });

  let seeded: Seeded;

  it('nobody links while Redis is down (no lockout check, no koppeling); after the restart the same form links', async () => {
    seeded = await seedRegenboog(stack);
    const browser = newBrowser();
    const login = await startAppLogin(oidc);
    stack.mock.nextLogin({ autoSubmit: false });
    const form = await toKoppelForm(browser, await throughBroker(browser, login, 'jan'));

    await redis.kill();
    const refused = await submitKoppelForm(browser, form, seeded.account.gebruikersnaam, seeded.code);
    assert.equal(refused.status, 503, `${refused.status} ${refused.url}`);
    assert.match(refused.body, UNAVAILABLE);
    assert.equal(await stack.accounts.activeKoppelingOfAccount(seeded.account.id), null, 'no koppeling without Redis');
    assert.equal((await stack.accounts.listAudit({ action: 'koppel.linked' })).length, 0);

    // The interaction and the wizard state are in the AOF: the person just tries again.
    await restartAndRecover();
    const page = await finishWizard(browser, await submitKoppelForm(browser, form, seeded.account.gebruikersnaam, seeded.code));
    const tokens = await exchangeCode(oidc, page, login);
    assert.equal(tokens.claims()?.sub, seeded.account.id);
    assert.ok(await stack.accounts.activeKoppelingOfAccount(seeded.account.id));
  });

  it('an active lockout survives a Redis crash and restart (AOF): the right code is still refused', async () => {
    const other = await seedRegenboog(stack);
    const browser = newBrowser();
    const login = await startAppLogin(oidc);
    stack.mock.nextLogin({ autoSubmit: false });
    const form = await toKoppelForm(browser, await throughBroker(browser, login, 'kees'));
    const max = stack.config.koppel.maxFailedAttempts;
    let page = form;
    for (let i = 0; i < max; i++) page = await submitKoppelForm(browser, page, other.account.gebruikersnaam, 'ABCDEFGHJKMNPQRS');
    assert.match(page.body, BLOCKED, 'locked after the last allowed wrong attempt');

    await redis.kill();
    await restartAndRecover();

    page = await submitKoppelForm(browser, page, other.account.gebruikersnaam, other.code);
    assert.match(page.body, BLOCKED, `still locked after the restart: ${page.status} ${page.url} ${page.$('main').text().replace(/\s+/g, ' ').slice(0, 400)}`);
    assert.equal(await stack.accounts.activeKoppelingOfAccount(other.account.id), null, 'the right code did not link during the lock');
    const started = await stack.accounts.listAudit({ action: 'lockout.started' });
    assert.ok(started.some((e) => e.accountId === other.account.id), 'the lock was started (and audited) before the crash');
  });

  it('while Redis is away every request is answered at once, not hung: the 503 page, or a 503 JSON error for an app', async () => {
    await redis.kill();
    const t0 = performance.now();
    const page = await toBroker(newBrowser(), await startAppLogin(oidc));
    const ms = performance.now() - t0;
    assert.equal(page.status, 503);
    assert.ok(ms < 3_000, `answered after ${Math.round(ms)} ms`);
    // An app's back-channel call gets oidc-provider's JSON error, as a 503 (not a 500).
    const token = await fetch(`${stack.gatewayUrl}/oidc/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${TEST_CLIENT.client_id}:${TEST_CLIENT.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x'.repeat(43), redirect_uri: TEST_CLIENT.redirect_uri, code_verifier: 'v'.repeat(43) }),
    });
    assert.equal(token.status, 503);
    assert.equal(((await token.json()) as { error?: string }).error, 'server_error');
    // A client that asks for HTML there gets oidc-provider's own error page (the back channel is
    // answered outside Express, so not our 503 page), with the same status.
    const asBrowser = await fetch(`${stack.gatewayUrl}/oidc/token`, {
      method: 'POST',
      headers: {
        accept: 'text/html',
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${TEST_CLIENT.client_id}:${TEST_CLIENT.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x'.repeat(43), redirect_uri: TEST_CLIENT.redirect_uri, code_verifier: 'v'.repeat(43) }),
    });
    assert.equal(asBrowser.status, 503);
    assert.match(asBrowser.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await asBrowser.text(), /server_error/);
    await restartAndRecover();
  });
});
