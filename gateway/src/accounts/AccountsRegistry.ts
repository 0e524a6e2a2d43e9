// The accounts registry port: durable state (PostgreSQL in production, PGlite embedded).
// One SQL implementation serves both drivers; see SqlDatabase.ts.

export interface Organisation {
  id: string;
  name: string;
  /** 8-digit KvK number. */
  kvk: string;
  /** 9-digit RSIN, when known. */
  rsin: string | null;
  /** Sector id from config.portal.sectors. */
  sector: string;
  createdAt: number;
}

export type AccountStatus = 'active' | 'disabled';

export interface Account {
  /** Stable id (UUID); the OIDC `sub`. Survives a re-koppel. */
  id: string;
  /** Like `1234abcd`: printed on the letter; unique, lower case. */
  gebruikersnaam: string;
  organisationId: string;
  name: string;
  email: string;
  phone: string | null;
  beheerder: boolean;
  status: AccountStatus;
  /** Token login (the old way) is allowed only while no koppeling exists. */
  totpSecret: string | null;
  rollen: string[];
  kenmerken: string[];
  createdAt: number;
}

export interface NewAccount {
  gebruikersnaam?: string;
  organisationId: string;
  name: string;
  email: string;
  phone?: string | null;
  beheerder?: boolean;
  rollen?: string[];
  kenmerken?: string[];
}

export type UndoReason = 'inactive-18-months' | 'means-lost' | 'means-stolen' | 'means-defective' | 'replaced' | 'beheerder';

export interface Koppeling {
  id: string;
  accountId: string;
  /** Keyed hash (HMAC-SHA256, hex) of pseudonym + legal subject; the raw pseudonym is never stored. */
  subjectHash: string;
  broker: string;
  legalSubjectType: 'KvKnr' | 'RSIN';
  legalSubjectValue: string;
  linkedAt: number;
  lastLoginAt: number;
  undoneAt: number | null;
  undoneReason: UndoReason | null;
  disclaimerVersion: string;
  termsVersion: string;
  /** When the gebruikersvoorwaarden were accepted. */
  acceptedAt: number;
  /** When the disclaimer was accepted; null for koppelingen made before it was recorded. */
  disclaimerAcceptedAt: number | null;
}

export interface ActivationCodeRecord {
  id: string;
  accountId: string;
  /** Keyed hash (HMAC-SHA256, hex) of the normalised code. */
  codeHash: string;
  issuedAt: number;
  expiresAt: number;
  usedAt: number | null;
  voidedAt: number | null;
}

export type AuditOutcome = 'success' | 'failure' | 'refused';

export interface AuditEvent {
  at: number;
  /** e.g. 'login.completed', 'koppel.linked', 'koppel.refused', 'lockout.started'. */
  action: string;
  outcome: AuditOutcome;
  actorType: 'account' | 'beheerder' | 'system' | 'anonymous' | 'cli';
  actorId?: string | null;
  accountId?: string | null;
  /** Short prefix of a subject hash; never a raw pseudonym. */
  subjectRef?: string | null;
  reason?: string | null;
  correlationId?: string | null;
  /** Extra facts; must never hold codes, secrets or raw pseudonyms. */
  details?: Record<string, unknown>;
}

export interface StoredAuditEvent extends AuditEvent {
  id: number;
}

export interface LinkRequest {
  gebruikersnaam: string;
  codeHash: string;
  now: number;
  subjectHash: string;
  broker: string;
  legalSubjectType: 'KvKnr' | 'RSIN';
  legalSubjectValue: string;
  disclaimerVersion: string;
  termsVersion: string;
  /** When the gebruikersvoorwaarden were accepted. */
  acceptedAt: number;
  /** When the disclaimer (fraude, privacy) was accepted. */
  disclaimerAcceptedAt?: number;
  correlationId?: string;
}

/** Every failure has the same outward face; the reason is for the audit trail only. */
export type LinkResult =
  | { ok: true; account: Account; koppeling: Koppeling; replaced: Koppeling | null }
  | { ok: false; reason: 'unknown-gebruikersnaam' | 'no-code' | 'wrong-code' | 'expired-code' | 'used-code' | 'account-disabled'; accountId: string | null };

export interface AccountsRegistry {
  migrate(): Promise<void>;

  createOrganisation(input: { name: string; kvk: string; rsin?: string | null; sector: string }): Promise<Organisation>;
  getOrganisation(id: string): Promise<Organisation | null>;
  findOrganisationByKvk(kvk: string): Promise<Organisation | null>;
  listOrganisations(): Promise<Organisation[]>;

  createAccount(input: NewAccount): Promise<Account>;
  getAccount(id: string): Promise<Account | null>;
  findAccountByGebruikersnaam(gebruikersnaam: string): Promise<Account | null>;
  listAccounts(organisationId?: string): Promise<Account[]>;
  setRollen(accountId: string, rollen: string[]): Promise<void>;
  setKenmerken(accountId: string, kenmerken: string[]): Promise<void>;
  updateContact(accountId: string, contact: { email?: string; phone?: string | null }): Promise<void>;
  setTotpSecret(accountId: string, secret: string | null): Promise<void>;
  setStatus(accountId: string, status: AccountStatus): Promise<void>;

  /** Stores a new code (hash only) and voids every earlier unused code of the account. */
  issueActivationCode(input: { accountId: string; codeHash: string; issuedAt: number; expiresAt: number }): Promise<ActivationCodeRecord>;

  /**
   * In one transaction: check the code for this gebruikersnaam (constant-time hash compare,
   * unexpired, unused, not voided), mark it used, undo any active koppeling of the account
   * (reason 'replaced') and of this subject, and create the new koppeling.
   * Nothing is written when the result is not ok.
   */
  linkWithActivationCode(req: LinkRequest): Promise<LinkResult>;

  /** Active (not undone) koppeling for a subject hash, with its account. */
  findActiveKoppeling(subjectHash: string): Promise<{ koppeling: Koppeling; account: Account } | null>;
  /** Latest koppeling for a subject hash, active or undone (to explain why it was undone). */
  findLatestKoppeling(subjectHash: string): Promise<Koppeling | null>;
  activeKoppelingOfAccount(accountId: string): Promise<Koppeling | null>;
  /** Whether the account was ever linked (active or undone): token login ends with the first koppeling. */
  everLinked(accountId: string): Promise<boolean>;
  touchKoppeling(koppelingId: string, now: number): Promise<void>;
  undoKoppeling(koppelingId: string, reason: UndoReason, now: number): Promise<boolean>;
  /** Undo every active koppeling whose lastLoginAt < cutoff; returns those undone. */
  undoKoppelingenNotUsedSince(cutoff: number, now: number): Promise<Koppeling[]>;

  appendAudit(event: AuditEvent): Promise<void>;
  listAudit(filter?: { accountId?: string; action?: string; limit?: number }): Promise<StoredAuditEvent[]>;

  /** Answers when the database is reachable (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// ---- Additions (mededelingen): a separate port so fakes of AccountsRegistry stay valid. ----

/** A notice on the Mijn DUO overview, for the gebruikers with one rol (or everyone), for a period. */
export interface Mededeling {
  id: string;
  /** null: for every gebruiker. */
  rol: string | null;
  title: string;
  body: string;
  validFrom: number;
  /** Exclusive end; null: until removed. */
  validUntil: number | null;
  createdAt: number;
}

export interface MededelingenRegistry {
  createMededeling(input: { rol: string | null; title: string; body: string; validFrom: number; validUntil?: number | null }): Promise<Mededeling>;
  /**
   * Notices current at `at` (validFrom ≤ at < validUntil) for any of `rollen` plus those for
   * everyone; every current notice when `rollen` is omitted. Newest validFrom first.
   */
  listMededelingen(filter: { at: number; rollen?: string[] }): Promise<Mededeling[]>;
  deleteMededeling(id: string): Promise<boolean>;
}
