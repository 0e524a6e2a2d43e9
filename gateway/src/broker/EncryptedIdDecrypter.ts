// Rule 6 (identifiers) and rule 2 (encryption allow-list): decrypt one saml:EncryptedID.
// Only EncryptedKeys addressed to us (Recipient = our EntityID) are used; their KeyName (SHA-256
// or SHA-1 fingerprint of one of our certificates) orders which private key is tried first; the
// active key and then the previous one are tried. xml-encryption gets a self-contained
// EncryptedData with exactly one nested EncryptedKey, built from allow-listed parts only, so its
// document-wide lookups cannot pick up anything else. Every cryptographic or plaintext failure
// is the same reason code, and nothing from the plaintext is logged.
import type { KeyObject } from 'node:crypto';
import xmlenc from 'xml-encryption';
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

/** A self-contained EncryptedData for xml-encryption, from validated parts only. */
function selfContained(contentAlgorithm: string, contentCipher: string, kt: KeyTransport): string {
  const params =
    (kt.oaepParams ? `<xenc:OAEPparams>${kt.oaepParams}</xenc:OAEPparams>` : '') +
    (kt.mgf ? `<xenc11:MGF xmlns:xenc11="${NS.xenc11}" Algorithm="${kt.mgf}"/>` : '') +
    (kt.digest ? `<ds:DigestMethod Algorithm="${kt.digest}"/>` : '');
  return (
    `<xenc:EncryptedData xmlns:xenc="${NS.xenc}" xmlns:ds="${NS.ds}" Type="${ENC.typeElement}">` +
    `<xenc:EncryptionMethod Algorithm="${contentAlgorithm}"/>` +
    `<ds:KeyInfo><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="${kt.algorithm}">${params}</xenc:EncryptionMethod>` +
    `<xenc:CipherData><xenc:CipherValue>${kt.cipherValue}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>` +
    `<xenc:CipherData><xenc:CipherValue>${contentCipher}</xenc:CipherValue></xenc:CipherData>` +
    `</xenc:EncryptedData>`
  );
}

function libDecrypt(xml: string, key: string | KeyObject): Promise<string> {
  return new Promise((resolve, rejectP) => {
    try {
      xmlenc.decrypt(
        xml,
        // The allow-list above already refused RSA-1_5 and 3DES; AES-CBC must pass the library.
        // xml-encryption passes `key` to crypto.privateDecrypt (or createPrivateKey): a KeyObject works as is.
        { key: key as string, disallowDecryptionWithInsecureAlgorithm: false, warnInsecureAlgorithm: false },
        (err: Error | null, result?: string) => (err || typeof result !== 'string' ? rejectP(new Error('x')) : resolve(result)),
      );
    } catch {
      rejectP(new Error('x'));
    }
  });
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
export async function decryptEncryptedId(encryptedId: Element, opts: DecryptOptions): Promise<Element> {
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

  let plaintext: string | null = null;
  for (const kt of transports) {
    const candidate = selfContained(contentAlgorithm, contentCipher, kt);
    for (const key of keyOrder(opts.keys, kt.keyNames)) {
      try {
        plaintext = await libDecrypt(candidate, key.key ?? key.keyPem);
        break;
      } catch {
        // Same outcome for a wrong key, bad padding or a bad tag: try the next key.
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
