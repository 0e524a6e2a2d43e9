// Rule 6 (identifiers) and rule 2 (encryption allow-list): decrypt one saml:EncryptedID.
// Only EncryptedKeys addressed to us (Recipient = our EntityID) are used; their KeyName (SHA-256
// or SHA-1 fingerprint of one of our certificates) orders which private key is tried first; the
// active key and then the previous one are tried. Every part is read from the allow-listed
// elements below and decrypted with node:crypto (xml-encryption's OAEP code only where the OAEP
// and MGF1 digests differ, which OpenSSL's interface cannot express); xml-encryption's own
// decrypt() would re-serialise, re-parse and search what is already validated here
// (encryptedIdEquivalence.test.ts keeps it as the oracle). Every cryptographic or plaintext
// failure is the same reason code, and nothing from the plaintext is logged.
import { constants, createDecipheriv, privateDecrypt, type KeyObject } from 'node:crypto';
import { privateDecryptOaep } from 'xml-encryption/lib/oaep.js';
import {
  ALLOWED_CONTENT_ENCRYPTION,
  ALLOWED_KEY_TRANSPORT,
  ALLOWED_MGF,
  ALLOWED_OAEP_DIGESTS,
  ENC,
  NS,
} from './constants.ts';
import { reject } from './BrokerRejection.ts';
import { normalizeFingerprint } from './Certificates.ts';
import { childrenNamed, elementChildren, isElement, onlyChild, textOf } from './Dom.ts';
import { DECRYPTED_LIMITS, parseXml } from './XmlGuard.ts';

export interface DecryptionKey {
  /** PEM private key. */
  keyPem: string;
  /**
   * The same key parsed once (start-up). Used instead of keyPem when present: a PEM string is
   * parsed again on every decryption, which costs about as much as the RSA operation itself.
   */
  key?: KeyObject;
  sha256: string;
  sha1: string;
}

export interface DecryptOptions {
  /** Our EntityID: the only Recipient we accept. */
  recipient: string;
  /** Active key first, then the previous one (rollover). */
  keys: readonly DecryptionKey[];
}

const BASE64 = /^[A-Za-z0-9+/ \t\r\n]+={0,2}[ \t\r\n]*$/;

function base64Text(el: Element): string {
  const v = textOf(el, 'encrypted-id-invalid');
  if (!BASE64.test(v)) reject('encrypted-id-invalid', { why: 'CipherValue is not base64' });
  return v.replace(/[ \t\r\n]/g, '');
}

interface KeyTransport {
  algorithm: string;
  digest: string | null;
  mgf: string | null;
  oaepParams: string | null;
  cipherValue: string;
  keyNames: string[];
}

/** Validate one EncryptedKey addressed to us against the allow-list and extract its parts. */
function readEncryptedKey(ek: Element): KeyTransport {
  const method = onlyChild(ek, NS.xenc, 'EncryptionMethod', 'encrypted-id-invalid');
  const algorithm = method.getAttribute('Algorithm') ?? '';
  if (!ALLOWED_KEY_TRANSPORT.has(algorithm)) reject('encryption-algorithm-not-allowed', { keyTransport: algorithm });
  let digest: string | null = null;
  let mgf: string | null = null;
  let oaepParams: string | null = null;
  for (const p of elementChildren(method)) {
    if (isElement(p, NS.ds, 'DigestMethod') && digest === null) {
      digest = p.getAttribute('Algorithm') ?? '';
      if (!ALLOWED_OAEP_DIGESTS.has(digest)) reject('encryption-algorithm-not-allowed', { oaepDigest: digest });
    } else if (isElement(p, NS.xenc11, 'MGF') && mgf === null && algorithm === ENC.rsaOaep11) {
      mgf = p.getAttribute('Algorithm') ?? '';
      if (!ALLOWED_MGF.has(mgf)) reject('encryption-algorithm-not-allowed', { mgf });
    } else if (isElement(p, NS.xenc, 'OAEPparams') && oaepParams === null) {
      oaepParams = base64Text(p);
    } else {
      reject('encryption-algorithm-not-allowed', { why: `unexpected ${p.localName} in key transport` });
    }
  }
  const cipherData = onlyChild(ek, NS.xenc, 'CipherData', 'encrypted-id-invalid');
  const cipherValue = base64Text(onlyChild(cipherData, NS.xenc, 'CipherValue', 'encrypted-id-invalid'));
  const keyInfo = childrenNamed(ek, NS.ds, 'KeyInfo')[0];
  const keyNames = keyInfo
    ? childrenNamed(keyInfo, NS.ds, 'KeyName').map((k) => normalizeFingerprint(textOf(k, 'encrypted-id-invalid')))
    : [];
  return { algorithm, digest, mgf, oaepParams, cipherValue, keyNames };
}

/** node:crypto names of the allow-listed digests (OAEP DigestMethod and xenc11 MGF). */
const DIGEST: Record<string, string> = {
  'http://www.w3.org/2000/09/xmldsig#sha1': 'sha1',
  'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
  'http://www.w3.org/2009/xmlenc11#mgf1sha1': 'sha1',
  'http://www.w3.org/2009/xmlenc11#mgf1sha256': 'sha256',
  'http://www.w3.org/2009/xmlenc11#mgf1sha512': 'sha512',
};

/** Allow-listed content encryption: IV || ciphertext (|| 128-bit tag for GCM), XML Enc §5.2. */
const CONTENT: Record<string, { cipher: string; keyLength: number; ivLength: number; gcm: boolean }> = {
  [ENC.aes128cbc]: { cipher: 'aes-128-cbc', keyLength: 16, ivLength: 16, gcm: false },
  [ENC.aes256cbc]: { cipher: 'aes-256-cbc', keyLength: 32, ivLength: 16, gcm: false },
  [ENC.aes128gcm]: { cipher: 'aes-128-gcm', keyLength: 16, ivLength: 12, gcm: true },
  [ENC.aes256gcm]: { cipher: 'aes-256-gcm', keyLength: 32, ivLength: 12, gcm: true },
};
const GCM_TAG_BYTES = 16;
const AES_BLOCK = 16;

/** RSA-OAEP key transport. rsa-oaep-mgf1p fixes MGF1 to SHA-1; xenc11 defaults it to SHA-1. */
function unwrapKey(kt: KeyTransport, key: DecryptionKey): Buffer {
  const oaepHash = kt.digest ? DIGEST[kt.digest]! : 'sha1';
  const mgf1Hash = kt.mgf ? DIGEST[kt.mgf]! : 'sha1';
  const label = kt.oaepParams ? Buffer.from(kt.oaepParams, 'base64') : Buffer.alloc(0);
  const wrapped = Buffer.from(kt.cipherValue, 'base64');
  // The shim parses the key itself and takes no KeyObject on Node 20: the PEM, on this rare path.
  if (oaepHash !== mgf1Hash) return privateDecryptOaep(key.keyPem, wrapped, { oaepHash, mgf1Hash, oaepLabel: label });
  return privateDecrypt(
    { key: key.key ?? key.keyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash, ...(label.length > 0 ? { oaepLabel: label } : {}) },
    wrapped,
  );
}

/** The plaintext bytes; throws on a wrong key length, a bad GCM tag or bad CBC padding. */
function decryptContent(algorithm: string, symmetricKey: Buffer, data: Buffer): Buffer {
  const c = CONTENT[algorithm]!;
  if (symmetricKey.length !== c.keyLength) throw new Error('key length');
  const iv = data.subarray(0, c.ivLength);
  if (c.gcm) {
    if (data.length < c.ivLength + GCM_TAG_BYTES) throw new Error('too short');
    const decipher = createDecipheriv(c.cipher as 'aes-256-gcm', symmetricKey, iv, { authTagLength: GCM_TAG_BYTES });
    decipher.setAuthTag(data.subarray(data.length - GCM_TAG_BYTES));
    return Buffer.concat([decipher.update(data.subarray(c.ivLength, data.length - GCM_TAG_BYTES)), decipher.final()]);
  }
  const body = data.subarray(c.ivLength);
  if (body.length === 0 || body.length % AES_BLOCK !== 0) throw new Error('not whole blocks');
  const decipher = createDecipheriv(c.cipher, symmetricKey, iv).setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(body), decipher.final()]);
  // XML Encryption padding: the last octet counts the padding octets, whose values are arbitrary.
  const pad = padded[padded.length - 1]!;
  if (pad < 1 || pad > AES_BLOCK) throw new Error('padding');
  return padded.subarray(0, padded.length - pad);
}

/** Which of our keys to try for an EncryptedKey, in order: named ones first, then the rest. */
export function keyOrder(keys: readonly DecryptionKey[], keyNames: string[]): DecryptionKey[] {
  if (keyNames.length === 0) return [...keys];
  const named = keys.filter((k) => keyNames.includes(k.sha256) || keyNames.includes(k.sha1));
  return [...named, ...keys.filter((k) => !named.includes(k))];
}

/**
 * Decrypt one EncryptedID to its saml:NameID (in a document of its own). Rejections:
 * 'encrypted-id-invalid' (shape), 'encryption-algorithm-not-allowed', 'encrypted-key-not-for-us',
 * and 'decryption-failed' for everything that depends on the key or the plaintext.
 */
export function decryptEncryptedId(encryptedId: Element, opts: DecryptOptions): Element {
  const datas = childrenNamed(encryptedId, NS.xenc, 'EncryptedData');
  if (datas.length !== 1) reject('encrypted-id-invalid', { encryptedData: datas.length });
  const data = datas[0]!;
  const type = data.getAttribute('Type');
  if (type !== null && type !== ENC.typeElement) reject('encrypted-id-invalid', { why: 'EncryptedData Type' });
  const contentMethod = onlyChild(data, NS.xenc, 'EncryptionMethod', 'encrypted-id-invalid');
  const contentAlgorithm = contentMethod.getAttribute('Algorithm') ?? '';
  if (!ALLOWED_CONTENT_ENCRYPTION.has(contentAlgorithm)) {
    reject('encryption-algorithm-not-allowed', { content: contentAlgorithm });
  }
  const cipherData = onlyChild(data, NS.xenc, 'CipherData', 'encrypted-id-invalid');
  const contentCipher = base64Text(onlyChild(cipherData, NS.xenc, 'CipherValue', 'encrypted-id-invalid'));

  // EncryptedKeys: siblings (the eHerkenning RetrievalMethod layout) and nested in KeyInfo.
  const keyInfo = childrenNamed(data, NS.ds, 'KeyInfo')[0];
  const all = [
    ...childrenNamed(encryptedId, NS.xenc, 'EncryptedKey'),
    ...(keyInfo ? childrenNamed(keyInfo, NS.xenc, 'EncryptedKey') : []),
  ];
  const ours = all.filter((ek) => ek.getAttribute('Recipient') === opts.recipient);
  if (ours.length === 0) reject('encrypted-key-not-for-us', { encryptedKeys: all.length });
  const transports = ours.map(readEncryptedKey);

  const content = Buffer.from(contentCipher, 'base64');
  let plaintext: Buffer | null = null;
  for (const kt of transports) {
    for (const key of keyOrder(opts.keys, kt.keyNames)) {
      try {
        plaintext = decryptContent(contentAlgorithm, unwrapKey(kt, key), content);
        break;
      } catch {
        // Same outcome for a wrong key, bad OAEP, bad padding or a bad tag: try the next key.
      }
    }
    if (plaintext !== null) break;
  }
  if (plaintext === null) reject('decryption-failed');

  let nameId: Element | null = null;
  try {
    nameId = parseXml(plaintext!, DECRYPTED_LIMITS).documentElement;
  } catch {
    nameId = null;
  }
  // Content errors look exactly like key errors from outside.
  if (!isElement(nameId, NS.saml, 'NameID')) return reject('decryption-failed');
  return nameId as Element;
}
