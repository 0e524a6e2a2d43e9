// The koppel key: a keyed hash (HMAC-SHA256) of the eHerkenning pseudonym together with the
// legal subject (KvK number or RSIN) it acted for. The raw pseudonym is never stored or logged.
import crypto from 'node:crypto';

export interface LegalSubjectRef {
  type: string;
  value: string;
}

const DOMAIN = 'mijnduo/koppel-subject/v1';

/** Length-prefixed field, so no two different inputs share one encoding. */
function field(s: string): string {
  return `${Buffer.byteLength(s, 'utf8')}:${s}`;
}

/**
 * HMAC-SHA256 (lowercase hex) over an unambiguous encoding of
 * (domain, pseudonym, legal subject type, legal subject value).
 * `key` is secrets.subjectHashKey.
 */
export function subjectHash(key: string, pseudonym: string, legalSubject: LegalSubjectRef): string {
  if (!key) throw new Error('subjectHash: empty key');
  if (!pseudonym) throw new Error('subjectHash: empty pseudonym');
  const encoded = [DOMAIN, pseudonym, legalSubject.type, legalSubject.value].map(field).join('|');
  return crypto.createHmac('sha256', key).update(encoded, 'utf8').digest('hex');
}

/** Length of the reference used in logs and audit events. */
export const SUBJECT_REF_LENGTH = 12;

/** A short prefix of a subject hash for logs and audit: enough to correlate, useless to reverse. */
export function subjectRef(hash: string): string {
  return hash.slice(0, SUBJECT_REF_LENGTH);
}
