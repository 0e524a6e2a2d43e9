// Rules 1–3 end to end: integrity after signing, the eight XML signature wrapping shapes of the
// literature (adapted to ArtifactResponse → Response → Assertion), untrusted keys, certificates
// in KeyInfo, SHA-1, comments and CDATA, DOCTYPE/entities and XML bombs.
import assert from 'node:assert/strict';
import { Harness, SERVICE_ID } from '../support/saml/harness.ts';
import { assertRefused } from '../support/saml/expect.ts';
import { NS, SIG, newId, parse, serialize, type GoldenOptions } from '../support/saml/golden.ts';

function kids(el: Element, ns: string, local: string): Element[] {
  const out: Element[] = [];
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 1 && (c as Element).namespaceURI === ns && (c as Element).localName === local) out.push(c as Element);
  }
  return out;
}
const kid = (el: Element, ns: string, local: string): Element => {
  const k = kids(el, ns, local)[0];
  if (!k) throw new Error(`no ${local}`);
  return k;
};
const responseOf = (ar: Element) => kid(ar, NS.samlp, 'Response');
const assertionOf = (ar: Element) => kid(responseOf(ar), NS.saml, 'Assertion');
function setText(el: Element, text: string): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  el.appendChild(el.ownerDocument.createTextNode(text));
}
/** The assertion's Audience. */
const audienceOf = (a: Element) => kid(kid(kid(a, NS.saml, 'Conditions'), NS.saml, 'AudienceRestriction'), NS.saml, 'Audience');

/** An "evil" assertion: a clone of the signed one with a different audience; IDs inside made unique. */
function evilAssertion(original: Element, opts: { keepId?: boolean; keepSignature?: boolean } = {}): Element {
  const evil = original.cloneNode(true) as Element;
  if (!opts.keepId) evil.setAttribute('ID', newId());
  if (!opts.keepSignature) for (const s of kids(evil, NS.ds, 'Signature')) evil.removeChild(s);
  for (const st of kids(evil, NS.saml, 'AttributeStatement')) evil.removeChild(st);
  for (const ad of kids(evil, NS.saml, 'Advice')) evil.removeChild(ad);
  setText(audienceOf(evil), 'urn:etoegang:DV:00000006666666660000:entities:1');
  return evil;
}

/** Apply a DOM change to the final SOAP XML (after every signature). */
function afterSign(change: (ar: Element, doc: Document) => void): (xml: string) => string {
  return (xml) => {
    const doc = parse(xml);
    const ar = doc.getElementsByTagNameNS(NS.samlp, 'ArtifactResponse')[0]!;
    change(ar, doc);
    return serialize(doc);
  };
}

describe('broker face: integrity, wrapping and hostile XML', function () {
  let h: Harness;
  before(async () => {
    h = await Harness.create();
  });
  after(async () => h?.close());

  describe('after signing', () => {
    const cases: Array<[string, string, (h: Harness) => Partial<GoldenOptions>]> = [
      ['a changed assertion value', 'signature-invalid', () => ({ afterSign: afterSign((ar) => setText(audienceOf(assertionOf(ar)), 'urn:x')) })],
      ['a changed Response attribute', 'signature-invalid', () => ({
        afterSign: afterSign((ar) => responseOf(ar).setAttribute('Destination', 'https://evil.example/acs')),
      })],
      ['the ArtifactResponse signature stripped', 'signature-missing', () => ({
        afterSign: afterSign((ar) => ar.removeChild(kid(ar, NS.ds, 'Signature'))),
      })],
      ['the assertion signature stripped (breaks the outer digest)', 'signature-invalid', () => ({
        afterSign: afterSign((ar) => assertionOf(ar).removeChild(kid(assertionOf(ar), NS.ds, 'Signature'))),
      })],
      ['the assertion signature stripped before the outer signature', 'signature-missing', () => ({
        mutateArtifactResponse: (ar) => assertionOf(ar).removeChild(kid(assertionOf(ar), NS.ds, 'Signature')),
      })],
      ['an unsigned assertion', 'signature-missing', () => ({ signAssertion: null })],
      ['an unsigned ArtifactResponse', 'signature-missing', () => ({ signArtifactResponse: null })],
      ['everything signed with an untrusted key', 'signature-invalid', (h) => ({
        signAssertion: { key: h.pki.untrusted },
        signArtifactResponse: { key: h.pki.untrusted },
      })],
      ['an untrusted key with its certificate in KeyInfo', 'signature-invalid', (h) => ({
        signAssertion: { key: h.pki.untrusted, keyInfo: 'x509' },
        signArtifactResponse: { key: h.pki.untrusted, keyInfo: 'x509' },
      })],
      ['a trusted ArtifactResponse around an assertion signed by an untrusted key', 'signature-invalid', (h) => ({
        signAssertion: { key: h.pki.untrusted, keyInfo: 'x509' },
      })],
      ['an RSA-SHA1 signature', 'signature-algorithm-not-allowed', (h) => ({
        signArtifactResponse: { key: h.pki.brokerSigning, signatureAlgorithm: SIG.rsaSha1 },
      })],
      ['an RSA-SHA1 assertion signature', 'signature-algorithm-not-allowed', (h) => ({
        signAssertion: { key: h.pki.brokerSigning, signatureAlgorithm: SIG.rsaSha1 },
      })],
      ['a SHA-1 digest', 'signature-algorithm-not-allowed', (h) => ({
        signAssertion: { key: h.pki.brokerSigning, digestAlgorithm: SIG.sha1 },
      })],
      ['a Reference to another element', 'signature-reference-invalid', () => ({
        mutateArtifactResponse: (ar) => {
          const ref = kid(kid(kid(assertionOf(ar), NS.ds, 'Signature'), NS.ds, 'SignedInfo'), NS.ds, 'Reference');
          ref.setAttribute('URI', `#${responseOf(ar).getAttribute('ID')}`);
        },
      })],
      ['an empty Reference URI (whole document)', 'signature-reference-invalid', () => ({
        mutateArtifactResponse: (ar) => {
          const ref = kid(kid(kid(assertionOf(ar), NS.ds, 'Signature'), NS.ds, 'SignedInfo'), NS.ds, 'Reference');
          ref.setAttribute('URI', '');
        },
      })],
      ['a second Reference in SignedInfo', 'signature-reference-invalid', () => ({
        mutateArtifactResponse: (ar) => {
          const si = kid(kid(assertionOf(ar), NS.ds, 'Signature'), NS.ds, 'SignedInfo');
          si.appendChild(kid(si, NS.ds, 'Reference').cloneNode(true));
        },
      })],
      ['inclusive c14n as the SignedInfo canonicalization', 'signature-algorithm-not-allowed', () => ({
        mutateArtifactResponse: (ar) => {
          const si = kid(kid(assertionOf(ar), NS.ds, 'Signature'), NS.ds, 'SignedInfo');
          kid(si, NS.ds, 'CanonicalizationMethod').setAttribute('Algorithm', SIG.c14n);
        },
      })],
      ['an inclusive c14n transform', 'signature-algorithm-not-allowed', () => ({
        mutateArtifactResponse: (ar) => {
          const ref = kid(kid(kid(assertionOf(ar), NS.ds, 'Signature'), NS.ds, 'SignedInfo'), NS.ds, 'Reference');
          kids(kid(ref, NS.ds, 'Transforms'), NS.ds, 'Transform')[1]!.setAttribute('Algorithm', SIG.c14n);
        },
      })],
      ['an XPath transform added', 'signature-algorithm-not-allowed', () => ({
        mutateArtifactResponse: (ar, doc) => {
          const ref = kid(kid(kid(assertionOf(ar), NS.ds, 'Signature'), NS.ds, 'SignedInfo'), NS.ds, 'Reference');
          const t = doc.createElementNS(NS.ds, 'ds:Transform');
          t.setAttribute('Algorithm', 'http://www.w3.org/TR/1999/REC-xpath-19991116');
          kid(ref, NS.ds, 'Transforms').appendChild(t);
        },
      })],
      ['a second signature on the assertion', 'signature-invalid', () => ({
        mutateArtifactResponse: (ar) => {
          const a = assertionOf(ar);
          a.insertBefore(kid(a, NS.ds, 'Signature').cloneNode(true), kid(a, NS.saml, 'Subject'));
        },
      })],
    ];
    for (const [what, code, options] of cases) {
      it(`refuses ${what} → ${code}`, async () => assertRefused(h, await h.login(options(h)), code));
    }

    const accepted: Array<[string, (h: Harness) => Partial<GoldenOptions>]> = [
      ['a trusted key that also sends its certificate (ignored, not trusted)', (h) => ({
        signAssertion: { key: h.pki.brokerSigning, keyInfo: 'x509' },
        signArtifactResponse: { key: h.pki.brokerSigning, keyInfo: 'x509' },
      })],
      ['signatures without KeyInfo (every metadata certificate is tried)', (h) => ({
        signAssertion: { key: h.pki.brokerSigning, keyInfo: 'none' },
        signArtifactResponse: { key: h.pki.brokerSigning, keyInfo: 'none' },
      })],
      ['InclusiveNamespaces PrefixList on the transforms (Signicat style)', (h) => ({
        signAssertion: { key: h.pki.brokerSigning, inclusivePrefixes: ['xs'] },
        signArtifactResponse: { key: h.pki.brokerSigning, inclusivePrefixes: ['xs', 'saml'] },
      })],
      ['CDATA around the Audience after signing', () => ({
        afterSign: (xml) => xml.replace(/(<saml:Audience>)([^<]+)(<\/saml:Audience>)/, '$1<![CDATA[$2]]>$3'),
      })],
      ['comments in the envelope', () => ({
        afterSign: (xml) => xml.replace('<soap:Body>', '<!-- hello --><soap:Body><!-- there -->'),
      })],
    ];
    for (const [what, options] of accepted) {
      it(`accepts ${what}`, async () => {
        const out = await h.login(options(h));
        assert.equal(out.failure, null, JSON.stringify(out.failure));
        assert.ok(out.identity);
      });
    }

    it('reads the signed value when a comment is inserted into an identifier after signing', async () => {
      const out = await h.login({
        afterSign: (xml) => {
          // The outer ServiceID value comes after the Advice's; split the last occurrence.
          const i = xml.lastIndexOf(`>${SERVICE_ID}<`);
          return `${xml.slice(0, i + 1 + SERVICE_ID.length - 1)}<!---->${xml.slice(i + 1 + SERVICE_ID.length - 1)}`;
        },
      });
      assert.equal(out.failure, null, JSON.stringify(out.failure));
      assert.equal(out.identity!.serviceId, SERVICE_ID);
    });
  });

  describe('signature wrapping (XSW1–XSW8 and friends)', () => {
    // Outer layer (after every signature): the attacker cannot re-sign the ArtifactResponse.
    it('XSW1: evil ArtifactResponse, the signed one hidden inside its Signature', async () => {
      const out = await h.login({
        afterSign: afterSign((ar, doc) => {
          const evil = ar.cloneNode(true) as Element;
          evil.setAttribute('ID', newId());
          const sig = kid(evil, NS.ds, 'Signature');
          for (const r of kids(evil, NS.samlp, 'Response')) evil.removeChild(r);
          sig.appendChild(ar.cloneNode(true));
          ar.parentNode!.replaceChild(evil, ar);
          void doc;
        }),
      });
      assertRefused(h, out, 'signature-reference-invalid');
    });
    it('XSW2: evil ArtifactResponse, the signed one as a detached sibling inside it', async () => {
      const out = await h.login({
        afterSign: afterSign((ar) => {
          const evil = ar.cloneNode(true) as Element;
          evil.setAttribute('ID', newId());
          for (const r of kids(evil, NS.samlp, 'Response')) evil.removeChild(r);
          evil.insertBefore(ar.cloneNode(true), kid(evil, NS.ds, 'Signature'));
          ar.parentNode!.replaceChild(evil, ar);
        }),
      });
      assertRefused(h, out, 'signature-reference-invalid');
    });
    it('an evil ArtifactResponse with the same ID beside the signed one (duplicated IDs)', async () => {
      const out = await h.login({
        afterSign: afterSign((ar) => {
          const evil = ar.cloneNode(true) as Element;
          ar.parentNode!.insertBefore(evil, ar);
        }),
      });
      assertRefused(h, out, 'xml-duplicate-id');
    });

    // Inner layer: even if the outer signature covered the wrapped structure, the assertion
    // checks alone must refuse it (mutations applied before the ArtifactResponse is signed).
    const inner: Array<[string, string, (ar: Element, doc: Document) => void]> = [
      ['XSW3: evil assertion before the signed one', 'assertion-count-invalid', (ar) => {
        const a = assertionOf(ar);
        responseOf(ar).insertBefore(evilAssertion(a), a);
      }],
      ['XSW4: evil assertion wrapping the signed one', 'signature-missing', (ar) => {
        const a = assertionOf(ar);
        const evil = evilAssertion(a);
        responseOf(ar).replaceChild(evil, a);
        evil.appendChild(a);
      }],
      ['XSW5: evil assertion carrying the copied signature, the signed one moved into StatusDetail', 'signature-reference-invalid', (ar, doc) => {
        const a = assertionOf(ar);
        const evil = evilAssertion(a, { keepSignature: true });
        responseOf(ar).replaceChild(evil, a);
        const detail = doc.createElementNS(NS.samlp, 'samlp:StatusDetail');
        kid(responseOf(ar), NS.samlp, 'Status').appendChild(detail);
        detail.appendChild(a);
      }],
      ['XSW5b: the signed assertion moved out of the Response into the ArtifactResponse', 'artifact-response-invalid', (ar) => {
        const a = assertionOf(ar);
        responseOf(ar).replaceChild(evilAssertion(a, { keepSignature: true }), a);
        ar.appendChild(a);
      }],
      ['XSW6: evil assertion, the signed one inside the copied signature', 'signature-reference-invalid', (ar) => {
        const a = assertionOf(ar);
        const evil = evilAssertion(a, { keepSignature: true });
        responseOf(ar).replaceChild(evil, a);
        kid(evil, NS.ds, 'Signature').appendChild(a);
      }],
      ['XSW7: the signed assertion in Response Extensions, evil at the top', 'response-extensions-present', (ar, doc) => {
        const a = assertionOf(ar);
        const ext = doc.createElementNS(NS.samlp, 'samlp:Extensions');
        responseOf(ar).insertBefore(ext, kid(responseOf(ar), NS.samlp, 'Status'));
        responseOf(ar).replaceChild(evilAssertion(a), a);
        ext.appendChild(a);
      }],
      ['XSW8: the signed assertion in a ds:Object of the copied signature', 'signature-reference-invalid', (ar, doc) => {
        const a = assertionOf(ar);
        const evil = evilAssertion(a, { keepSignature: true });
        responseOf(ar).replaceChild(evil, a);
        const obj = doc.createElementNS(NS.ds, 'ds:Object');
        kid(evil, NS.ds, 'Signature').appendChild(obj);
        a.removeChild(kid(a, NS.ds, 'Signature'));
        obj.appendChild(a);
      }],
      ['the signed assertion inside the Advice of an evil one with the same ID', 'xml-duplicate-id', (ar, doc) => {
        const a = assertionOf(ar);
        const evil = evilAssertion(a, { keepId: true, keepSignature: true });
        const advice = doc.createElementNS(NS.saml, 'saml:Advice');
        evil.insertBefore(advice, kid(evil, NS.saml, 'AuthnStatement'));
        responseOf(ar).replaceChild(evil, a);
        advice.appendChild(a);
      }],
      ['the signed assertion inside the Advice of an evil one with its own ID', 'signature-reference-invalid', (ar, doc) => {
        const a = assertionOf(ar);
        const evil = evilAssertion(a, { keepSignature: true });
        const advice = doc.createElementNS(NS.saml, 'saml:Advice');
        evil.insertBefore(advice, kid(evil, NS.saml, 'AuthnStatement'));
        responseOf(ar).replaceChild(evil, a);
        advice.appendChild(a);
      }],
      ['an evil assertion with the same ID next to the signed one', 'xml-duplicate-id', (ar) => {
        const a = assertionOf(ar);
        responseOf(ar).appendChild(evilAssertion(a, { keepId: true, keepSignature: true }));
      }],
      ['an ID attribute in another namespace duplicating the assertion ID', 'xml-duplicate-id', (ar) => {
        const a = assertionOf(ar);
        ar.setAttributeNS('urn:evil', 'e:ID', a.getAttribute('ID')!);
      }],
    ];
    for (const [what, code, change] of inner) {
      it(`${what} → ${code}`, async () => assertRefused(h, await h.login({ mutateArtifactResponse: change }), code));
    }
  });

  describe('hostile XML before parsing', () => {
    const cases: Array<[string, string, (xml: string) => string | Buffer]> = [
      ['a DOCTYPE with an internal entity', 'xml-doctype-forbidden', (xml) =>
        xml.replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE soap:Envelope [<!ENTITY x "y">]>')],
      ['a billion-laughs entity bomb', 'xml-doctype-forbidden', (xml) =>
        xml.replace('<?xml version="1.0" encoding="UTF-8"?>', `<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">${Array.from({ length: 9 }, (_, i) => `<!ENTITY ${'b'.repeat(i + 1)} "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">`).join('')}]>`)],
      ['an external entity (XXE)', 'xml-doctype-forbidden', (xml) =>
        xml.replace('<?xml version="1.0" encoding="UTF-8"?>', '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')],
      ['a processing instruction', 'xml-forbidden-construct', (xml) => xml.replace('<soap:Body>', '<soap:Body><?evil data?>')],
      ['a second root element', 'xml-multiple-roots', (xml) => `${xml}<soap:Envelope xmlns:soap="${NS.soap}"/>`],
      ['text after the root', 'xml-malformed', (xml) => `${xml}trailing`],
      ['bytes that are not UTF-8', 'xml-malformed', (xml) => Buffer.concat([Buffer.from(xml.slice(0, 60)), Buffer.from([0xff, 0xfe]), Buffer.from(xml.slice(60))])],
      ['an unclosed element', 'xml-malformed', (xml) => xml.replace('</soap:Envelope>', '')],
      ['deep nesting', 'xml-too-deep', (xml) => xml.replace('<soap:Body>', `<soap:Body>${'<x>'.repeat(60)}${'</x>'.repeat(60)}`)],
      ['too many elements', 'xml-too-many-elements', (xml) => xml.replace('<soap:Body>', `<soap:Header>${'<x/>'.repeat(5000)}</soap:Header><soap:Body>`)],
      ['too many attributes', 'xml-too-many-attributes', (xml) =>
        xml.replace('<soap:Body>', `<soap:Body><x ${Array.from({ length: 40 }, (_, i) => `a${i}="1"`).join(' ')}/>`)],
      ['a SOAP Fault', 'artifact-resolve-soap-fault', () =>
        `<soap:Envelope xmlns:soap="${NS.soap}"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>no</faultstring></soap:Fault></soap:Body></soap:Envelope>`],
      ['no SOAP envelope at all', 'artifact-response-invalid', (xml) => xml.replace(/^[\s\S]*<soap:Body>|<\/soap:Body>[\s\S]*$/g, '')],
    ];
    for (const [what, code, change] of cases) {
      it(`refuses ${what} → ${code}`, async () => {
        const out = await h.login((s, call) => change(h.golden(s, call).xml));
        assertRefused(h, out, code);
      });
    }
  });
});
