// Development keys: generated on first start into certs/ (git-ignored), never in production.
// Every file is created only when missing, written to a temporary name and renamed into
// place, under a directory lock, so two processes starting at once never see a torn file
// or a key that does not match its certificate.
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import crypto, { type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import type { JWK } from './jwk.ts';

// Node's webcrypto; the project's lib has no DOM, so name the library's own parameter types.
(x509.cryptoProvider as unknown as { set(c: unknown): unknown }).set(crypto.webcrypto);
type CryptoKey = x509.X509CertificateCreateWithKeyParams['signingKey'];

/** The development OIN of the Mijn DUO dienstverlener (matches config/default.yaml). */
export const DEV_OIN = '00000001234567890000';

/** File names inside the development key directory. */
export const DEV_KEY_FILES = {
  caKey: 'dev-ca.key',
  caCert: 'dev-ca.crt',
  spKey: 'sp-saml.key',
  spCert: 'sp-saml.crt',
  tlsClientKey: 'sp-tls-client.key',
  tlsClientCert: 'sp-tls-client.crt',
  idpSigningKey: 'idp-mock-signing.key',
  idpSigningCert: 'idp-mock-signing.crt',
  idpTlsKey: 'idp-mock-tls.key',
  idpTlsCert: 'idp-mock-tls.crt',
  oidcJwks: 'oidc-jwks.json',
  secrets: 'secrets.json',
  demoAppSecret: 'demo-app.secret',
} as const;

export interface EnsureDevKeysOptions {
  /** OIN written as serialNumber in the SP certificates. */
  oin?: string;
  /** "Now" for the certificate validity (tests). */
  now?: Date;
  /** Give up waiting for another process's lock after this many ms (default 60 s). */
  lockTimeoutMs?: number;
}

const DAY_MS = 24 * 3600 * 1000;
const RSA_SIGN = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
const BACKDATE_MS = 5 * 60 * 1000;

/** Random 32 bytes, base64url. */
export function randomSecret(bytes = 32): string {
  return crypto.randomBytes(bytes).toString('base64url');
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/** Write via a temporary file in the same directory and rename (atomic on POSIX). */
export async function writeFileAtomic(file: string, data: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFile(tmp, data, { mode, flag: 'wx' });
    await fs.chmod(tmp, mode);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

function generateRsa(): Promise<KeyObject> {
  return new Promise((resolve, reject) =>
    crypto.generateKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 }, (err, _pub, priv) =>
      err ? reject(err) : resolve(priv),
    ),
  );
}

function pkcs8Pem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

async function toSigningCryptoKey(key: KeyObject): Promise<CryptoKey> {
  const der = key.export({ type: 'pkcs8', format: 'der' });
  return (await crypto.webcrypto.subtle.importKey('pkcs8', der, RSA_SIGN, true, ['sign'])) as unknown as CryptoKey;
}

async function toPublicCryptoKey(key: KeyObject): Promise<CryptoKey> {
  const der = crypto.createPublicKey(key).export({ type: 'spki', format: 'der' });
  return (await crypto.webcrypto.subtle.importKey('spki', der, RSA_SIGN, true, ['verify'])) as unknown as CryptoKey;
}

function serialHex(): string {
  // 16 random bytes, high bit cleared so the INTEGER stays positive.
  const b = crypto.randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

/** X.500 name; serialNumber (2.5.4.5) is not in the library's short-name table, so use the OID. */
function dn(parts: { cn: string; o: string; serialNumber?: string; c?: string }): string {
  const rdns = [`CN=${parts.cn}`, `O=${parts.o}`];
  if (parts.serialNumber) rdns.push(`2.5.4.5=${parts.serialNumber}`);
  rdns.push(`C=${parts.c ?? 'NL'}`);
  return rdns.join(', ');
}

interface Issuer {
  cert: x509.X509Certificate;
  key: KeyObject;
}

interface CertSpec {
  subject: string;
  days: number;
  extensions: x509.Extension[];
}

async function makeCert(key: KeyObject, spec: CertSpec, now: Date, issuer: Issuer | null): Promise<string> {
  const publicKey = await toPublicCryptoKey(key);
  const signingKey = await toSigningCryptoKey(issuer ? issuer.key : key);
  const extensions = [
    ...spec.extensions,
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
  ];
  if (issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.cert));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialHex(),
    subject: spec.subject,
    issuer: issuer ? issuer.cert.subject : spec.subject,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + spec.days * DAY_MS),
    publicKey,
    signingKey,
    signingAlgorithm: RSA_SIGN,
    extensions,
  });
  return cert.toString('pem') + '\n';
}

/** RFC 7638 JWK thumbprint, base64url. */
export function jwkThumbprint(jwk: JWK): string {
  const members =
    jwk.kty === 'RSA' ? ['e', 'kty', 'n'] : jwk.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : ['crv', 'kty', 'x'];
  const canonical = `{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m])}`).join(',')}}`;
  return crypto.createHash('sha256').update(canonical).digest('base64url');
}

async function makeOidcJwks(): Promise<{ keys: JWK[] }> {
  const rsa = await generateRsa();
  const ec = await new Promise<KeyObject>((resolve, reject) =>
    crypto.generateKeyPair('ec', { namedCurve: 'P-256' }, (err, _pub, priv) => (err ? reject(err) : resolve(priv))),
  );
  const keys: JWK[] = [];
  for (const [key, alg] of [
    [rsa, 'RS256'],
    [ec, 'ES256'],
  ] as const) {
    const jwk = key.export({ format: 'jwk' }) as JWK;
    keys.push({ ...jwk, kid: jwkThumbprint(jwk), use: 'sig', alg });
  }
  return { keys };
}

function makeSecrets(): Record<string, unknown> {
  return {
    cookieKeys: [randomSecret(), randomSecret()],
    subjectHashKey: randomSecret(),
    activationCodeKey: randomSecret(),
    csrfSecret: randomSecret(),
  };
}

/** A lock directory (mkdir is atomic); stale locks of dead processes or older than 2 min are broken. */
async function withLock<T>(dir: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(dir, '.dev-keys.lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fs.mkdir(lock);
      await fs.writeFile(path.join(lock, 'owner'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await isStale(lock)) {
        await fs.rm(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`ensureDevKeys: timed out waiting for lock ${lock}; remove it if no other process runs`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { recursive: true, force: true });
  }
}

async function isStale(lock: string): Promise<boolean> {
  try {
    const st = await fs.stat(lock);
    if (Date.now() - st.mtimeMs > 120_000) return true;
    const pid = Number(await fs.readFile(path.join(lock, 'owner'), 'utf8').catch(() => ''));
    if (!pid) return false; // owner file not written yet
    try {
      process.kill(pid, 0);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    return false;
  }
}

/**
 * Create the development keys and certificates that are missing in `dir`.
 * Existing files are left alone; a key whose certificate is missing gets a new certificate.
 * Returns the file names created.
 */
export async function ensureDevKeys(dir: string, opts: EnsureDevKeysOptions = {}): Promise<{ created: string[] }> {
  await fs.mkdir(dir, { recursive: true });
  return withLock(dir, opts.lockTimeoutMs ?? 60_000, () => generateMissing(dir, opts));
}

async function generateMissing(dir: string, opts: EnsureDevKeysOptions): Promise<{ created: string[] }> {
  const now = opts.now ?? new Date();
  const oin = opts.oin ?? DEV_OIN;
  const created: string[] = [];
  const F = DEV_KEY_FILES;
  const p = (f: string) => path.join(dir, f);

  /** Key (reused when present) + certificate (created when missing or when its key/issuer is new). */
  async function pair(
    keyFile: string,
    certFile: string,
    spec: CertSpec,
    issuer: Issuer | null,
    issuerIsNew: boolean,
  ): Promise<{ key: KeyObject; certPem: string; isNew: boolean }> {
    let key: KeyObject;
    let keyIsNew = false;
    if (await exists(p(keyFile))) {
      key = crypto.createPrivateKey(await fs.readFile(p(keyFile), 'utf8'));
    } else {
      key = await generateRsa();
      await writeFileAtomic(p(keyFile), pkcs8Pem(key), 0o600);
      created.push(keyFile);
      keyIsNew = true;
    }
    let certPem: string;
    if (!keyIsNew && !issuerIsNew && (await exists(p(certFile)))) {
      certPem = await fs.readFile(p(certFile), 'utf8');
      return { key, certPem, isNew: false };
    }
    certPem = await makeCert(key, spec, now, issuer);
    await writeFileAtomic(p(certFile), certPem, 0o644);
    created.push(certFile);
    return { key, certPem, isNew: true };
  }

  const leafBasics = [new x509.BasicConstraintsExtension(false, undefined, true)];

  // Development CA (issues the TLS certificates of both sides of the back channel).
  const ca = await pair(
    F.caKey,
    F.caCert,
    {
      subject: dn({ cn: 'Mijn DUO development CA', o: 'DUO dev' }),
      days: 5 * 365,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    },
    null,
    false,
  );
  const caIssuer: Issuer = { cert: new x509.X509Certificate(ca.certPem), key: ca.key };

  // SP SAML signing + encryption certificate (self-signed, as eHerkenning metadata carries it).
  await pair(
    F.spKey,
    F.spCert,
    {
      subject: dn({ cn: 'Mijn DUO eHerkenning SP (development)', o: 'DUO dev', serialNumber: oin }),
      days: 2 * 365,
      extensions: [
        ...leafBasics,
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature |
            x509.KeyUsageFlags.nonRepudiation |
            x509.KeyUsageFlags.keyEncipherment |
            x509.KeyUsageFlags.dataEncipherment,
          true,
        ),
      ],
    },
    null,
    false,
  );

  // SP TLS client certificate for the mutual-TLS artifact resolution.
  await pair(
    F.tlsClientKey,
    F.tlsClientCert,
    {
      subject: dn({ cn: 'mijnduo-gateway (development)', o: 'DUO dev', serialNumber: oin }),
      days: 2 * 365,
      extensions: [
        ...leafBasics,
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
      ],
    },
    caIssuer,
    ca.isNew,
  );

  // Mock broker: metadata/assertion signing certificate (self-signed).
  await pair(
    F.idpSigningKey,
    F.idpSigningCert,
    {
      subject: dn({ cn: 'eHerkenning mock broker signing (development)', o: 'idp-mock dev' }),
      days: 2 * 365,
      extensions: [
        ...leafBasics,
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
          true,
        ),
      ],
    },
    null,
    false,
  );

  // Mock broker: TLS server certificate for the ArtifactResolutionService.
  await pair(
    F.idpTlsKey,
    F.idpTlsCert,
    {
      subject: dn({ cn: 'localhost', o: 'idp-mock dev' }),
      days: 2 * 365,
      extensions: [
        ...leafBasics,
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension(
          [
            { type: 'dns', value: 'localhost' },
            { type: 'ip', value: '127.0.0.1' },
            { type: 'ip', value: '::1' },
          ],
          false,
        ),
      ],
    },
    caIssuer,
    ca.isNew,
  );

  if (!(await exists(p(F.oidcJwks)))) {
    await writeFileAtomic(p(F.oidcJwks), JSON.stringify(await makeOidcJwks(), null, 2) + '\n', 0o600);
    created.push(F.oidcJwks);
  }
  if (!(await exists(p(F.secrets)))) {
    await writeFileAtomic(p(F.secrets), JSON.stringify(makeSecrets(), null, 2) + '\n', 0o600);
    created.push(F.secrets);
  }
  if (!(await exists(p(F.demoAppSecret)))) {
    await writeFileAtomic(p(F.demoAppSecret), randomSecret(), 0o600);
    created.push(F.demoAppSecret);
  }
  return { created };
}
