// The complete happy path: AuthnRequest → artifact → ArtifactResolve over mutual TLS →
// signatures → decryption → EherkenningIdentity.
import assert from 'node:assert/strict';
import { SignedXml } from 'xml-crypto';
import { Harness, BROKER, SERVICE_ID, SERVICE_UUID, SP_ENTITY, makeArtifact } from '../support/saml/harness.ts';
import { PSEUDONYM, parse, NS } from '../support/saml/golden.ts';

describe('broker face: happy path', function () {
  let h: Harness;
  before(async () => {
    h = await Harness.create();
  });
  after(async () => h?.close());

  it('accepts a conforming broker answer and hands over the identity', async () => {
    const out = await h.login({ vestigingsnr: '000012345678' });
    assert.equal(out.failure, null, JSON.stringify(out.failure));
    assert.equal(out.status, 200);
    const id = out.identity!;
    assert.equal(out.loginKey, 'login-1');
    assert.equal(id.pseudonym, PSEUDONYM);
    assert.deepEqual(id.legalSubjects, [{ type: 'KvKnr', value: '12345678', qualifier: 'urn:etoegang:1.9:EntityConcernedID:KvKnr' }]);
    assert.equal(id.level, 'urn:etoegang:core:assurance-class:loa3');
    assert.equal(id.serviceId, SERVICE_ID);
    assert.equal(id.serviceUuid, SERVICE_UUID);
    assert.equal(id.vestigingsnummer, '000012345678');
    assert.equal(id.broker, BROKER);
    assert.ok(id.sessionNotOnOrAfter! > h.clock.now());
    assert.equal(id.authenticatingAuthority, 'urn:etoegang:AD:00000009999999990000:entities:9001');
    assert.equal(out.headers['cache-control'], 'no-cache, no-store');
    assert.equal(out.headers['pragma'], 'no-cache');
    // The back channel: mutual TLS with our client cert, signed ArtifactResolve, text/xml.
    const call = h.server.calls.at(-1)!;
    assert.equal(call.clientCertSubject, 'Mijn DUO back channel');
    assert.equal(call.signatureValid, true);
    assert.match(call.contentType, /^text\/xml/);
    assert.equal(call.destination, h.server.url);
    assert.ok(!h.log.includes(PSEUDONYM), 'pseudonym must never be logged');
  });

  it('builds a signed AuthnRequest with the eHerkenning attributes', async () => {
    const s = await h.begin('k-2');
    const doc = parse(s.samlRequestXml);
    const r = doc.documentElement;
    assert.equal(r.localName, 'AuthnRequest');
    assert.equal(r.getAttribute('ForceAuthn'), 'true');
    assert.equal(r.getAttribute('IsPassive'), 'false');
    assert.equal(r.getAttribute('AttributeConsumingServiceIndex'), '1');
    assert.equal(r.getAttribute('AssertionConsumerServiceIndex'), '0');
    assert.equal(r.getAttribute('Destination'), 'https://broker.test/broker/sso/1.13');
    assert.equal(r.hasAttribute('ProtocolBinding'), false);
    assert.equal(r.getElementsByTagNameNS(NS.saml, 'Issuer')[0]!.textContent, SP_ENTITY);
    const rac = r.getElementsByTagNameNS(NS.samlp, 'RequestedAuthnContext')[0]!;
    assert.equal(rac.getAttribute('Comparison'), 'minimum');
    assert.equal(rac.textContent, 'urn:etoegang:core:assurance-class:loa3');
    const sigEl = r.getElementsByTagNameNS(NS.ds, 'Signature')[0]!;
    assert.equal(sigEl.getElementsByTagNameNS(NS.ds, 'SignatureMethod')[0]!.getAttribute('Algorithm'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    assert.equal(sigEl.getElementsByTagNameNS(NS.ds, 'KeyName')[0]!.textContent, h.pki.spActive.sha256);
    assert.equal(sigEl.getElementsByTagNameNS(NS.ds, 'X509Data').length, 0);
    const sig = new SignedXml({ publicCert: h.pki.spActive.certPem });
    sig.loadSignature(sigEl);
    assert.equal(sig.checkSignature(s.samlRequestXml), true);
    // RelayState: opaque, ≤ 80 bytes, never a URL.
    assert.ok(s.relayState.length <= 80);
    assert.doesNotMatch(s.relayState, /[:/]/);
    assert.match(s.cookie, /mijnduo_saml=/);
  });

  it('sets a browser-binding cookie scoped to /saml, HttpOnly, SameSite=Lax', async () => {
    const res = await (await import('supertest')).default(h.app).get('/start?k=x');
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    assert.equal(cookies.length, 1);
    assert.match(cookies[0]!, /Path=\/saml/);
    assert.match(cookies[0]!, /HttpOnly/);
    assert.match(cookies[0]!, /SameSite=Lax/);
    assert.doesNotMatch(cookies[0]!, /Secure/);
    assert.equal(res.headers['cache-control'], 'no-cache, no-store');
    assert.match(String(res.headers['content-security-policy']), /form-action https:\/\/broker\.test/);
  });

  it('accepts the artifact by POST as well as by GET', async () => {
    const out = await h.login({}, { method: 'POST' });
    assert.equal(out.failure, null, JSON.stringify(out.failure));
    assert.ok(out.identity);
  });

  it('writes exactly the replay-cache keys on success', async () => {
    const out = await h.login();
    assert.equal(out.written.length, 2);
    assert.ok(out.written.every((k) => /^saml:(asn|art):[0-9a-f]{64}$/.test(k)));
  });

  it('knows nothing of artifacts from an unknown issuer', async () => {
    const s = await h.begin();
    const out = await h.acs({ artifact: makeArtifact('urn:etoegang:HM:00000000000000000000:entities:1'), relayState: s.relayState, cookie: s.cookie });
    assert.equal(out.failure?.code, 'artifact-source-unknown');
  });
});
