// What the broker face hands to the rest of the gateway after every check passed.
// Nothing else from the SAML exchange leaves broker/.
export type LoaLevel = 'urn:etoegang:core:assurance-class:loa3' | 'urn:etoegang:core:assurance-class:loa4';

export type LegalSubjectType = 'KvKnr' | 'RSIN';

export interface LegalSubject {
  type: LegalSubjectType;
  /** 8 digits for KvKnr, 9 for RSIN. */
  value: string;
  /** The full NameQualifier URN it arrived with. */
  qualifier: string;
}

export interface EherkenningIdentity {
  /** ActingSubjectID: 64 hex, optionally + '@' + 32 hex. Never logged raw. */
  pseudonym: string;
  /** LegalSubjectID values (a KvKnr and/or an RSIN); at least one. */
  legalSubjects: LegalSubject[];
  level: LoaLevel;
  serviceId: string;
  serviceUuid: string;
  /** 12-digit vestigingsnummer restriction when the machtiging is limited to one. */
  vestigingsnummer?: string;
  /** Broker EntityID that issued the assertion. */
  broker: string;
  assertionId: string;
  /** ms since epoch. */
  authnInstant: number;
  /** Our session must not outlive this (ms since epoch), from SessionNotOnOrAfter. */
  sessionNotOnOrAfter?: number;
  authenticatingAuthority?: string;
}
