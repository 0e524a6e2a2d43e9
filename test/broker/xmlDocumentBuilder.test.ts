// XmlGuard reads XML with saxes into an xmldom Document (XmlDocumentBuilder.ts). xmldom's own
// DOMParser is the oracle here: for well-formed documents — every kind of message the gateway
// reads, and the XML corners that matter to canonicalisation — both must build the same tree,
// node for node: types, names, namespaces, prefixes, attributes in order, text, and the same
// exclusive canonical form. Where xmldom is
// lenient (it repairs or guesses), ours must refuse with 'xml-malformed'.
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { BrokerRejection } from '../../gateway/src/broker/BrokerRejection.ts';
import { canonicalElement } from '../../gateway/src/broker/ExclusiveCanonicalForm.ts';
import { buildSpMetadata } from '../../gateway/src/broker/SpMetadata.ts';
import { buildXmlDocument } from '../../gateway/src/broker/XmlDocumentBuilder.ts';
import { MESSAGE_LIMITS, METADATA_LIMITS, parseXml } from '../../gateway/src/broker/XmlGuard.ts';
import { buildBrokerMetadata } from '../support/saml/brokerMetadata.ts';
import { buildGolden, ENC, type GoldenOptions } from '../support/saml/golden.ts';
import { BROKER, goldenOptions } from '../support/saml/harness.ts';
import { spMetadataInput } from '../support/saml/spDocuments.ts';
import { testPki, type TestPki } from '../support/saml/pki.ts';

/** The tree as data; adjacent text nodes joined (a DOM may split a text run, c14n joins it). */
function shape(node: Node): unknown {
  const top = node.nodeType === 9;
  const out: unknown[] = [];
  let text: string | null = null;
  const flush = (): void => {
    // Whitespace between the declaration, comments and the root is no content.
    if (text !== null && !(top && /^[ \t\r\n]*$/.test(text))) out.push(['text', text]);
    text = null;
  };
  for (let c = node.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 3) {
      text = (text ?? '') + (c as Text).data;
      continue;
    }
    flush();
    if (c.nodeType === 1) {
      const el = c as Element;
      const attrs: unknown[] = [];
      for (let i = 0; i < el.attributes.length; i++) {
        const a = el.attributes.item(i)!;
        attrs.push([a.name, a.namespaceURI ?? null, a.prefix ?? null, a.localName, a.value]);
      }
      out.push(['element', el.tagName, el.namespaceURI ?? null, el.prefix ?? null, el.localName, attrs, shape(el)]);
    } else if (c.nodeType === 4) {
      out.push(['cdata', (c as CDATASection).data]);
    } else if (c.nodeType === 8) {
      out.push(['comment', (c as Comment).data]);
    } else if (c.nodeType === 7 && (c as ProcessingInstruction).target === 'xml') {
      // xmldom keeps the XML declaration as a node; it is no content.
    } else {
      out.push(['node', c.nodeType, c.nodeName]);
    }
  }
  flush();
  return out;
}

const viaXmldom = (xml: string): unknown => shape(new DOMParser().parseFromString(xml, 'text/xml'));
const viaSaxes = (xml: string): unknown => shape(buildXmlDocument(xml));

function refusal(xml: string): string {
  try {
    parseXml(xml, MESSAGE_LIMITS);
    return 'accepted';
  } catch (e) {
    if (e instanceof BrokerRejection) return e.code;
    throw e;
  }
}

describe('broker face: the XML reader against xmldom DOMParser', () => {
  let pki: TestPki;
  before(async () => {
    pki = await testPki();
  });

  const golden = (extra: Partial<GoldenOptions> = {}): string => buildGolden(goldenOptions(pki, extra)).xml;

  const messages: Array<[string, () => string]> = [
    ['an ArtifactResponse as brokers send it', () => golden()],
    ['one with a signed Response, PrefixLists and the EncryptedKey nested', () =>
      golden({
        signResponse: { key: pki.brokerSigning, inclusivePrefixes: ['xs', 'saml'] },
        encryption: { content: ENC.aes256gcm, keyTransport: ENC.rsaOaepMgf1p, layout: 'nested' },
      })],
    ['one with line breaks, tabs and comments added', () =>
      golden({ afterSign: (xml) => xml.replace(/></g, '>\r\n\t<').replace('<soap:Body>', '<soap:Body><!-- x -->') })],
    ['broker metadata', () =>
      buildBrokerMetadata({ entityId: BROKER, signingCerts: [pki.brokerSigning], metadataSigner: pki.brokerMetadataSigning, arsUrl: 'https://127.0.0.1:1/ars' })],
    ['our SP metadata', () =>
      buildSpMetadata(spMetadataInput(), { key: createPrivateKey(pki.spActive.keyPem), certPem: pki.spActive.certPem, keyName: pki.spActive.sha256 })],
  ];
  for (const [what, xml] of messages) {
    it(`builds the same tree as xmldom for ${what}`, () => {
      const text = xml();
      assert.deepEqual(viaSaxes(text), viaXmldom(text));
      assert.equal(canonicalElement(buildXmlDocument(text).documentElement), canonicalElement(new DOMParser().parseFromString(text, 'text/xml').documentElement));
      assert.equal(refusal(text.length > MESSAGE_LIMITS.maxBytes ? '<a/>' : text), 'accepted');
    });
  }

  const corners: Array<[string, string]> = [
    ['a default namespace, its undeclaration and prefixed siblings', '<a xmlns="urn:d"><b/><c xmlns=""><d/></c><p:e xmlns:p="urn:p" p:x="1" y="2"/></a>'],
    ['a prefix rebound lower down and undeclared', '<p:a xmlns:p="urn:1"><p:b xmlns:p="urn:2"/><c xmlns:q="urn:q"><q:d/></c></p:a>'],
    ['xml:lang and xml:space (the prefix needs no declaration)', '<a xml:lang="nl"><b xml:space="preserve">  x  </b></a>'],
    ['entity and character references in text and attributes', '<a t="&lt;&amp;&gt;&quot;&apos;&#65;&#x42;">&lt;tag&gt; &amp; &#x20AC; &#233;</a>'],
    ['CDATA next to text, and comments', '<a>x<![CDATA[<not> & markup]]>y<!-- c1 --><b><!--c2--></b></a><!-- after -->'],
    ['tabs and line breaks in attribute values (normalised to spaces)', '<a v="1\t2\n3\r\n4"/>'],
    ['CR LF and lone CR in text (normalised to LF)', '<a>1\r\n2\r3\n4</a>'],
    ['whitespace-only text and self-closing elements', '<a>\n  <b/>\n  <c></c>\n</a>'],
    ['non-ASCII names and text', '<ë:a xmlns:ë="urn:x"><ë:b ü="ö">Æ€😀</ë:b></ë:a>'],
    ['an XML declaration with standalone', '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><a/>'],
    ['attribute names that are Object.prototype keys', '<a __proto__="p" constructor="c" toString="t" hasOwnProperty="h"/>'],
  ];
  for (const [what, xml] of corners) {
    it(`builds the same tree as xmldom for ${what}, with the same canonical form`, () => {
      assert.deepEqual(viaSaxes(xml), viaXmldom(xml));
      assert.equal(canonicalElement(buildXmlDocument(xml).documentElement), canonicalElement(new DOMParser().parseFromString(xml, 'text/xml').documentElement));
    });
  }

  // xmldom accepts (repairs or guesses) each of these; the gateway must not read them.
  const lenient: Array<[string, string]> = [
    ['an unclosed element', '<a><b></a>'],
    ['a mismatched end tag', '<a><b></c></a>'],
    ['an unbound element prefix', '<p:a/>'],
    ['an unbound attribute prefix', '<a p:x="1"/>'],
    ['a duplicate attribute', '<a x="1" x="2"/>'],
    ['the same attribute twice through two prefixes', '<a xmlns:p="urn:1" xmlns:q="urn:1" p:x="1" q:x="2"/>'],
    ['an undefined entity', '<a>&nbsp;</a>'],
    ['a character reference to a forbidden character', '<a>&#1;</a>'],
    ['a forbidden control character', '<a>\u0001</a>'],
    ['an attribute without quotes', '<a x=1/>'],
    ['an attribute without a value', '<a x/>'],
    ['non-whitespace text after the root', '<a/>tail'],
    ['a bad element name', '<1a/>'],
    ['the xml prefix bound elsewhere', '<a xmlns:xml="urn:other"/>'],
    ['a prefix undeclared (not allowed in XML 1.0 namespaces)', '<p:a xmlns:p=""/>'],
    ['a name with two colons', '<a:b:c xmlns:a="urn:a"/>'],
  ];
  for (const [what, xml] of lenient) {
    it(`refuses ${what} (xmldom would read it)`, () => {
      assert.doesNotThrow(() => new DOMParser({ errorHandler: { warning: () => {}, error: () => {}, fatalError: () => {} } }).parseFromString(xml, 'text/xml'));
      assert.equal(refusal(xml), 'xml-malformed');
    });
  }

  it('expands no entity declared in a DTD even on its own (XmlGuard refuses any DOCTYPE before it)', () => {
    assert.throws(() => buildXmlDocument('<!DOCTYPE a [<!ENTITY x "expanded">]><a>&x;</a>'), /undefined entity/);
    assert.equal(refusal('<!DOCTYPE a [<!ENTITY x "expanded">]><a>&x;</a>'), 'xml-doctype-forbidden');
    assert.equal(refusal('<a><?target data?></a>'), 'xml-forbidden-construct');
  });

  it('reads large documents within the metadata limits the same way', () => {
    const many = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${Array.from({ length: 500 }, (_, i) => `<md:EntityDescriptor entityID="urn:e:${i}"><md:Extensions>t${i}</md:Extensions></md:EntityDescriptor>`).join('')}</md:EntitiesDescriptor>`;
    assert.deepEqual(viaSaxes(many), viaXmldom(many));
    assert.equal(parseXml(many, METADATA_LIMITS).documentElement.childNodes.length, 500);
  });
});
