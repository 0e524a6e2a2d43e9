// The crypto floor: the public-key work one artifact login needs, done bare with node:crypto on
// the same keys and sizes the gateway uses, with key objects made once. What the gateway does
// on top (XML parsing, canonicalisation, checks, stores, HTTP) is what the ACS ratio shows.
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createSign,
  createVerify,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  X509Certificate,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DOMParser } from '@xmldom/xmldom';

const NS = {
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
};
const ACTING = 'urn:etoegang:core:ActingSubjectID';
const LEGAL = 'urn:etoegang:core:LegalSubjectID';

/** What one login asks of the gateway's keys. */
export interface LoginCryptoCount {
  /** ArtifactResolve + AuthnRequest (POST binding, enveloped XML signature). */
  signatures: number;
  /** ArtifactResponse + (Response when signed) + outer Assertion. */
  verifications: number;
  /** One RSA-OAEP key decryption (+ its AES content decryption) per EncryptedID we read. */
  decryptions: number;
  /** Bytes digested for the verified references (canonical sizes are close to these). */
  digestedBytes: number;
}

function elementChildren(el: Element): Element[] {
  const out: Element[] = [];
  for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) out.push(c as Element);
  return out;
}
function named(el: Element, ns: string, local: string): Element[] {
  return elementChildren(el).filter((c) => c.namespaceURI === ns && c.localName === local);
}

/**
 * Count from a real samlp:Response the mock issued (the ArtifactResponse around it is always
 * signed): signatures to verify, and the EncryptedIDs the gateway decrypts (ActingSubjectID and
 * LegalSubjectID of the outer assertion; Advice is never read).
 */
export function countLoginCrypto(responseXml: string | null, spEntityId: string): LoginCryptoCount {
  const fallback: LoginCryptoCount = { signatures: 2, verifications: 2, decryptions: 2, digestedBytes: 16_000 };
  if (!responseXml) return fallback;
  const doc = new DOMParser().parseFromString(responseXml, 'text/xml');
  const response = doc.documentElement;
  if (!response) return fallback;
  let verifications = 1; // the ArtifactResponse
  let digested = responseXml.length + 1_000;
  if (named(response, NS.ds, 'Signature').length > 0) {
    verifications += 1;
    digested += responseXml.length;
  }
  const assertion = named(response, NS.saml, 'Assertion')[0];
  let decryptions = 0;
  if (assertion) {
    if (named(assertion, NS.ds, 'Signature').length > 0) {
      verifications += 1;
      digested += assertion.toString().length;
    }
    for (const st of named(assertion, NS.saml, 'AttributeStatement')) {
      for (const attr of named(st, NS.saml, 'Attribute')) {
        const name = attr.getAttribute('Name');
        if (name !== ACTING && name !== LEGAL) continue;
        for (const value of named(attr, NS.saml, 'AttributeValue')) {
          for (const eid of named(value, NS.saml, 'EncryptedID')) {
            const keys = named(eid, NS.xenc, 'EncryptedKey').filter((k) => k.getAttribute('Recipient') === spEntityId);
            if (keys.length > 0) decryptions += 1;
          }
        }
      }
    }
  }
  return { signatures: 2, verifications, decryptions, digestedBytes: digested };
}

export interface FloorResult {
  count: LoginCryptoCount;
  /** Mean ms per single operation. */
  signMs: number;
  verifyMs: number;
  decryptMs: number;
  /** The public-key work of one login, ms, on one core. */
  perLoginMs: number;
  loginsPerSecond: number;
  /** The same without the AuthnRequest signature (the ACS step alone). */
  acsOnlyMs: number;
}

/**
 * Mean CPU time (user + system of this process) per call of `op`, over at least `minMs` of
 * wall time and 50 calls. CPU time rather than wall time: on a shared machine a stolen time
 * slice would otherwise count as crypto work.
 */
function measure(minMs: number, op: () => void): number {
  for (let i = 0; i < 20; i++) op();
  let n = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < minMs || n < 50) {
    op();
    n += 1;
  }
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000 / n;
}

/** Measure the floor on this process's thread: same key files, same algorithms as the gateway. */
export function measureCryptoFloor(count: LoginCryptoCount, opts: { certsDir: string; minMsPerOp?: number }): FloorResult {
  const minMs = opts.minMsPerOp ?? 600;
  const read = (f: string): string => readFileSync(path.join(opts.certsDir, f), 'utf8');
  const spKey = createPrivateKey(read('sp-saml.key'));
  const spPublic = new X509Certificate(read('sp-saml.crt')).publicKey;
  const brokerKey = createPrivateKey(read('idp-mock-signing.key'));
  const brokerPublic = new X509Certificate(read('idp-mock-signing.crt')).publicKey;

  // A SignedInfo is ~600 bytes of canonical XML; the digest covers the referenced element.
  const signedInfo = Buffer.from('<ds:SignedInfo>'.padEnd(600, 'x'));
  const element = randomBytes(Math.max(1, Math.round(count.digestedBytes / Math.max(1, count.verifications))));
  const signatureOfBroker = createSign('RSA-SHA256').update(signedInfo).sign(brokerKey);

  const signMs = measure(minMs, () => {
    createHash('sha256').update(signedInfo).digest();
    createSign('RSA-SHA256').update(signedInfo).sign(spKey);
  });
  const verifyMs = measure(minMs, () => {
    createHash('sha256').update(element).digest();
    if (!createVerify('RSA-SHA256').update(signedInfo).verify(brokerPublic, signatureOfBroker)) throw new Error('floor: verify failed');
  });
  // RSA-OAEP (MGF1/SHA-1, as rsa-oaep-mgf1p) of a 32-byte AES key, then AES-256-CBC of a NameID.
  const aesKey = randomBytes(32);
  const wrapped = publicEncrypt({ key: spPublic, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, aesKey);
  const iv = randomBytes(16);
  const c = createCipheriv('aes-256-cbc', aesKey, iv);
  const content = Buffer.concat([c.update(Buffer.from('<saml:NameID>'.padEnd(300, 'x'))), c.final()]);
  const decryptMs = measure(minMs, () => {
    const key = privateDecrypt({ key: spKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, wrapped);
    const d = createDecipheriv('aes-256-cbc', key, iv);
    Buffer.concat([d.update(content), d.final()]);
  });
  const perLoginMs = count.signatures * signMs + count.verifications * verifyMs + count.decryptions * decryptMs;
  const acsOnlyMs = perLoginMs - signMs;
  return { count, signMs, verifyMs, decryptMs, perLoginMs, loginsPerSecond: 1000 / perLoginMs, acsOnlyMs };
}
