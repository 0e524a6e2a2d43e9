// Small XML helpers for the mock broker. Parsing refuses DOCTYPEs and anything xmldom
// reports; element lookups are by namespace URI and local name, never by prefix.
import { randomBytes } from 'node:crypto';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';

export const NS = {
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
  mdattr: 'urn:oasis:names:tc:SAML:metadata:attribute',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
  xenc11: 'http://www.w3.org/2009/xmlenc11#',
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  xs: 'http://www.w3.org/2001/XMLSchema',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  etoegangMd: 'urn:etoegang:1.13:metadata-extension',
} as const;

export const STATUS = {
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
  authnFailed: 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed',
  requestDenied: 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied',
  requestUnsupported: 'urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported',
} as const;

export const BINDING = {
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  artifact: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact',
  soap: 'urn:oasis:names:tc:SAML:2.0:bindings:SOAP',
} as const;

export class XmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlError';
  }
}

/** Escape for element text and attribute values alike. */
export function esc(value: string | number): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function parseXml(xml: string, maxBytes = 1_000_000): Document {
  if (Buffer.byteLength(xml, 'utf8') > maxBytes) throw new XmlError(`XML larger than ${maxBytes} bytes`);
  if (/<!DOCTYPE/i.test(xml)) throw new XmlError('DOCTYPE is not allowed');
  const problems: string[] = [];
  const doc = new DOMParser({
    errorHandler: {
      warning: () => undefined,
      error: (m: string) => problems.push(m),
      fatalError: (m: string) => problems.push(m),
    },
  }).parseFromString(xml, 'text/xml');
  if (problems.length > 0) throw new XmlError(`malformed XML: ${problems[0]}`);
  if (!doc || !doc.documentElement) throw new XmlError('no document element');
  if (doc.doctype) throw new XmlError('DOCTYPE is not allowed');
  return doc;
}

export function serialize(node: Node): string {
  return new XMLSerializer().serializeToString(node);
}

export function isElement(n: Node | null | undefined): n is Element {
  return !!n && n.nodeType === 1;
}

export function is(el: Element | null | undefined, ns: string, local: string): el is Element {
  return !!el && el.namespaceURI === ns && el.localName === local;
}

export function elementChildren(el: Element): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) if (isElement(n)) out.push(n);
  return out;
}

export function children(el: Element, ns: string, local: string): Element[] {
  return elementChildren(el).filter((c) => is(c, ns, local));
}

export function child(el: Element, ns: string, local: string): Element | undefined {
  return children(el, ns, local)[0];
}

export function descendants(el: Element | Document, ns: string, local: string): Element[] {
  const out: Element[] = [];
  const list = el.getElementsByTagNameNS(ns, local);
  for (let i = 0; i < list.length; i++) {
    const item = list.item(i);
    if (item) out.push(item);
  }
  return out;
}

export function textOf(el: Element | undefined): string {
  return (el?.textContent ?? '').trim();
}

/** A fresh xsd:ID value. */
export function newId(): string {
  return `_${randomBytes(20).toString('hex')}`;
}

/** SAML dateTime in UTC with second precision. */
export function instant(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function parseInstant(value: string | null | undefined): number {
  if (!value || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return Number.NaN;
  return Date.parse(value);
}

export function stripXmlDeclaration(xml: string): string {
  return xml.replace(/^\s*<\?xml[^?]*\?>\s*/, '');
}

/** How many elements in the document carry this value as ID/Id. */
export function countIds(doc: Document, id: string): number {
  let n = 0;
  const all = doc.getElementsByTagName('*');
  for (let i = 0; i < all.length; i++) {
    const el = all.item(i);
    if (!el) continue;
    if (el.getAttribute('ID') === id || el.getAttribute('Id') === id || el.getAttribute('id') === id) n++;
  }
  return n;
}
