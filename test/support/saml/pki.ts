// Throwaway keys and certificates for the broker-face tests, made in memory: the "broker"
// (SAML signing, metadata signing, TLS server under its own CA), our SP (active and previous
// key, TLS client under a client CA), an untrusted signer and a rogue TLS CA.
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto, createHash, X509Certificate as NodeX509 } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
const NOT_BEFORE = new Date(Date.UTC(2020, 0, 1));
const NOT_AFTER = new Date(Date.UTC(2040, 0, 1));

export interface Identity {
  keyPem: string;
  certPem: string;
  sha256: string;
  sha1: string;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

async function keys(modulusLength = 2048): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey({ ...ALG, modulusLength }, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function identity(kp: CryptoKeyPair, cert: x509.X509Certificate): Promise<Identity & { kp: CryptoKeyPair; cert: x509.X509Certificate }> {
  const der = Buffer.from(cert.rawData);
  return {
    keyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', kp.privateKey)),
    certPem: pem('CERTIFICATE', cert.rawData),
    sha256: createHash('sha256').update(der).digest('hex'),
    sha1: createHash('sha1').update(der).digest('hex'),
    kp,
    cert,
  };
}

async function selfSigned(name: string, ca: boolean, modulusLength = 2048) {
  const kp = await keys(modulusLength);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name,
    keys: kp,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    signingAlgorithm: ALG,
    extensions: ca
      ? [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)]
      : [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment)],
  });
  return identity(kp, cert);
}

async function issued(
  issuer: { kp: CryptoKeyPair; cert: x509.X509Certificate },
  name: string,
  usage: 'server' | 'client',
) {
  const kp = await keys();
  const cert = await x509.X509CertificateGenerator.create({
    subject: name,
    issuer: issuer.cert.subject,
    publicKey: kp.publicKey,
    signingKey: issuer.kp.privateKey,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment),
      new x509.ExtendedKeyUsageExtension([usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      ...(usage === 'server' ? [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }])] : []),
    ],
  });
  return identity(kp, cert);
}

export interface TestPki {
  brokerSigning: Identity;
  brokerMetadataSigning: Identity;
  untrusted: Identity;
  spActive: Identity;
  spPrevious: Identity;
  spOther: Identity;
  tlsCa: Identity;
  tlsServer: Identity;
  clientCa: Identity;
  tlsClient: Identity;
  rogueCa: Identity;
  rogueServer: Identity;
}

let cached: Promise<TestPki> | null = null;

/** One PKI per test process (RSA key generation is the slow part). */
export function testPki(): Promise<TestPki> {
  cached ??= (async () => {
    const [brokerSigning, brokerMetadataSigning, untrusted, spActive, spPrevious, spOther, tlsCa, clientCa, rogueCa] = await Promise.all([
      selfSigned('CN=Test Broker Signing', false),
      selfSigned('CN=Test Broker Metadata', false),
      selfSigned('CN=Attacker', false),
      selfSigned('CN=Mijn DUO SP', false),
      selfSigned('CN=Mijn DUO SP previous', false),
      selfSigned('CN=Some other DV', false),
      selfSigned('CN=Test Broker TLS CA', true),
      selfSigned('CN=Test Client CA', true),
      selfSigned('CN=Rogue CA', true),
    ]);
    const [tlsServer, tlsClient, rogueServer] = await Promise.all([
      issued(tlsCa, 'CN=127.0.0.1', 'server'),
      issued(clientCa, 'CN=Mijn DUO back channel', 'client'),
      issued(rogueCa, 'CN=127.0.0.1', 'server'),
    ]);
    return { brokerSigning, brokerMetadataSigning, untrusted, spActive, spPrevious, spOther, tlsCa, tlsServer, clientCa, tlsClient, rogueCa, rogueServer };
  })();
  return cached;
}

export function notAfterOf(certPem: string): Date {
  return new Date(new NodeX509(certPem).validTo);
}
