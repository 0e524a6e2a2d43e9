// XML signatures, the eHerkenning way: enveloped, exclusive c14n, SHA-256 digest, RSA-SHA256,
// KeyInfo holding only a KeyName. Signing and checking are both here, on xml-crypto.
import { SignedXml } from 'xml-crypto';
import type { SigningKey } from './keys.ts';
import { NS, children, countIds, elementChildren, is, textOf } from './xml.ts';

export const ALG = {
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  enveloped: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha512: 'http://www.w3.org/2001/04/xmlenc#sha512',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  rsaSha512: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  rsaSha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
} as const;

export interface SignOptions {
  key: SigningKey;
  /** rsa-sha1 + sha1 digest, for the sha1-signature switch. */
  sha1?: boolean;
  /**
   * Where the Signature goes: right after the root's Issuer child (SAML messages and
   * assertions) or as the first child of the root (metadata).
   */
  placement: 'after-issuer' | 'first-child';
}

/** Sign the root element of `xml` (which must carry an ID attribute). */
export function signRoot(xml: string, opts: SignOptions): string {
  const sig = new SignedXml({
    privateKey: opts.key.privateKey,
    signatureAlgorithm: opts.sha1 ? ALG.rsaSha1 : ALG.rsaSha256,
    canonicalizationAlgorithm: ALG.excC14n,
    getKeyInfoContent: ({ prefix } = {}) => {
      const p = prefix ? `${prefix}:` : '';
      return `<${p}KeyName>${opts.key.keyName}</${p}KeyName>`;
    },
  });
  sig.addReference({
    xpath: '/*',
    transforms: [ALG.enveloped, ALG.excC14n],
    digestAlgorithm: opts.sha1 ? ALG.sha1 : ALG.sha256,
  });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location:
      opts.placement === 'after-issuer'
        ? { reference: `/*/*[local-name(.)='Issuer' and namespace-uri(.)='${NS.saml}']`, action: 'after' }
        : { reference: '/*', action: 'prepend' },
  });
  return sig.getSignedXml();
}

export type VerifyResult =
  | { ok: true; certIndex: number; signatureAlgorithm: string }
  | { ok: false; reason: string };

export interface VerifyOptions {
  /** Accept rsa-sha1 / sha1 digests from the signer (off by default). */
  allowSha1?: boolean;
}

/**
 * Check the enveloped signature that is a direct child of `element` against each of `certs`
 * in turn. The signature must reference exactly `element` by its (unique) ID, use exclusive
 * c14n and an allowed algorithm; certificates in the message are never used.
 */
export function verifyEnvelopedSignature(
  xml: string,
  doc: Document,
  element: Element,
  certs: readonly string[],
  opts: VerifyOptions = {},
): VerifyResult {
  const sigs = children(element, NS.ds, 'Signature');
  if (sigs.length === 0) return { ok: false, reason: 'unsigned' };
  if (sigs.length > 1) return { ok: false, reason: 'more than one Signature' };
  const sigEl = sigs[0]!;
  const id = element.getAttribute('ID');
  if (!id) return { ok: false, reason: 'signed element has no ID' };
  if (countIds(doc, id) !== 1) return { ok: false, reason: 'ID is not unique in the document' };

  const signedInfo = children(sigEl, NS.ds, 'SignedInfo');
  if (signedInfo.length !== 1) return { ok: false, reason: 'need exactly one SignedInfo' };
  const si = signedInfo[0]!;
  const c14n = children(si, NS.ds, 'CanonicalizationMethod')[0]?.getAttribute('Algorithm');
  if (c14n !== ALG.excC14n) return { ok: false, reason: `canonicalization ${c14n ?? '(none)'} not allowed` };
  const sigAlg = children(si, NS.ds, 'SignatureMethod')[0]?.getAttribute('Algorithm') ?? '';
  const okSigAlgs: string[] = [ALG.rsaSha256, ALG.rsaSha512, ...(opts.allowSha1 ? [ALG.rsaSha1] : [])];
  if (!okSigAlgs.includes(sigAlg)) return { ok: false, reason: `signature algorithm ${sigAlg || '(none)'} not allowed` };
  const refs = children(si, NS.ds, 'Reference');
  if (refs.length !== 1) return { ok: false, reason: 'need exactly one Reference' };
  const ref = refs[0]!;
  if (ref.getAttribute('URI') !== `#${id}`) return { ok: false, reason: 'Reference does not point at the signed element' };
  const transforms = children(ref, NS.ds, 'Transforms')[0];
  const transformAlgs = transforms
    ? elementChildren(transforms).map((t) => (is(t, NS.ds, 'Transform') ? t.getAttribute('Algorithm') ?? '' : '?'))
    : [];
  if (transformAlgs.some((a) => a !== ALG.enveloped && a !== ALG.excC14n)) {
    return { ok: false, reason: `transform not allowed: ${transformAlgs.join(', ')}` };
  }
  const digestAlg = children(ref, NS.ds, 'DigestMethod')[0]?.getAttribute('Algorithm') ?? '';
  const okDigests: string[] = [ALG.sha256, ALG.sha512, ...(opts.allowSha1 ? [ALG.sha1] : [])];
  if (!okDigests.includes(digestAlg)) return { ok: false, reason: `digest ${digestAlg || '(none)'} not allowed` };
  if (!textOf(children(sigEl, NS.ds, 'SignatureValue')[0])) return { ok: false, reason: 'empty SignatureValue' };

  let lastError = 'no trusted certificate';
  for (let i = 0; i < certs.length; i++) {
    try {
      const sx = new SignedXml({ publicCert: certs[i]!, getCertFromKeyInfo: () => null });
      sx.loadSignature(sigEl);
      if (sx.checkSignature(xml) && sx.getSignedReferences().length === 1) {
        return { ok: true, certIndex: i, signatureAlgorithm: sigAlg };
      }
      lastError = 'signature does not verify';
    } catch (err) {
      lastError = `signature does not verify (${(err as Error).message.slice(0, 120)})`;
    }
  }
  return { ok: false, reason: lastError };
}
