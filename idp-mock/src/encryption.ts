// EncryptedID as eHerkenning brokers send it: XML Encryption of a saml:NameID, the
// EncryptedKey a sibling of EncryptedData inside the EncryptedID, found through
// EncryptedData/KeyInfo/RetrievalMethod, with Recipient = the DV EntityID and
// KeyInfo/KeyName = the SHA-256 fingerprint of the DV certificate. A fresh symmetric key for
// every EncryptedID. Built directly on node:crypto so every algorithm switch is available.
import { constants, createCipheriv, publicEncrypt, randomBytes } from 'node:crypto';
import type { ContentEncryption, KeyTransport } from './failureModes.ts';
import type { RecipientKey } from './keys.ts';
import { NS, esc, newId } from './xml.ts';

export const ENC_ALG: Record<ContentEncryption, string> = {
  'aes256-cbc': 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
  'aes128-gcm': 'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  'aes256-gcm': 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  '3des': 'http://www.w3.org/2001/04/xmlenc#tripledes-cbc',
};

export const KEY_TRANSPORT_ALG: Record<KeyTransport, string> = {
  'rsa-oaep-mgf1p': 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
  'rsa-oaep-xmlenc11': 'http://www.w3.org/2009/xmlenc11#rsa-oaep',
  'rsa-1_5': 'http://www.w3.org/2001/04/xmlenc#rsa-1_5',
};

const CIPHER: Record<ContentEncryption, { node: string; keyLen: number; ivLen: number; gcm: boolean }> = {
  'aes256-cbc': { node: 'aes-256-cbc', keyLen: 32, ivLen: 16, gcm: false },
  'aes128-gcm': { node: 'aes-128-gcm', keyLen: 16, ivLen: 12, gcm: true },
  'aes256-gcm': { node: 'aes-256-gcm', keyLen: 32, ivLen: 12, gcm: true },
  '3des': { node: 'des-ede3-cbc', keyLen: 24, ivLen: 8, gcm: false },
};

export interface EncryptIdOptions {
  /** The DV the identifier is meant for. */
  recipient: RecipientKey;
  /** Another DV: with 'extra' its EncryptedKey comes first; with 'only' it replaces ours. */
  otherRecipient?: { key: RecipientKey; mode: 'extra' | 'only' };
  contentEncryption: ContentEncryption;
  keyTransport: KeyTransport;
}

/** The plaintext of an EncryptedID: a persistent NameID that carries its own namespace. */
export function nameIdXml(value: string, nameQualifier: string): string {
  return (
    `<saml:NameID xmlns:saml="${NS.saml}" Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" ` +
    `NameQualifier="${esc(nameQualifier)}">${esc(value)}</saml:NameID>`
  );
}

function encryptContent(plaintext: string, alg: ContentEncryption): { key: Buffer; cipherValue: string } {
  const c = CIPHER[alg];
  const key = randomBytes(c.keyLen);
  const iv = randomBytes(c.ivLen);
  const cipher = createCipheriv(c.node, key, iv);
  const body = Buffer.concat([cipher.update(Buffer.from(plaintext, 'utf8')), cipher.final()]);
  // CBC: IV || ciphertext (PKCS#7 padding is a valid XML Encryption padding);
  // GCM: IV || ciphertext || 128-bit tag (XML Encryption 1.1 §5.2.4).
  const tag = c.gcm ? (cipher as unknown as { getAuthTag(): Buffer }).getAuthTag() : Buffer.alloc(0);
  return { key, cipherValue: Buffer.concat([iv, body, tag]).toString('base64') };
}

function wrapKey(symmetricKey: Buffer, recipient: RecipientKey, transport: KeyTransport): string {
  const padding = transport === 'rsa-1_5' ? constants.RSA_PKCS1_PADDING : constants.RSA_PKCS1_OAEP_PADDING;
  const wrapped = publicEncrypt(
    transport === 'rsa-1_5' ? { key: recipient.publicKey, padding } : { key: recipient.publicKey, padding, oaepHash: 'sha1' },
    symmetricKey,
  );
  return wrapped.toString('base64');
}

function encryptedKeyXml(opts: {
  id: string;
  recipient: RecipientKey;
  cipherValue: string;
  transport: KeyTransport;
  carriedKeyName?: string;
  dataId?: string;
}): string {
  const digest =
    opts.transport === 'rsa-1_5' ? '' : `<ds:DigestMethod xmlns:ds="${NS.ds}" Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>`;
  const refList = opts.dataId ? `<xenc:ReferenceList><xenc:DataReference URI="#${esc(opts.dataId)}"/></xenc:ReferenceList>` : '';
  const carried = opts.carriedKeyName ? `<xenc:CarriedKeyName>${esc(opts.carriedKeyName)}</xenc:CarriedKeyName>` : '';
  return (
    `<xenc:EncryptedKey xmlns:xenc="${NS.xenc}" Id="${esc(opts.id)}" Recipient="${esc(opts.recipient.entityId)}">` +
    `<xenc:EncryptionMethod Algorithm="${KEY_TRANSPORT_ALG[opts.transport]}">${digest}</xenc:EncryptionMethod>` +
    `<ds:KeyInfo xmlns:ds="${NS.ds}"><ds:KeyName>${esc(opts.recipient.keyName)}</ds:KeyName></ds:KeyInfo>` +
    `<xenc:CipherData><xenc:CipherValue>${opts.cipherValue}</xenc:CipherValue></xenc:CipherData>` +
    refList +
    carried +
    `</xenc:EncryptedKey>`
  );
}

/**
 * `<saml:EncryptedID>` around the given plaintext XML.
 *
 * Default layout (one recipient): EncryptedData (KeyInfo/RetrievalMethod → #key) followed by
 * one EncryptedKey. With an extra recipient (the AS multi-recipient rules) every EncryptedKey
 * also names the data (ReferenceList) and a CarriedKeyName that EncryptedData/KeyInfo/KeyName
 * repeats; the foreign EncryptedKey comes FIRST in document order and the RetrievalMethod
 * points at ours, so a reader that takes "the first EncryptedKey" fails.
 */
export function encryptedId(plaintextXml: string, opts: EncryptIdOptions): string {
  const { key, cipherValue } = encryptContent(plaintextXml, opts.contentEncryption);
  const dataId = newId();
  const ourKeyId = newId();
  const other = opts.otherRecipient;
  const multi = other?.mode === 'extra';
  const carriedKeyName = multi ? `symmetric-key-${dataId.slice(1, 17)}` : undefined;

  const keys: string[] = [];
  let retrievalTarget = ourKeyId;
  if (other) {
    const otherKeyId = newId();
    keys.push(
      encryptedKeyXml({
        id: otherKeyId,
        recipient: other.key,
        cipherValue: wrapKey(key, other.key, opts.keyTransport),
        transport: opts.keyTransport,
        ...(multi ? { carriedKeyName, dataId } : {}),
      }),
    );
    if (other.mode === 'only') retrievalTarget = otherKeyId;
  }
  if (other?.mode !== 'only') {
    keys.push(
      encryptedKeyXml({
        id: ourKeyId,
        recipient: opts.recipient,
        cipherValue: wrapKey(key, opts.recipient, opts.keyTransport),
        transport: opts.keyTransport,
        ...(multi ? { carriedKeyName, dataId } : {}),
      }),
    );
  }

  const keyInfo =
    `<ds:KeyInfo xmlns:ds="${NS.ds}">` +
    (carriedKeyName ? `<ds:KeyName>${esc(carriedKeyName)}</ds:KeyName>` : '') +
    `<ds:RetrievalMethod Type="http://www.w3.org/2001/04/xmlenc#EncryptedKey" URI="#${retrievalTarget}"/>` +
    `</ds:KeyInfo>`;

  return (
    `<saml:EncryptedID xmlns:saml="${NS.saml}">` +
    `<xenc:EncryptedData xmlns:xenc="${NS.xenc}" Id="${dataId}" Type="http://www.w3.org/2001/04/xmlenc#Element">` +
    `<xenc:EncryptionMethod Algorithm="${ENC_ALG[opts.contentEncryption]}"/>` +
    keyInfo +
    `<xenc:CipherData><xenc:CipherValue>${cipherValue}</xenc:CipherValue></xenc:CipherData>` +
    `</xenc:EncryptedData>` +
    keys.join('') +
    `</saml:EncryptedID>`
  );
}
