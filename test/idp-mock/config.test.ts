import assert from 'node:assert/strict';
import { loadIdpMockConfig } from '../../idp-mock/src/config.ts';
import { pseudonymFor } from '../../idp-mock/src/personas.ts';

describe('idp-mock: config/idp-mock.yaml', () => {
  const cfg = loadIdpMockConfig({} as NodeJS.ProcessEnv);

  it('is valid and has the personas the tests and the demo need', () => {
    assert.equal(cfg.entityId, 'urn:etoegang:HM:00000003999999990000:entities:9632');
    assert.equal(cfg.listen.httpPort, 3100);
    assert.equal(cfg.listen.arsPort, 3101);
    assert.ok(cfg.personas.length >= 4);
    const byId = new Map(cfg.personas.map((p) => [p.id, p]));
    assert.equal(byId.get('jan')?.kvk, '12345678');
    assert.equal(byId.get('jan')?.level, 'loa3');
    assert.equal(byId.get('fatima')?.level, 'loa4');
    assert.ok(byId.get('fatima')?.rsin && byId.get('fatima')?.vestigingsnummer);
    assert.equal(byId.get('piet')?.machtiging, false);
    assert.equal(byId.get('sanne')?.level, 'loa2plus');
    assert.deepEqual(cfg.services.map((s) => s.index), [1]);
  });

  it('takes overrides from the environment', () => {
    const c = loadIdpMockConfig({
      IDP_MOCK_HTTP_PORT: '4100',
      IDP_MOCK_FAILURES: 'wrong-audience, aes128-gcm',
      IDP_MOCK_DV_METADATA_FILE: '/tmp/dv.xml',
    } as NodeJS.ProcessEnv);
    assert.equal(c.listen.httpPort, 4100);
    assert.deepEqual(c.defaultFailures, ['wrong-audience', 'aes128-gcm']);
    assert.equal(c.dv.metadataFile, '/tmp/dv.xml');
    assert.equal(c.dv.metadataUrl, undefined);
    assert.throws(() => loadIdpMockConfig({ IDP_MOCK_FAILURES: 'no-such-mode' } as NodeJS.ProcessEnv), /defaultFailures/);
  });

  it('gives stable pseudonyms: 64 hex, plus @ and 32 hex when representing an organisation', () => {
    const dv = 'urn:etoegang:DV:00000001234567890000:entities:9001';
    for (const p of cfg.personas) {
      const a = pseudonymFor(p, dv);
      assert.equal(a, pseudonymFor(p, dv), 'stable');
      assert.match(a, p.representation ? /^[0-9A-F]{64}@[0-9A-F]{32}$/ : /^[0-9A-F]{64}$/);
      assert.notEqual(a, pseudonymFor(p, 'urn:etoegang:DV:00000001234567890000:entities:9002'), 'differs per DV');
      assert.notEqual(a, pseudonymFor(p, dv, { rotated: true }), 'rotation gives a new one');
    }
    const [jan, kees] = [cfg.personas.find((p) => p.id === 'jan')!, cfg.personas.find((p) => p.id === 'kees')!];
    assert.notEqual(pseudonymFor(jan, dv), pseudonymFor(kees, dv));
  });
});
