// Rule 9: the back channel. A real HTTPS ArtifactResolutionService on 127.0.0.1 with mutual TLS:
// timeouts, size cap, a server certificate from another CA, HTTP errors, an unreachable broker,
// and the configurable SOAP content type. And the broker metadata: URL, signature, expiry.
import assert from 'node:assert/strict';
import request from 'supertest';
import { Harness, BROKER } from '../support/saml/harness.ts';
import { assertRefused } from '../support/saml/expect.ts';

describe('broker face: back channel and broker metadata', function () {
  describe('artifact resolution over mutual TLS', () => {
    let h: Harness;
    before(async () => {
      h = await Harness.create({ totalTimeoutMs: 300, maxResponseBytes: 20_000 });
    });
    after(async () => h?.close());

    it('gives up after the total timeout when the broker never answers (504)', async () => {
      const out = await h.login(() => 'hang');
      assertRefused(h, out, 'artifact-resolve-timeout', { status: 504 });
    });

    it('refuses an answer larger than the cap (503)', async () => {
      const out = await h.login((s, call) => h.golden(s, call).xml.replace('<soap:Body>', `<soap:Body><!--${'x'.repeat(30_000)}-->`));
      assertRefused(h, out, 'artifact-resolve-too-large', { status: 503 });
    });

    it('refuses a non-200 answer (503)', async () => {
      const out = await h.login(() => ({ status: 500, body: 'internal error: secret stack trace' }));
      assertRefused(h, out, 'artifact-resolve-http-error', { status: 503 });
      assert.ok(!out.body.includes('secret'));
    });
  });

  describe('a broker whose TLS certificate is not from the configured CA', () => {
    let h: Harness;
    before(async () => {
      h = await Harness.create({ rogueTls: true });
    });
    after(async () => h?.close());

    it('refuses to talk to it (503) and never sends the artifact', async () => {
      const out = await h.login();
      assertRefused(h, out, 'artifact-resolve-tls-failed', { status: 503 });
      assert.equal(h.server.calls.length, 0);
    });
  });

  describe('an unreachable broker', () => {
    let h: Harness;
    before(async () => {
      h = await Harness.create();
      await h.server.stop();
    });
    after(async () => {
      /* server already stopped */
    });

    it('is an outage (503)', async () => {
      const out = await h.login();
      assertRefused(h, out, 'artifact-resolve-unavailable', { status: 503 });
    });
  });

  describe('SOAP content type per broker', () => {
    let h: Harness;
    before(async () => {
      h = await Harness.create({ soapContentType: 'application/soap+xml' });
    });
    after(async () => h?.close());
    it('sends application/soap+xml when configured', async () => {
      const out = await h.login();
      assert.ok(out.identity, JSON.stringify(out.failure));
      assert.match(h.server.calls.at(-1)!.contentType, /^application\/soap\+xml/);
    });
  });

  describe('broker metadata', () => {
    it('is fetched from a URL and verified; ready() reports it', async () => {
      const h = await Harness.create({ metadataOverHttp: true });
      try {
        assert.deepEqual(await h.face.ready(), { ok: true });
        const out = await h.login();
        assert.ok(out.identity, JSON.stringify(out.failure));
      } finally {
        await h.close();
      }
    });

    const broken: Array<[string, Parameters<typeof Harness.create>[0]]> = [
      ['signed by another key than the configured metadata signer', { metadataSigner: 'wrong' }],
      ['unsigned', { metadata: (h) => h.metadataXml({ signed: false }) }],
      ['past its validUntil', { metadata: (h) => h.metadataXml({ validUntil: '2025-01-01T00:00:00Z' }) }],
      ['changed after signing', { metadata: (h) => h.metadataXml().replace(/Location="https:\/\/127/, 'Location="https://128') }],
      ['with a DOCTYPE', { metadata: (h) => `<!DOCTYPE x []>${h.metadataXml()}` }],
      ['for another broker only', { metadata: (h) => h.metadataXml({ entityId: 'urn:etoegang:HM:00000003777777770000:entities:1' }) }],
    ];
    for (const [what, opts] of broken) {
      it(`is refused when ${what}: no login starts (503) and ready() is false`, async () => {
        const h = await Harness.create(opts);
        try {
          const ready = await h.face.ready();
          assert.equal(ready.ok, false);
          assert.match(ready.detail!, new RegExp(BROKER.replace(/[.:]/g, '.')));
          const res = await request(h.app).get('/start?k=abc');
          assert.equal(res.status, 503);
          assert.equal(h.failures.at(-1)!.code, 'broker-metadata-unavailable');
          assert.equal(h.failures.at(-1)!.loginKey, 'abc');
          assert.equal(res.headers['set-cookie'], undefined);
          assert.deepEqual(h.store.written, []);
        } finally {
          await h.close();
        }
      });
    }
  });
});
