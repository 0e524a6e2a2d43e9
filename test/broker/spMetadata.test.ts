// Rule 10: SP metadata and dienstcatalogus as brokers want them; the Redirect binding.
import assert from 'node:assert/strict';
import { createVerify } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import request from 'supertest';
import { SignedXml } from 'xml-crypto';
import { Harness, SERVICE_ID, SERVICE_UUID, SP_ENTITY } from '../support/saml/harness.ts';
import { parse } from '../support/saml/golden.ts';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const ESC = 'urn:etoegang:1.13:service-catalog';

function children(el: Element): Element[] {
  const out: Element[] = [];
  for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) out.push(c as Element);
  return out;
}

function verifySignedRoot(xml: string, certPem: string): void {
  const doc = parse(xml);
  const root = doc.documentElement;
  const sigEl = children(root)[0]!;
  assert.equal(sigEl.localName, 'Signature', 'the signature is the first child');
  const sig = new SignedXml({ publicCert: certPem });
  sig.loadSignature(sigEl);
  assert.equal(sig.checkSignature(xml), true);
  const refs = sig.getReferences();
  assert.equal(refs.length, 1);
  assert.equal(refs[0]!.uri, `#${root.getAttribute('ID')}`);
  assert.equal(sigEl.getElementsByTagNameNS(DS, 'SignatureMethod')[0]!.getAttribute('Algorithm'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
}

describe('broker face: SP metadata, dienstcatalogus, Redirect binding', function () {
  let h: Harness;
  before(async () => {
    h = await Harness.create();
  });
  after(async () => h?.close());

  it('serves signed SP metadata with exactly what eHerkenning brokers ask for', async () => {
    const res = await request(h.app).get('/saml/metadata');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^application\/samlmetadata\+xml/);
    const xml = res.text;
    verifySignedRoot(xml, h.pki.spActive.certPem);
    const ed = parse(xml).documentElement;
    assert.equal(ed.localName, 'EntityDescriptor');
    assert.equal(ed.getAttribute('entityID'), SP_ENTITY);
    assert.deepEqual(children(ed).map((c) => c.localName), ['Signature', 'SPSSODescriptor', 'Organization', 'ContactPerson', 'ContactPerson']);
    const sp = children(ed)[1]!;
    assert.equal(sp.getAttribute('AuthnRequestsSigned'), 'true');
    assert.equal(sp.getAttribute('WantAssertionsSigned'), 'true');
    assert.equal(sp.getAttribute('protocolSupportEnumeration'), 'urn:oasis:names:tc:SAML:2.0:protocol');
    const kds = sp.getElementsByTagNameNS(MD, 'KeyDescriptor');
    assert.equal(kds.length, 1, 'one certificate');
    assert.equal(kds[0]!.hasAttribute('use'), false, 'no use attribute');
    assert.equal(kds[0]!.getElementsByTagNameNS(DS, 'KeyName')[0]!.textContent, h.pki.spActive.sha256);
    assert.equal(sp.getElementsByTagNameNS(MD, 'NameIDFormat').length, 0, 'no NameIDFormat');
    const acs = sp.getElementsByTagNameNS(MD, 'AssertionConsumerService');
    assert.equal(acs.length, 1);
    assert.equal(acs[0]!.getAttribute('Binding'), 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact');
    assert.equal(acs[0]!.getAttribute('Location'), h.acsUrl);
    assert.equal(acs[0]!.getAttribute('index'), '0');
    assert.equal(acs[0]!.getAttribute('isDefault'), 'true');
    const acsvc = sp.getElementsByTagNameNS(MD, 'AttributeConsumingService')[0]!;
    assert.equal(acsvc.getAttribute('index'), '1');
    assert.deepEqual(Array.from(acsvc.getElementsByTagNameNS(MD, 'ServiceName')).map((n) => n.getAttribute('xml:lang')), ['nl', 'en']);
    const requested = Array.from(acsvc.getElementsByTagNameNS(MD, 'RequestedAttribute')).map((r) => r.getAttribute('Name'));
    assert.deepEqual(requested, [SERVICE_ID], 'only the ServiceID; no identifying attributes');
    const contacts = Array.from(ed.getElementsByTagNameNS(MD, 'ContactPerson')).map((c) => c.getAttribute('contactType'));
    assert.deepEqual(contacts, ['technical', 'administrative']);
  });

  it('serves a signed dienstcatalogus in the 1.13 service-catalog namespace and XSD order', async () => {
    const res = await request(h.app).get('/saml/dienstcatalogus');
    assert.equal(res.status, 200);
    verifySignedRoot(res.text, h.pki.spActive.certPem);
    const root = parse(res.text).documentElement;
    assert.equal(root.namespaceURI, ESC);
    assert.equal(root.localName, 'ServiceCatalogue');
    assert.match(root.getAttributeNS(ESC, 'Version') ?? '', /^urn:etoegang:1\.13:service-catalogue:T:\d+$/);
    assert.match(root.getAttributeNS(ESC, 'IssueInstant') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const provider = children(root)[1]!;
    assert.deepEqual(children(provider).map((c) => c.localName), ['ServiceProviderID', 'OrganizationDisplayName', 'OrganizationDisplayName', 'ServiceDefinition', 'ServiceInstance']);
    assert.equal(children(provider)[0]!.textContent, '00000001234567890000');
    const def = children(provider)[3]!;
    assert.deepEqual(children(def).map((c) => c.localName), [
      'ServiceUUID', 'ServiceName', 'ServiceName', 'ServiceDescription', 'ServiceDescription', 'AuthnContextClassRef',
      'HerkenningsmakelaarId', 'EntityConcernedTypesAllowed', 'EntityConcernedTypesAllowed', 'EntityConcernedTypesAllowed', 'ServiceRestrictionsAllowed',
    ]);
    assert.equal(children(def)[0]!.textContent, SERVICE_UUID);
    assert.equal(children(def)[5]!.textContent, 'urn:etoegang:core:assurance-class:loa3');
    assert.equal(children(def)[6]!.textContent, '00000003999999990000');
    const inst = children(provider)[4]!;
    assert.deepEqual(children(inst).map((c) => c.localName), [
      'ServiceID', 'ServiceUUID', 'InstanceOfService', 'ServiceURL', 'ServiceURL', 'HerkenningsmakelaarId', 'SSOSupport', 'ServiceCertificate',
    ]);
    assert.equal(children(inst)[0]!.textContent, SERVICE_ID);
    const kd = inst.getElementsByTagNameNS(MD, 'KeyDescriptor')[0]!;
    assert.equal(kd.getAttribute('use'), 'encryption');
  });

  it('sends the AuthnRequest with the Redirect binding when configured (DEFLATE + query signature)', async () => {
    const r = await Harness.create({ requestBinding: 'Redirect' });
    try {
      const res = await request(r.app).get('/start?k=redir');
      assert.equal(res.status, 302);
      assert.equal(res.headers['cache-control'], 'no-cache, no-store');
      const location = new URL(res.headers.location!);
      assert.equal(`${location.origin}${location.pathname}`, 'https://broker.test/broker/sso/1.13/redirect');
      const raw = location.search.slice(1);
      const signed = raw.slice(0, raw.indexOf('&Signature='));
      const signature = decodeURIComponent(raw.slice(raw.indexOf('&Signature=') + 11));
      assert.equal(location.searchParams.get('SigAlg'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
      assert.ok(createVerify('RSA-SHA256').update(signed).verify(r.pki.spActive.certPem, signature, 'base64'));
      const xml = inflateRawSync(Buffer.from(location.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
      const req = parse(xml).documentElement;
      assert.equal(req.localName, 'AuthnRequest');
      assert.equal(req.getAttribute('Destination'), 'https://broker.test/broker/sso/1.13/redirect');
      assert.equal(req.getElementsByTagNameNS(DS, 'Signature').length, 0, 'no enveloped signature in the Redirect binding');
      assert.equal(location.searchParams.get('RelayState')!.length, 32);
      assert.match(String(res.headers['set-cookie']), /mijnduo_saml=/);
    } finally {
      await r.close();
    }
  });

  it('sets Secure cookies (and a SameSite=None twin for cross-site POSTs) on https', async () => {
    const s = await Harness.create({ publicUrl: 'https://gw.example' });
    try {
      const res = await request(s.app).get('/start?k=tls');
      const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
      assert.equal(cookies.length, 2);
      assert.match(cookies[0]!, /SameSite=Lax; Secure/);
      assert.match(cookies[1]!, /mijnduo_saml_x=.*SameSite=None; Secure/);
    } finally {
      await s.close();
    }
  });
});
