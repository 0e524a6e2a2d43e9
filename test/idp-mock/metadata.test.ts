import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { N, all, kid, kids, parse, text, verifies } from './support/fakeDv.ts';
import { startHarness, type Harness } from './support/harness.ts';

describe('idp-mock: metadata', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('serves signed metadata that verifies with xml-crypto against the mock certificate', async () => {
    const res = await h.http.get('/broker/metadata/1.13');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /application\/samlmetadata\+xml/);
    const xml = res.text;
    const doc = parse(xml);
    const root = doc.documentElement!;
    assert.equal(root.localName, 'EntitiesDescriptor');
    assert.equal(root.getAttribute('cacheDuration'), 'PT1H');
    assert.ok(verifies(xml, root, h.pki.mockSigning.certPem), 'metadata signature verifies');
    // The same signature does not verify against another certificate.
    assert.equal(verifies(xml, root, h.pki.dvSaml.certPem), false);

    const sig = kid(root, N.ds, 'Signature');
    const keyInfo = kid(sig, N.ds, 'KeyInfo');
    const keyInfoKids = [...Array.from({ length: keyInfo.childNodes.length }, (_, i) => keyInfo.childNodes.item(i))].filter(
      (n) => n.nodeType === 1,
    );
    assert.deepEqual(
      keyInfoKids.map((n) => (n as Element).localName),
      ['KeyName'],
      'signature KeyInfo holds only a KeyName',
    );
    const sx = new SignedXml({ publicCert: h.pki.mockSigning.certPem, getCertFromKeyInfo: () => null });
    sx.loadSignature(sig);
    assert.equal(sx.checkSignature(xml), true);
    assert.equal(kid(kid(sig, N.ds, 'SignedInfo'), N.ds, 'SignatureMethod').getAttribute('Algorithm'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
  });

  it('describes the broker like a real eHerkenning HM', async () => {
    const xml = (await h.http.get('/broker/metadata/1.13')).text;
    const root = parse(xml).documentElement!;
    const ed = kid(root, N.md, 'EntityDescriptor');
    assert.equal(ed.getAttribute('entityID'), 'urn:etoegang:HM:00000003999999990000:entities:9632');
    assert.equal(ed.getAttributeNS('urn:etoegang:1.13:metadata-extension', 'version'), '1.13');
    const idp = kid(ed, N.md, 'IDPSSODescriptor');
    assert.equal(idp.getAttribute('WantAuthnRequestsSigned'), 'true');

    const kd = kid(idp, N.md, 'KeyDescriptor');
    assert.equal(kd.getAttribute('use'), 'signing');
    const ki = kid(kd, N.ds, 'KeyInfo');
    const der = new X509Certificate(h.pki.mockSigning.certPem).raw;
    assert.equal(text(kid(ki, N.ds, 'KeyName')), createHash('sha256').update(der).digest('hex'));
    assert.equal(text(kid(kid(ki, N.ds, 'X509Data'), N.ds, 'X509Certificate')), der.toString('base64'));

    const sso = kids(idp, N.md, 'SingleSignOnService').map((e) => [e.getAttribute('Binding'), e.getAttribute('Location')]);
    assert.deepEqual(sso, [
      ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', h.running.ssoUrl],
      ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', h.running.ssoUrl],
    ]);
    assert.match(h.running.ssoUrl, /^http:\/\/127\.0\.0\.1:\d+\/broker\/sso\/1\.13$/);
    const ars = kid(idp, N.md, 'ArtifactResolutionService');
    assert.equal(ars.getAttribute('Binding'), 'urn:oasis:names:tc:SAML:2.0:bindings:SOAP');
    assert.equal(ars.getAttribute('Location'), h.running.arsUrl);
    assert.match(h.running.arsUrl, /^https:\/\/127\.0\.0\.1:\d+\/broker\/ars\/1\.13$/);
    assert.equal(ars.getAttribute('index'), '0');
    assert.ok(all(idp, N.md, 'NameIDFormat').some((e) => text(e) === 'urn:etoegang:1.9:EntityConcernedID:Pseudo'));
  });

  it('lists personas and failure modes as JSON, and has an overview page', async () => {
    const personas = await h.http.get('/mock/personas');
    assert.ok(personas.body.length >= 4);
    const modes = await h.http.get('/mock/failure-modes');
    assert.equal(modes.body['wrong-audience'].expect, 'refuse');
    const index = await h.http.get('/');
    assert.equal(index.status, 200);
    assert.match(index.text, /<html lang="nl">/);
    assert.match(index.text, /wrong-audience/);
  });
});
