// The gateway decrypts EncryptedIDs itself (EncryptedIdDecrypter.ts) with node:crypto. Here
// xml-encryption's decrypt() is the oracle: over every allowed content cipher and key transport
// (OAEP digests, MGF1 digests equal and different, an OAEP label, XML Encryption's arbitrary
// CBC padding octets) both must give the same NameID, and over tampered ciphertexts both must
// fail, ours always with the one reason code 'decryption-failed'.
import assert from 'node:assert/strict';
import { constants, createCipheriv, createPrivateKey, publicEncrypt, randomBytes } from 'node:crypto';
import { XMLSerializer } from '@xmldom/xmldom';
import xmlenc from 'xml-encryption';
import { publicEncryptOaep } from 'xml-encryption/lib/oaep.js';
import { BrokerRejection } from '../../gateway/src/broker/BrokerRejection.ts';
import { ENC, NS } from '../../gateway/src/broker/constants.ts';
import { decryptEncryptedId, type DecryptionKey } from '../../gateway/src/broker/EncryptedIdDecrypter.ts';
import { MESSAGE_LIMITS, parseXml } from '../../gateway/src/broker/XmlGuard.ts';
import { SP_ENTITY } from '../support/saml/harness.ts';
import { testPki, type TestPki } from '../support/saml/pki.ts';

const DIGEST_URI: Record<string, string> = {
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha512: 'http://www.w3.org/2001/04/xmlenc#sha512',
};
const CIPHERS: Record<string, { node: string; key: number; iv: number; gcm: boolean }> = {
  [ENC.aes128cbc]: { node: 'aes-128-cbc', key: 16, iv: 16, gcm: false },
  [ENC.aes256cbc]: { node: 'aes-256-cbc', key: 32, iv: 16, gcm: false },
  [ENC.aes128gcm]: { node: 'aes-128-gcm', key: 16, iv: 12, gcm: true },
  [ENC.aes256gcm]: { node: 'aes-256-gcm', key: 32, iv: 12, gcm: true },
};

interface Transport {
  algorithm: string;
  /** OAEP digest; written as DigestMethod when `writeDigest`. */
  oaep: 'sha1' | 'sha256' | 'sha512';
  writeDigest: boolean;
  /** MGF1 digest; an xenc11:MGF element is written for xenc11 when `writeMgf`. */
  mgf1: 'sha1' | 'sha256' | 'sha512';
  writeMgf: boolean;
  label?: Buffer;
}

interface Sealed {
  /** saml:EncryptedID for the gateway. */
  encryptedId: string;
  /** The same EncryptedData, self-contained, for xml-encryption. */
  encryptedData: string;
}

const NAME_ID = `<saml:NameID xmlns:saml="${NS.saml}" Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" NameQualifier="urn:etoegang:1.9:EntityConcernedID:Pseudo">${'AB'.repeat(32)}</saml:NameID>`;

function seal(
  certPem: string,
  content: string,
  t: Transport,
  opts: { padOctets?: (n: number) => Buffer; tamper?: (parts: { key: Buffer; data: Buffer }) => void } = {},
): Sealed {
  const c = CIPHERS[content]!;
  const key = randomBytes(c.key);
  const iv = randomBytes(c.iv);
  let data: Buffer;
  if (c.gcm) {
    const cipher = createCipheriv(c.node as 'aes-128-gcm', key, iv);
    const body = Buffer.concat([cipher.update(NAME_ID, 'utf8'), cipher.final()]);
    data = Buffer.concat([iv, body, cipher.getAuthTag()]);
  } else {
    const plain = Buffer.from(NAME_ID, 'utf8');
    const n = 16 - (plain.length % 16);
    // XML Encryption padding: n - 1 arbitrary octets, then n.
    const pad = Buffer.concat([opts.padOctets ? opts.padOctets(n) : randomBytes(n - 1), Buffer.from([n])]);
    const cipher = createCipheriv(c.node, key, iv).setAutoPadding(false);
    data = Buffer.concat([iv, cipher.update(Buffer.concat([plain, pad])), cipher.final()]);
  }
  let wrapped =
    t.oaep === t.mgf1
      ? publicEncrypt({ key: certPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: t.oaep, ...(t.label ? { oaepLabel: t.label } : {}) }, key)
      : publicEncryptOaep(certPem, key, { oaepHash: t.oaep, mgf1Hash: t.mgf1, ...(t.label ? { oaepLabel: t.label } : {}) });
  if (opts.tamper) {
    const parts = { key: Buffer.from(wrapped), data };
    opts.tamper(parts);
    wrapped = parts.key;
    data = parts.data;
  }
  const params =
    (t.label ? `<xenc:OAEPparams>${t.label.toString('base64')}</xenc:OAEPparams>` : '') +
    (t.writeMgf ? `<xenc11:MGF xmlns:xenc11="${NS.xenc11}" Algorithm="http://www.w3.org/2009/xmlenc11#mgf1${t.mgf1}"/>` : '') +
    (t.writeDigest ? `<ds:DigestMethod Algorithm="${DIGEST_URI[t.oaep]}"/>` : '');
  const encryptedKey =
    `<xenc:EncryptedKey Recipient="${SP_ENTITY}"><xenc:EncryptionMethod Algorithm="${t.algorithm}">${params}</xenc:EncryptionMethod>` +
    `<xenc:CipherData><xenc:CipherValue>${wrapped.toString('base64')}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>`;
  const encryptedData =
    `<xenc:EncryptedData xmlns:xenc="${NS.xenc}" xmlns:ds="${NS.ds}" Type="${ENC.typeElement}">` +
    `<xenc:EncryptionMethod Algorithm="${content}"/><ds:KeyInfo>${encryptedKey}</ds:KeyInfo>` +
    `<xenc:CipherData><xenc:CipherValue>${data.toString('base64')}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>`;
  return { encryptedId: `<saml:EncryptedID xmlns:saml="${NS.saml}">${encryptedData}</saml:EncryptedID>`, encryptedData };
}

function oracle(sealed: Sealed, keyPem: string): Promise<string | null> {
  return new Promise((resolve) => {
    try {
      xmlenc.decrypt(sealed.encryptedData, { key: keyPem, disallowDecryptionWithInsecureAlgorithm: false, warnInsecureAlgorithm: false }, (err, out) =>
        resolve(err || typeof out !== 'string' ? null : out),
      );
    } catch {
      resolve(null);
    }
  });
}

function ours(sealed: Sealed, keys: DecryptionKey[]): string | { refused: string } {
  try {
    const nameId = decryptEncryptedId(parseXml(sealed.encryptedId, MESSAGE_LIMITS).documentElement, { recipient: SP_ENTITY, keys });
    return new XMLSerializer().serializeToString(nameId);
  } catch (e) {
    if (e instanceof BrokerRejection) return { refused: e.code };
    throw e;
  }
}

describe('broker face: our EncryptedID decryption against xml-encryption', () => {
  let pki: TestPki;
  let keys: DecryptionKey[];
  before(async () => {
    pki = await testPki();
    keys = [{ keyPem: pki.spActive.keyPem, key: createPrivateKey(pki.spActive.keyPem), sha256: pki.spActive.sha256, sha1: pki.spActive.sha1 }];
  });

  const mgf1p = (oaep: Transport['oaep'], writeDigest = true): Transport => ({ algorithm: ENC.rsaOaepMgf1p, oaep, writeDigest, mgf1: 'sha1', writeMgf: false });
  const xenc11 = (oaep: Transport['oaep'], mgf1: Transport['mgf1'] | null): Transport => ({
    algorithm: ENC.rsaOaep11,
    oaep,
    writeDigest: true,
    mgf1: mgf1 ?? 'sha1',
    writeMgf: mgf1 !== null,
  });
  const transports: Array<[string, Transport]> = [
    ['rsa-oaep-mgf1p, no DigestMethod (SHA-1)', mgf1p('sha1', false)],
    ['rsa-oaep-mgf1p with SHA-1 (eHerkenning)', mgf1p('sha1')],
    ['rsa-oaep-mgf1p with SHA-256 (MGF1 stays SHA-1)', mgf1p('sha256')],
    ['rsa-oaep-mgf1p with SHA-512 and an OAEP label', { ...mgf1p('sha512'), label: Buffer.from('mijn duo') }],
    ['xenc11 rsa-oaep SHA-256, MGF1-SHA-256', xenc11('sha256', 'sha256')],
    ['xenc11 rsa-oaep SHA-256, no MGF (MGF1-SHA-1)', xenc11('sha256', null)],
    ['xenc11 rsa-oaep SHA-1, MGF1-SHA-512', xenc11('sha1', 'sha512')],
    ['xenc11 rsa-oaep SHA-512, MGF1-SHA-512 and a label', { ...xenc11('sha512', 'sha512'), label: randomBytes(8) }],
  ];

  for (const content of [ENC.aes128cbc, ENC.aes256cbc, ENC.aes128gcm, ENC.aes256gcm]) {
    for (const [what, t] of transports) {
      it(`${content.split('#')[1]} with ${what}: the same NameID as xml-encryption`, async () => {
        const sealed = seal(pki.spActive.certPem, content, t);
        assert.equal(await oracle(sealed, pki.spActive.keyPem), NAME_ID);
        assert.equal(ours(sealed, keys), NAME_ID);
      });
    }
  }

  it('takes XML Encryption padding (arbitrary octets before the count), not only PKCS#7', async () => {
    const sealed = seal(pki.spActive.certPem, ENC.aes256cbc, mgf1p('sha1'), { padOctets: (n) => Buffer.alloc(n - 1, 0xee) });
    assert.equal(await oracle(sealed, pki.spActive.keyPem), NAME_ID);
    assert.equal(ours(sealed, keys), NAME_ID);
  });

  const flip = (b: Buffer, at: number): void => {
    b[at < 0 ? b.length + at : at]! ^= 0x01;
  };
  const tampered: Array<[string, string, Transport, (p: { key: Buffer; data: Buffer }) => void]> = [
    ['a flipped bit in the wrapped key', ENC.aes256cbc, mgf1p('sha1'), (p) => flip(p.key, 100)],
    ['a flipped bit in the wrapped key (OAEP digest and MGF1 differ)', ENC.aes256cbc, mgf1p('sha256'), (p) => flip(p.key, 7)],
    ['a wrapped key one byte short', ENC.aes256gcm, mgf1p('sha1'), (p) => (p.key = p.key.subarray(1))],
    ['a flipped bit in the GCM tag', ENC.aes128gcm, mgf1p('sha1'), (p) => flip(p.data, -1)],
    ['a flipped bit in the GCM ciphertext', ENC.aes256gcm, xenc11('sha256', 'sha256'), (p) => flip(p.data, 20)],
    ['a GCM ciphertext shorter than IV and tag', ENC.aes256gcm, mgf1p('sha1'), (p) => (p.data = p.data.subarray(0, 20))],
    ['a CBC ciphertext that is not whole blocks', ENC.aes256cbc, mgf1p('sha1'), (p) => (p.data = p.data.subarray(0, p.data.length - 3))],
  ];
  for (const [what, content, t, tamper] of tampered) {
    it(`refuses ${what}, as xml-encryption does`, async () => {
      const sealed = seal(pki.spActive.certPem, content, t, { tamper });
      assert.equal(await oracle(sealed, pki.spActive.keyPem), null);
      assert.deepEqual(ours(sealed, keys), { refused: 'decryption-failed' });
    });
  }

  it('refuses a CBC padding count of 0 or above the block size (xml-encryption too)', async () => {
    for (const count of [0, 17, 255]) {
      // Encrypt plaintext || 15 octets || count by hand so that the last octet is `count`.
      const c = CIPHERS[ENC.aes256cbc]!;
      const key = randomBytes(c.key);
      const iv = randomBytes(c.iv);
      const plain = Buffer.from(NAME_ID.padEnd(Math.ceil((NAME_ID.length + 1) / 16) * 16 - 1, ' '), 'utf8');
      const cipher = createCipheriv(c.node, key, iv).setAutoPadding(false);
      const data = Buffer.concat([iv, cipher.update(Buffer.concat([plain, Buffer.from([count])])), cipher.final()]);
      const sealed = seal(pki.spActive.certPem, ENC.aes256cbc, mgf1p('sha1'), {
        tamper: (p) => {
          p.key = publicEncrypt({ key: pki.spActive.certPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, key);
          p.data = data;
        },
      });
      assert.equal(await oracle(sealed, pki.spActive.keyPem), null, `count ${count}`);
      assert.deepEqual(ours(sealed, keys), { refused: 'decryption-failed' }, `count ${count}`);
    }
  });

  it('refuses plaintext that is not UTF-8 or not one NameID with the same reason', () => {
    for (const plaintext of [Buffer.from([0xc3, 0x28]), Buffer.from('<saml:Foo xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"/>'), Buffer.from('not xml')]) {
      const key = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      const sealed = seal(pki.spActive.certPem, ENC.aes256gcm, mgf1p('sha1'), {
        tamper: (p) => {
          p.key = publicEncrypt({ key: pki.spActive.certPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, key);
          p.data = data;
        },
      });
      assert.deepEqual(ours(sealed, keys), { refused: 'decryption-failed' });
    }
  });
});
