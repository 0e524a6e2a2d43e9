// The gateway signs its own messages (XmlSigner.ts) from xml-crypto's canonicaliser and
// node:crypto. xml-crypto's SignedXml, configured the way the gateway used it before, is the
// oracle: for every kind of message we sign, the output must be byte-for-byte the same (RSA
// PKCS#1 v1.5 is deterministic, so the SignatureValue too), and both SignedXml and our own
// verifier must accept it with our certificate, and refuse it once a signed byte changes.
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { buildArtifactResolve } from '../../gateway/src/broker/ArtifactResolver.ts';
import { buildAuthnRequest } from '../../gateway/src/broker/AuthnRequestBuilder.ts';
import { BrokerRejection } from '../../gateway/src/broker/BrokerRejection.ts';
import { trustedCertFromPem } from '../../gateway/src/broker/Certificates.ts';
import { ALG, NS } from '../../gateway/src/broker/constants.ts';
import { buildServiceCatalogue } from '../../gateway/src/broker/ServiceCatalogue.ts';
import { verifyEnvelopedSignature } from '../../gateway/src/broker/SignatureVerifier.ts';
import { buildSpMetadata } from '../../gateway/src/broker/SpMetadata.ts';
import { MESSAGE_LIMITS, parseXml } from '../../gateway/src/broker/XmlGuard.ts';
import { signXml, type SignOptions, type SigningKey } from '../../gateway/src/broker/XmlSigner.ts';
import { SP_ENTITY, T0 } from '../support/saml/harness.ts';
import { serviceCatalogueInput, spMetadataInput } from '../support/saml/spDocuments.ts';
import { testPki, type TestPki } from '../support/saml/pki.ts';

/** The gateway's signer as it was, on SignedXml: the reference output. */
function signedXmlReference(xml: string, signer: SigningKey, opts: SignOptions): string {
  const sig = new SignedXml({
    privateKey: signer.key,
    signatureAlgorithm: ALG.rsaSha256,
    canonicalizationAlgorithm: ALG.excC14n,
    getKeyInfoContent: ({ prefix } = {}) => {
      const p = prefix ? `${prefix}:` : '';
      const body = signer.certPem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
      return opts.keyInfo === 'keyname'
        ? `<${p}KeyName>${signer.keyName}</${p}KeyName>`
        : `<${p}X509Data><${p}X509Certificate>${body}</${p}X509Certificate></${p}X509Data>`;
    },
  });
  sig.addReference({ xpath: '/*', transforms: [ALG.enveloped, ALG.excC14n], digestAlgorithm: ALG.sha256 });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: opts.placement === 'after-issuer' ? { reference: "/*/*[local-name(.)='Issuer']", action: 'after' } : { reference: '/*', action: 'prepend' },
  });
  return sig.getSignedXml();
}

function signedXmlAccepts(xml: string, certPem: string): boolean {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const signature = Array.from(doc.documentElement.childNodes).find(
    (n) => n.nodeType === 1 && (n as Element).localName === 'Signature' && (n as Element).namespaceURI === NS.ds,
  ) as Element;
  const sig = new SignedXml({ publicCert: certPem, getCertFromKeyInfo: () => null });
  sig.loadSignature(signature);
  try {
    return sig.checkSignature(xml);
  } catch {
    return false;
  }
}

function oursAccepts(xml: string, certPem: string): boolean {
  const doc = parseXml(xml, { ...MESSAGE_LIMITS, maxAttributesPerElement: 48 });
  try {
    verifyEnvelopedSignature(doc.documentElement, { certs: [trustedCertFromPem(certPem)], now: T0, limits: MESSAGE_LIMITS });
    return true;
  } catch (e) {
    if (e instanceof BrokerRejection) return false;
    throw e;
  }
}

describe('broker face: our XML signer against xml-crypto SignedXml', () => {
  let pki: TestPki;
  let signer: SigningKey;
  before(async () => {
    pki = await testPki();
    signer = { key: createPrivateKey(pki.spActive.keyPem), certPem: pki.spActive.certPem, keyName: pki.spActive.sha256 };
  });

  const messages: Array<{ what: string; opts: SignOptions; xml: () => string }> = [
    {
      what: 'an AuthnRequest (KeyName, after the Issuer; escaped characters in Destination)',
      opts: { placement: 'after-issuer', keyInfo: 'keyname' },
      xml: () =>
        buildAuthnRequest({
          id: '_a1b2c3',
          now: T0,
          destination: "https://broker.example/sso?x=1&y='2'&z=<3>",
          issuer: SP_ENTITY,
          attributeConsumingServiceIndex: 1,
          assertionConsumerServiceIndex: 0,
          level: 'urn:etoegang:core:assurance-class:loa3',
        }),
    },
    {
      what: 'an ArtifactResolve',
      opts: { placement: 'after-issuer', keyInfo: 'keyname' },
      xml: () => buildArtifactResolve({ id: '_r1', now: T0, destination: 'https://127.0.0.1:8443/ars', issuer: SP_ENTITY, artifact: 'AAQAAB+/c2FtbA==' }),
    },
    {
      what: 'a message with text, whitespace and an XML declaration (certificate, first child)',
      opts: { placement: 'first-child', keyInfo: 'x509' },
      xml: () =>
        `<?xml version="1.0" encoding="UTF-8"?>\n<p:Root xmlns:p="urn:x-p" xmlns:q="urn:x-q" ID="_m1" b="2" a="1">\n  <p:Issuer>me &amp; you</p:Issuer>\n  <q:Item q:attr="x" xml:lang="nl">tekst &lt;met&gt; tekens</q:Item>\n</p:Root>`,
    },
  ];

  for (const m of messages) {
    it(`signs ${m.what} exactly as SignedXml does, and both verifiers accept it`, () => {
      const xml = m.xml();
      const ours = signXml(xml, signer, m.opts);
      assert.equal(ours, signedXmlReference(xml, signer, m.opts));
      assert.equal(signedXmlAccepts(ours, pki.spActive.certPem), true);
      assert.equal(oursAccepts(ours, pki.spActive.certPem), true);
      // A different key is not our key.
      assert.equal(oursAccepts(ours, pki.spOther.certPem), false);
    });
  }

  it('signs SP metadata and the dienstcatalogus exactly as SignedXml does', () => {
    // The builders sign with a random ID; take their message without its signature and sign that.
    const capture = (build: (k: SigningKey) => string): { ours: string; reference: string } => {
      const doc = new DOMParser().parseFromString(build(signer), 'text/xml');
      const signature = doc.getElementsByTagNameNS(NS.ds, 'Signature')[0]!;
      assert.equal(signature.parentNode, doc.documentElement);
      assert.equal(signature.getElementsByTagNameNS(NS.ds, 'X509Data').length, 1);
      signature.parentNode!.removeChild(signature);
      const input = doc.documentElement.toString();
      const opts: SignOptions = { placement: 'first-child', keyInfo: 'x509' };
      return { ours: signXml(input, signer, opts), reference: signedXmlReference(input, signer, opts) };
    };
    const metadata = capture((k) => buildSpMetadata(spMetadataInput(), k));
    assert.equal(metadata.ours, metadata.reference);
    assert.equal(signedXmlAccepts(metadata.ours, pki.spActive.certPem), true);
    const catalogue = capture((k) => buildServiceCatalogue(serviceCatalogueInput(), k));
    assert.equal(catalogue.ours, catalogue.reference);
    assert.equal(signedXmlAccepts(catalogue.ours, pki.spActive.certPem), true);
  });

  it('a changed signed byte fails both verifiers; our signature is over the canonical form', () => {
    const xml = buildArtifactResolve({ id: '_r2', now: T0, destination: 'https://127.0.0.1:8443/ars', issuer: SP_ENTITY, artifact: 'AAQAAB+/c2FtbA==' });
    const ours = signXml(xml, signer, { placement: 'after-issuer', keyInfo: 'keyname' });
    const tampered = ours.replace('AAQAAB+/c2FtbA==', 'AAQAAB+/c2FtbB==');
    assert.notEqual(tampered, ours);
    assert.equal(signedXmlAccepts(tampered, pki.spActive.certPem), false);
    assert.equal(oursAccepts(tampered, pki.spActive.certPem), false);
    // Attribute order and quoting do not matter to exclusive c14n: a reordered copy still verifies.
    const reordered = ours.replace(/ Version="2.0"/, '').replace('<samlp:ArtifactResolve ', "<samlp:ArtifactResolve Version='2.0' ");
    assert.notEqual(reordered, ours);
    assert.equal(oursAccepts(reordered, pki.spActive.certPem), true);
  });

  it('refuses to sign what it cannot sign soundly', () => {
    const opts: SignOptions = { placement: 'after-issuer', keyInfo: 'keyname' };
    assert.throws(() => signXml('<a ID="_1"><b>', signer, opts), /not well-formed/);
    assert.throws(() => signXml('<a><Issuer/></a>', signer, opts), /needs an ID/);
    assert.throws(() => signXml('<a ID="x y"><Issuer/></a>', signer, opts), /needs an ID/);
    assert.throws(() => signXml('<a ID="_1"><b/></a>', signer, opts), /no Issuer/);
  });
});
