// Types for the one xml-encryption module used directly (see EncryptedIdDecrypter.ts): its
// RSA-OAEP with independent OAEP and MGF1 digests, which node:crypto cannot express.
declare module 'xml-encryption/lib/oaep.js' {
  interface OaepOptions {
    oaepHash?: string;
    mgf1Hash?: string;
    oaepLabel?: Buffer;
  }
  export function privateDecryptOaep(privateKey: string, ciphertext: Buffer, options?: OaepOptions): Buffer;
  export function publicEncryptOaep(publicKey: string, message: Buffer, options?: OaepOptions): Buffer;
}
