// Every key and secret the gateway holds, loaded once at start-up from files (never the repo).
import type { KeyObject } from 'node:crypto';
import type { JWK } from './jwk.ts';

export interface SpKeyPair {
  /** PEM private key. */
  keyPem: string;
  key: KeyObject;
  /** PEM certificate. */
  certPem: string;
  /** Lowercase hex SHA-256 of the DER certificate (the eHerkenning KeyName). */
  sha256Fingerprint: string;
  /** Lowercase hex SHA-1 of the DER certificate (some brokers match on it). */
  sha1Fingerprint: string;
  notAfter: Date;
}

export interface GatewaySecrets {
  /** Cookie signing keys, newest first (oidc-provider and our own cookies). */
  cookieKeys: string[];
  /** HMAC key for the keyed hash of (pseudonym, legal subject). */
  subjectHashKey: string;
  /** HMAC key for activation code hashes (kept outside the database). */
  activationCodeKey: string;
  /** Secret for CSRF tokens. */
  csrfSecret: string;
}

export interface KeyMaterial {
  /** SAML signing + encryption key pair published in SP metadata. */
  sp: SpKeyPair;
  /** Previous SP key, still tried for decryption during a rollover. */
  spPrevious: SpKeyPair | null;
  /** Client certificate for the mutual-TLS back channel. */
  tlsClient: { keyPem: string; certPem: string; notAfter: Date };
  /** Private JWKS for oidc-provider (first key signs). */
  oidcJwks: { keys: JWK[] };
  secrets: GatewaySecrets;
}
