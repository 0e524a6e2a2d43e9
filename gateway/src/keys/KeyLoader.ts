// Loads every key and secret named in config (keys.*) once at start-up. A missing, unreadable
// or malformed file is reported with the file path and the config field that names it, so an
// operator knows exactly what to fix.
import crypto, { type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { keyPath, type Config } from '../config.ts';
import { ensureDevKeys } from './DevKeys.ts';
import type { GatewaySecrets, KeyMaterial, SpKeyPair } from './KeyMaterial.ts';
import type { JWK } from './jwk.ts';

export class KeyMaterialError extends Error {
  constructor(
    /** Config field naming the file, e.g. `keys.spKey`. */
    readonly field: string,
    readonly file: string,
    problem: string,
  ) {
    super(`${field} (${file}): ${problem}`);
    this.name = 'KeyMaterialError';
  }
}

/** Facts about one certificate, for metadata, logs, `mijnduo keys show` and health. */
export interface CertInfo {
  subject: string;
  issuer: string;
  serialNumber: string;
  /** Lowercase hex SHA-256 of the DER certificate. */
  sha256Fingerprint: string;
  /** Lowercase hex SHA-1 of the DER certificate. */
  sha1Fingerprint: string;
  notBefore: Date;
  notAfter: Date;
}

export function certInfo(certPem: string): CertInfo {
  const cert = new crypto.X509Certificate(certPem);
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    serialNumber: cert.serialNumber.toLowerCase(),
    sha256Fingerprint: crypto.createHash('sha256').update(cert.raw).digest('hex'),
    sha1Fingerprint: crypto.createHash('sha1').update(cert.raw).digest('hex'),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
  };
}

/** Whole days from `now` until `notAfter` (negative once expired). */
export function daysLeft(notAfter: Date, nowMs: number): number {
  return Math.floor((notAfter.getTime() - nowMs) / (24 * 3600 * 1000));
}

/** The directory that holds the key files (keys.dir, resolved against the project root). */
export function keysDir(cfg: Config): string {
  return keyPath(cfg, '.');
}

async function readText(field: string, file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'file not found / bestand niet gevonden'
        : code === 'EACCES'
          ? 'permission denied / geen leesrechten'
          : `cannot read: ${(err as Error).message}`;
    throw new KeyMaterialError(field, file, why);
  }
}

function parsePrivateKey(field: string, file: string, pem: string): KeyObject {
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(pem)) {
    throw new KeyMaterialError(field, file, 'not a PEM private key (expected PKCS#8 "BEGIN PRIVATE KEY")');
  }
  try {
    return crypto.createPrivateKey(pem);
  } catch (err) {
    throw new KeyMaterialError(field, file, `cannot parse private key: ${(err as Error).message}`);
  }
}

function parseCert(field: string, file: string, pem: string): CertInfo & { x509: crypto.X509Certificate } {
  try {
    return { ...certInfo(pem), x509: new crypto.X509Certificate(pem) };
  } catch (err) {
    throw new KeyMaterialError(field, file, `not a PEM X.509 certificate: ${(err as Error).message}`);
  }
}

/** Load a key + certificate pair and check that they belong together. */
async function loadPair(
  keyField: string,
  keyFile: string,
  certField: string,
  certFile: string,
): Promise<SpKeyPair> {
  const keyPem = await readText(keyField, keyFile);
  const key = parsePrivateKey(keyField, keyFile, keyPem);
  const certPem = await readText(certField, certFile);
  const cert = parseCert(certField, certFile, certPem);
  if (!cert.x509.checkPrivateKey(key)) {
    throw new KeyMaterialError(certField, certFile, `certificate does not match the private key in ${keyFile}`);
  }
  return {
    keyPem,
    key,
    certPem,
    sha256Fingerprint: cert.sha256Fingerprint,
    sha1Fingerprint: cert.sha1Fingerprint,
    notAfter: cert.notAfter,
  };
}

const jwkSchema = z
  .object({ kty: z.enum(['RSA', 'EC', 'OKP']), kid: z.string().min(1), d: z.string().min(1) })
  .passthrough();
const jwksSchema = z.object({ keys: z.array(jwkSchema).min(1, 'needs at least one key') });

const secretsSchema = z.object({
  cookieKeys: z.array(z.string().min(16)).min(1, 'needs at least one cookie key'),
  subjectHashKey: z.string().min(16),
  activationCodeKey: z.string().min(16),
  csrfSecret: z.string().min(16),
});

function parseJson<T>(field: string, file: string, text: string, schema: z.ZodType<T>): T {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new KeyMaterialError(field, file, `not valid JSON: ${(err as Error).message}`);
  }
  const r = schema.safeParse(data);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ');
    throw new KeyMaterialError(field, file, problems);
  }
  return r.data;
}

/** The certificate next to a previous SP key: same name with .crt (config names only the key). */
function previousCertFile(keyFile: string): string {
  return keyFile.replace(/\.(key|pem)$/i, '') + '.crt';
}

/** Read every configured key file (keys.* resolved with keyPath). */
export async function loadKeyMaterial(cfg: Config): Promise<KeyMaterial> {
  const k = cfg.keys;
  const sp = await loadPair('keys.spKey', keyPath(cfg, k.spKey), 'keys.spCert', keyPath(cfg, k.spCert));

  let spPrevious: SpKeyPair | null = null;
  if (k.spPreviousKey) {
    const prevKey = keyPath(cfg, k.spPreviousKey);
    spPrevious = await loadPair('keys.spPreviousKey', prevKey, 'keys.spPreviousKey (certificate)', previousCertFile(prevKey));
  }

  const tls = await loadPair(
    'keys.tlsClientKey',
    keyPath(cfg, k.tlsClientKey),
    'keys.tlsClientCert',
    keyPath(cfg, k.tlsClientCert),
  );

  const jwksFile = keyPath(cfg, k.oidcJwks);
  const jwks = parseJson('keys.oidcJwks', jwksFile, await readText('keys.oidcJwks', jwksFile), jwksSchema);

  const secretsFile = keyPath(cfg, k.secrets);
  const secrets: GatewaySecrets = parseJson(
    'keys.secrets',
    secretsFile,
    await readText('keys.secrets', secretsFile),
    secretsSchema,
  );

  return {
    sp,
    spPrevious,
    tlsClient: { keyPem: tls.keyPem, certPem: tls.certPem, notAfter: tls.notAfter },
    oidcJwks: { keys: jwks.keys as JWK[] },
    secrets,
  };
}

/**
 * What the composition root calls: generate missing development keys when
 * keys.generateDevKeys is set (never in production; config refuses that), then load.
 */
export async function prepareKeys(cfg: Config): Promise<KeyMaterial> {
  if (cfg.keys.generateDevKeys) {
    await ensureDevKeys(keysDir(cfg), { oin: cfg.service.oin });
  }
  return loadKeyMaterial(cfg);
}
