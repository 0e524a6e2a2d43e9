// Small, strict DOM readers. They only ever look at direct children (never `//`), so an
// element smuggled deeper (Advice, Extensions, ds:Object) is never found by accident.
import type { ReasonCode } from './BrokerRejection.ts';
import { reject } from './BrokerRejection.ts';

const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;
const COMMENT = 8;

export function isElement(node: Node | null | undefined, ns: string, local: string): boolean {
  return !!node && node.nodeType === ELEMENT && (node as Element).namespaceURI === ns && (node as Element).localName === local;
}

export function elementChildren(el: Element): Element[] {
  const out: Element[] = [];
  for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === ELEMENT) out.push(c as Element);
  return out;
}

export function childrenNamed(el: Element, ns: string, local: string): Element[] {
  return elementChildren(el).filter((c) => c.namespaceURI === ns && c.localName === local);
}

/** Exactly one direct child with this name, or a rejection with `code`. */
export function onlyChild(el: Element, ns: string, local: string, code: ReasonCode): Element {
  const found = childrenNamed(el, ns, local);
  if (found.length !== 1) reject(code, { element: local, count: found.length });
  return found[0]!;
}

/** Zero or one direct child with this name. */
export function optionalChild(el: Element, ns: string, local: string, code: ReasonCode): Element | null {
  const found = childrenNamed(el, ns, local);
  if (found.length > 1) reject(code, { element: local, count: found.length });
  return found[0] ?? null;
}

const XML_SPACE = /^[ \t\r\n]+|[ \t\r\n]+$/g;

/**
 * The text of a simple-content element: every child must be text (CDATA and comments are
 * allowed and read as the parser gives them; signed content we read has been canonicalized,
 * so it has neither). An element child is a rejection. Surrounding XML whitespace is dropped.
 */
export function textOf(el: Element, code: ReasonCode): string {
  let out = '';
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === TEXT || c.nodeType === CDATA) out += (c as CharacterData).data;
    else if (c.nodeType !== COMMENT) reject(code, { element: el.localName, why: 'element content' });
  }
  return out.replace(XML_SPACE, '');
}

/** A required attribute (no namespace), or a rejection. */
export function requiredAttr(el: Element, name: string, code: ReasonCode): string {
  if (!el.hasAttribute(name)) reject(code, { element: el.localName, attribute: name });
  return el.getAttribute(name)!;
}

export function optionalAttr(el: Element, name: string): string | null {
  return el.hasAttribute(name) ? el.getAttribute(name) : null;
}

/** xs:dateTime as SAML uses it (UTC, 'Z' or an offset), to ms since the epoch. */
export function parseInstant(value: string | null, code: ReasonCode): number {
  if (value === null) return reject(code, { why: 'missing instant' });
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    return reject(code, { why: 'bad instant' });
  }
  const ms = Date.parse(value.replace(/(\.\d{3})\d+/, '$1'));
  if (!Number.isFinite(ms)) return reject(code, { why: 'bad instant' });
  return ms;
}

/** SAML instant for output: second precision, UTC. */
export function formatInstant(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** An XML NCName we are willing to put into an XPath or compare as an ID. */
export function isSafeId(id: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/.test(id);
}
