// The failure switches of the mock broker: one named switch per way a broker (or an attacker
// on the way) can get a login wrong. Every switch can be chosen on the persona screen, per
// login from a test (IdpMock.nextLogin / POST /mock/next-login), or for every login from config.
//
// `expect` says what a conforming gateway should do with the result, so a gateway test can
// loop over this table: 'accept' = the login must still succeed, 'refuse' = an error page,
// 'cancelled' = the calm "inloggen geannuleerd" page.

export const FAILURE_MODES = {
  // --- Status answers (no assertion at all) ------------------------------------------------
  cancel: {
    group: 'status',
    expect: 'cancelled',
    label: 'Annuleren bij het inlogmiddel (Responder / AuthnFailed)',
    description: 'Response Status Responder + AuthnFailed, no assertion: the person pressed cancel.',
  },
  'no-machtiging': {
    group: 'status',
    expect: 'refuse',
    label: 'Geen machtiging voor deze dienst',
    description:
      'Response Status Responder + RequestDenied (or AuthnFailed: option noMachtigingStatus). ' +
      'The exact code a real MR/HM uses is not confirmed.',
  },
  'request-unsupported': {
    group: 'status',
    expect: 'refuse',
    label: 'Verzoek niet ondersteund (Requester / RequestUnsupported)',
    description: 'Response Status Requester + RequestUnsupported, no assertion.',
  },

  // --- Level, service, identifiers ---------------------------------------------------------
  'lower-level': {
    group: 'content',
    expect: 'refuse',
    label: 'Lager betrouwbaarheidsniveau (loa2plus)',
    description: 'AuthnContextClassRef urn:etoegang:core:assurance-class:loa2plus.',
  },
  'wrong-service-id': {
    group: 'content',
    expect: 'refuse',
    label: 'Verkeerde ServiceID',
    description: 'ServiceID of another service of the same DV (index + 100).',
  },
  'wrong-service-uuid': {
    group: 'content',
    expect: 'refuse',
    label: 'Verkeerde ServiceUUID',
    description: 'A ServiceUUID that is not the catalogue one.',
  },
  'two-service-ids': {
    group: 'content',
    expect: 'refuse',
    label: 'Twee ServiceIDs',
    description: 'The ServiceID attribute carries two values: the right one and another one.',
  },
  'duplicate-service-id-attribute': {
    group: 'content',
    expect: 'refuse',
    label: 'ServiceID-attribuut twee keer',
    description: 'Two separate ServiceID Attribute elements, each with the right value.',
  },
  'no-service-id': {
    group: 'content',
    expect: 'refuse',
    label: 'Geen ServiceID',
    description: 'The ServiceID attribute is left out.',
  },
  'vestiging-restriction': {
    group: 'content',
    expect: 'accept',
    label: 'Machtiging beperkt tot één vestiging',
    description:
      'Adds urn:etoegang:1.9:ServiceRestriction:Vestigingsnr (the persona\'s vestigingsnummer, or 000012345678).',
  },
  'rotated-pseudonym': {
    group: 'content',
    expect: 'accept',
    label: 'Nieuw pseudoniem (door het MR vernieuwd)',
    description: 'The ActingSubjectID is derived from a new seed: the same person looks like a new one.',
  },
  'no-advice': {
    group: 'content',
    expect: 'accept',
    label: 'Geen Advice met onderliggende verklaringen',
    description: 'Leaves out the AD and MR assertions in Advice.',
  },

  // --- Time, addressing, structure ---------------------------------------------------------
  'expired-assertion': {
    group: 'content',
    expect: 'refuse',
    label: 'Verlopen assertion',
    description: 'Every time in the assertion lies 10 minutes back: NotOnOrAfter is in the past.',
  },
  'wrong-audience': {
    group: 'content',
    expect: 'refuse',
    label: 'Verkeerde Audience',
    description: 'Audience is another DV EntityID.',
  },
  'wrong-recipient': {
    group: 'content',
    expect: 'refuse',
    label: 'Verkeerde Recipient',
    description: 'SubjectConfirmationData Recipient is another URL than the ACS.',
  },
  'wrong-destination': {
    group: 'content',
    expect: 'refuse',
    label: 'Verkeerde Destination',
    description: 'Response Destination is another URL than the ACS.',
  },
  'wrong-in-response-to': {
    group: 'content',
    expect: 'refuse',
    label: 'Verkeerde InResponseTo',
    description: 'Response and SubjectConfirmationData InResponseTo name another AuthnRequest ID.',
  },
  'wrong-resolve-in-response-to': {
    group: 'resolve',
    expect: 'refuse',
    label: 'ArtifactResponse met verkeerde InResponseTo',
    description: 'The ArtifactResponse InResponseTo is not the ArtifactResolve ID.',
  },
  'artifact-response-not-success': {
    group: 'resolve',
    expect: 'refuse',
    label: 'ArtifactResponse met foutstatus',
    description: 'The ArtifactResponse Status is Responder (it MUST always be Success); the Response inside is fine.',
  },
  'wrong-issuer': {
    group: 'content',
    expect: 'refuse',
    label: 'Assertion van een andere makelaar (Issuer)',
    description: 'The Assertion Issuer is another HM EntityID (still signed with the mock key).',
  },
  'holder-of-key': {
    group: 'content',
    expect: 'refuse',
    label: 'SubjectConfirmation holder-of-key',
    description: 'SubjectConfirmation Method holder-of-key instead of bearer.',
  },

  // --- Signatures ------------------------------------------------------------------------
  'bad-signature': {
    group: 'signature',
    expect: 'refuse',
    label: 'Ongeldige handtekening (na ondertekenen gewijzigd)',
    description: 'The signed Assertion is changed after signing (the level is swapped), so its digest no longer matches.',
  },
  'bad-artifact-response-signature': {
    group: 'resolve',
    expect: 'refuse',
    label: 'Ongeldige handtekening op de ArtifactResponse',
    description: 'The ArtifactResponse is changed after signing.',
  },
  'unsigned-assertion': {
    group: 'signature',
    expect: 'refuse',
    label: 'Assertion zonder handtekening',
    description: 'The Assertion carries no Signature (the ArtifactResponse is still signed).',
  },
  'untrusted-key': {
    group: 'signature',
    expect: 'refuse',
    label: 'Assertion ondertekend met een onbekende sleutel',
    description: 'The Assertion is signed with a key that is not in the broker metadata.',
  },
  'sha1-signature': {
    group: 'signature',
    expect: 'refuse',
    label: 'Handtekening met SHA-1',
    description: 'The Assertion is signed with rsa-sha1 and a SHA-1 digest (the ArtifactResponse stays SHA-256).',
  },
  'signed-response': {
    group: 'signature',
    expect: 'accept',
    label: 'Response ook ondertekend',
    description: 'The Response inside the ArtifactResponse is signed as well (brokers MAY do this).',
  },

  // --- Encryption of the identifiers ----------------------------------------------------
  'other-recipient-only': {
    group: 'encryption',
    expect: 'refuse',
    label: 'Versleuteld voor een andere ontvanger',
    description: 'Each EncryptedID holds only an EncryptedKey for another DV (Recipient and KeyName not ours).',
  },
  'extra-recipient': {
    group: 'encryption',
    expect: 'accept',
    label: 'Extra EncryptedKey voor een andere ontvanger',
    description:
      'Each EncryptedID holds an EncryptedKey for another DV first, then ours (CarriedKeyName, ReferenceList). Must still work.',
  },
  'aes256-cbc': {
    group: 'content-encryption',
    expect: 'accept',
    label: 'Inhoud AES-256-CBC (standaard)',
    description: 'Content encryption xmlenc#aes256-cbc (the default; named so a test can ask for it explicitly).',
  },
  'aes128-gcm': {
    group: 'content-encryption',
    expect: 'accept',
    label: 'Inhoud AES-128-GCM',
    description: 'Content encryption xmlenc11#aes128-gcm.',
  },
  'aes256-gcm': {
    group: 'content-encryption',
    expect: 'accept',
    label: 'Inhoud AES-256-GCM',
    description: 'Content encryption xmlenc11#aes256-gcm.',
  },
  '3des': {
    group: 'content-encryption',
    expect: 'refuse',
    label: 'Inhoud 3DES (moet geweigerd worden)',
    description: 'Content encryption xmlenc#tripledes-cbc.',
  },
  'rsa-1_5': {
    group: 'key-transport',
    expect: 'refuse',
    label: 'Sleuteltransport RSA-1_5 (moet geweigerd worden)',
    description: 'Key transport xmlenc#rsa-1_5 instead of rsa-oaep-mgf1p.',
  },
  'rsa-oaep-xmlenc11': {
    group: 'key-transport',
    expect: 'accept',
    label: 'Sleuteltransport xmlenc11#rsa-oaep',
    description: 'Key transport xmlenc11#rsa-oaep with SHA-1 digest and default MGF1-SHA1.',
  },

  // --- The artifact ------------------------------------------------------------------------
  'replay-artifact': {
    group: 'artifact',
    expect: 'refuse',
    label: 'Artifact twee keer inwisselbaar',
    description:
      'The artifact resolves twice with the same Response: a second resolve (or a second ACS hit) must be refused by the gateway.',
  },
  'unknown-artifact': {
    group: 'artifact',
    expect: 'refuse',
    label: 'Onbekend artifact',
    description: 'The browser gets an artifact the mock never stored: resolving it yields an empty ArtifactResponse.',
  },
  'artifact-post': {
    group: 'artifact',
    expect: 'accept',
    label: 'Artifact per POST (zelf-versturend formulier)',
    description: 'Deliver SAMLart and RelayState with an auto-submitting POST form instead of a 302 GET.',
  },
} as const satisfies Record<string, FailureModeInfo>;

export interface FailureModeInfo {
  group:
    | 'status'
    | 'content'
    | 'resolve'
    | 'signature'
    | 'encryption'
    | 'content-encryption'
    | 'key-transport'
    | 'artifact';
  /** What a conforming gateway does with the login. */
  expect: 'accept' | 'refuse' | 'cancelled';
  /** Dutch label on the persona screen. */
  label: string;
  description: string;
}

export type FailureMode = keyof typeof FAILURE_MODES;

export const FAILURE_MODE_NAMES = Object.keys(FAILURE_MODES) as FailureMode[];

export function isFailureMode(v: unknown): v is FailureMode {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(FAILURE_MODES, v);
}

/** Parse a list (array or comma separated string); unknown names throw with the valid list. */
export function parseFailureModes(input: unknown): FailureMode[] {
  const items: unknown[] =
    input == null ? [] : Array.isArray(input) ? input : String(input).split(',').map((s) => s.trim()).filter(Boolean);
  const out: FailureMode[] = [];
  for (const item of items) {
    if (!isFailureMode(item)) {
      throw new Error(`unknown failure mode ${JSON.stringify(item)}; known: ${FAILURE_MODE_NAMES.join(', ')}`);
    }
    if (!out.includes(item)) out.push(item);
  }
  return out;
}

/** The active failure modes of one login, with the exclusive groups resolved (last one wins). */
export class FailureSet {
  private readonly modes: ReadonlySet<FailureMode>;
  readonly contentEncryption: ContentEncryption;
  readonly keyTransport: KeyTransport;

  constructor(list: readonly FailureMode[]) {
    this.modes = new Set(list);
    let enc: ContentEncryption = 'aes256-cbc';
    let kt: KeyTransport = 'rsa-oaep-mgf1p';
    for (const m of list) {
      if (m === 'aes256-cbc' || m === 'aes128-gcm' || m === 'aes256-gcm' || m === '3des') enc = m;
      if (m === 'rsa-1_5' || m === 'rsa-oaep-xmlenc11') kt = m;
    }
    this.contentEncryption = enc;
    this.keyTransport = kt;
  }

  has(mode: FailureMode): boolean {
    return this.modes.has(mode);
  }

  list(): FailureMode[] {
    return [...this.modes];
  }
}

export type ContentEncryption = 'aes256-cbc' | 'aes128-gcm' | 'aes256-gcm' | '3des';
export type KeyTransport = 'rsa-oaep-mgf1p' | 'rsa-oaep-xmlenc11' | 'rsa-1_5';
