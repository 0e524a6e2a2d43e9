// Faults (issue 5): the broker's back channel is slow or down — end to end through the whole
// stack. The unit-level cases (hang, too large, HTTP error, bad TLS, unreachable) are in
// test/broker/backChannel.test.ts against a scripted server; here the real mock broker's
// ArtifactResolutionService sits behind a TCP proxy that the test freezes (a hung broker:
// not a byte passes) or cuts (connection refused). The person must get the clear 503/504
// page within the configured time, and nothing of the login may be stored.
import assert from 'node:assert/strict';
import type * as client from 'openid-client';
import type { KeyValueStore } from '../../gateway/src/store/KeyValueStore.ts';
import { PATHS } from '../../idp-mock/src/idpMock.ts';
import { closedPort, TcpProxy } from '../contract/support/TcpProxy.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { createTestKeyValueStore } from '../support/stores.ts';
import { discover, newBrowser, startAppLogin, throughBroker, toBroker } from '../ops/support/appLogin.ts';
import type { Browser, Page } from '../support/Browser.ts';
import { Writable } from 'node:stream';

const UNAVAILABLE = /Tijdelijk niet beschikbaar/;
const TOTAL_TIMEOUT_MS = 700;

/** A KeyValueStore that remembers every write while `recording` is on. */
function recording(kv: KeyValueStore): KeyValueStore & { writes: string[]; recording: boolean } {
  const out = Object.create(kv) as KeyValueStore & { writes: string[]; recording: boolean };
  out.writes = [];
  out.recording = false;
  for (const op of ['set', 'setIfAbsent', 'increment', 'delete', 'consume', 'addToSet'] as const) {
    const fn = (kv[op] as (...a: unknown[]) => Promise<unknown>).bind(kv);
    (out as unknown as Record<string, unknown>)[op] = (key: string, ...rest: unknown[]) => {
      if (out.recording) out.writes.push(`${op} ${key}`);
      return fn(key, ...rest);
    };
  }
  for (const op of ['get', 'ttl', 'members', 'ping', 'close'] as const) {
    (out as unknown as Record<string, unknown>)[op] = (kv[op] as (...a: unknown[]) => Promise<unknown>).bind(kv);
  }
  return out;
}

describe('faults: broker back channel slow or down (end to end)', function () {
  this.timeout(60_000);
  let ars: TcpProxy;
  let kv: ReturnType<typeof recording>;
  let stack: Stack;
  let oidc: client.Configuration;
  let log = '';
  const capture = new Writable({
    write(chunk: Buffer, _enc, cb) {
      log += chunk.toString('utf8');
      cb();
    },
  });

  before(async () => {
    // The mock's ARS listens on a port chosen here; its metadata names the proxy in front.
    const arsPort = await closedPort();
    ars = new TcpProxy('127.0.0.1', arsPort);
    await ars.start();
    kv = recording(await createTestKeyValueStore());
    stack = await startStack({
      kv,
      logDestination: capture,
      mockOptions: { arsUrl: `https://127.0.0.1:${ars.port}${PATHS.ars}` },
      mockPorts: { arsPort },
      // The connect limit is long on purpose: the total limit must be the one that ends it.
      config: { saml: { artifactResolve: { connectTimeoutMs: 5_000, totalTimeoutMs: TOTAL_TIMEOUT_MS, maxResponseBytes: 500_000 } } },
    });
    oidc = await discover(stack.gatewayUrl);
  });
  after(async () => {
    await stack?.close();
    await kv?.close();
    await ars?.stop();
  });

  /** To the persona screen; then the persona's submit, timed, with the gateway's writes recorded. */
  async function loginUntilAcs(browser: Browser): Promise<{ page: Page; ms: number; uid: string }> {
    const login = await startAppLogin(oidc);
    stack.mock.nextLogin({ autoSubmit: false });
    const personaScreen = await toBroker(browser, login);
    const uid = /\/interaction\/([^/?]+)/.exec(browser.history.find((h) => h.includes('/interaction/')) ?? '')?.[1];
    assert.ok(uid, 'the interaction uid');
    kv.writes.length = 0;
    kv.recording = true;
    const t0 = performance.now();
    try {
      const page = await browser.settle(await browser.submit(personaScreen, { persona: 'jan', action: 'login' }));
      return { page, ms: performance.now() - t0, uid };
    } finally {
      kv.recording = false;
    }
  }

  async function assertNothingStored(uid: string): Promise<void> {
    assert.deepEqual(kv.writes, [], 'the ACS wrote nothing to the KeyValue store');
    assert.equal(await stack.gateway.states.get(uid), null, 'no login state for the interaction');
    assert.equal((await stack.accounts.listAudit({ action: 'login.completed' })).length, 0);
  }

  it('a hung broker: artifact resolution gives up after the configured total timeout; the person sees the 504 page; nothing is stored', async () => {
    ars.freeze();
    try {
      const browser = newBrowser();
      const { page, ms, uid } = await loginUntilAcs(browser);
      assert.equal(page.status, 504, `${page.status} ${page.url}`);
      assert.match(page.body, UNAVAILABLE);
      assert.match(new URL(page.url).pathname, /^\/saml\/acs$/);
      assert.equal(page.headers.get('set-cookie'), null, 'no cookie on the refusal');
      assert.ok(ms >= TOTAL_TIMEOUT_MS - 50, `gave up after ${Math.round(ms)} ms, before the configured ${TOTAL_TIMEOUT_MS} ms`);
      const refusal = log
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { msg?: string; reason?: string; detail?: { phase?: string } })
        .find((l) => l.msg === 'eHerkenning login refused' && l.reason === 'artifact-resolve-timeout');
      assert.equal(refusal?.detail?.phase, 'total', 'the configured total limit ended it (not the connect limit)');
      await assertNothingStored(uid);
      const refused = await stack.accounts.listAudit({ action: 'login.refused' });
      assert.deepEqual(refused.map((e) => e.reason), ['artifact-resolve-timeout'], 'audited with its reason code');
      const metrics = await stack.gateway.ops.metrics.render();
      assert.match(metrics, /^mijnduo_logins_failed_total\{reason="artifact-resolve-timeout"\} 1$/m);
      assert.match(metrics, /^mijnduo_artifact_resolution_duration_seconds_count\{outcome="outage"\} 1$/m);
    } finally {
      ars.thaw();
    }
  });

  it('a broker that refuses the connection: 503 page at once; nothing is stored', async () => {
    await ars.cut();
    try {
      const browser = newBrowser();
      const { page, ms, uid } = await loginUntilAcs(browser);
      assert.equal(page.status, 503, `${page.status} ${page.url}`);
      assert.match(page.body, UNAVAILABLE);
      assert.ok(ms < TOTAL_TIMEOUT_MS * 2, `took ${Math.round(ms)} ms`);
      await assertNothingStored(uid);
      const refused = await stack.accounts.listAudit({ action: 'login.refused' });
      assert.deepEqual(refused.map((e) => e.reason).sort(), ['artifact-resolve-timeout', 'artifact-resolve-unavailable']);
    } finally {
      await ars.restore();
    }
  });

  it('once the back channel answers again, logins go through', async () => {
    const browser = newBrowser();
    stack.mock.nextLogin({ autoSubmit: false });
    const page = await throughBroker(browser, await startAppLogin(oidc), 'jan');
    assert.match(page.url, /\/koppel/, `${page.status} ${page.url}`);
  });
});
