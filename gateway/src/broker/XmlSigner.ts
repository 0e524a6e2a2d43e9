// The one signing path of the broker face: AuthnRequest (POST binding), ArtifactResolve, SP
// metadata and the dienstcatalogus are all enveloped-signed here with RSA-SHA256, exclusive
// c14n and a SHA-256 digest; the Redirect binding signs its query string here too.
//
// The signature is made the way SignatureVerifier.ts checks one: xml-crypto's exclusive
// canonicaliser on the DOM of our own message, digest and RSA with node:crypto. SignedXml would
// produce the same bytes (xmlSigner.test.ts holds the two byte-for-byte equal, RSA PKCS#1 v1.5
// being deterministic) but parses the message twice and runs XPath to find what we already
// hold: three times the RSA work per message (docs/performance.md).
import { createHash, createSign, type KeyObject } from 'node:crypto';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { ALG, NS } from './constants.ts';
import { childrenNamed, isSafeId } from './Dom.ts';
import { canonicalElement } from './ExclusiveCanonicalForm.ts';

export interface SigningKey {
  /**
   * PEM private key or KeyObject. Prefer the KeyObject made once at start-up: a PEM string is
   * parsed again on every signature (~1–2 ms for RSA-2048 with OpenSSL 3, more than the RSA
   * operation itself).
   */
  key: string | KeyObject;
  /** PEM certificate; published as X509Data when `keyInfo` is 'x509'. */
  certPem: string;
  /** Lowercase hex SHA-256 of the certificate: the eHerkenning KeyName. */
  keyName: string;
}

export interface SignOptions {
  /** Where the ds:Signature goes: after the root's saml:Issuer (protocol messages) or first. */
  placement: 'after-issuer' | 'first-child';
  /** Messages carry only a KeyName; signed metadata and the catalogue only X509Data (AS rule). */
  keyInfo: 'keyname' | 'x509';
}

function certBody(pem: string): string {
  return pem
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
}

/** Our own message, built from templates: a parse problem is a bug here, never input. */
function parseOwn(xml: string): Document {
  const problems: string[] = [];
  const record = (msg: string): void => {
    problems.push(msg);
  };
  const doc = new DOMParser({ errorHandler: { warning: record, error: record, fatalError: record } }).parseFromString(xml, 'text/xml');
  if (problems.length > 0 || !doc.documentElement) throw new Error(`signXml: not well-formed XML (${problems[0] ?? 'no root'})`);
  return doc;
}

interface SignatureParts {
  signature: Element;
  signedInfo: Element;
  signatureValue: Element;
}

/** ds:Signature with SignedInfo, an empty SignatureValue and KeyInfo, made in `doc`. */
function signatureElement(doc: Document, id: string, digest: string, signer: SigningKey, keyInfo: SignOptions['keyInfo']): SignatureParts {
  const el = (parent: Node, name: string, algorithm?: string): Element => {
    const child = doc.createElementNS(NS.ds, `ds:${name}`);
    if (algorithm) child.setAttribute('Algorithm', algorithm);
    parent.appendChild(child);
    return child;
  };
  const signature = doc.createElementNS(NS.ds, 'ds:Signature');
  // As SignedXml writes it: the declaration on ds:Signature even where an ancestor has it.
  signature.setAttributeNS('http://www.w3.org/2000/xmlns/', 'xmlns:ds', NS.ds);
  const signedInfo = el(signature, 'SignedInfo');
  el(signedInfo, 'CanonicalizationMethod', ALG.excC14n);
  el(signedInfo, 'SignatureMethod', ALG.rsaSha256);
  const reference = el(signedInfo, 'Reference');
  reference.setAttribute('URI', `#${id}`);
  const transforms = el(reference, 'Transforms');
  el(transforms, 'Transform', ALG.enveloped);
  el(transforms, 'Transform', ALG.excC14n);
  el(reference, 'DigestMethod', ALG.sha256);
  el(reference, 'DigestValue').appendChild(doc.createTextNode(digest));
  const signatureValue = el(signature, 'SignatureValue');
  const info = el(signature, 'KeyInfo');
  if (keyInfo === 'keyname') {
    el(info, 'KeyName').appendChild(doc.createTextNode(signer.keyName));
  } else {
    el(el(info, 'X509Data'), 'X509Certificate').appendChild(doc.createTextNode(certBody(signer.certPem)));
  }
  return { signature, signedInfo, signatureValue };
}

/** Sign the root element of `xml` (which must carry an ID attribute) and return the result. */
export function signXml(xml: string, signer: SigningKey, opts: SignOptions): string {
  const doc = parseOwn(xml);
  const root = doc.documentElement;
  const id = root.getAttribute('ID');
  if (!id || !isSafeId(id)) throw new Error('signXml: the root element needs an ID that is an NCName');

  // The reference: the root before the signature exists is the root after the enveloped transform.
  const digest = createHash('sha256').update(canonicalElement(root), 'utf8').digest('base64');
  const { signature, signedInfo, signatureValue } = signatureElement(doc, id, digest, signer, opts.keyInfo);

  if (opts.placement === 'after-issuer') {
    const issuer = childrenNamed(root, NS.saml, 'Issuer')[0];
    if (!issuer) throw new Error('signXml: no Issuer to place the signature after');
    root.insertBefore(signature, issuer.nextSibling);
  } else {
    root.insertBefore(signature, root.firstChild);
  }

  // SignedInfo canonicalised where it now sits, which is what a verifier does.
  const value = createSign('RSA-SHA256').update(canonicalElement(signedInfo), 'utf8').sign(signer.key, 'base64');
  signatureValue.appendChild(doc.createTextNode(value));
  return new XMLSerializer().serializeToString(doc);
}

/**
 * HTTP-Redirect binding signature (SAML Bindings §3.4.4.1): RSA-SHA256 over the exact
 * URL-encoded `SAMLRequest=…&RelayState=…&SigAlg=…` octets.
 */
export function signRedirectQuery(octets: string, key: string | KeyObject): string {
  return createSign('RSA-SHA256').update(octets, 'utf8').sign(key, 'base64');
}
