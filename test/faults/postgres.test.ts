// Faults (issue 5): PostgreSQL goes away. A REAL throwaway cluster of this test's own
// (initdb + pg_ctl on a free loopback port) is stopped and started again; the shared server is
// never touched. The gateway must refuse logins with the 503 "tijdelijk niet beschikbaar"
// page, link nobody, and come back by itself.
import assert from 'node:assert/strict';
import type * as client from 'openid-client';
import { accountsRegistryFor } from '../../gateway/src/accounts/index.ts';
import type { SqlAccountsRegistry } from '../../gateway/src/accounts/SqlAccountsRegistry.ts';
import { systemClock } from '../../gateway/src/clock.ts';
import { seedRegenboog } from '../support/demoData.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { discover, exchangeCode, finishWizard, koppel, newBrowser, startAppLogin, submitKoppelForm, throughBroker, toKoppelForm } from '../ops/support/appLogin.ts';
import { canRunPgCluster, PgCluster } from './support/PgCluster.ts';
import { until } from './support/wait.ts';

const UNAVAILABLE = /Tijdelijk niet beschikbaar/;

if (canRunPgCluster()) describe('faults: PostgreSQL stops and comes back (own throwaway cluster)', function () {
  this.timeout(90_000);
  let cluster: PgCluster;
  let registry: SqlAccountsRegistry;
  let stack: Stack;
  let oidc: client.Configuration;

  before(async () => {
    cluster = await PgCluster.create();
    registry = await accountsRegistryFor({ databaseUrl: cluster.url, pgliteDir: 'memory', keyPrefix: 'unused:' }, systemClock);
    stack = await startStack({ accounts: registry, config: { ops: { storeProbeIntervalMs: 100, readyTimeoutMs: 2000 } } });
    oidc = await discover(stack.gatewayUrl);
  });
  after(async () => {
    await stack?.close();
    await registry?.close().catch(() => undefined);
    await cluster?.destroy();
  });

  async function readyStatus(): Promise<{ status: number; database?: boolean }> {
    const res = await fetch(`${stack.gatewayUrl}/health/ready`);
    const body = (await res.json()) as { checks?: { database?: { ok: boolean } } };
    return { status: res.status, database: body.checks?.database?.ok };
  }

  it('refuses logins with the 503 page while PostgreSQL is down, first after the broker, then before it; recovers by itself', async () => {
    const seeded = await seedRegenboog(stack);
    await until('the gateway to be ready', async () => (await readyStatus()).status === 200);
    await cluster.stop();

    // The first login after the outage: nothing told the gateway yet, so it finds out when it
    // looks the koppeling up after the broker, and says so.
    let browser = newBrowser();
    stack.mock.nextLogin({ autoSubmit: false });
    let page = await throughBroker(browser, await startAppLogin(oidc), 'jan');
    assert.equal(page.status, 503, `${page.status} ${page.url}`);
    assert.match(page.body, UNAVAILABLE);

    // Now it knows: the next new login is refused at once, nobody is sent to the broker.
    const issued = stack.mock.issued.length;
    page = await newBrowser().get((await startAppLogin(oidc)).url.toString());
    assert.equal(page.status, 503);
    assert.match(page.body, UNAVAILABLE);
    assert.match(new URL(page.url).pathname, /^\/oidc\/auth$/, 'refused at the authorization endpoint itself');
    assert.equal(stack.mock.issued.length, issued);
    assert.deepEqual(await readyStatus(), { status: 503, database: false });

    // Back by itself: the gateway's own probe sees PostgreSQL answer again.
    await cluster.start();
    await until('the gateway to see PostgreSQL again', () => stack.gateway.ops.status.isUp('database'));
    browser = newBrowser();
    const login = await startAppLogin(oidc);
    stack.mock.nextLogin({ autoSubmit: false });
    page = await koppel(browser, await throughBroker(browser, login, 'jan'), seeded.account.gebruikersnaam, seeded.code);
    const tokens = await exchangeCode(oidc, page, login);
    assert.equal(tokens.claims()?.sub, seeded.account.id);
  });

  it('nobody links while PostgreSQL is down; after the restart the same form links', async () => {
    const seeded = await seedRegenboog(stack);
    const browser = newBrowser();
    const login = await startAppLogin(oidc);
    stack.mock.nextLogin({ autoSubmit: false });
    const form = await toKoppelForm(browser, await throughBroker(browser, login, 'kees'));

    await cluster.stop();
    const refused = await submitKoppelForm(browser, form, seeded.account.gebruikersnaam, seeded.code);
    assert.equal(refused.status, 503, `${refused.status} ${refused.url}`);
    assert.match(refused.body, UNAVAILABLE);

    await cluster.start();
    await until('the gateway to see PostgreSQL again', () => stack.gateway.ops.status.isUp('database'));
    assert.equal(await registry.activeKoppelingOfAccount(seeded.account.id), null, 'nothing was linked during the outage');
    const page = await finishWizard(browser, await submitKoppelForm(browser, form, seeded.account.gebruikersnaam, seeded.code));
    const tokens = await exchangeCode(oidc, page, login);
    assert.equal(tokens.claims()?.sub, seeded.account.id);
    assert.ok(await registry.activeKoppelingOfAccount(seeded.account.id));
  });
});
