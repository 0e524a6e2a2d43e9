// Certificates we trust (broker metadata, the metadata signer) and the fingerprints eHerkenning
// uses as KeyName: lowercase hex SHA-256 of the DER, and SHA-1 for brokers that match on it.
import { X509Certificate, createHash, type KeyObject } from 'node:crypto';

export interface TrustedCert {
  pem: string;
  /**
   * The certificate's public key, parsed once when the certificate is loaded. Signature checks
   * use it instead of `pem`, which would be parsed again (X.509 + key) on every verification.
   */
  publicKey?: KeyObject;
  sha256: string;
  sha1: string;
  /** KeyName values that metadata published next to the certificate. */
  keyNames: string[];
  notBefore: number;
  notAfter: number;
}

export function derFromBase64(b64: string): Buffer {
  const clean = b64.replace(/[ \t\r\n]/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(clean)) throw new Error('certificate is not base64');
  return Buffer.from(clean, 'base64');
}

export function pemFromDer(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** All certificates in a PEM bundle. */
export function pemCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** Lowercase hex without separators; KeyNames are compared in this form. */
export function normalizeFingerprint(value: string): string {
  return value.replace(/[:\s]/g, '').toLowerCase();
}

export function fingerprints(der: Buffer): { sha256: string; sha1: string } {
  return {
    sha256: createHash('sha256').update(der).digest('hex'),
    sha1: createHash('sha1').update(der).digest('hex'),
  };
}

/**
 * Build a TrustedCert. RSA keys below 2048 bits are refused (the Afsprakenstelsel minimum).
 * Throws on anything that is not a usable certificate.
 */
export function trustedCert(der: Buffer, keyNames: string[] = []): TrustedCert {
  const x = new X509Certificate(der);
  const key = x.publicKey;
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') throw new Error('not an RSA key');
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 2048) throw new Error(`RSA key of ${bits} bits is too small`);
  return {
    pem: pemFromDer(Buffer.from(x.raw)),
    publicKey: key,
    ...fingerprints(Buffer.from(x.raw)),
    keyNames: keyNames.map(normalizeFingerprint),
    notBefore: Date.parse(x.validFrom),
    notAfter: Date.parse(x.validTo),
  };
}

export function trustedCertFromPem(pem: string, keyNames: string[] = []): TrustedCert {
  const x = new X509Certificate(pem);
  return trustedCert(Buffer.from(x.raw), keyNames);
}

export function isValidAt(cert: TrustedCert, now: number): boolean {
  return cert.notBefore <= now && now <= cert.notAfter;
}
