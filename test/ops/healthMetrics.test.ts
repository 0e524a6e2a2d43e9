// Health and metrics (issue 5): /health/live and /health/ready on the main port for the load
// balancer (JSON, 200/503, never cached, nothing secret); /metrics in Prometheus format on the
// internal ops listener (or on the main port only behind a bearer token), with the login,
// koppel, lockout, latency and certificate figures, on a registry of each gateway's own.
import assert from 'node:assert/strict';
import request from 'supertest';
import { pino } from 'pino';
import { createGatewayApp } from '../../gateway/src/app.ts';
import { parseConfig, type Config } from '../../gateway/src/config.ts';
import { daysLeft } from '../../gateway/src/keys/KeyLoader.ts';
import { createOps } from '../../gateway/src/ops/index.ts';
import { closedPort } from '../contract/support/TcpProxy.ts';
import { seedRegenboog, type Seeded } from '../support/demoData.ts';
import { useStack, type Stack } from '../support/stack.ts';
import { discover, exchangeCode, finishWizard, newBrowser, startAppLogin, submitKoppelForm, throughBroker, toBroker, toKoppelForm } from './support/appLogin.ts';

/** The value of one series in a Prometheus text exposition, or undefined. */
function series(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v) && Object.keys(have).length === Object.keys(labels).length) return Number(m[4]);
  }
  return undefined;
}

describe('ops: health and metrics', function () {
  this.timeout(60_000);
  const started = useStack();
  let stack = {} as Stack;
  before(() => ({ stack } = started));

  /** Another app on the same stores and keys, with its own config changes. */
  function otherApp(change: (c: Config) => Config) {
    return createGatewayApp({
      config: parseConfig(change(structuredClone(stack.config))),
      clock: stack.clock,
      logger: pino({ level: 'silent' }),
      kv: stack.kv,
      accounts: stack.accounts,
      keys: stack.keys,
    });
  }

  describe('health', () => {
    it('GET /health/live: 200, JSON, not cached', async () => {
      const res = await fetch(`${stack.gatewayUrl}/health/live`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.deepEqual(await res.json(), { status: 'live' });
    });

    it('GET /health/ready: 200 when Redis, the database, the keys and the broker metadata are fine; no secrets in it', async () => {
      const res = await fetch(`${stack.gatewayUrl}/health/ready`);
      const text = await res.text();
      assert.equal(res.status, 200, text);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const body = JSON.parse(text) as { status: string; checks: Record<string, { ok: boolean; backend?: string; certificates?: Record<string, { daysLeft: number }> }> };
      assert.equal(body.status, 'ready');
      assert.deepEqual(Object.keys(body.checks).sort(), ['broker', 'database', 'keys', 'redis']);
      for (const c of Object.values(body.checks)) assert.equal(c.ok, true);
      assert.match(body.checks.redis!.backend!, /^(redis|memory)$/);
      assert.match(body.checks.database!.backend!, /^(postgresql|pglite)$/);
      const certs = body.checks.keys!.certificates!;
      assert.equal(certs['sp-saml']!.daysLeft, daysLeft(stack.keys.sp.notAfter, Date.now()));
      assert.equal(certs['tls-client']!.daysLeft, daysLeft(stack.keys.tlsClient.notAfter, Date.now()));
      assert.doesNotMatch(text, /BEGIN|PRIVATE|redis:\/\/|postgres(ql)?:\/\/|password/i);
      for (const s of [...stack.keys.secrets.cookieKeys, stack.keys.secrets.subjectHashKey]) assert.ok(!text.includes(s));
    });

    it('GET /health/ready: 503 when the broker metadata cannot be had; the other checks still answer', async () => {
      const port = await closedPort();
      const gw = otherApp((c) => ({ ...c, brokers: c.brokers.map((b) => ({ ...b, metadataUrl: `http://127.0.0.1:${port}/broker/metadata/1.13` })) }));
      const res = await request(gw.app).get('/health/ready');
      assert.equal(res.status, 503);
      assert.equal(res.body.status, 'not-ready');
      assert.equal(res.body.checks.broker.ok, false);
      assert.equal(res.body.checks.redis.ok, true);
      assert.equal(res.body.checks.database.ok, true);
      assert.doesNotMatch(JSON.stringify(res.body), /127\.0\.0\.1/, 'no detail of the failure in the answer (it is in the log)');
    });

    it('readiness turns 503 as soon as shutdown begins; liveness stays 200; responses ask to close the connection', async () => {
      const gw = otherApp((c) => c);
      assert.equal((await request(gw.app).get('/health/ready')).status, 200);
      gw.ops.beginShutdown();
      const ready = await request(gw.app).get('/health/ready');
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.body, { status: 'shutting-down' });
      const live = await request(gw.app).get('/health/live');
      assert.equal(live.status, 200);
      assert.equal(live.headers.connection, 'close');
    });
  });

  describe('metrics', () => {
    let seeded: Seeded;

    it('are not on the main port without a token in the config', async () => {
      const res = await fetch(`${stack.gatewayUrl}/metrics`);
      assert.equal(res.status, 404);
    });

    it('on the main port only with the configured bearer token', async () => {
      const token = 'x'.repeat(20) + 'metrics-token-for-tests';
      const gw = otherApp((c) => ({ ...c, ops: { ...c.ops, metricsToken: token } }));
      assert.equal((await request(gw.app).get('/metrics')).status, 404);
      assert.equal((await request(gw.app).get('/metrics').set('Authorization', `Bearer ${token}x`)).status, 404);
      const ok = await request(gw.app).get('/metrics').set('Authorization', `Bearer ${token}`);
      assert.equal(ok.status, 200);
      assert.match(ok.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/);
      assert.equal(ok.headers['cache-control'], 'no-store');
    });

    it('count logins started, completed and failed by reason, koppel outcomes, lockouts; time the ACS and the stores', async () => {
      seeded = await seedRegenboog(stack);
      const oidc = await discover(stack.gatewayUrl);

      // One login with a wrong code first, then the right one.
      const browser = newBrowser();
      const login = await startAppLogin(oidc);
      stack.mock.nextLogin({ autoSubmit: false });
      const form = await toKoppelForm(browser, await throughBroker(browser, login, 'jan'));
      let page = await submitKoppelForm(browser, form, seeded.account.gebruikersnaam, 'ABCDEFGHJKMNPQRS');
      page = await finishWizard(browser, await submitKoppelForm(browser, page, seeded.account.gebruikersnaam, seeded.code));
      await exchangeCode(oidc, page, login);

      // One refused by the broker face (level too low).
      stack.mock.nextLogin({ autoSubmit: true, persona: 'jan', failures: ['lower-level'] });
      assert.equal((await toBroker(newBrowser(), await startAppLogin(oidc))).status, 403);

      // One that runs into the lockout.
      const other = await seedRegenboog(stack);
      const b3 = newBrowser();
      stack.mock.nextLogin({ autoSubmit: false });
      page = await toKoppelForm(b3, await throughBroker(b3, await startAppLogin(oidc), 'kees'));
      for (let i = 0; i < stack.config.koppel.maxFailedAttempts; i++) page = await submitKoppelForm(b3, page, other.account.gebruikersnaam, 'ABCDEFGHJKMNPQRS');

      const res = await request(stack.gateway.ops.opsApp()).get('/metrics');
      assert.equal(res.status, 200);
      const m = res.text;
      assert.equal(series(m, 'mijnduo_logins_started_total'), 3);
      assert.equal(series(m, 'mijnduo_logins_completed_total', { level: 'loa3' }), 1);
      assert.equal(series(m, 'mijnduo_logins_failed_total', { reason: 'level-too-low' }), 1);
      assert.equal(series(m, 'mijnduo_koppel_outcomes_total', { outcome: 'linked', reason: 'none' }), 1);
      assert.ok((series(m, 'mijnduo_koppel_outcomes_total', { outcome: 'refused', reason: 'wrong-code' }) ?? 0) >= 1, m);
      assert.equal(series(m, 'mijnduo_lockouts_total', { dimension: 'gebruikersnaam' }), 1);
      assert.equal(series(m, 'mijnduo_lockouts_total', { dimension: 'pseudonym' }), 1);
      assert.equal(series(m, 'mijnduo_artifact_resolution_duration_seconds_count', { outcome: 'accepted' }), 2);
      assert.equal(series(m, 'mijnduo_artifact_resolution_duration_seconds_count', { outcome: 'refused' }), 1);
      assert.ok((series(m, 'mijnduo_kv_operation_duration_seconds_count', { operation: 'get', outcome: 'ok' }) ?? 0) > 0);
      assert.ok((series(m, 'mijnduo_sql_operation_duration_seconds_count', { operation: 'findActiveKoppeling', outcome: 'ok' }) ?? 0) > 0);
      assert.equal(series(m, 'mijnduo_certificate_days_left', { certificate: 'sp-saml' }), daysLeft(stack.keys.sp.notAfter, Date.now()));
      assert.equal(series(m, 'mijnduo_certificate_days_left', { certificate: 'tls-client' }), daysLeft(stack.keys.tlsClient.notAfter, Date.now()));
      assert.equal(series(m, 'mijnduo_store_up', { store: 'redis' }), 1);
      assert.equal(series(m, 'mijnduo_store_up', { store: 'database' }), 1);
      assert.ok((series(m, 'mijnduo_http_request_duration_seconds_count', { method: 'GET', status: '200' }) ?? 0) > 0);
    });

    it('each gateway has its own registry: a second app in this process counts nothing of the first', async () => {
      const gw = otherApp((c) => c);
      const res = await request(gw.ops.opsApp()).get('/metrics');
      assert.equal(series(res.text, 'mijnduo_logins_started_total'), 0);
      assert.ok((series((await request(stack.gateway.ops.opsApp()).get('/metrics')).text, 'mijnduo_logins_started_total') ?? 0) > 0);
    });

    it('a gateway process also exports the Node process metrics', async () => {
      const ops = createOps({ config: stack.config, clock: stack.clock, logger: pino({ level: 'silent' }), keys: stack.keys, processMetrics: true });
      const text = await ops.metrics.render();
      assert.match(text, /^process_cpu_user_seconds_total /m);
      assert.match(text, /^nodejs_heap_size_used_bytes /m);
    });
  });
});
