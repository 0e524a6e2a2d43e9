// Rules 2 and 6 on the EncryptedIDs, end to end: allowed and refused algorithms, recipients,
// key rollover, tampering after encryption (all one reason code).
import assert from 'node:assert/strict';
import { Harness, SP_ENTITY } from '../support/saml/harness.ts';
import { assertRefused } from '../support/saml/expect.ts';
import { ENC, NS, PSEUDONYM, type GoldenOptions } from '../support/saml/golden.ts';

const OTHER_DV = 'urn:etoegang:DV:00000005555555550000:entities:1';

/** Flip one byte of every EncryptedData CipherValue in the assertion (before it is signed). */
function tamperCipher(at: 'first' | 'last'): GoldenOptions['mutateAssertion'] {
  return (a) => {
    for (const el of Array.from(a.getElementsByTagNameNS(NS.xenc, 'EncryptedData'))) {
      const cv = el.getElementsByTagNameNS(NS.xenc, 'CipherValue')[0]!;
      const bytes = Buffer.from(cv.textContent!, 'base64');
      bytes[at === 'first' ? 20 : bytes.length - 1]! ^= 0x01;
      cv.textContent = bytes.toString('base64');
    }
  };
}

describe('broker face: EncryptedID decryption', function () {
  let h: Harness;
  let noPrevious: Harness;
  before(async () => {
    h = await Harness.create({ spPrevious: true });
    noPrevious = await Harness.create();
  });
  after(async () => {
    await h?.close();
    await noPrevious?.close();
  });

  const ok: Array<[string, (h: Harness) => Partial<GoldenOptions>]> = [
    ['aes256-cbc + rsa-oaep-mgf1p (the eHerkenning default)', () => ({})],
    ['aes128-cbc', () => ({ encryption: { content: ENC.aes128cbc, keyTransport: ENC.rsaOaepMgf1p } })],
    ['aes128-gcm', () => ({ encryption: { content: ENC.aes128gcm, keyTransport: ENC.rsaOaepMgf1p } })],
    ['aes256-gcm', () => ({ encryption: { content: ENC.aes256gcm, keyTransport: ENC.rsaOaepMgf1p } })],
    ['xmlenc11 rsa-oaep with SHA-256 and MGF1-SHA-256', () => ({ encryption: { content: ENC.aes256gcm, keyTransport: ENC.rsaOaep11 } })],
    ['the EncryptedKey nested in KeyInfo', () => ({ encryption: { content: ENC.aes256cbc, keyTransport: ENC.rsaOaepMgf1p, layout: 'nested' } })],
    ['an extra EncryptedKey for another recipient first', (h) => ({
      recipients: [{ cert: h.pki.spOther, entityId: OTHER_DV }, { cert: h.pki.spActive, entityId: SP_ENTITY }],
    })],
    ['a KeyName that is the SHA-1 fingerprint', (h) => ({ recipients: [{ cert: h.pki.spActive, entityId: SP_ENTITY, keyName: h.pki.spActive.sha1 }] })],
    ['no KeyName at all', (h) => ({ recipients: [{ cert: h.pki.spActive, entityId: SP_ENTITY, keyName: null }] })],
    ['encryption for the previous SP key (rollover)', (h) => ({ recipients: [{ cert: h.pki.spPrevious, entityId: SP_ENTITY }] })],
    ['the previous key with a KeyName of the active one', (h) => ({
      recipients: [{ cert: h.pki.spPrevious, entityId: SP_ENTITY, keyName: h.pki.spActive.sha256 }],
    })],
  ];
  for (const [what, options] of ok) {
    it(`decrypts ${what}`, async () => {
      const out = await h.login(options(h));
      assert.equal(out.failure, null, JSON.stringify(out.failure));
      assert.equal(out.identity!.pseudonym, PSEUDONYM);
      assert.equal(out.identity!.legalSubjects[0]!.value, '12345678');
    });
  }

  const refused: Array<[string, string, (h: Harness) => Partial<GoldenOptions>]> = [
    ['3DES content encryption', 'encryption-algorithm-not-allowed', () => ({ encryption: { content: ENC.tripleDes, keyTransport: ENC.rsaOaepMgf1p } })],
    ['RSA-1_5 key transport', 'encryption-algorithm-not-allowed', () => ({ encryption: { content: ENC.aes256cbc, keyTransport: ENC.rsa15 } })],
    ['an EncryptedKey for another recipient only', 'encrypted-key-not-for-us', (h) => ({ recipients: [{ cert: h.pki.spOther, entityId: OTHER_DV }] })],
    ['our Recipient but another party\'s key', 'decryption-failed', (h) => ({ recipients: [{ cert: h.pki.spOther, entityId: SP_ENTITY }] })],
    ['a flipped byte in a CBC ciphertext (padding area)', 'decryption-failed', () => ({ mutateAssertion: tamperCipher('last') })],
    ['a flipped byte in a CBC ciphertext (content)', 'decryption-failed', () => ({ mutateAssertion: tamperCipher('first') })],
    ['a flipped byte in a GCM ciphertext', 'decryption-failed', () => ({
      encryption: { content: ENC.aes256gcm, keyTransport: ENC.rsaOaepMgf1p },
      mutateAssertion: tamperCipher('first'),
    })],
    ['an EncryptedID without EncryptedData', 'encrypted-id-invalid', () => ({
      mutateAssertion: (a) => {
        const ed = a.getElementsByTagNameNS(NS.xenc, 'EncryptedData')[0]!;
        ed.parentNode!.removeChild(ed);
      },
    })],
  ];
  for (const [what, code, options] of refused) {
    it(`refuses ${what} → ${code}`, async () => assertRefused(h, await h.login(options(h)), code));
  }

  it('does not decrypt with the previous key when none is configured', async () => {
    assertRefused(noPrevious, await noPrevious.login({ recipients: [{ cert: noPrevious.pki.spPrevious, entityId: SP_ENTITY }] }), 'decryption-failed');
  });

  it('never logs the pseudonym or a decrypted value', () => {
    assert.ok(!h.log.includes(PSEUDONYM));
    assert.ok(!h.log.toLowerCase().includes(PSEUDONYM.toLowerCase()));
    assert.ok(!h.log.includes('12345678'));
  });
});
