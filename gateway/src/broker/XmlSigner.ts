// The one signing path of the broker face: AuthnRequest (POST binding), ArtifactResolve, SP
// metadata and the dienstcatalogus are all enveloped-signed here with RSA-SHA256, exclusive
// c14n and a SHA-256 digest; the Redirect binding signs its query string here too.
import { createSign, type KeyObject } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { ALG } from './constants.ts';

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

/** Sign the root element of `xml` (which must carry an ID attribute) and return the result. */
export function signXml(xml: string, signer: SigningKey, opts: SignOptions): string {
  const sig = new SignedXml({
    // xml-crypto hands this to crypto.createSign().sign(), which takes a KeyObject as is.
    privateKey: signer.key,
    signatureAlgorithm: ALG.rsaSha256,
    canonicalizationAlgorithm: ALG.excC14n,
    getKeyInfoContent: ({ prefix } = {}) => {
      const p = prefix ? `${prefix}:` : '';
      return opts.keyInfo === 'keyname'
        ? `<${p}KeyName>${signer.keyName}</${p}KeyName>`
        : `<${p}X509Data><${p}X509Certificate>${certBody(signer.certPem)}</${p}X509Certificate></${p}X509Data>`;
    },
  });
  sig.addReference({
    xpath: '/*',
    transforms: [ALG.enveloped, ALG.excC14n],
    digestAlgorithm: ALG.sha256,
  });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location:
      opts.placement === 'after-issuer'
        ? { reference: "/*/*[local-name(.)='Issuer']", action: 'after' }
        : { reference: '/*', action: 'prepend' },
  });
  return sig.getSignedXml();
}

/**
 * HTTP-Redirect binding signature (SAML Bindings §3.4.4.1): RSA-SHA256 over the exact
 * URL-encoded `SAMLRequest=…&RelayState=…&SigAlg=…` octets.
 */
export function signRedirectQuery(octets: string, key: string | KeyObject): string {
  return createSign('RSA-SHA256').update(octets, 'utf8').sign(key, 'base64');
}
