// The canonical bytes an eHerkenning signature covers, taken straight from the guarded DOM:
// exclusive c14n without comments, by xml-crypto's own canonicaliser. We accept exactly one
// transform chain (enveloped-signature, then exc-c14n, on a same-document reference to the
// element that holds the Signature), so the referenced node-set is "this element minus that
// Signature". xml-crypto's SignedXml.checkSignature reaches the same bytes by re-parsing the
// whole message, finding the element with four whole-document XPath scans and deep-cloning it,
// once per signature and per candidate key: about ten times the RSA work of a login
// (docs/performance.md). The equivalence with SignedXml is a test (signatureEquivalence.test.ts).
import { ExclusiveCanonicalization } from 'xml-crypto';
import { NS } from './constants.ts';

const XMLNS = 'http://www.w3.org/2000/xmlns/';

/** What SignedXml hands its canonicalisers for a prefixed node without a namespace URI. */
const DEFAULT_NS_FOR_PREFIX: Record<string, string> = { ds: NS.ds };

const canonicaliser = new ExclusiveCanonicalization();

/**
 * Exclusive c14n of a whole element: the bytes a SignatureValue signs (SignedInfo), and the
 * reference of a message we sign ourselves before its signature exists.
 */
export function canonicalElement(element: Element): string {
  // Exclusive c14n renders every namespace an element uses itself, so no ancestor context is
  // needed; an InclusiveNamespaces list on the CanonicalizationMethod is refused by the shape check.
  return canonicaliser.process(element, { defaultNsForPrefix: DEFAULT_NS_FOR_PREFIX }) as string;
}

/**
 * Canonical form of `element` without its enveloped `signature` (a direct child), with the
 * InclusiveNamespaces `prefixes` of the exc-c14n transform. The DOM is changed only for the
 * duration of this synchronous call and restored before it returns or throws.
 */
export function canonicalEnvelopedElement(element: Element, signature: Element, prefixes: readonly string[]): string {
  if (signature.parentNode !== element) throw new Error('the signature is not a child of the element');
  // exc-c14n treats listed prefixes like inclusive c14n does: a binding in scope from an
  // ancestor is rendered on the apex element. The canonicaliser takes such bindings as
  // attributes on the element itself (as it does on SignedXml's clone), so they are added here
  // and removed again afterwards.
  const added = prefixes.length > 0 ? inheritedBindings(element, prefixes) : [];
  const next = signature.nextSibling;
  element.removeChild(signature);
  try {
    for (const b of added) element.setAttributeNS(XMLNS, `xmlns:${b.prefix}`, b.namespaceURI);
    return canonicaliser.process(element, {
      inclusiveNamespacesPrefixList: [...prefixes],
      defaultNsForPrefix: DEFAULT_NS_FOR_PREFIX,
    }) as string;
  } finally {
    for (const b of added) element.removeAttributeNS(XMLNS, b.prefix);
    element.insertBefore(signature, next);
  }
}

interface Binding {
  prefix: string;
  namespaceURI: string;
}

/**
 * The nearest ancestor binding of each listed prefix that the element neither declares nor
 * uses as its own prefix (c14n renders that one already); an undeclaration (`xmlns:p=""`)
 * shadows outer bindings and is no binding.
 */
function inheritedBindings(element: Element, prefixes: readonly string[]): Binding[] {
  const own = element.prefix ?? '';
  const wanted = new Set(prefixes.filter((p) => p.length > 0 && p !== own && !element.hasAttributeNS(XMLNS, p)));
  const found: Binding[] = [];
  for (let node = element.parentNode; node && node.nodeType === 1 && wanted.size > 0; node = node.parentNode) {
    const attrs = (node as Element).attributes;
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs.item(i)!;
      if (a.namespaceURI !== XMLNS || a.prefix !== 'xmlns' || !wanted.has(a.localName)) continue;
      wanted.delete(a.localName);
      if (a.value !== '') found.push({ prefix: a.localName, namespaceURI: a.value });
    }
  }
  return found;
}
