// XML text to an @xmldom/xmldom Document, read by saxes. Everything downstream (our readers,
// xml-crypto's canonicaliser) keeps working on xmldom's DOM; only the reading changes.
//
// Why not xmldom's own DOMParser: it is lenient by design (an unclosed tag is "fixed", an
// unbound prefix becomes a null namespace) and slow on our messages: it searches the whole text
// backwards once per distinct tag name for that fix-up, ~40 % of a 17 kB ArtifactResponse
// parse (docs/performance.md). saxes is a conformant XML 1.0 + Namespaces parser (jsdom's):
// every well-formedness or namespace error is fatal. xmlDocumentBuilder.test.ts holds the
// DOM it builds equal, node for node, to xmldom's for well-formed input.
import { DOMImplementation } from '@xmldom/xmldom';
import { SaxesParser, type SaxesTagNS } from 'saxes';

const XMLNS = 'http://www.w3.org/2000/xmlns/';
const implementation = new DOMImplementation();

/** A well-formedness or namespace error, with saxes' message (never shown to anyone). */
export class XmlNotWellFormed extends Error {}

/**
 * Build the Document. Only for text that passed XmlGuard.scanXml, which refuses DOCTYPE and
 * processing instructions before any parser sees them; the XML declaration makes no node.
 * (No handlers for those events here on purpose: saxes slows down threefold once more than six
 * handlers are registered.)
 */
export function buildXmlDocument(xml: string): Document {
  const doc = implementation.createDocument(null, null as unknown as string, null);
  let current: Node = doc;
  // Without an error handler saxes throws at the first error, which is what we want.
  const parser = new SaxesParser({ xmlns: true, position: false });
  parser.on('opentag', (tag: SaxesTagNS) => {
    // No namespace is null, but '' under an explicit xmlns="" as xmldom has it: xml-crypto's
    // canonicaliser tells the two apart when it decides where to write xmlns="".
    const uri = tag.uri !== '' ? tag.uri : parser.resolve('') === '' ? '' : null;
    const el = doc.createElementNS(uri, tag.name);
    for (const name in tag.attributes) {
      const a = tag.attributes[name]!;
      // Namespace declarations stay attributes, as xmldom's parser keeps them: exclusive c14n
      // reads InclusiveNamespaces bindings from them.
      const ns = a.prefix === 'xmlns' || a.name === 'xmlns' ? XMLNS : a.uri === '' ? null : a.uri;
      el.setAttributeNS(ns, a.name, a.value);
    }
    current.appendChild(el);
    current = el;
  });
  parser.on('closetag', () => {
    current = current.parentNode!;
  });
  parser.on('text', (text) => {
    // Outside the root element saxes only lets whitespace through; it is no node.
    if (current !== doc) current.appendChild(doc.createTextNode(text));
  });
  parser.on('cdata', (data) => {
    current.appendChild(doc.createCDATASection(data));
  });
  parser.on('comment', (data) => {
    current.appendChild(doc.createComment(data));
  });
  try {
    parser.write(xml).close();
  } catch (e) {
    throw new XmlNotWellFormed(e instanceof Error ? e.message : 'parser error');
  }
  if (!doc.documentElement) throw new XmlNotWellFormed('no root element');
  return doc;
}
