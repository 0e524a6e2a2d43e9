// The gateway verifies eHerkenning signatures itself (SignatureVerifier.ts, for speed), from
// xml-crypto's canonicaliser and node:crypto. Here xml-crypto's own SignedXml.checkSignature is
// the oracle: on a corpus of valid and tampered answers it must reach the same verdict, and when
// both accept, hand back byte-for-byte the same signed XML. The DOM the verifier works on must be
// exactly as it was afterwards, accepted or refused.
// @peculiar/x509 (the EC certificate below) needs the Reflect metadata API before it loads.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { webcrypto, sign as cryptoSign, verify as cryptoVerify, createPrivateKey, createPublicKey } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { BrokerRejection } from '../../gateway/src/broker/BrokerRejection.ts';
import { trustedCertFromPem, type TrustedCert } from '../../gateway/src/broker/Certificates.ts';
import { canonicalElement } from '../../gateway/src/broker/ExclusiveCanonicalForm.ts';
import { verifyEnvelopedSignature } from '../../gateway/src/broker/SignatureVerifier.ts';
import { MESSAGE_LIMITS, parseXml } from '../../gateway/src/broker/XmlGuard.ts';
import { buildGolden, NS, signElement, type GoldenOptions, type SignChoice } from '../support/saml/golden.ts';
import { goldenOptions, SP_ENTITY, T0 } from '../support/saml/harness.ts';
import { testPki, type Identity, type TestPki } from '../support/saml/pki.ts';

type Verdict = { ok: true; canon: string } | { ok: false; why: string };

function findById(doc: Document, id: string): Element {
  const stack: Element[] = [doc.documentElement];
  while (stack.length > 0) {
    const el = stack.pop()!;
    if (el.getAttribute('ID') === id) return el;
    for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) stack.push(c as Element);
  }
  throw new Error(`no element with ID ${id}`);
}

function ours(xml: string, id: string, certs: TrustedCert[]): Verdict & { domChanged: boolean } {
  const doc = parseXml(xml, MESSAGE_LIMITS);
  const before = new XMLSerializer().serializeToString(doc);
  let verdict: Verdict;
  try {
    verdict = { ok: true, canon: verifyEnvelopedSignature(findById(doc, id), { certs, now: T0, limits: MESSAGE_LIMITS }).signedXml };
  } catch (e) {
    if (!(e instanceof BrokerRejection)) throw e;
    // The corpus only holds signatures of the accepted shape: a refusal must be cryptographic.
    assert.equal(e.code, 'signature-invalid', `refused for its shape: ${e.code} ${JSON.stringify(e.detail)}`);
    verdict = { ok: false, why: JSON.stringify(e.detail) };
  }
  return { ...verdict, domChanged: new XMLSerializer().serializeToString(doc) !== before };
}

function xmlCrypto(xml: string, id: string, certPem: string): Verdict {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const el = findById(doc, id);
  const signature = Array.from(el.childNodes).find(
    (n) => n.nodeType === 1 && (n as Element).localName === 'Signature' && (n as Element).namespaceURI === NS.ds,
  ) as Element;
  const sig = new SignedXml({ publicCert: certPem, getCertFromKeyInfo: () => null });
  try {
    sig.loadSignature(signature);
    if (sig.checkSignature(xml) !== true) return { ok: false, why: 'checkSignature false' };
    const refs = sig.getSignedReferences();
    assert.equal(refs.length, 1);
    return { ok: true, canon: refs[0]! };
  } catch (e) {
    return { ok: false, why: (e as Error).message };
  }
}

describe('broker face: our signature check against xml-crypto SignedXml', () => {
  let pki: TestPki;
  before(async () => {
    pki = await testPki();
  });

  /** An answer whose ArtifactResponse is signed inside the SOAP envelope, so ancestor bindings exist. */
  const signedInEnvelope = (pki: TestPki, choice: SignChoice): { xml: string; arId: string; assertionId: string } => {
    const g = buildGolden(goldenOptions(pki, { signArtifactResponse: null }));
    return { xml: signElement(g.xml, g.artifactResponseId, choice), arId: g.artifactResponseId, assertionId: g.assertionId };
  };

  const replaceIn = (xml: string, from: string | RegExp, to: string): string => {
    const out = xml.replace(from, to);
    assert.notEqual(out, xml, `mutation did not apply: ${String(from)}`);
    return out;
  };

  interface Case {
    what: string;
    expect: 'accept' | 'refuse';
    build: (pki: TestPki) => { xml: string; ids: string[] };
    signer?: (pki: TestPki) => Identity;
  }
  const golden = (extra: (pki: TestPki) => Partial<GoldenOptions>) => (pki: TestPki) => {
    const g = buildGolden(goldenOptions(pki, extra(pki)));
    return { xml: g.xml, ids: [g.artifactResponseId, g.assertionId] };
  };

  const cases: Case[] = [
    { what: 'the plain answer', expect: 'accept', build: golden(() => ({})) },
    { what: 'KeyInfo with the certificate', expect: 'accept', build: golden((p) => ({ signAssertion: { key: p.brokerSigning, keyInfo: 'x509' }, signArtifactResponse: { key: p.brokerSigning, keyInfo: 'x509' } })) },
    { what: 'no KeyInfo', expect: 'accept', build: golden((p) => ({ signAssertion: { key: p.brokerSigning, keyInfo: 'none' }, signArtifactResponse: { key: p.brokerSigning, keyInfo: 'none' } })) },
    { what: 'RSA-SHA512 with SHA-512 digests', expect: 'accept', build: golden((p) => ({
      signAssertion: { key: p.brokerSigning, signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512', digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha512' },
      signArtifactResponse: { key: p.brokerSigning, signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512', digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha512' },
    })) },
    { what: 'InclusiveNamespaces PrefixList (xs; xs saml)', expect: 'accept', build: golden((p) => ({
      signAssertion: { key: p.brokerSigning, inclusivePrefixes: ['xs'] },
      signArtifactResponse: { key: p.brokerSigning, inclusivePrefixes: ['xs', 'saml'] },
    })) },
    { what: 'a PrefixList naming a binding of an ancestor (soap), signed in place', expect: 'accept', build: (p) => {
      const s = signedInEnvelope(p, { key: p.brokerSigning, inclusivePrefixes: ['soap', 'xs'] });
      return { xml: s.xml, ids: [s.arId] };
    } },
    { what: 'that ancestor binding changed after signing', expect: 'refuse', build: (p) => {
      const s = signedInEnvelope(p, { key: p.brokerSigning, inclusivePrefixes: ['soap'] });
      return { xml: replaceIn(s.xml, `xmlns:soap="${NS.soap}"`, 'xmlns:soap="urn:x-other"').replace(/soap:/g, 'soap:'), ids: [s.arId] };
    } },
    { what: 'an unused declaration changed after signing (not covered without a PrefixList)', expect: 'accept', build: golden(() => ({
      afterSign: (xml) => replaceIn(xml, `xmlns:xs="${NS.xs}"`, 'xmlns:xs="urn:x-other"'),
    })) },
    { what: 'an unused declaration changed after signing, with xs in the PrefixList', expect: 'refuse', build: golden((p) => ({
      signAssertion: { key: p.brokerSigning, inclusivePrefixes: ['xs'] },
      afterSign: (xml) => replaceIn(xml, `xmlns:xs="${NS.xs}"`, 'xmlns:xs="urn:x-other"'),
    })) },
    { what: 'comments in and around the signed elements', expect: 'accept', build: golden(() => ({
      afterSign: (xml) => replaceIn(replaceIn(xml, '<soap:Body>', '<!-- a --><soap:Body><!-- b -->'), '<saml:Conditions', '<!-- c --><saml:Conditions'),
    })) },
    { what: 'CDATA around the Audience', expect: 'accept', build: golden(() => ({
      afterSign: (xml) => replaceIn(xml, /(<saml:Audience>)([^<]+)(<\/saml:Audience>)/, '$1<![CDATA[$2]]>$3'),
    })) },
    // The ArtifactResponse's own SignatureValue (the first in the document) is signed by nothing.
    { what: 'line breaks in the outer SignatureValue (not covered by any signature)', expect: 'accept', build: golden(() => ({
      afterSign: (xml) => replaceIn(xml, /(<ds:SignatureValue>)([A-Za-z0-9+/]{64})([A-Za-z0-9+/]{64})/, '$1$2\r\n$3\n'),
    })) },
    { what: 'a line break added to a DigestValue (inside SignedInfo)', expect: 'refuse', build: golden(() => ({
      afterSign: (xml) => replaceIn(xml, /(<ds:DigestValue>)([A-Za-z0-9+/]{10})/g, '$1$2\n'),
    })) },
    { what: 'the Audience changed after signing', expect: 'refuse', build: golden(() => ({
      afterSign: (xml) => replaceIn(xml, `<saml:Audience>${SP_ENTITY}`, '<saml:Audience>urn:x-evil'),
    })) },
    { what: 'an attribute added to the Assertion after signing', expect: 'refuse', build: golden(() => ({
      afterSign: (xml) => replaceIn(xml, '<saml:Assertion ', '<saml:Assertion Extra="1" '),
    })) },
    { what: 'a text node split by an element after signing', expect: 'refuse', build: golden(() => ({
      afterSign: (xml) => replaceIn(xml, `<saml:Audience>${SP_ENTITY}`, `<saml:Audience><x:y xmlns:x="urn:x"/>${SP_ENTITY}`),
    })) },
    { what: 'a DigestValue changed', expect: 'refuse', build: golden(() => ({
      afterSign: (xml) => xml.replace(/<ds:DigestValue>([A-Za-z0-9+/])/g, (_m, c: string) => `<ds:DigestValue>${c === 'A' ? 'B' : 'A'}`),
    })) },
    { what: 'a SignatureValue changed', expect: 'refuse', build: golden(() => ({
      afterSign: (xml) => xml.replace(/<ds:SignatureValue>([A-Za-z0-9+/])/g, (_m, c: string) => `<ds:SignatureValue>${c === 'A' ? 'B' : 'A'}`),
    })) },
    { what: 'the SignedInfo changed (DigestMethod prefix redeclared)', expect: 'refuse', build: golden(() => ({
      afterSign: (xml) => xml.replace(/<ds:SignedInfo>/g, '<ds:SignedInfo xmlns:q="urn:x" q:a="1">'),
    })) },
    { what: 'signed by a key that is not trusted', expect: 'refuse', build: golden((p) => ({ signAssertion: { key: p.untrusted }, signArtifactResponse: { key: p.untrusted } })) },
    { what: 'a trusted signature, checked with another trusted-looking key', expect: 'refuse', build: golden(() => ({})), signer: (p) => p.untrusted },
  ];

  for (const c of cases) {
    it(`${c.expect === 'accept' ? 'accepts' : 'refuses'} ${c.what}, as SignedXml does, and leaves the DOM as it was`, () => {
      const { xml, ids } = c.build(pki);
      const signer = (c.signer ?? ((p: TestPki) => p.brokerSigning))(pki);
      const certs = [trustedCertFromPem(signer.certPem)];
      let refusedSomewhere = false;
      for (const id of ids) {
        const mine = ours(xml, id, certs);
        const theirs = xmlCrypto(xml, id, signer.certPem);
        assert.equal(mine.domChanged, false, 'the verifier changed the document');
        assert.equal(mine.ok, theirs.ok, `verdicts differ for ${id}: ours ${JSON.stringify(mine)} xml-crypto ${JSON.stringify(theirs)}`);
        if (mine.ok && theirs.ok) assert.equal(mine.canon, theirs.canon, 'signed bytes differ');
        if (!mine.ok) refusedSomewhere = true;
      }
      assert.equal(refusedSomewhere, c.expect === 'refuse');
    });
  }

  describe('refusals of our own that SignedXml does not make', () => {
    it('refuses a SignatureValue that is not base64 (Node would skip the junk)', () => {
      const g = buildGolden(goldenOptions(pki));
      const xml = replaceIn(g.xml, /(<ds:SignatureValue>[A-Za-z0-9+/]{20})/, '$1*');
      const certs = [trustedCertFromPem(pki.brokerSigning.certPem)];
      const mine = ours(xml, g.artifactResponseId, certs);
      assert.equal(mine.ok, false);
      assert.match(mine.ok ? '' : mine.why, /not base64/);
      assert.equal(mine.domChanged, false);
    });

    it('refuses an ECDSA signature under an rsa-sha256 SignatureMethod, even from a trusted EC certificate', async () => {
      const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
      const kp = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        name: 'CN=EC broker',
        keys: kp,
        notBefore: new Date(Date.UTC(2020, 0, 1)),
        notAfter: new Date(Date.UTC(2040, 0, 1)),
        signingAlgorithm: alg,
      });
      const ecKey = createPrivateKey({ key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', kp.privateKey)), format: 'der', type: 'pkcs8' });
      // Loading refuses such a certificate in the first place …
      assert.throws(() => trustedCertFromPem(cert.toString('pem')), /not an RSA key/);
      // … and the verifier refuses its key too, should one ever get into the trusted list.
      const rsaShaped = trustedCertFromPem(pki.brokerSigning.certPem);
      const ecCert: TrustedCert = { ...rsaShaped, pem: cert.toString('pem'), publicKey: createPublicKey(cert.toString('pem')) };
      // An RSA-signed answer whose SignatureValue is replaced by an ECDSA signature of its SignedInfo.
      const g = buildGolden(goldenOptions(pki));
      const doc = parseXml(g.xml, MESSAGE_LIMITS);
      const ar = findById(doc, g.artifactResponseId);
      const signedInfo = ar.getElementsByTagNameNS(NS.ds, 'SignedInfo').item(0)!;
      const ecdsa = cryptoSign('sha256', Buffer.from(canonicalElement(signedInfo)), ecKey);
      // Without the key-type check node:crypto would accept it: that is what this test guards.
      assert.equal(cryptoVerify('sha256', Buffer.from(canonicalElement(signedInfo)), ecCert.publicKey!, ecdsa), true);
      const sv = ar.getElementsByTagNameNS(NS.ds, 'SignatureValue').item(0)!;
      sv.textContent = ecdsa.toString('base64');
      assert.throws(
        () => verifyEnvelopedSignature(ar, { certs: [ecCert], now: T0, limits: MESSAGE_LIMITS }),
        (e: unknown) => e instanceof BrokerRejection && e.code === 'signature-invalid',
      );
    });

    it('refuses when another element carries the same ID (a document that did not pass XmlGuard)', () => {
      const g = buildGolden(goldenOptions(pki));
      // Plain DOMParser: XmlGuard would have refused the duplicate at parse time.
      const doc = new DOMParser().parseFromString(
        g.xml.replace('<soap:Body>', `<soap:Header><x:y xmlns:x="urn:x" Id="${g.assertionId}"/></soap:Header><soap:Body>`),
        'text/xml',
      );
      const assertion = findById(doc, g.assertionId);
      assert.throws(
        () => verifyEnvelopedSignature(assertion, { certs: [trustedCertFromPem(pki.brokerSigning.certPem)], now: T0, limits: MESSAGE_LIMITS }),
        (e: unknown) => e instanceof BrokerRejection && e.code === 'signature-reference-invalid',
      );
    });
  });
});
