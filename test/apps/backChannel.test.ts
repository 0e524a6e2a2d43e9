// The apps' back channel (token, userinfo, JWKS, discovery, introspection, revocation) is
// answered straight by oidc-provider, past Express and the browser middleware, for speed. It
// must still be the same provider, with the request id, access log and metrics of every other
// request — and the browser endpoints must keep their page middleware and CSP.
import assert from 'node:assert/strict';
import { OIDC_BACK_CHANNEL_PATHS, OIDC_MOUNT_PATH, oidcBackChannel } from '../../gateway/src/apps/provider.ts';
import { LogCapture } from '../support/LogCapture.ts';
import { TEST_CLIENT, useStack, type Stack } from '../support/stack.ts';

describe('apps face: the back channel goes straight to oidc-provider', function () {
  this.timeout(60_000);
  const capture = new LogCapture();
  const started = useStack(() => ({ logDestination: capture, logLevel: 'info' }));
  let stack = {} as Stack;
  before(() => ({ stack } = started));

  it('covers exactly the endpoints discovery announces for servers', async () => {
    const res = await fetch(`${stack.gatewayUrl}${OIDC_MOUNT_PATH}/.well-known/openid-configuration`);
    assert.equal(res.status, 200);
    const d = (await res.json()) as Record<string, string>;
    const announced = ['token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'introspection_endpoint', 'revocation_endpoint'].map((k) => {
      assert.ok(d[k], `discovery has ${k}`);
      return new URL(d[k]!).pathname.slice(OIDC_MOUNT_PATH.length);
    });
    assert.deepEqual(new Set([...announced, '/.well-known/openid-configuration']), OIDC_BACK_CHANNEL_PATHS);
    // …and the authorization and logout endpoints are not among them.
    for (const k of ['authorization_endpoint', 'end_session_endpoint']) {
      assert.equal(OIDC_BACK_CHANNEL_PATHS.has(new URL(d[k]!).pathname.slice(OIDC_MOUNT_PATH.length)), false, k);
    }
  });

  it('matches only the exact paths; anything unusual takes the Express route', () => {
    const lane = oidcBackChannel(stack.gateway.provider);
    for (const url of ['/oidc/token', '/oidc/token?x=1', '/oidc/me', '/oidc/jwks', '/oidc/.well-known/openid-configuration', '/oidc/token/introspection', '/oidc/token/revocation']) {
      assert.equal(lane.matches(url), true, url);
    }
    for (const url of ['/oidc/auth', '/oidc/session/end', '/oidc//token', '/oidc/%74oken', '/oidc/token/', '/oidcx/token', '/token', '/oidc', '/oidc/', undefined]) {
      assert.equal(lane.matches(url), false, String(url));
    }
  });

  it('a token request: the provider answers, with nosniff and the request id, no cookie and no page CSP; logged and counted', async () => {
    const before = await metricCount(stack, 'POST', '401');
    const res = await fetch(`${stack.gatewayUrl}/oidc/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${TEST_CLIENT.client_id}:wrong-secret`).toString('base64')}`,
      },
      body: 'grant_type=refresh_token&refresh_token=nope',
    });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('content-security-policy'), null);
    assert.equal(res.headers.get('set-cookie'), null);
    const reqId = res.headers.get('x-request-id');
    assert.ok(reqId);
    const access = capture.lines().find((l) => l.msg === 'request' && l.reqId === reqId);
    assert.ok(access, 'an access log line with the request id');
    assert.equal(access.path, '/oidc/token');
    assert.equal(access.status, 401);
    // oidc-provider's own line about the refusal carries the same request id.
    assert.ok(capture.lines().some((l) => l.reqId === reqId && l.msg !== 'request'), 'the provider event is logged with the request id');
    assert.equal(await metricCount(stack, 'POST', '401'), before + 1);
  });

  it('the authorization endpoint keeps the browser middleware: CSP with a nonce, the page on errors', async () => {
    const res = await fetch(`${stack.gatewayUrl}/oidc/auth?client_id=unknown&response_type=code`, { redirect: 'manual' });
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self' 'nonce-/);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  });
});

async function metricCount(stack: Stack, method: string, status: string): Promise<number> {
  const text = await stack.gateway.ops.metrics.render();
  const line = text.split('\n').find((l) => l.startsWith('mijnduo_http_request_duration_seconds_count{') && l.includes(`method="${method}"`) && l.includes(`status="${status}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}
