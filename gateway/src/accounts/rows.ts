// Database rows → domain objects. Both drivers hand timestamptz back as Date; pg gives bigint
// as a string and PGlite as a number, so every conversion goes through Number().
import type {
  Account,
  AccountStatus,
  ActivationCodeRecord,
  Koppeling,
  Mededeling,
  Organisation,
  StoredAuditEvent,
  UndoReason,
} from './AccountsRegistry.ts';

export type Row = Record<string, unknown>;

export function ms(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return new Date(v).getTime();
  throw new TypeError(`not a timestamp: ${String(v)}`);
}

export function msOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : ms(v);
}

function str(v: unknown): string {
  return String(v);
}

function strOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

/** Select list for an account with its rollen and kenmerken, sorted, in one query. */
export const ACCOUNT_COLUMNS = `a.*,
  coalesce((select array_agg(r.rol order by r.rol) from account_rollen r where r.account_id = a.id), '{}') as rollen,
  coalesce((select array_agg(k.kenmerk order by k.kenmerk) from account_kenmerken k where k.account_id = a.id), '{}') as kenmerken`;

export function toOrganisation(r: Row): Organisation {
  return {
    id: str(r.id),
    name: str(r.name),
    kvk: str(r.kvk),
    rsin: strOrNull(r.rsin),
    sector: str(r.sector),
    createdAt: ms(r.created_at),
  };
}

export function toAccount(r: Row): Account {
  return {
    id: str(r.id),
    gebruikersnaam: str(r.gebruikersnaam),
    organisationId: str(r.organisation_id),
    name: str(r.name),
    email: str(r.email),
    phone: strOrNull(r.phone),
    beheerder: r.beheerder === true,
    status: str(r.status) as AccountStatus,
    totpSecret: strOrNull(r.totp_secret),
    rollen: strings(r.rollen),
    kenmerken: strings(r.kenmerken),
    createdAt: ms(r.created_at),
  };
}

export function toActivationCode(r: Row): ActivationCodeRecord {
  return {
    id: str(r.id),
    accountId: str(r.account_id),
    codeHash: str(r.code_hash),
    issuedAt: ms(r.issued_at),
    expiresAt: ms(r.expires_at),
    usedAt: msOrNull(r.used_at),
    voidedAt: msOrNull(r.voided_at),
  };
}

export function toKoppeling(r: Row): Koppeling {
  return {
    id: str(r.id),
    accountId: str(r.account_id),
    subjectHash: str(r.subject_hash),
    broker: str(r.broker),
    legalSubjectType: str(r.legal_subject_type) as Koppeling['legalSubjectType'],
    legalSubjectValue: str(r.legal_subject_value),
    linkedAt: ms(r.linked_at),
    lastLoginAt: ms(r.last_login_at),
    undoneAt: msOrNull(r.undone_at),
    undoneReason: strOrNull(r.undone_reason) as UndoReason | null,
    disclaimerVersion: str(r.disclaimer_version),
    termsVersion: str(r.terms_version),
    acceptedAt: ms(r.accepted_at),
    disclaimerAcceptedAt: msOrNull(r.disclaimer_accepted_at),
  };
}

export function toAuditEvent(r: Row): StoredAuditEvent {
  const details = typeof r.details === 'string' ? (JSON.parse(r.details) as unknown) : r.details;
  return {
    id: Number(r.id),
    at: ms(r.at),
    action: str(r.action),
    outcome: str(r.outcome) as StoredAuditEvent['outcome'],
    actorType: str(r.actor_type) as StoredAuditEvent['actorType'],
    actorId: strOrNull(r.actor_id),
    accountId: strOrNull(r.account_id),
    subjectRef: strOrNull(r.subject_ref),
    reason: strOrNull(r.reason),
    correlationId: strOrNull(r.correlation_id),
    details: (details ?? {}) as Record<string, unknown>,
  };
}

export function toMededeling(r: Row): Mededeling {
  return {
    id: str(r.id),
    rol: strOrNull(r.rol),
    title: str(r.title),
    body: str(r.body),
    validFrom: ms(r.valid_from),
    validUntil: msOrNull(r.valid_until),
    createdAt: ms(r.created_at),
  };
}
