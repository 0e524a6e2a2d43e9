// Rule 1: nothing reaches the XML parser before it passed a linear scan with hard caps, and
// nothing leaves the parser unless it is one well-formed document without a DOCTYPE.
// Used for every XML we read: broker metadata, the SOAP answer, signed bytes we re-parse,
// decrypted identifiers and (for completeness) an inflated Redirect message.
import { reject } from './BrokerRejection.ts';
import { buildXmlDocument } from './XmlDocumentBuilder.ts';

export interface XmlLimits {
  /** Bytes of UTF-8 input. */
  maxBytes: number;
  maxDepth: number;
  maxElements: number;
  /** Attributes (namespace declarations included) on one element. */
  maxAttributesPerElement: number;
}

/** Limits for a SOAP ArtifactResponse; `maxBytes` is replaced by the configured response cap. */
export const MESSAGE_LIMITS: XmlLimits = {
  maxBytes: 500_000,
  maxDepth: 40,
  maxElements: 4000,
  maxAttributesPerElement: 32,
};

/** Broker metadata may be an aggregate of several entities. */
export const METADATA_LIMITS: XmlLimits = {
  maxBytes: 5_000_000,
  maxDepth: 40,
  maxElements: 100_000,
  maxAttributesPerElement: 48,
};

/** A decrypted EncryptedID holds one NameID. */
export const DECRYPTED_LIMITS: XmlLimits = {
  maxBytes: 8_192,
  maxDepth: 4,
  maxElements: 8,
  maxAttributesPerElement: 16,
};

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Strict UTF-8 decoding; a byte sequence that is not UTF-8 is malformed XML. */
export function decodeXml(input: Buffer | Uint8Array | string, limits: XmlLimits): string {
  if (typeof input === 'string') {
    if (Buffer.byteLength(input, 'utf8') > limits.maxBytes) reject('xml-too-large');
    return input;
  }
  if (input.byteLength > limits.maxBytes) reject('xml-too-large');
  try {
    return utf8.decode(input);
  } catch {
    return reject('xml-malformed', { why: 'not utf-8' });
  }
}

/**
 * The lexical pre-parse scan: size, no DOCTYPE or other markup declaration, no processing
 * instruction other than the XML declaration, depth, element and attribute caps, exactly one
 * root element and no text outside it. Linear in the input; builds nothing.
 */
export function scanXml(xml: string, limits: XmlLimits): void {
  if (Buffer.byteLength(xml, 'utf8') > limits.maxBytes) reject('xml-too-large');
  const n = xml.length;
  let i = xml.charCodeAt(0) === 0xfeff ? 1 : 0;
  // The XML declaration, only at the very start, only UTF-8.
  if (xml.startsWith('<?xml', i) && /\s/.test(xml.charAt(i + 5))) {
    const end = xml.indexOf('?>', i);
    if (end < 0) reject('xml-malformed', { why: 'unterminated declaration' });
    const decl = xml.slice(i, end);
    const enc = /encoding\s*=\s*["']([^"']*)["']/.exec(decl);
    if (enc && enc[1]!.toLowerCase() !== 'utf-8') reject('xml-malformed', { why: 'encoding' });
    i = end + 2;
  }
  let depth = 0;
  let elements = 0;
  let roots = 0;
  let rootClosed = false;
  while (i < n) {
    const lt = xml.indexOf('<', i);
    const textEnd = lt < 0 ? n : lt;
    if (depth === 0 && textEnd > i && /[^ \t\r\n]/.test(xml.slice(i, textEnd))) {
      reject('xml-malformed', { why: 'text outside the root element' });
    }
    if (lt < 0) break;
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt + 4);
      if (end < 0) reject('xml-malformed', { why: 'unterminated comment' });
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<![CDATA[', lt)) {
      if (depth === 0) reject('xml-malformed', { why: 'CDATA outside the root element' });
      const end = xml.indexOf(']]>', lt + 9);
      if (end < 0) reject('xml-malformed', { why: 'unterminated CDATA' });
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<!', lt)) {
      // <!DOCTYPE, <!ENTITY, <!ELEMENT, <!ATTLIST ...: never, in any case.
      reject('xml-doctype-forbidden');
    }
    if (xml.startsWith('<?', lt)) reject('xml-forbidden-construct', { why: 'processing instruction' });
    if (xml.startsWith('</', lt)) {
      const end = xml.indexOf('>', lt + 2);
      if (end < 0) reject('xml-malformed', { why: 'unterminated end tag' });
      depth -= 1;
      if (depth < 0) reject('xml-malformed', { why: 'unbalanced end tag' });
      if (depth === 0) rootClosed = true;
      i = end + 1;
      continue;
    }
    // A start tag: walk to its '>' outside quoted attribute values, counting '=' as attributes.
    let j = lt + 1;
    let quote = 0;
    let attributes = 0;
    for (; j < n; j++) {
      const c = xml.charCodeAt(j);
      if (quote) {
        if (c === quote) quote = 0;
        else if (c === 0x3c /* < */) reject('xml-malformed', { why: '< in attribute value' });
      } else if (c === 0x22 || c === 0x27) quote = c;
      else if (c === 0x3d /* = */) attributes += 1;
      else if (c === 0x3e /* > */) break;
      else if (c === 0x3c) reject('xml-malformed', { why: '< in tag' });
    }
    if (j >= n) reject('xml-malformed', { why: 'unterminated start tag' });
    if (attributes > limits.maxAttributesPerElement) reject('xml-too-many-attributes');
    elements += 1;
    if (elements > limits.maxElements) reject('xml-too-many-elements');
    if (depth === 0) {
      roots += 1;
      if (roots > 1 || rootClosed) reject('xml-multiple-roots');
    }
    const selfClosing = xml.charCodeAt(j - 1) === 0x2f; /* / */
    if (!selfClosing) {
      depth += 1;
      if (depth > limits.maxDepth) reject('xml-too-deep');
    } else if (depth === 0) {
      rootClosed = true;
    }
    i = j + 1;
  }
  if (roots !== 1) reject(roots === 0 ? 'xml-malformed' : 'xml-multiple-roots', { why: 'root element count' });
  if (depth !== 0) reject('xml-malformed', { why: 'unclosed elements' });
}

const ELEMENT = 1;

/** Walk every element without recursion (deep trees must not blow the stack). */
export function forEachElement(root: Element, visit: (el: Element, depth: number) => void): void {
  const stack: Array<[Element, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [el, depth] = stack.pop()!;
    visit(el, depth);
    const kids: Element[] = [];
    for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === ELEMENT) kids.push(c as Element);
    for (let k = kids.length - 1; k >= 0; k--) stack.push([kids[k]!, depth + 1]);
  }
}

/** Attribute local names that XML Signature references may resolve as IDs (as xml-crypto does). */
export const ID_ATTRIBUTES: ReadonlySet<string> = new Set(['ID', 'Id', 'id']);

/**
 * Parse one guarded XML document. Any parser warning or error is fatal. Afterwards the DOM is
 * checked again (one root, no doctype, caps) and ID-like attributes must be unique in the
 * whole document, which takes away the raw material of most signature wrapping attacks.
 */
export function parseXml(input: Buffer | Uint8Array | string, limits: XmlLimits): Document {
  const xml = decodeXml(input, limits);
  scanXml(xml, limits);
  let doc: Document;
  try {
    doc = buildXmlDocument(xml);
  } catch {
    // XmlNotWellFormed, or anything else the reader might throw on input: never a 500.
    return reject('xml-malformed', { why: 'parser error' });
  }
  let roots = 0;
  for (let c = doc.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === ELEMENT) roots += 1;
    else if (c.nodeType !== 8 /* comment */) {
      reject('xml-forbidden-construct', { why: `node type ${c.nodeType} at top level` });
    }
  }
  if (roots !== 1) reject('xml-multiple-roots');
  let elements = 0;
  const ids = new Set<string>();
  forEachElement(doc.documentElement, (el, depth) => {
    elements += 1;
    if (depth > limits.maxDepth) reject('xml-too-deep');
    if (elements > limits.maxElements) reject('xml-too-many-elements');
    const attrs = el.attributes;
    if (attrs.length > limits.maxAttributesPerElement) reject('xml-too-many-attributes');
    for (let a = 0; a < attrs.length; a++) {
      const attr = attrs.item(a)!;
      const local = attr.localName ?? attr.name;
      if (ID_ATTRIBUTES.has(local)) {
        if (ids.has(attr.value)) reject('xml-duplicate-id');
        ids.add(attr.value);
      }
    }
  });
  return doc;
}
