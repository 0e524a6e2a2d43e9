// Every refusal inside the broker face is a BrokerRejection with a stable reason code. Only the
// code (and a correlation id) ever leaves broker/; `detail` goes to the log and nowhere else.

/** Every reason code the broker face can produce. Stable: the helpdesk looks them up. */
export const REASON_CODES = [
  // the browser request at the ACS
  'acs-bad-request',
  'unsolicited-response',
  'request-unknown',
  'browser-binding-mismatch',
  // the artifact
  'artifact-malformed',
  'artifact-source-unknown',
  'artifact-broker-mismatch',
  'artifact-replayed',
  // outages (503/504)
  'broker-metadata-unavailable',
  'artifact-resolve-unavailable',
  'artifact-resolve-tls-failed',
  'artifact-resolve-timeout',
  'artifact-resolve-http-error',
  'artifact-resolve-too-large',
  'artifact-resolve-soap-fault',
  'store-unavailable',
  // XML before parsing
  'xml-too-large',
  'xml-malformed',
  'xml-doctype-forbidden',
  'xml-forbidden-construct',
  'xml-too-deep',
  'xml-too-many-elements',
  'xml-too-many-attributes',
  'xml-multiple-roots',
  'xml-duplicate-id',
  // signatures
  'signature-missing',
  'signature-invalid',
  'signature-algorithm-not-allowed',
  'signature-reference-invalid',
  // ArtifactResponse
  'artifact-response-invalid',
  'artifact-response-in-response-to-mismatch',
  'artifact-response-issuer-mismatch',
  'artifact-response-status-not-success',
  'artifact-response-empty',
  // Response
  'response-invalid',
  'response-destination-mismatch',
  'response-issuer-mismatch',
  'response-in-response-to-mismatch',
  'response-extensions-present',
  'response-issue-instant-invalid',
  // broker status codes
  'cancelled',
  'broker-status-request-unsupported',
  'broker-status-request-denied',
  'broker-status-error',
  // Assertion
  'assertion-count-invalid',
  'assertion-invalid',
  'assertion-issuer-mismatch',
  'assertion-too-old',
  'subject-invalid',
  'subject-confirmation-invalid',
  'subject-recipient-mismatch',
  'subject-in-response-to-mismatch',
  'subject-expired',
  'conditions-invalid',
  'conditions-not-yet-valid',
  'conditions-expired',
  'audience-mismatch',
  'session-expired',
  'authn-statement-invalid',
  // eHerkenning profile
  'level-missing',
  'level-unknown',
  'level-too-low',
  'attribute-invalid',
  'attribute-duplicate',
  'service-id-missing',
  'service-id-multiple',
  'service-id-mismatch',
  'service-uuid-missing',
  'service-uuid-multiple',
  'service-uuid-mismatch',
  'acting-subject-missing',
  'acting-subject-invalid',
  'legal-subject-missing',
  'legal-subject-invalid',
  'vestigingsnummer-invalid',
  // encryption
  'encrypted-id-invalid',
  'encryption-algorithm-not-allowed',
  'encrypted-key-not-for-us',
  'decryption-failed',
  // single use
  'request-already-used',
  'assertion-replayed',
  // anything unexpected (a library threw on hostile input)
  'message-rejected',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

const OUTAGE_503: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  'broker-metadata-unavailable',
  'artifact-resolve-unavailable',
  'artifact-resolve-tls-failed',
  'artifact-resolve-http-error',
  'artifact-resolve-too-large',
  'artifact-resolve-soap-fault',
  'store-unavailable',
]);

const FORBIDDEN_403: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  'browser-binding-mismatch',
  'level-too-low',
  'service-id-mismatch',
  'service-uuid-mismatch',
  'broker-status-request-denied',
]);

/** The HTTP status of the page for a reason code: 400/403 for refusals, 503/504 for outages. */
export function httpStatusFor(code: ReasonCode): number {
  if (code === 'artifact-resolve-timeout') return 504;
  if (OUTAGE_503.has(code)) return 503;
  if (FORBIDDEN_403.has(code)) return 403;
  return 400;
}

export class BrokerRejection extends Error {
  readonly code: ReasonCode;
  /** Log-only context. Never decrypted values, never the pseudonym. */
  readonly detail: Record<string, unknown>;
  constructor(code: ReasonCode, detail: Record<string, unknown> = {}) {
    super(code);
    this.name = 'BrokerRejection';
    this.code = code;
    this.detail = detail;
  }
  get cancelled(): boolean {
    return this.code === 'cancelled';
  }
  get httpStatus(): number {
    return httpStatusFor(this.code);
  }
}

export function reject(code: ReasonCode, detail?: Record<string, unknown>): never {
  throw new BrokerRejection(code, detail);
}
