// The accounts registry on SQL: one implementation for PostgreSQL and PGlite (see SqlDatabase).
//
// Invariants the database itself guards (migrations/001): gebruikersnaam unique and lower case,
// at most one open activation code per account, at most one active koppeling per account and
// per subject hash, audit events append-only. The code keeps them too; the database is the
// backstop when two gateway processes race.
//
// Audit: the registry records nothing by itself. Every event is written by the caller through
// appendAudit, which knows the actor, the correlation id and the outcome shown to the person.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type {
  Account,
  AccountsRegistry,
  AccountStatus,
  ActivationCodeRecord,
  AuditEvent,
  Koppeling,
  LinkRequest,
  LinkResult,
  Mededeling,
  MededelingenRegistry,
  NewAccount,
  Organisation,
  StoredAuditEvent,
  UndoReason,
} from './AccountsRegistry.ts';
import { scrubAuditDetails } from './auditDetails.ts';
import { InvalidRegistryInputError, RegistryConflictError, RegistryNotFoundError } from './errors.ts';
import { generateGebruikersnaam, isValidGebruikersnaam, normaliseGebruikersnaam } from './gebruikersnaam.ts';
import { migrate } from './migrate.ts';
import {
  ACCOUNT_COLUMNS,
  toAccount,
  toActivationCode,
  toAuditEvent,
  toKoppeling,
  toMededeling,
  toOrganisation,
  type Row,
} from './rows.ts';
import {
  DEADLOCK_DETECTED,
  SERIALIZATION_FAILURE,
  sqlConstraint,
  sqlState,
  UNIQUE_VIOLATION,
  type SqlDatabase,
  type SqlExecutor,
} from './SqlDatabase.ts';

/** Matches no account: the stand-in for an unknown gebruikersnaam's code lookup. */
const NIL_ACCOUNT_ID = '00000000-0000-0000-0000-000000000000';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX_256 = /^[0-9a-f]{64}$/;
const UNDO_REASONS: readonly UndoReason[] = ['inactive-18-months', 'means-lost', 'means-stolen', 'means-defective', 'replaced', 'beheerder'];
const AUDIT_LIMIT_DEFAULT = 100;
const AUDIT_LIMIT_MAX = 1000;
const GENERATE_ATTEMPTS = 20;

/** Rows locked by a racing transaction (two processes linking the same subject) → try again. */
function isRaceLost(err: unknown): boolean {
  const s = sqlState(err);
  return s === UNIQUE_VIOLATION || s === DEADLOCK_DETECTED || s === SERIALIZATION_FAILURE;
}

async function retrying<T>(attempts: number, retryable: (err: unknown) => boolean, fn: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !retryable(err)) throw err;
    }
  }
}

/** Constant-time comparison of two hex hashes; a length difference is simply "not equal". */
function sameHash(stored: string, given: string): boolean {
  const a = Buffer.from(stored, 'utf8');
  const b = Buffer.from(given.toLowerCase(), 'utf8');
  if (a.length !== b.length) {
    timingSafeEqual(a, a); // spend the same time either way
    return false;
  }
  return timingSafeEqual(a, b);
}

function cleanList(field: string, items: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of items) {
    const v = raw.trim();
    if (!v || v.length > 100) throw new InvalidRegistryInputError(field, `invalid entry '${raw}'`);
    out.add(v);
  }
  return [...out].sort();
}

function requireText(field: string, v: string, max = 200): string {
  const t = v.trim();
  if (!t || t.length > max) throw new InvalidRegistryInputError(field, `must be 1 to ${max} characters`);
  return t;
}

function requireHash(field: string, v: string): string {
  const h = v.toLowerCase();
  if (!HEX_256.test(h)) throw new InvalidRegistryInputError(field, 'must be an HMAC-SHA256 in hex (64 characters)');
  return h;
}

function requireTime(field: string, v: number): Date {
  if (!Number.isFinite(v)) throw new InvalidRegistryInputError(field, 'must be milliseconds since the epoch');
  return new Date(v);
}

export class SqlAccountsRegistry implements AccountsRegistry, MededelingenRegistry {
  constructor(
    /** The database underneath; for readiness checks and tests, not for bypassing the registry. */
    readonly db: SqlDatabase,
    private readonly clock: Clock,
  ) {}

  async migrate(): Promise<void> {
    await migrate(this.db);
  }

  // ---- organisations ----

  async createOrganisation(input: { name: string; kvk: string; rsin?: string | null; sector: string }): Promise<Organisation> {
    const kvk = input.kvk.trim();
    if (!/^[0-9]{8}$/.test(kvk)) throw new InvalidRegistryInputError('kvk', 'a KvK number has 8 digits');
    const rsin = input.rsin?.trim() || null;
    if (rsin !== null && !/^[0-9]{9}$/.test(rsin)) throw new InvalidRegistryInputError('rsin', 'an RSIN has 9 digits');
    try {
      const [row] = await this.db.query<Row>(
        `insert into organisations (id, name, kvk, rsin, sector, created_at) values ($1, $2, $3, $4, $5, $6) returning *`,
        [randomUUID(), requireText('name', input.name), kvk, rsin, requireText('sector', input.sector, 100), new Date(this.clock.now())],
      );
      return toOrganisation(row!);
    } catch (err) {
      if (sqlConstraint(err) === 'organisations_kvk_key') throw new RegistryConflictError('kvk', `an organisation with KvK ${kvk} exists`);
      throw err;
    }
  }

  async getOrganisation(id: string): Promise<Organisation | null> {
    if (!UUID.test(id)) return null;
    const [row] = await this.db.query<Row>('select * from organisations where id = $1', [id]);
    return row ? toOrganisation(row) : null;
  }

  async findOrganisationByKvk(kvk: string): Promise<Organisation | null> {
    const [row] = await this.db.query<Row>('select * from organisations where kvk = $1', [kvk.trim()]);
    return row ? toOrganisation(row) : null;
  }

  async listOrganisations(): Promise<Organisation[]> {
    const rows = await this.db.query<Row>('select * from organisations order by name, kvk');
    return rows.map(toOrganisation);
  }

  // ---- accounts ----

  async createAccount(input: NewAccount): Promise<Account> {
    const given = input.gebruikersnaam === undefined ? null : normaliseGebruikersnaam(input.gebruikersnaam);
    if (given !== null && !isValidGebruikersnaam(given)) {
      throw new InvalidRegistryInputError('gebruikersnaam', '3 to 64 of a-z, 0-9, dot, dash, underscore');
    }
    const name = requireText('name', input.name);
    const email = requireText('email', input.email, 320);
    const rollen = cleanList('rollen', input.rollen ?? []);
    const kenmerken = cleanList('kenmerken', input.kenmerken ?? []);
    const nameTaken = (err: unknown): boolean => sqlConstraint(err) === 'accounts_gebruikersnaam_key';
    try {
      // A generated name that happens to exist already is drawn again.
      return await retrying(given === null ? GENERATE_ATTEMPTS : 1, nameTaken, () =>
        this.db.transaction(async (tx) => {
          const org = await tx.query('select id from organisations where id = $1', [UUID.test(input.organisationId) ? input.organisationId : null]);
          if (org.length === 0) throw new RegistryNotFoundError('organisation', input.organisationId);
          const id = randomUUID();
          await tx.query(
            `insert into accounts (id, gebruikersnaam, organisation_id, name, email, phone, beheerder, status, created_at)
             values ($1, $2, $3, $4, $5, $6, $7, 'active', $8)`,
            [id, given ?? generateGebruikersnaam(), input.organisationId, name, email, input.phone?.trim() || null, input.beheerder ?? false, new Date(this.clock.now())],
          );
          await this.replaceList(tx, 'account_rollen', 'rol', id, rollen);
          await this.replaceList(tx, 'account_kenmerken', 'kenmerk', id, kenmerken);
          return (await this.loadAccount(tx, id))!;
        }),
      );
    } catch (err) {
      if (nameTaken(err)) throw new RegistryConflictError('gebruikersnaam', `gebruikersnaam ${given ?? ''} is taken`);
      throw err;
    }
  }

  async getAccount(id: string): Promise<Account | null> {
    return UUID.test(id) ? this.loadAccount(this.db, id) : null;
  }

  async findAccountByGebruikersnaam(gebruikersnaam: string): Promise<Account | null> {
    const [row] = await this.db.query<Row>(`select ${ACCOUNT_COLUMNS} from accounts a where a.gebruikersnaam = $1`, [
      normaliseGebruikersnaam(gebruikersnaam),
    ]);
    return row ? toAccount(row) : null;
  }

  async listAccounts(organisationId?: string): Promise<Account[]> {
    if (organisationId !== undefined && !UUID.test(organisationId)) return [];
    const rows =
      organisationId === undefined
        ? await this.db.query<Row>(`select ${ACCOUNT_COLUMNS} from accounts a order by a.gebruikersnaam`)
        : await this.db.query<Row>(`select ${ACCOUNT_COLUMNS} from accounts a where a.organisation_id = $1 order by a.gebruikersnaam`, [organisationId]);
    return rows.map(toAccount);
  }

  async setRollen(accountId: string, rollen: string[]): Promise<void> {
    const list = cleanList('rollen', rollen);
    await this.db.transaction(async (tx) => {
      await this.lockAccount(tx, accountId);
      await this.replaceList(tx, 'account_rollen', 'rol', accountId, list);
    });
  }

  async setKenmerken(accountId: string, kenmerken: string[]): Promise<void> {
    const list = cleanList('kenmerken', kenmerken);
    await this.db.transaction(async (tx) => {
      await this.lockAccount(tx, accountId);
      await this.replaceList(tx, 'account_kenmerken', 'kenmerk', accountId, list);
    });
  }

  async updateContact(accountId: string, contact: { email?: string; phone?: string | null }): Promise<void> {
    const email = contact.email === undefined ? null : requireText('email', contact.email, 320);
    const phoneGiven = contact.phone !== undefined;
    const phone = contact.phone?.trim() || null;
    await this.updateAccount(
      accountId,
      `update accounts set email = coalesce($2, email), phone = case when $3 then $4 else phone end where id = $1 returning id`,
      [email, phoneGiven, phone],
    );
  }

  async setTotpSecret(accountId: string, secret: string | null): Promise<void> {
    await this.updateAccount(accountId, 'update accounts set totp_secret = $2 where id = $1 returning id', [secret]);
  }

  async setStatus(accountId: string, status: AccountStatus): Promise<void> {
    if (status !== 'active' && status !== 'disabled') throw new InvalidRegistryInputError('status', 'active or disabled');
    await this.updateAccount(accountId, 'update accounts set status = $2 where id = $1 returning id', [status]);
  }

  // ---- activation codes ----

  async issueActivationCode(input: { accountId: string; codeHash: string; issuedAt: number; expiresAt: number }): Promise<ActivationCodeRecord> {
    const codeHash = requireHash('codeHash', input.codeHash);
    const issuedAt = requireTime('issuedAt', input.issuedAt);
    const expiresAt = requireTime('expiresAt', input.expiresAt);
    if (input.expiresAt <= input.issuedAt) throw new InvalidRegistryInputError('expiresAt', 'must be after issuedAt');
    return this.db.transaction(async (tx) => {
      // The account row lock serialises two issues for one account (the one-open-code index
      // would otherwise reject the slower one).
      await this.lockAccount(tx, input.accountId);
      await tx.query('update activation_codes set voided_at = $2 where account_id = $1 and used_at is null and voided_at is null', [
        input.accountId,
        issuedAt,
      ]);
      const [row] = await tx.query<Row>(
        `insert into activation_codes (id, account_id, code_hash, issued_at, expires_at) values ($1, $2, $3, $4, $5) returning *`,
        [randomUUID(), input.accountId, codeHash, issuedAt, expiresAt],
      );
      return toActivationCode(row!);
    });
  }

  /**
   * Only the account's latest code can match (a newer code voids the older ones). The code is
   * valid while now < expiresAt: at expiresAt exactly it has expired.
   */
  async linkWithActivationCode(req: LinkRequest): Promise<LinkResult> {
    const subjectHash = requireHash('subjectHash', req.subjectHash);
    const now = requireTime('now', req.now);
    const acceptedAt = requireTime('acceptedAt', req.acceptedAt);
    const disclaimerAcceptedAt = req.disclaimerAcceptedAt === undefined ? null : requireTime('disclaimerAcceptedAt', req.disclaimerAcceptedAt);
    // A lost race (another process linked the same subject at the same moment) is retried on
    // fresh data; every attempt either writes everything or nothing.
    return retrying(3, isRaceLost, () =>
      this.db.transaction(async (tx): Promise<LinkResult> => {
        const [acc] = await tx.query<{ id: string; status: string }>('select id, status from accounts where gebruikersnaam = $1 for update', [
          normaliseGebruikersnaam(req.gebruikersnaam),
        ]);
        if (!acc) {
          // Do the code lookup and compare anyway, so an unknown gebruikersnaam costs the same
          // as a known one with a wrong code (no enumeration by timing).
          await tx.query('select * from activation_codes where account_id = $1 order by seq desc limit 1', [NIL_ACCOUNT_ID]);
          sameHash(req.codeHash, req.codeHash);
          return { ok: false, reason: 'unknown-gebruikersnaam', accountId: null };
        }
        const accountId = String(acc.id);
        if (acc.status !== 'active') return { ok: false, reason: 'account-disabled', accountId };

        const [codeRow] = await tx.query<Row>('select * from activation_codes where account_id = $1 order by seq desc limit 1 for update', [accountId]);
        if (!codeRow) return { ok: false, reason: 'no-code', accountId };
        const code = toActivationCode(codeRow);
        if (!sameHash(code.codeHash, req.codeHash) || code.voidedAt !== null) return { ok: false, reason: 'wrong-code', accountId };
        if (code.usedAt !== null) return { ok: false, reason: 'used-code', accountId };
        if (req.now >= code.expiresAt) return { ok: false, reason: 'expired-code', accountId };

        await tx.query('update activation_codes set used_at = $2 where id = $1', [code.id, now]);
        const ofAccount = await this.undoActive(tx, 'account_id', accountId, 'replaced', now);
        const ofSubject = await this.undoActive(tx, 'subject_hash', subjectHash, 'replaced', now);
        const [kRow] = await tx.query<Row>(
          `insert into koppelingen (id, account_id, subject_hash, broker, legal_subject_type, legal_subject_value,
             linked_at, last_login_at, disclaimer_version, terms_version, accepted_at, disclaimer_accepted_at)
           values ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11) returning *`,
          [randomUUID(), accountId, subjectHash, req.broker, req.legalSubjectType, req.legalSubjectValue, now, req.disclaimerVersion, req.termsVersion, acceptedAt, disclaimerAcceptedAt],
        );
        const koppeling = toKoppeling(kRow!);
        const account = (await this.loadAccount(tx, accountId))!;
        // The account's own earlier koppeling when it had one; else the subject's, moved here
        // from another account.
        const replaced = ofAccount[0] ?? ofSubject[0] ?? null;
        return { ok: true, account, koppeling, replaced };
      }),
    );
  }

  // ---- koppelingen ----

  async findActiveKoppeling(subjectHash: string): Promise<{ koppeling: Koppeling; account: Account } | null> {
    const [row] = await this.db.query<Row>('select * from koppelingen where subject_hash = $1 and undone_at is null', [subjectHash.toLowerCase()]);
    if (!row) return null;
    const koppeling = toKoppeling(row);
    const account = await this.loadAccount(this.db, koppeling.accountId);
    return account ? { koppeling, account } : null;
  }

  async findLatestKoppeling(subjectHash: string): Promise<Koppeling | null> {
    const [row] = await this.db.query<Row>('select * from koppelingen where subject_hash = $1 order by seq desc limit 1', [subjectHash.toLowerCase()]);
    return row ? toKoppeling(row) : null;
  }

  async activeKoppelingOfAccount(accountId: string): Promise<Koppeling | null> {
    if (!UUID.test(accountId)) return null;
    const [row] = await this.db.query<Row>('select * from koppelingen where account_id = $1 and undone_at is null', [accountId]);
    return row ? toKoppeling(row) : null;
  }

  async everLinked(accountId: string): Promise<boolean> {
    if (!UUID.test(accountId)) return false;
    const rows = await this.db.query<Row>('select 1 as one from koppelingen where account_id = $1 limit 1', [accountId]);
    return rows.length > 0;
  }

  async touchKoppeling(koppelingId: string, now: number): Promise<void> {
    if (!UUID.test(koppelingId)) return;
    // greatest(): a slow request finishing late must not move the last login back in time.
    await this.db.query('update koppelingen set last_login_at = greatest(last_login_at, $2) where id = $1 and undone_at is null', [
      koppelingId,
      requireTime('now', now),
    ]);
  }

  async undoKoppeling(koppelingId: string, reason: UndoReason, now: number): Promise<boolean> {
    if (!UNDO_REASONS.includes(reason)) throw new InvalidRegistryInputError('reason', `unknown undo reason ${reason}`);
    if (!UUID.test(koppelingId)) return false;
    const undone = await this.undoActive(this.db, 'id', koppelingId, reason, requireTime('now', now));
    return undone.length > 0;
  }

  async undoKoppelingenNotUsedSince(cutoff: number, now: number): Promise<Koppeling[]> {
    const cutoffAt = requireTime('cutoff', cutoff);
    const nowAt = requireTime('now', now);
    const rows = await this.db.query<Row>(
      `update koppelingen set undone_at = $2, undone_reason = 'inactive-18-months'
       where undone_at is null and last_login_at < $1 returning *`,
      [cutoffAt, nowAt],
    );
    return rows.map(toKoppeling).sort((a, b) => a.lastLoginAt - b.lastLoginAt);
  }

  // ---- audit ----

  async appendAudit(event: AuditEvent): Promise<void> {
    await insertAudit(this.db, event);
  }

  /** Newest first. */
  async listAudit(filter: { accountId?: string; action?: string; limit?: number } = {}): Promise<StoredAuditEvent[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.accountId !== undefined) {
      params.push(filter.accountId);
      where.push(`account_id = $${params.length}`);
    }
    if (filter.action !== undefined) {
      params.push(filter.action);
      where.push(`action = $${params.length}`);
    }
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? AUDIT_LIMIT_DEFAULT), 1), AUDIT_LIMIT_MAX);
    params.push(limit);
    const rows = await this.db.query<Row>(
      `select * from audit_events ${where.length ? `where ${where.join(' and ')}` : ''} order by id desc limit $${params.length}`,
      params,
    );
    return rows.map(toAuditEvent);
  }

  // ---- mededelingen ----

  async createMededeling(input: { rol: string | null; title: string; body: string; validFrom: number; validUntil?: number | null }): Promise<Mededeling> {
    const validUntil = input.validUntil ?? null;
    if (validUntil !== null && validUntil <= input.validFrom) throw new InvalidRegistryInputError('validUntil', 'must be after validFrom');
    const [row] = await this.db.query<Row>(
      `insert into mededelingen (id, rol, title, body, valid_from, valid_until, created_at) values ($1, $2, $3, $4, $5, $6, $7) returning *`,
      [
        randomUUID(),
        input.rol === null ? null : requireText('rol', input.rol, 100),
        requireText('title', input.title),
        input.body,
        requireTime('validFrom', input.validFrom),
        validUntil === null ? null : requireTime('validUntil', validUntil),
        new Date(this.clock.now()),
      ],
    );
    return toMededeling(row!);
  }

  async listMededelingen(filter: { at: number; rollen?: string[] }): Promise<Mededeling[]> {
    const at = requireTime('at', filter.at);
    const current = 'valid_from <= $1 and (valid_until is null or valid_until > $1)';
    const rows =
      filter.rollen === undefined
        ? await this.db.query<Row>(`select * from mededelingen where ${current} order by valid_from desc, created_at desc`, [at])
        : await this.db.query<Row>(
            `select * from mededelingen where ${current} and (rol is null or rol = any($2::text[])) order by valid_from desc, created_at desc`,
            [at, filter.rollen],
          );
    return rows.map(toMededeling);
  }

  async deleteMededeling(id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const rows = await this.db.query('delete from mededelingen where id = $1 returning id', [id]);
    return rows.length > 0;
  }

  // ---- lifecycle ----

  async ping(): Promise<void> {
    await this.db.ping();
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  // ---- helpers ----

  private async loadAccount(q: SqlExecutor, id: string): Promise<Account | null> {
    const [row] = await q.query<Row>(`select ${ACCOUNT_COLUMNS} from accounts a where a.id = $1`, [id]);
    return row ? toAccount(row) : null;
  }

  private async lockAccount(tx: SqlExecutor, accountId: string): Promise<void> {
    const rows = UUID.test(accountId) ? await tx.query('select id from accounts where id = $1 for update', [accountId]) : [];
    if (rows.length === 0) throw new RegistryNotFoundError('account', accountId);
  }

  private async updateAccount(accountId: string, sql: string, rest: (string | boolean | null)[]): Promise<void> {
    const rows = UUID.test(accountId) ? await this.db.query(sql, [accountId, ...rest]) : [];
    if (rows.length === 0) throw new RegistryNotFoundError('account', accountId);
  }

  private async replaceList(tx: SqlExecutor, table: 'account_rollen' | 'account_kenmerken', column: 'rol' | 'kenmerk', accountId: string, items: string[]): Promise<void> {
    await tx.query(`delete from ${table} where account_id = $1`, [accountId]);
    if (items.length > 0) {
      await tx.query(`insert into ${table} (account_id, ${column}) select $1, unnest($2::text[])`, [accountId, items]);
    }
  }

  private async undoActive(tx: SqlExecutor, column: 'id' | 'account_id' | 'subject_hash', value: string, reason: UndoReason, now: Date): Promise<Koppeling[]> {
    const rows = await tx.query<Row>(
      `update koppelingen set undone_at = $2, undone_reason = $3 where ${column} = $1 and undone_at is null returning *`,
      [value, now, reason],
    );
    return rows.map(toKoppeling);
  }
}

/** The one place an audit event is written. */
async function insertAudit(q: SqlExecutor, e: AuditEvent): Promise<void> {
  await q.query(
    `insert into audit_events (at, action, outcome, actor_type, actor_id, account_id, subject_ref, reason, correlation_id, details)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb)`,
    [
      requireTime('at', e.at),
      e.action,
      e.outcome,
      e.actorType,
      e.actorId ?? null,
      e.accountId ?? null,
      e.subjectRef ? e.subjectRef.slice(0, 16) : null,
      e.reason ?? null,
      e.correlationId ?? null,
      JSON.stringify(scrubAuditDetails(e.details)),
    ],
  );
}
