// Activation codes (activatiecodes): 16 characters from an unambiguous upper-case alphabet,
// valid 24 hours, single use, a new one voids the old. Only a keyed hash is stored:
// HMAC-SHA256 with secrets.activationCodeKey (kept outside the database). A slow KDF buys
// nothing for a short-lived, single-use code behind a 5-try lockout and would make every
// koppel attempt expensive (anchors.md §0.7).
import crypto from 'node:crypto';

/** Upper-case letters without I, L and O (confused with 1, l and 0 on paper and screen). */
export const ACTIVATION_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ';
export const ACTIVATION_CODE_LENGTH = 16;

/** Longest input we bother normalising; anything longer cannot be a code. */
const MAX_INPUT_LENGTH = 128;

const DOMAIN = 'mijnduo/activation-code/v1|';

/** A fresh code, uniformly random (crypto.randomInt has no modulo bias). */
export function generateActivationCode(): string {
  let code = '';
  for (let i = 0; i < ACTIVATION_CODE_LENGTH; i++) {
    code += ACTIVATION_CODE_ALPHABET[crypto.randomInt(ACTIVATION_CODE_ALPHABET.length)];
  }
  return code;
}

/**
 * What a person might type, made comparable: Unicode compatibility forms folded (full-width
 * letters), upper case, and every kind of white space and dash removed, wherever it stands
 * (" abcd-efgh ijkl–mnop " → "ABCDEFGHIJKLMNOP"). Other characters are kept, so a wrong code
 * stays wrong. Overlong input yields '' (never a valid code).
 */
export function normaliseActivationCode(input: string): string {
  if (typeof input !== 'string' || input.length > MAX_INPUT_LENGTH) return '';
  return input
    .normalize('NFKC')
    .replace(/[\s\u00a0\u200b-\u200d\u2060\ufeff]+/g, '')
    .replace(/[-\u2010-\u2015\u2212_.]+/g, '')
    .toUpperCase();
}

/** True when the (normalised) input has the shape of a code we issue. */
export function isWellFormedActivationCode(input: string): boolean {
  const n = normaliseActivationCode(input);
  return n.length === ACTIVATION_CODE_LENGTH && [...n].every((c) => ACTIVATION_CODE_ALPHABET.includes(c));
}

/** For letters and mails: groups of four ("ABCD EFGH JKMN PQRS"); normalisation undoes it. */
export function formatActivationCode(code: string): string {
  return normaliseActivationCode(code).replace(/(.{4})(?=.)/g, '$1 ');
}

/** Keyed hash (HMAC-SHA256, lowercase hex) of the normalised code. `key` = secrets.activationCodeKey. */
export function hashActivationCode(code: string, key: string): string {
  if (!key) throw new Error('hashActivationCode: empty key');
  return crypto
    .createHmac('sha256', key)
    .update(DOMAIN + normaliseActivationCode(code), 'utf8')
    .digest('hex');
}

/** Constant-time comparison of two hex hashes (also when the lengths differ). */
export function activationCodeMatches(candidateHash: string, storedHash: string): boolean {
  const a = Buffer.from(candidateHash, 'utf8');
  const b = Buffer.from(storedHash, 'utf8');
  if (a.length !== b.length) {
    crypto.timingSafeEqual(b, b); // same work as a real comparison
    return false;
  }
  return crypto.timingSafeEqual(a, b);
}
