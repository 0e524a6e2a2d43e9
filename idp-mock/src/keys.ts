// Key material of the mock broker: its SAML signing key, and throwaway keys it makes up for
// the parties it also plays (the AD and MR inside Advice, an untrusted signer, another DV).
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPair);

/** A key that signs: the private key, and the KeyName receivers use to find the certificate. */
export interface SigningKey {
  /** Parsed once: xml-crypto hands it to crypto.createSign().sign() as is (a PEM would be parsed per signature). */
  privateKey: KeyObject;
  /** PEM certificate, when there is one. */
  certPem: string | null;
  /** Lowercase hex SHA-256 of the DER certificate (or of the SPKI when there is no certificate). */
  keyName: string;
}

/** A public key something is encrypted for: a DV (EntityID + certificate). */
export interface RecipientKey {
  entityId: string;
  publicKey: KeyObject;
  keyName: string;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function certDer(certPem: string): Buffer {
  return new X509Certificate(certPem).raw;
}

/** Lowercase hex SHA-256 fingerprint of the DER certificate: the eHerkenning KeyName. */
export function certKeyName(certPem: string): string {
  return sha256Hex(certDer(certPem));
}

/** The base64 DER for an X509Certificate element. */
export function certBase64(certPem: string): string {
  return certDer(certPem).toString('base64');
}

/** Base64 DER (as found in metadata) → PEM. */
export function base64ToPem(b64: string): string {
  const clean = b64.replace(/\s+/g, '');
  const lines = clean.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

export function signingKeyFromPem(keyPem: string, certPem: string): SigningKey {
  const privateKey = createPrivateKey(keyPem);
  const cert = new X509Certificate(certPem);
  if (!cert.checkPrivateKey(privateKey)) throw new Error('the signing certificate does not belong to the signing key');
  return {
    privateKey,
    certPem,
    keyName: certKeyName(certPem),
  };
}

export function signingKeyFromKeyObject(privateKey: KeyObject): SigningKey {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return {
    privateKey,
    certPem: null,
    keyName: sha256Hex(spki),
  };
}

export function recipientFromCert(entityId: string, certPem: string): RecipientKey {
  return { entityId, publicKey: createPublicKey(certPem), keyName: certKeyName(certPem) };
}

export async function generateRsaKey(bits = 2048): Promise<KeyObject> {
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: bits });
  return privateKey;
}

/** PEM material of the mock broker. */
export interface IdpMockKeys {
  /** SAML signing key (PEM) and its certificate (PEM, published in metadata). */
  signingKey: string;
  signingCert: string;
  /** TLS server key and certificate for the ArtifactResolutionService. */
  tlsKey: string;
  tlsCert: string;
  /** CA (PEM) that issued the client certificates the ARS accepts. */
  caCert: string;
}

export interface IdpMockKeyFiles {
  signingKey: string;
  signingCert: string;
  tlsKey: string;
  tlsCert: string;
  caCert: string;
}

export function loadKeyFiles(files: IdpMockKeyFiles): IdpMockKeys {
  const read = (what: string, file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(
        `idp-mock: cannot read ${what} at ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}). ` +
          'Generate the development keys first (start the gateway once with keys.generateDevKeys, e.g. `npm start`).',
      );
    }
  };
  return {
    signingKey: read('the signing key', files.signingKey),
    signingCert: read('the signing certificate', files.signingCert),
    tlsKey: read('the TLS key', files.tlsKey),
    tlsCert: read('the TLS certificate', files.tlsCert),
    caCert: read('the dev CA certificate', files.caCert),
  };
}
