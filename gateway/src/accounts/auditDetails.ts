// A second line of defence for the audit trail: callers must never put codes, secrets or raw
// pseudonyms in `details`, and when one does anyway, the value is replaced before it is stored.
const FORBIDDEN_KEYS = new Set([
  'code',
  'activatiecode',
  'activationcode',
  'codehash',
  'pseudonym',
  'actingsubjectid',
  'secret',
  'totpsecret',
  'password',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'clientsecret',
]);

const REDACTED = '[redacted]';

function isForbidden(key: string): boolean {
  return FORBIDDEN_KEYS.has(key.replace(/[_-]/g, '').toLowerCase());
}

function scrub(value: unknown, depth: number): unknown {
  if (depth > 8) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = isForbidden(k) ? REDACTED : scrub(v, depth + 1);
    return out;
  }
  return value;
}

/** The details as they may be stored: forbidden keys redacted at any depth. */
export function scrubAuditDetails(details: Record<string, unknown> | undefined): Record<string, unknown> {
  return details ? (scrub(details, 0) as Record<string, unknown>) : {};
}
