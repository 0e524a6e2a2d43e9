// Rules 2 and 3: verify one enveloped XML signature against trusted certificates only, with
// an algorithm allow-list, and hand back ONLY what the signature covers: the referenced
// element, re-parsed from the canonical bytes that were digested. Callers continue from that
// document and never look at the original one again.
import { SignedXml } from 'xml-crypto';
import { ALG, ALLOWED_DIGEST_ALGORITHMS, ALLOWED_SIGNATURE_ALGORITHMS, NS } from './constants.ts';
import { BrokerRejection, reject } from './BrokerRejection.ts';
import { type TrustedCert, isValidAt, normalizeFingerprint } from './Certificates.ts';
import { childrenNamed, elementChildren, isSafeId, onlyChild, optionalChild, textOf } from './Dom.ts';
import { parseXml, type XmlLimits } from './XmlGuard.ts';

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
export function checkSignatureShape(signature: Element, expectedId: string): { keyNames: string[] } {
  const signedInfo = onlyChild(signature, NS.ds, 'SignedInfo', 'signature-invalid');
  onlyChild(signature, NS.ds, 'SignatureValue', 'signature-invalid');
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
  for (const child of elementChildren(list[1]!)) {
    // Only ec:InclusiveNamespaces PrefixList may parameterise exclusive c14n.
    if (child.namespaceURI !== ALG.excC14n || child.localName !== 'InclusiveNamespaces') {
      reject('signature-algorithm-not-allowed', { why: 'exc-c14n transform content' });
    }
  }
  const digest = onlyChild(ref, NS.ds, 'DigestMethod', 'signature-invalid');
  if (!ALLOWED_DIGEST_ALGORITHMS.has(digest.getAttribute('Algorithm') ?? '')) {
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
  return { keyNames };
}

/** Certificates to try: valid now, and those named by KeyName first (or only, when named). */
export function candidateCerts(certs: readonly TrustedCert[], keyNames: string[], now: number): TrustedCert[] {
  const valid = certs.filter((c) => isValidAt(c, now));
  if (keyNames.length === 0) return valid;
  const named = valid.filter((c) => keyNames.some((k) => k === c.sha256 || k === c.sha1 || c.keyNames.includes(k)));
  return named.length > 0 ? named : valid;
}

function restrictedVerifier(cert: TrustedCert): SignedXml {
  const sig = new SignedXml({
    // The key parsed once with the certificate (Certificates.ts); the PEM only for a cert built
    // without one. Either way it is the trusted certificate's key, never one from the message.
    publicCert: cert.publicKey ?? cert.pem,
    // Never take a key from the message (CVE-2024-32962 class): always null.
    getCertFromKeyInfo: () => null,
  });
  // Allow-lists on the library side too, so an unexpected code path cannot widen them.
  sig.SignatureAlgorithms = Object.fromEntries(
    Object.entries(sig.SignatureAlgorithms).filter(([k]) => ALLOWED_SIGNATURE_ALGORITHMS.has(k)),
  ) as typeof sig.SignatureAlgorithms;
  sig.HashAlgorithms = Object.fromEntries(
    Object.entries(sig.HashAlgorithms).filter(([k]) => ALLOWED_DIGEST_ALGORITHMS.has(k)),
  ) as typeof sig.HashAlgorithms;
  sig.CanonicalizationAlgorithms = Object.fromEntries(
    Object.entries(sig.CanonicalizationAlgorithms).filter(([k]) => k === ALG.excC14n || k === ALG.enveloped),
  ) as typeof sig.CanonicalizationAlgorithms;
  return sig;
}

/**
 * Verify the signature that is a direct child of `element` (which belongs to the document
 * parsed from `xml`). The signature must reference `element` by its own ID and nothing else.
 */
export function verifyEnvelopedSignature(xml: string, element: Element, opts: VerifyOptions): VerifiedElement {
  const id = element.getAttribute('ID') ?? '';
  if (!isSafeId(id)) reject('signature-reference-invalid', { why: 'element ID missing or not an NCName' });
  const signatures = childrenNamed(element, NS.ds, 'Signature');
  if (signatures.length === 0) reject('signature-missing', { element: element.localName });
  if (signatures.length > 1) reject('signature-invalid', { why: 'more than one signature', element: element.localName });
  const signature = signatures[0]!;
  const { keyNames } = checkSignatureShape(signature, id);
  const candidates = candidateCerts(opts.certs, keyNames, opts.now);
  if (candidates.length === 0) reject('signature-invalid', { why: 'no valid trusted certificate' });

  let verified: { canon: string; cert: TrustedCert } | null = null;
  for (const cert of candidates) {
    const sig = restrictedVerifier(cert);
    try {
      sig.loadSignature(signature);
      if (sig.checkSignature(xml) === true) {
        const refs = sig.getSignedReferences();
        if (refs.length === 1) {
          verified = { canon: refs[0]!, cert };
          break;
        }
      }
    } catch {
      // Wrong key, wrong digest, wrapping: try the next trusted certificate.
    }
  }
  if (!verified) return reject('signature-invalid', { element: element.localName, tried: candidates.length });

  let signedDoc: Document;
  try {
    signedDoc = parseXml(verified.canon, opts.limits);
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
  return { element: signed, signedXml: verified.canon, cert: verified.cert };
}
