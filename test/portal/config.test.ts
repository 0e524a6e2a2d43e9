// The portal section of the configuration: sensible defaults, and one clear line per mistake.
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../gateway/src/config.ts';
import { onderwerpenFor } from '../../gateway/src/portal/onderwerpen.ts';
import { portalClientConfig, withPortalClient } from '../../gateway/src/portal/PortalClient.ts';

const load = (portal: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  loadConfig({ env: { NODE_ENV: 'test' }, overrides: { portal, ...extra } });

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('portal: configuration', () => {
  it('ships DUO-like onderwerpen, a rol map and Snel naar that fit together', () => {
    const cfg = load({});
    assert.equal(cfg.portal.clientId, 'mijnduo-portal');
    assert.equal(cfg.portal.session.idleMinutes, 15);
    assert.ok(Object.keys(cfg.portal.onderwerpen).length >= 5);
    const jan = onderwerpenFor(cfg.portal, ['leerlingadministratie ', 'Bekostiging'], 'nl');
    assert.deepEqual(jan.allowed.map((o) => o.title), ['Leerlingadministratie', 'Bestanden uitwisselen', 'Bekostiging']);
    assert.deepEqual(onderwerpenFor(cfg.portal, [], 'en').allowed, []);
    assert.equal(onderwerpenFor(cfg.portal, ['Examens'], 'en').allowed[0]!.title, 'Examination results');
  });

  it('names each mistake: unknown onderwerp, a session longer than the gateway session, a client id taken', () => {
    const p = problems(() =>
      load(
        { rollen: { Bekostiging: ['bekostiging', 'geheim'] }, snelNaar: ['nergens'], session: { absoluteMinutes: 600 }, clientId: 'demo-app' },
        { oidc: { clients: [{ client_id: 'demo-app', client_secret: 'x'.repeat(20), redirect_uris: ['http://localhost:3200/callback'] }], ttl: { sessionSeconds: 3600 } } },
      ),
    );
    assert.ok(p.some((l) => l.startsWith('portal.rollen.Bekostiging.1: unknown onderwerp "geheim"')), p.join('\n'));
    assert.ok(p.some((l) => l.startsWith('portal.snelNaar.0: unknown onderwerp "nergens"')), p.join('\n'));
    assert.ok(p.some((l) => l.startsWith('portal.session.absoluteMinutes: must not exceed the gateway session')), p.join('\n'));
    assert.ok(p.some((l) => l.startsWith('portal.clientId: "demo-app" is also configured in oidc.clients')), p.join('\n'));
    assert.ok(problems(() => load({ onderwerpen: { x: { nl: 'X', en: 'X', url: 'javascript:alert(1)' } } })).some((l) => l.startsWith('portal.onderwerpen.x.url')));
  });

  it('registers the portal as a confidential first-party client with a secret derived from the secrets', () => {
    const cfg = load({});
    const secrets = { csrfSecret: 's'.repeat(32) };
    const client = portalClientConfig(cfg, secrets);
    assert.equal(client.token_endpoint_auth_method, 'client_secret_basic');
    assert.equal(client.first_party, true);
    assert.deepEqual(client.redirect_uris, [`${cfg.publicUrl.replace(/\/$/, '')}/inloggen/callback`]);
    assert.ok(client.client_secret && client.client_secret.length >= 32);
    assert.equal(portalClientConfig(cfg, secrets).client_secret, client.client_secret, 'the same in every process');
    assert.notEqual(portalClientConfig(cfg, { csrfSecret: 't'.repeat(32) }).client_secret, client.client_secret);
    const all = withPortalClient(cfg, secrets).oidc.clients.map((c) => c.client_id);
    assert.deepEqual(all, [...cfg.oidc.clients.map((c) => c.client_id), 'mijnduo-portal']);
  });
});
