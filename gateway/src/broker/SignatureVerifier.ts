// Rules 2 and 3: verify one enveloped XML signature against trusted certificates only, with
// an algorithm allow-list, and hand back ONLY what the signature covers: the referenced
// element, re-parsed from the canonical bytes that were digested. Callers continue from that
// document and never look at the original one again.
//
// The XML Signature core validation is done here for the one profile eHerkenning uses (one
// Reference to the parent element, enveloped + exc-c14n, RSA with SHA-256/512): canonical
// bytes from xml-crypto's canonicaliser (ExclusiveCanonicalForm.ts), digest and RSA from
// node:crypto. SignedXml would do the same with a whole-document re-parse, XPath scans and a
// deep clone per signature and per candidate key; signatureEquivalence.test.ts holds the two
// to the same verdict and the same signed bytes.
import { createHash, createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { ALG, ALLOWED_DIGEST_ALGORITHMS, ALLOWED_SIGNATURE_ALGORITHMS, NS } from './constants.ts';
import { BrokerRejection, reject } from './BrokerRejection.ts';
import { type TrustedCert, isValidAt, normalizeFingerprint } from './Certificates.ts';
import { childrenNamed, elementChildren, isSafeId, onlyChild, optionalChild, textOf } from './Dom.ts';
import { canonicalEnvelopedElement, canonicalElement } from './ExclusiveCanonicalForm.ts';
import { forEachElement, ID_ATTRIBUTES, parseXml, type XmlLimits } from './XmlGuard.ts';

export interface VerifiedElement {
  /** The signed element, from a document parsed out of the signed (canonical) bytes. */
  element: Element;
  /** The canonical XML that was digested. */
  signedXml: string;
  /** The certificate whose key verified it. */
  cert: TrustedCert;
}

export interface VerifyOptions {
  certs: readonly TrustedCert[];
  now: number;
  limits: XmlLimits;
}

/** The structural checks of a ds:Signature before any cryptography (rule 2). */
export interface SignatureParts {
  signedInfo: Element;
  /** SignatureMethod Algorithm (allow-listed). */
  signatureAlgorithm: string;
  /** DigestMethod Algorithm (allow-listed). */
  digestAlgorithm: string;
  digestValue: Element;
  signatureValue: Element;
  /** The exc-c14n transform's InclusiveNamespaces PrefixList. */
  inclusivePrefixes: string[];
  keyNames: string[];
}

export function checkSignatureShape(signature: Element, expectedId: string): SignatureParts {
  const signedInfo = onlyChild(signature, NS.ds, 'SignedInfo', 'signature-invalid');
  const signatureValue = onlyChild(signature, NS.ds, 'SignatureValue', 'signature-invalid');
  const c14n = onlyChild(signedInfo, NS.ds, 'CanonicalizationMethod', 'signature-invalid');
  if (elementChildren(c14n).length > 0) reject('signature-invalid', { why: 'CanonicalizationMethod content' });
  if (c14n.getAttribute('Algorithm') !== ALG.excC14n) {
    reject('signature-algorithm-not-allowed', { c14n: c14n.getAttribute('Algorithm') });
  }
  const method = onlyChild(signedInfo, NS.ds, 'SignatureMethod', 'signature-invalid');
  const sigAlg = method.getAttribute('Algorithm') ?? '';
  if (!ALLOWED_SIGNATURE_ALGORITHMS.has(sigAlg)) reject('signature-algorithm-not-allowed', { signatureMethod: sigAlg });
  if (elementChildren(method).length > 0) reject('signature-invalid', { why: 'SignatureMethod content' });
  const refs = childrenNamed(signedInfo, NS.ds, 'Reference');
  if (refs.length !== 1) reject('signature-reference-invalid', { references: refs.length });
  if (elementChildren(signedInfo).length !== 3) reject('signature-invalid', { why: 'SignedInfo content' });
  const ref = refs[0]!;
  if (ref.getAttribute('URI') !== `#${expectedId}`) reject('signature-reference-invalid', { why: 'URI is not the element ID' });
  const transforms = onlyChild(ref, NS.ds, 'Transforms', 'signature-algorithm-not-allowed');
  const list = elementChildren(transforms);
  const algs = list.map((t) => (t.namespaceURI === NS.ds && t.localName === 'Transform' ? t.getAttribute('Algorithm') : null));
  if (algs.length !== 2 || algs[0] !== ALG.enveloped || algs[1] !== ALG.excC14n) {
    reject('signature-algorithm-not-allowed', { transforms: algs });
  }
  // xml-crypto-based signers copy InclusiveNamespaces onto the enveloped transform too; it takes
  // no parameters, so that (and only that) is tolerated and ignored there.
  if (elementChildren(list[0]!).some((c) => c.localName !== 'InclusiveNamespaces')) {
    reject('signature-algorithm-not-allowed', { why: 'enveloped transform content' });
  }
  const inclusivePrefixes: string[] = [];
  for (const child of elementChildren(list[1]!)) {
    // Only ec:InclusiveNamespaces PrefixList may parameterise exclusive c14n.
    if (child.namespaceURI !== ALG.excC14n || child.localName !== 'InclusiveNamespaces') {
      reject('signature-algorithm-not-allowed', { why: 'exc-c14n transform content' });
    }
    inclusivePrefixes.push(...(child.getAttribute('PrefixList') ?? '').split(/[ \t\r\n]+/).filter((p) => p.length > 0));
  }
  const digest = onlyChild(ref, NS.ds, 'DigestMethod', 'signature-invalid');
  const digestAlgorithm = digest.getAttribute('Algorithm') ?? '';
  if (!ALLOWED_DIGEST_ALGORITHMS.has(digestAlgorithm)) {
    reject('signature-algorithm-not-allowed', { digestMethod: digest.getAttribute('Algorithm') });
  }
  const digestValue = onlyChild(ref, NS.ds, 'DigestValue', 'signature-invalid');
  if (elementChildren(digest).length > 0 || elementChildren(digestValue).length > 0) {
    reject('signature-invalid', { why: 'digest content' });
  }
  if (elementChildren(ref).length !== 3) reject('signature-invalid', { why: 'Reference content' });
  const keyInfo = optionalChild(signature, NS.ds, 'KeyInfo', 'signature-invalid');
  const keyNames = keyInfo
    ? childrenNamed(keyInfo, NS.ds, 'KeyName').map((k) => normalizeFingerprint(textOf(k, 'signature-invalid')))
    : [];
  // ds:Object (XSW8's hiding place) has no business in a SAML signature.
  for (const child of elementChildren(signature)) {
    if (child.namespaceURI !== NS.ds || !['SignedInfo', 'SignatureValue', 'KeyInfo'].includes(child.localName ?? '')) {
      reject('signature-invalid', { why: `unexpected ${child.localName} in Signature` });
    }
  }
  return { signedInfo, signatureAlgorithm: sigAlg, digestAlgorithm, digestValue, signatureValue, inclusivePrefixes, keyNames };
}

/** Certificates to try: valid now, and those named by KeyName first (or only, when named). */
export function candidateCerts(certs: readonly TrustedCert[], keyNames: string[], now: number): TrustedCert[] {
  const valid = certs.filter((c) => isValidAt(c, now));
  if (keyNames.length === 0) return valid;
  const named = valid.filter((c) => keyNames.some((k) => k === c.sha256 || k === c.sha1 || c.keyNames.includes(k)));
  return named.length > 0 ? named : valid;
}

const HASH_OF: Record<string, string> = {
  [ALG.rsaSha256]: 'sha256',
  [ALG.rsaSha512]: 'sha512',
  [ALG.sha256]: 'sha256',
  [ALG.sha512]: 'sha512',
};

/** Base64 content of DigestValue / SignatureValue; XML whitespace (line breaks) is allowed. */
function base64Bytes(el: Element): Buffer {
  const text = textOf(el, 'signature-invalid').replace(/[ \t\r\n]+/g, '');
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    reject('signature-invalid', { why: `${el.localName} is not base64` });
  }
  return Buffer.from(text, 'base64');
}

/**
 * The reference is resolved to `element` by its own ID; that is only sound when no other
 * element carries the same value in an ID-like attribute (XmlGuard refuses such documents at
 * parse time; this keeps the verifier safe for a document from anywhere else).
 */
function assertIdUnique(element: Element, id: string): void {
  let seen = 0;
  forEachElement(element.ownerDocument.documentElement, (el) => {
    const attrs = el.attributes;
    for (let a = 0; a < attrs.length; a++) {
      const attr = attrs.item(a)!;
      const local = attr.localName ?? attr.name;
      if (ID_ATTRIBUTES.has(local) && attr.value === id) seen += 1;
    }
  });
  if (seen !== 1) reject('signature-reference-invalid', { why: 'the element ID is not unique' });
}

function rsaKeyOf(cert: TrustedCert): KeyObject | null {
  // The key parsed once with the certificate (Certificates.ts); the PEM only for a cert built
  // without one. Never a key from the message (CVE-2024-32962 class).
  let key: KeyObject;
  try {
    key = cert.publicKey ?? createPublicKey(cert.pem);
  } catch {
    return null;
  }
  // The algorithm names RSA; an EC or other key must not verify a signature under that name.
  return key.asymmetricKeyType === 'rsa' ? key : null;
}

/**
 * Verify the signature that is a direct child of `element`, which must belong to a document
 * parsed by XmlGuard.parseXml. The signature must reference `element` by its own ID and
 * nothing else.
 */
export function verifyEnvelopedSignature(element: Element, opts: VerifyOptions): VerifiedElement {
  const id = element.getAttribute('ID') ?? '';
  if (!isSafeId(id)) reject('signature-reference-invalid', { why: 'element ID missing or not an NCName' });
  const signatures = childrenNamed(element, NS.ds, 'Signature');
  if (signatures.length === 0) reject('signature-missing', { element: element.localName });
  if (signatures.length > 1) reject('signature-invalid', { why: 'more than one signature', element: element.localName });
  const signature = signatures[0]!;
  const parts = checkSignatureShape(signature, id);
  assertIdUnique(element, id);
  const candidates = candidateCerts(opts.certs, parts.keyNames, opts.now);
  if (candidates.length === 0) reject('signature-invalid', { why: 'no valid trusted certificate' });

  // Reference validation: the digest of exactly the bytes we will go on with.
  const expectedDigest = base64Bytes(parts.digestValue);
  const canon = canonicalEnvelopedElement(element, signature, parts.inclusivePrefixes);
  const digest = createHash(HASH_OF[parts.digestAlgorithm]!).update(canon, 'utf8').digest();
  if (digest.length !== expectedDigest.length || !timingSafeEqual(digest, expectedDigest)) {
    reject('signature-invalid', { element: element.localName, why: 'digest does not match' });
  }

  // Signature validation: SignedInfo against each trusted key in turn (rollover).
  const signedInfo = Buffer.from(canonicalElement(parts.signedInfo), 'utf8');
  const signatureBytes = base64Bytes(parts.signatureValue);
  const hash = HASH_OF[parts.signatureAlgorithm]!;
  let cert: TrustedCert | null = null;
  for (const candidate of candidates) {
    const key = rsaKeyOf(candidate);
    if (key && verify(hash, signedInfo, key, signatureBytes)) {
      cert = candidate;
      break;
    }
  }
  if (!cert) return reject('signature-invalid', { element: element.localName, tried: candidates.length });

  let signedDoc: Document;
  try {
    signedDoc = parseXml(canon, opts.limits);
  } catch (e) {
    if (e instanceof BrokerRejection) throw e;
    return reject('signature-invalid', { why: 'signed bytes do not parse' });
  }
  const signed = signedDoc.documentElement;
  if (
    signed.namespaceURI !== element.namespaceURI ||
    signed.localName !== element.localName ||
    signed.getAttribute('ID') !== id
  ) {
    reject('signature-reference-invalid', { why: 'signed bytes are not the element' });
  }
  return { element: signed, signedXml: canon, cert };
}
