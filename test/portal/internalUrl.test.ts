// The portal's server-to-server calls (token endpoint, JWKS) go to an internal base URL, not to
// the public one the browser uses: behind a reverse proxy the public host is often not
// reachable from inside. Unit checks of the mapping, then a whole login where the browser only
// talks to a "public" proxy and the portal's calls must arrive through an "internal" one.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { internalBase, internalFetch } from '../../gateway/src/portal/index.ts';
import { Browser } from '../support/Browser.ts';
import { portalLogin, startWorld, text, type World } from './support/world.ts';

/** A reverse proxy on 127.0.0.1 that forwards to `target` (set later) and records what it saw. */
async function recordingProxy(): Promise<{ url: string; seen: string[]; target: { url: string }; close(): Promise<void> }> {
  const seen: string[] = [];
  const target = { url: '' };
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const to = new URL(req.url ?? '/', target.url);
    const up = http.request(to, { method: req.method, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => {
      res.writeHead(502).end();
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    target,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('portal: server-to-server calls use the internal base URL', function () {
  this.timeout(60_000);

  describe('the mapping', () => {
    const calls: string[] = [];
    const fake = (async (url: string | URL | Request) => {
      calls.push(String(url));
      return new Response('{}');
    }) as typeof fetch;

    it('maps the public base (with a path prefix) onto the internal one, keeping path and query', async () => {
      calls.length = 0;
      const f = internalFetch('https://zakelijk.duo.example/gateway/', 'http://10.0.0.5:3000', fake);
      await f('https://zakelijk.duo.example/gateway/oidc/token', { method: 'POST' } as never);
      await f('https://zakelijk.duo.example/gateway/oidc/jwks?x=1', {} as never);
      assert.deepEqual(calls, ['http://10.0.0.5:3000/oidc/token', 'http://10.0.0.5:3000/oidc/jwks?x=1']);
    });

    it('refuses anything outside the gateway, including look-alike hosts and paths', async () => {
      calls.length = 0;
      const f = internalFetch('https://zakelijk.duo.example/gateway', 'http://10.0.0.5:3000', fake);
      for (const url of [
        'https://evil.example/oidc/token',
        'https://zakelijk.duo.example.evil.example/gateway/oidc/token',
        'https://zakelijk.duo.example/gatewayx/oidc/token',
        'http://zakelijk.duo.example/gateway/oidc/token',
      ]) {
        await assert.rejects(f(url, {} as never), /outside the gateway/, url);
      }
      assert.deepEqual(calls, []);
    });

    it('defaults to the listen address, loopback for a wildcard', () => {
      const portal = { internalUrl: undefined } as never;
      assert.equal(internalBase({ portal, listen: { host: '0.0.0.0', port: 3000 } }), 'http://127.0.0.1:3000');
      assert.equal(internalBase({ portal, listen: { host: '::', port: 3000 } }), 'http://[::1]:3000');
      assert.equal(internalBase({ portal, listen: { host: '10.1.2.3', port: 8080 } }), 'http://10.1.2.3:8080');
      assert.equal(internalBase({ portal: { internalUrl: 'http://gateway.internal:3000/' } as never, listen: { host: '0.0.0.0', port: 1 } }), 'http://gateway.internal:3000');
    });
  });

  describe('a whole login behind a proxy', () => {
    let world: World;
    let publicProxy: Awaited<ReturnType<typeof recordingProxy>>;
    let internalProxy: Awaited<ReturnType<typeof recordingProxy>>;

    before(async () => {
      publicProxy = await recordingProxy();
      internalProxy = await recordingProxy();
      world = await startWorld({ config: { publicUrl: publicProxy.url, portal: { internalUrl: internalProxy.url } } });
      publicProxy.target.url = world.stack.gatewayUrl;
      internalProxy.target.url = world.stack.gatewayUrl;
    });
    after(async () => {
      await world?.close();
      await publicProxy?.close();
      await internalProxy?.close();
    });

    it('the browser goes through the public URL, the code exchange through the internal one', async () => {
      const browser = new Browser();
      world.stack.mock.nextLogin({ persona: world.jan.persona });
      // Log in from the public address only.
      const publicWorld = { ...world, stack: { ...world.stack, gatewayUrl: publicProxy.url } } as World;
      const { page } = await portalLogin(publicWorld, world.jan, { browser });
      assert.equal(page.url, `${publicProxy.url}/`);
      assert.equal(text(page, '[data-testid=user-name]'), 'Jan Jansen');

      assert.ok(publicProxy.seen.some((s) => s.startsWith('GET /inloggen/callback?')), 'the browser came back through the public URL');
      assert.ok(!publicProxy.seen.some((s) => /\/oidc\/(token|jwks)/.test(s)), `no server-to-server call on the public URL: ${publicProxy.seen.join(', ')}`);
      assert.ok(internalProxy.seen.includes('POST /oidc/token'), `token call on the internal URL: ${internalProxy.seen.join(', ')}`);
      assert.ok(internalProxy.seen.some((s) => s.startsWith('GET /oidc/jwks')), 'the ID token signature was checked with the JWKS from the internal URL');
      assert.ok(internalProxy.seen.every((s) => s.startsWith('POST /oidc/token') || s.startsWith('GET /oidc/jwks')), 'nothing else goes internal');
    });
  });
});
