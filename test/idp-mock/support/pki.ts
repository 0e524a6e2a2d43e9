// Throwaway keys and certificates for the idp-mock tests, written to a temp dir: a CA that
// issues the mock's TLS server certificate (127.0.0.1 / localhost) and the DV's TLS client
// certificate, a second CA nobody trusts, and self-signed SAML certificates for the mock and
// the fake DV. Generated once per test run.
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };

export interface Issued {
  keyPem: string;
  certPem: string;
}

export interface TestPki {
  dir: string;
  ca: Issued;
  otherCa: Issued;
  mockSigning: Issued;
  mockTls: Issued;
  dvSaml: Issued;
  dvTlsClient: Issued;
  /** A client certificate from the untrusted CA. */
  strangerTlsClient: Issued;
  /** The DV's next SAML key (for rollover tests). */
  dvSamlNext: Issued;
  /** Keys the mock would otherwise generate itself (saves time). */
  extraKeys: { participants: KeyObject; untrusted: KeyObject; otherDv: KeyObject };
  files: { signingKey: string; signingCert: string; tlsKey: string; tlsCert: string; caCert: string };
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(k: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', k));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

const notBefore = new Date(Date.UTC(2020, 0, 1));
const notAfter = new Date(Date.UTC(2040, 0, 1));

async function selfSigned(cn: string, ca: boolean): Promise<Issued & { keys: CryptoKeyPair }> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${cn}`,
    keys,
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    extensions: ca
      ? [
          new x509.BasicConstraintsExtension(true, 0, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        ]
      : [
          new x509.KeyUsagesExtension(
            x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.dataEncipherment,
            true,
          ),
        ],
  });
  return { keys, keyPem: await keyPem(keys.privateKey), certPem: cert.toString('pem') };
}

async function issue(
  issuer: Issued & { keys: CryptoKeyPair },
  cn: string,
  kind: 'server' | 'client',
): Promise<Issued> {
  const keys = await keyPair();
  const issuerCert = new x509.X509Certificate(issuer.certPem);
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${cn}`,
    issuer: issuerCert.subject,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([kind === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      ...(kind === 'server'
        ? [
            new x509.SubjectAlternativeNameExtension([
              { type: 'ip', value: '127.0.0.1' },
              { type: 'dns', value: 'localhost' },
            ]),
          ]
        : []),
    ],
  });
  return { keyPem: await keyPem(keys.privateKey), certPem: cert.toString('pem') };
}

function rsa(): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

let pki: Promise<TestPki> | undefined;

export function testPki(): Promise<TestPki> {
  pki ??= (async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'idp-mock-test-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const [ca, otherCa, mockSigning, dvSaml, dvSamlNext] = await Promise.all([
      selfSigned('idp-mock test CA', true),
      selfSigned('stranger CA', true),
      selfSigned('idp-mock signing', false),
      selfSigned('fake DV SAML', false),
      selfSigned('fake DV SAML next', false),
    ]);
    const [mockTls, dvTlsClient, strangerTlsClient] = await Promise.all([
      issue(ca, 'idp-mock TLS', 'server'),
      issue(ca, 'fake DV TLS client', 'client'),
      issue(otherCa, 'stranger TLS client', 'client'),
    ]);
    const files = {
      signingKey: path.join(dir, 'idp-mock-signing.key'),
      signingCert: path.join(dir, 'idp-mock-signing.crt'),
      tlsKey: path.join(dir, 'idp-mock-tls.key'),
      tlsCert: path.join(dir, 'idp-mock-tls.crt'),
      caCert: path.join(dir, 'dev-ca.crt'),
    };
    writeFileSync(files.signingKey, mockSigning.keyPem, { mode: 0o600 });
    writeFileSync(files.signingCert, mockSigning.certPem);
    writeFileSync(files.tlsKey, mockTls.keyPem, { mode: 0o600 });
    writeFileSync(files.tlsCert, mockTls.certPem);
    writeFileSync(files.caCert, ca.certPem);
    const strip = (i: Issued & { keys?: CryptoKeyPair }): Issued => ({ keyPem: i.keyPem, certPem: i.certPem });
    return {
      dir,
      ca: strip(ca),
      otherCa: strip(otherCa),
      mockSigning: strip(mockSigning),
      mockTls,
      dvSaml: strip(dvSaml),
      dvSamlNext: strip(dvSamlNext),
      dvTlsClient,
      strangerTlsClient,
      extraKeys: { participants: rsa(), untrusted: rsa(), otherDv: rsa() },
      files,
    };
  })();
  return pki;
}
