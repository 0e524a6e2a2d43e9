// Structured logs (issue 5): one JSON line per event, a request id on every line a request
// causes (carried by AsyncLocalStorage through stores, crypto and oidc-provider), an access log
// line per request with the path only — and nothing secret in any of it. The last part is
// tested the blunt way: run whole logins at level debug into a capture stream and search the
// captured text for every secret and one-time value the run handled.
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import * as client from 'openid-client';
import { pino } from 'pino';
import { ManualClock } from '../../gateway/src/clock.ts';
import { parseConfig } from '../../gateway/src/config.ts';
import type { KeyMaterial } from '../../gateway/src/keys/KeyMaterial.ts';
import { accessLogger, createLogger } from '../../gateway/src/logger.ts';
import { Ops, pathOnly } from '../../gateway/src/ops/index.ts';
import { seedRegenboog, type Seeded } from '../support/demoData.ts';
import { LogCapture } from '../support/LogCapture.ts';
import { startStack, TEST_CLIENT, type Stack } from '../support/stack.ts';
import { atApp, discover, exchangeCode, finishWizard, newBrowser, startAppLogin, submitKoppelForm, throughBroker, toBroker, toKoppelForm } from './support/appLogin.ts';

/** Long enough pieces of a PEM private key's body that any leak of the key would contain one. */
function pemPieces(pem: string): string[] {
  const body = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const out: string[] = [];
  for (let i = 0; i + 24 <= body.length; i += 48) out.push(body.slice(i, i + 24));
  return out;
}

function secretsOf(keys: KeyMaterial): Record<string, string[]> {
  const jwkPrivate = keys.oidcJwks.keys.flatMap((k) => ['d', 'p', 'q', 'dp', 'dq', 'qi'].map((f) => (k as Record<string, unknown>)[f]).filter((v): v is string => typeof v === 'string'));
  return {
    'SP SAML private key': pemPieces(keys.sp.keyPem),
    'TLS client private key': pemPieces(keys.tlsClient.keyPem),
    'OIDC signing keys (private parts)': jwkPrivate,
    'cookie keys': keys.secrets.cookieKeys,
    'subject hash key': [keys.secrets.subjectHashKey],
    'activation code key': [keys.secrets.activationCodeKey],
    'CSRF secret': [keys.secrets.csrfSecret],
  };
}

describe('ops: structured logs with a request id, and no secrets in them', function () {
  this.timeout(60_000);
  const capture = new LogCapture();
  let stack: Stack;
  let oidc: client.Configuration;
  let seeded: Seeded;
  /** Every secret and one-time value the run handles, by what it is. */
  const handled: Record<string, string[]> = {};

  before(async () => {
    stack = await startStack({ logDestination: capture, logLevel: 'debug' });
    oidc = await discover(stack.gatewayUrl);
    seeded = await seedRegenboog(stack);
    Object.assign(handled, secretsOf(stack.keys), { 'client secret': [TEST_CLIENT.client_secret] });
  });
  after(async () => {
    await stack?.close();
  });

  it('a full login (wrong code, right code, tokens, userinfo, logout, a refused login) logs no secret, code or pseudonym', async () => {
    const browser = newBrowser();
    const login = await startAppLogin(oidc);
    stack.mock.nextLogin({ autoSubmit: false });
    const form = await toKoppelForm(browser, await throughBroker(browser, login, 'jan'));
    const issued = stack.mock.lastIssued()!;
    assert.ok(issued.content.pseudonym, 'the mock issued a pseudonym');
    handled.pseudonym = [issued.content.pseudonym!];
    handled.SAMLart = [issued.artifact, encodeURIComponent(issued.artifact)];
    handled.RelayState = issued.relayState ? [issued.relayState] : [];

    const wrong = 'QRSTUVWXYZABCDEF';
    let page = await submitKoppelForm(browser, form, seeded.account.gebruikersnaam, wrong.toLowerCase());
    assert.equal(page.$('input[name=activatiecode]').length, 1, 'the wrong code is refused');
    page = await finishWizard(browser, await submitKoppelForm(browser, page, seeded.account.gebruikersnaam, seeded.code));
    handled['activation codes'] = [seeded.code, seeded.code.toLowerCase(), wrong, wrong.toLowerCase()];
    const code = new URL(page.url).searchParams.get('code');
    assert.ok(code);
    handled['authorization code'] = [code];
    const tokens = await exchangeCode(oidc, page, login);
    handled.tokens = [tokens.access_token, tokens.id_token!];
    await client.fetchUserInfo(oidc, tokens.access_token, seeded.account.id);

    const end = new URL(`${stack.gatewayUrl}/oidc/session/end`);
    end.searchParams.set('id_token_hint', tokens.id_token!);
    end.searchParams.set('post_logout_redirect_uri', 'http://127.0.0.1:9/');
    page = await browser.submit(await browser.get(end.toString()), { logout: 'yes' });
    assert.ok(atApp(page.url));

    // A refusal logs its reason and details: still nothing secret.
    const refusedBrowser = newBrowser();
    stack.mock.nextLogin({ autoSubmit: true, persona: 'jan', failures: ['lower-level'] });
    const refused = await toBroker(refusedBrowser, await startAppLogin(oidc));
    assert.equal(refused.status, 403);
    const second = stack.mock.lastIssued()!;
    handled.SAMLart.push(second.artifact, encodeURIComponent(second.artifact));

    const text = capture.text;
    assert.ok(text.length > 1_000, 'the run logged');
    for (const [what, values] of Object.entries(handled)) {
      for (const v of values) {
        assert.ok(v && v.length >= 8, `${what}: a value worth looking for`);
        assert.ok(!text.includes(v), `${what} found in the log`);
      }
    }
    assert.doesNotMatch(text, /PRIVATE KEY/);
    assert.doesNotMatch(text, /SAMLart=|[?&]code=|access_token|client_secret=/);
  });

  it('every line is JSON; each request has one access log line with the path only and the request id', () => {
    const lines = capture.lines();
    const access = lines.filter((l) => l.msg === 'request');
    assert.ok(access.length >= 10);
    // The access logger skips pino's redaction (logger.ts): it may only ever carry these keys.
    const allowed = new Set(['level', 'time', 'name', 'component', 'msg', 'reqId', 'method', 'path', 'status', 'ms', 'aborted']);
    for (const l of access) {
      for (const key of Object.keys(l)) assert.ok(allowed.has(key), `unexpected key ${key} in an access log line`);
      assert.match(String(l.reqId), /^[0-9a-f-]{36}$/);
      assert.equal(typeof l.status, 'number');
      assert.equal(typeof l.ms, 'number');
      assert.ok(!String(l.path).includes('?'), `query in ${l.path}`);
    }
    assert.ok(access.some((l) => l.path === '/saml/acs'), 'the ACS request is logged, without its SAMLart');
    assert.ok(access.some((l) => l.path === '/oidc/token' && l.method === 'POST'));
  });

  it('every line a request causes carries that request id, through Redis, crypto and oidc-provider', () => {
    const lines = capture.lines();
    const access = lines.filter((l) => l.msg === 'request');
    const pathOf = new Map(access.map((l) => [l.reqId, String(l.path)]));
    // Lines written deep inside the flow, after awaits on Redis, PostgreSQL, the back channel
    // and the crypto, name the request that caused them.
    const expectations: [msg: string, path: RegExp][] = [
      ['AuthnRequest sent', /^\/interaction\/[^/]+(\/login)?$/],
      ['eHerkenning login accepted', /^\/saml\/acs$/],
      ['eHerkenning login refused', /^\/saml\/acs$/],
    ];
    for (const [msg, path] of expectations) {
      const found = lines.filter((l) => l.msg === msg);
      assert.ok(found.length > 0, `"${msg}" was logged`);
      for (const l of found) {
        assert.ok(l.reqId, `"${msg}" has a request id`);
        assert.match(pathOf.get(l.reqId) ?? '(no access log line with that id)', path, `"${msg}" belongs to its request, not ${pathOf.get(l.reqId)}`);
      }
    }
  });

  it('echoes the request id in X-Request-Id; an offered one is ignored unless the proxy is trusted', async () => {
    const res = await fetch(`${stack.gatewayUrl}/health/live`, { headers: { 'x-request-id': 'from-the-outside-123' } });
    assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);

    const trusting = (trustProxy: boolean) => {
      const config = parseConfig({ ...stack.config, trustProxy });
      const ops = new Ops({ config, clock: new ManualClock(), logger: pino({ level: 'silent' }), keys: stack.keys });
      const app = express();
      app.set('trust proxy', trustProxy);
      app.use(ops.requestMiddleware());
      app.get('/x', (_req, res) => {
        res.json({ id: res.locals.requestId });
      });
      return app;
    };
    const ok = await request(trusting(true)).get('/x').set('X-Request-Id', 'proxy-req-0001');
    assert.equal(ok.headers['x-request-id'], 'proxy-req-0001');
    assert.equal(ok.body.id, 'proxy-req-0001');
    const forged = await request(trusting(true)).get('/x').set('X-Request-Id', 'bad id {"level":60}');
    assert.match(forged.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/, 'a malformed id is replaced');
    const untrusted = await request(trusting(false)).get('/x').set('X-Request-Id', 'proxy-req-0001');
    assert.match(untrusted.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
  });

  it('the access logger leaves the redacting logger it came from redacting', () => {
    const lines = new LogCapture();
    const logger = createLogger({ level: 'info', destination: lines });
    accessLogger(logger).info({ path: '/x' }, 'request');
    logger.info({ code: 'abc123', nested: { pseudonym: 'p-1' } }, 'after');
    const after = lines.lines().find((l) => l.msg === 'after');
    assert.deepEqual([after?.code, (after?.nested as Record<string, unknown>)?.pseudonym], ['[redacted]', '[redacted]']);
  });

  it('pathOnly drops the query and fragment', () => {
    assert.equal(pathOnly('/saml/acs?SAMLart=AAQAA&RelayState=x'), '/saml/acs');
    assert.equal(pathOnly('/callback#code=1'), '/callback');
    assert.equal(pathOnly('/oidc/auth'), '/oidc/auth');
  });
});
