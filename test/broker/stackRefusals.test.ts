// Rules 7 and 8 end to end: every failure switch of the mock broker, clicked through the real
// gateway the way a tester would. One stack (mock broker + gateway on 127.0.0.1, stores from
// the environment) for the whole loop; per switch a fresh browser starts at an app's OIDC
// authorize URL, passes the login page and the broker, and lands where the switch's `expect`
// says: the one generic Dutch error page, the calm "Inloggen geannuleerd" page, or the koppel
// step. For a refusal nothing may be stored: no cookie from the ACS, no login state in the
// KeyValue store, nothing in SQL but the refusal's own audit event.
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { REASON_CODES } from '../../gateway/src/broker/index.ts';
import { FAILURE_MODES, FAILURE_MODE_NAMES, type FailureMode } from '../../idp-mock/src/failureModes.ts';
import { Browser, type Page } from '../support/Browser.ts';
import { LogCapture } from '../support/LogCapture.ts';
import { TEST_CLIENT, useStack, type Stack } from '../support/stack.ts';
import { atRedirectUri } from '../koppel/support/wizard.ts';
import { discover } from '../ops/support/appLogin.ts';

/** The reason each refusing switch must produce: a specific code, never 'message-rejected'. */
const EXPECTED_REASON: Partial<Record<FailureMode, string>> = {
  'no-machtiging': 'broker-status-request-denied',
  'request-unsupported': 'broker-status-request-unsupported',
  'lower-level': 'level-too-low',
  'wrong-service-id': 'service-id-mismatch',
  'wrong-service-uuid': 'service-uuid-mismatch',
  'two-service-ids': 'service-id-multiple',
  'duplicate-service-id-attribute': 'attribute-duplicate',
  'no-service-id': 'service-id-missing',
  // A fresh Response around a stale assertion: the assertion's age is what gives it away.
  'expired-assertion': 'assertion-too-old',
  'wrong-audience': 'audience-mismatch',
  'wrong-recipient': 'subject-recipient-mismatch',
  'wrong-destination': 'response-destination-mismatch',
  'wrong-in-response-to': 'response-in-response-to-mismatch',
  'wrong-resolve-in-response-to': 'artifact-response-in-response-to-mismatch',
  'artifact-response-not-success': 'artifact-response-status-not-success',
  'wrong-issuer': 'assertion-issuer-mismatch',
  'holder-of-key': 'subject-confirmation-invalid',
  'bad-signature': 'signature-invalid',
  'bad-artifact-response-signature': 'signature-invalid',
  'unsigned-assertion': 'signature-missing',
  'untrusted-key': 'signature-invalid',
  'sha1-signature': 'signature-algorithm-not-allowed',
  'other-recipient-only': 'encrypted-key-not-for-us',
  '3des': 'encryption-algorithm-not-allowed',
  'rsa-1_5': 'encryption-algorithm-not-allowed',
  'replay-artifact': 'artifact-replayed',
  'unknown-artifact': 'artifact-response-empty',
};

describe('broker face end to end: every failure switch of the mock broker', function () {
  this.timeout(120_000);
  const capture = new LogCapture();
  const started = useStack(() => ({ logDestination: capture, logLevel: 'info' }));
  let stack = {} as Stack;
  let oidc: client.Configuration;
  before(async () => {
    ({ stack } = started);
    oidc = await discover(stack.gatewayUrl);
  });

  /** An app sends the browser to authorize; it passes the login page (if any) and the broker. */
  async function login(mode: FailureMode): Promise<{ browser: Browser; page: Page; uid: string }> {
    stack.mock.clearNextLogins();
    stack.mock.nextLogin({ persona: 'jan', failures: [mode] });
    const browser = new Browser({ stopAt: atRedirectUri });
    const url = client.buildAuthorizationUrl(oidc, {
      redirect_uri: TEST_CLIENT.redirect_uri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: client.randomState(),
      nonce: client.randomNonce(),
    });
    let page = await browser.get(url.toString());
    // The koppel wizard's login page: pick a sector and press "Log in met eHerkenning".
    const loginForm = 'form[action$="/login"]';
    if (page.$(loginForm).length > 0) {
      const sector = page.$(`${loginForm} input[name=sector]`).first().attr('value');
      page = await browser.submit(page, sector ? { sector } : {}, loginForm);
    }
    page = await browser.settle(page);
    const uid = browser.history.map((h) => /\/interaction\/([^/?#]+)/.exec(h)?.[1]).find((u): u is string => !!u);
    assert.ok(uid, `no interaction in ${browser.history.join(' → ')}`);
    const issued = stack.mock.lastIssued();
    assert.ok(issued?.failures.includes(mode), `the mock applied ${mode} (issued: ${JSON.stringify(issued?.failures)})`);
    return { browser, page, uid };
  }

  function onAcs(page: Page): boolean {
    return new URL(page.url).pathname === '/saml/acs';
  }

  /** The newest audit event id now: what comes after it belongs to the login under test. */
  async function auditMark(): Promise<number> {
    return Math.max(0, ...(await stack.accounts.listAudit({ limit: 10_000 })).map((a) => a.id));
  }

  async function auditSince(mark: number): Promise<Array<{ action: string; reason?: string | null; correlationId?: string | null }>> {
    const all = await stack.accounts.listAudit({ limit: 10_000 });
    return all.filter((a) => a.id > mark).sort((a, b) => a.id - b.id);
  }

  async function assertRefusalPage(mode: FailureMode, page: Page, auditBefore: number): Promise<void> {
    const detail = `${mode}: ${page.status} ${page.url}\n${page.$('main').text().replace(/\s+/g, ' ').slice(0, 400)}`;
    assert.ok(onAcs(page), `the ACS answered itself (no redirect, no RelayState): ${detail}`);
    assert.ok([400, 403].includes(page.status), `HTTP 400/403, never 500: ${detail}`);
    assert.deepEqual(page.headers.getSetCookie(), [], `no cookie from the ACS: ${detail}`);
    assert.match(page.$('h1').text(), /Inloggen is niet gelukt/, detail);
    assert.equal(page.$('html').attr('lang'), 'nl');
    const code = page.$('[data-testid=error-code]').text().trim();
    const correlationId = page.$('[data-testid=correlation-id]').text().trim();
    assert.ok((REASON_CODES as readonly string[]).includes(code), `a known reason code: ${code}`);
    assert.equal(code, EXPECTED_REASON[mode], `${mode} → ${EXPECTED_REASON[mode]}, got ${code}`);
    assert.match(correlationId, /^[0-9a-f-]{36}$/);
    // Nothing of a library, an exception or the message in the page (case-sensitive: CSS
    // classes such as utrecht-alert--error are fine; the layout's own links may name /saml/).
    assert.doesNotMatch(page.body, /Error\b|Exception|\.(ts|js):\d+|xml-crypto|xmldom|urn:oasis|urn:etoegang|SAMLart|<pre/, detail);
    // The reason and the correlation id went to the log and to the audit trail.
    assert.ok(
      capture.text.split('\n').some((l) => l.includes(`"reason":"${code}"`) && l.includes(correlationId)),
      `the log names ${code} with ${correlationId}`,
    );
    const audit = await auditSince(auditBefore);
    assert.deepEqual(
      audit.map((a) => [a.action, a.reason, a.correlationId]),
      [['login.refused', code, correlationId]],
      'SQL holds the refusal and nothing else (no koppeling, no login.completed)',
    );
  }

  for (const mode of FAILURE_MODE_NAMES) {
    const expect = FAILURE_MODES[mode].expect;
    it(`${mode} (${expect})`, async () => {
      const auditBefore = await auditMark();
      const { browser, page, uid } = await login(mode);

      if (mode === 'replay-artifact') {
        // The first delivery is a good login; the broker lets the artifact be resolved once
        // more, so the gateway must refuse when the same artifact comes back.
        assert.match(page.url, /\/interaction\/[^/]+\/koppel/, `first delivery logs in: ${page.url}`);
        const acsGet = browser.history.find((h) => h.startsWith('GET ') && h.includes('/saml/acs?'));
        assert.ok(acsGet, 'the artifact came with a GET');
        const stateBefore = await stack.kv.get(`login:${uid}`);
        assert.ok(stateBefore);
        const auditMid = await auditMark();
        const again = await browser.get(acsGet.slice(4));
        await assertRefusalPage(mode, again, auditMid);
        assert.equal(await stack.kv.get(`login:${uid}`), stateBefore, 'the replay changed no login state');
        return;
      }

      if (expect === 'refuse') {
        await assertRefusalPage(mode, page, auditBefore);
        assert.equal(await stack.kv.get(`login:${uid}`), null, 'no login state for the interaction');
        return;
      }

      if (expect === 'cancelled') {
        const detail = `${page.status} ${page.url}: ${page.$('main').text().replace(/\s+/g, ' ').slice(0, 300)}`;
        assert.ok(onAcs(page), detail);
        assert.equal(page.status, 200, detail);
        assert.deepEqual(page.headers.getSetCookie(), []);
        assert.match(page.$('h1').text(), /Inloggen geannuleerd/, detail);
        assert.equal(page.$('.utrecht-alert--error').length, 0, 'calm: no error alert');
        assert.match(page.$('[data-testid=correlation-id]').text().trim(), /^[0-9a-f-]{36}$/);
        assert.equal(await stack.kv.get(`login:${uid}`), null, 'no login state');
        const audit = await auditSince(auditBefore);
        assert.deepEqual(audit.map((a) => [a.action, a.reason]), [['login.cancelled', 'cancelled']]);
        // "Opnieuw inloggen": back into the same interaction, which offers the login again.
        const retry = page.$(`a[href="/interaction/${uid}"]`);
        assert.equal(retry.length, 1, 'a retry link into this interaction');
        const again = await browser.get(new URL(retry.attr('href')!, page.url).toString());
        assert.equal(again.status, 200);
        assert.ok(
          again.$('form[action$="/login"]').length > 0 || browser.isAutoSubmit(again),
          `the retry offers the login again: ${again.url}`,
        );
        return;
      }

      // accept: the login gets through the broker face to the koppel step (jan is not linked).
      assert.match(page.url, /\/interaction\/[^/]+\/koppel/, `${mode}: expected the koppel step, got ${page.status} ${page.url}`);
      assert.equal(page.status, 200);
      assert.ok(await stack.kv.get(`login:${uid}`), 'the login state is stored');
      const audit = await auditSince(auditBefore);
      assert.equal(audit.filter((a) => a.action === 'login.refused' || a.action === 'login.completed').length, 0);
    });
  }

  it('covers every switch of the mock broker (a new switch needs its expected reason here)', () => {
    for (const mode of FAILURE_MODE_NAMES) {
      if (FAILURE_MODES[mode].expect === 'refuse') assert.ok(EXPECTED_REASON[mode], `no expected reason for ${mode}`);
    }
    assert.deepEqual(
      Object.keys(EXPECTED_REASON).filter((m) => FAILURE_MODES[m as FailureMode]?.expect !== 'refuse'),
      [],
      'expected reasons only for refusing switches',
    );
  });
});
