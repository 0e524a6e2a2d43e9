// One contract for the accounts registry, run against PGlite (in memory) always and against
// PostgreSQL when DATABASE_URL is set (each run in a fresh schema, dropped afterwards).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { DAY, HOUR, ManualClock, MINUTE } from '../../gateway/src/clock.ts';
import type { Account, LinkRequest, Organisation } from '../../gateway/src/accounts/AccountsRegistry.ts';
import { InvalidRegistryInputError, RegistryConflictError, RegistryNotFoundError } from '../../gateway/src/accounts/errors.ts';
import { loadMigrations, migrate } from '../../gateway/src/accounts/migrate.ts';
import { PgDatabase } from '../../gateway/src/accounts/PgDatabase.ts';
import type { SqlAccountsRegistry } from '../../gateway/src/accounts/SqlAccountsRegistry.ts';
import { StoreUnavailableError } from '../../gateway/src/store/KeyValueStore.ts';
import { databaseUrl, randomSuffix, registryImplementations, runOnPostgres } from '../support/stores.ts';

const T0 = Date.UTC(2026, 0, 15, 9, 0, 0);
const clock = new ManualClock(T0);

/** Keyed hashes as the gateway makes them (HMAC-SHA256 hex); the key is a test key. */
const hash = (s: string): string => createHmac('sha256', 'contract-test-key').update(s).digest('hex');

const TABLES = ['organisations', 'accounts', 'account_rollen', 'account_kenmerken', 'activation_codes', 'koppelingen', 'audit_events', 'mededelingen'];

for (const impl of registryImplementations(clock)) {
  describe(`AccountsRegistry contract: ${impl.name}`, () => {
    let reg: SqlAccountsRegistry;
    let n = 0;

    // PGlite takes seconds to start on a busy machine.
    before(async function () {
      this.timeout(60_000);
      reg = await impl.create();
    });
    after(() => impl.cleanup());

    /** Every row of every table, to prove that a refused action wrote nothing at all. */
    async function snapshot(): Promise<Record<string, unknown[]>> {
      const out: Record<string, unknown[]> = {};
      for (const t of TABLES) out[t] = await reg.db.query(`select * from ${t} order by 1, 2`);
      return out;
    }

    async function organisation(): Promise<Organisation> {
      n++;
      return reg.createOrganisation({ name: `Organisatie ${n}`, kvk: String(10_000_000 + n), sector: 'po' });
    }

    async function account(extra: Partial<Parameters<SqlAccountsRegistry['createAccount']>[0]> = {}): Promise<Account> {
      const org = await organisation();
      return reg.createAccount({ organisationId: org.id, name: `Gebruiker ${n}`, email: `g${n}@example.nl`, rollen: ['bekostiging'], kenmerken: ['brin:00AA'], ...extra });
    }

    /** An account with a fresh code issued at `issuedAt`, valid 24 hours. */
    async function accountWithCode(issuedAt = T0): Promise<{ account: Account; code: string; expiresAt: number }> {
      const acc = await account();
      const code = `CODE-${acc.id}`;
      const expiresAt = issuedAt + DAY;
      await reg.issueActivationCode({ accountId: acc.id, codeHash: hash(code), issuedAt, expiresAt });
      return { account: acc, code, expiresAt };
    }

    function linkRequest(gebruikersnaam: string, code: string, subject: string, now = T0 + HOUR): LinkRequest {
      return {
        gebruikersnaam,
        codeHash: hash(code),
        now,
        subjectHash: hash(`subject:${subject}`),
        broker: 'urn:etoegang:HM:00000003520354760000:entities:9632',
        legalSubjectType: 'KvKnr',
        legalSubjectValue: '12345678',
        disclaimerVersion: '2021-10',
        termsVersion: '2021-10',
        acceptedAt: now - MINUTE,
        disclaimerAcceptedAt: now - 2 * MINUTE,
        correlationId: `corr-${subject}`,
      };
    }

    describe('migrations', () => {
      it('are applied once; running them again changes nothing', async () => {
        const before = await reg.db.query<{ version: string }>('select version from schema_migrations order by version');
        assert.deepEqual(
          before.map((r) => r.version),
          loadMigrations().map((m) => m.version),
        );
        assert.deepEqual(await migrate(reg.db), []);
        await Promise.all([reg.migrate(), reg.migrate()]);
        const after = await reg.db.query('select version from schema_migrations order by version');
        assert.equal(after.length, before.length);
      });

      it('refuse to start when an applied migration was edited', async () => {
        const edited = loadMigrations().map((m) => ({ ...m, checksum: 'edited' }));
        await assert.rejects(migrate(reg.db, edited), /changed after it was applied/);
      });
    });

    describe('organisations', () => {
      it('creates, gets, finds by KvK and lists', async () => {
        clock.set(T0 + 5);
        const org = await reg.createOrganisation({ name: 'Stichting Lesrijk', kvk: '87654321', rsin: '123456789', sector: 'vo' });
        assert.match(org.id, /^[0-9a-f-]{36}$/);
        assert.deepEqual(org, { id: org.id, name: 'Stichting Lesrijk', kvk: '87654321', rsin: '123456789', sector: 'vo', createdAt: T0 + 5 });
        assert.deepEqual(await reg.getOrganisation(org.id), org);
        assert.deepEqual(await reg.findOrganisationByKvk('87654321'), org);
        assert.ok((await reg.listOrganisations()).some((o) => o.id === org.id));
        clock.set(T0);
      });

      it('answers null for unknown ids and KvK numbers, also for malformed ids', async () => {
        assert.equal(await reg.getOrganisation('00000000-0000-4000-8000-000000000000'), null);
        assert.equal(await reg.getOrganisation('not-a-uuid'), null);
        assert.equal(await reg.findOrganisationByKvk('99999999'), null);
      });

      it('refuses a second organisation with the same KvK number, and malformed numbers', async () => {
        const org = await organisation();
        await assert.rejects(reg.createOrganisation({ name: 'Dubbel', kvk: org.kvk, sector: 'po' }), RegistryConflictError);
        await assert.rejects(reg.createOrganisation({ name: 'X', kvk: '1234567', sector: 'po' }), InvalidRegistryInputError);
        await assert.rejects(reg.createOrganisation({ name: 'X', kvk: '12345678', rsin: '12', sector: 'po' }), InvalidRegistryInputError);
      });
    });

    describe('accounts', () => {
      it('creates an account with a generated gebruikersnaam like 1234abcd', async () => {
        const org = await organisation();
        clock.set(T0 + 7);
        const acc = await reg.createAccount({
          organisationId: org.id,
          name: 'Anna de Vries',
          email: 'anna@example.nl',
          phone: '0612345678',
          beheerder: true,
          rollen: ['leerlingen', 'bekostiging', 'leerlingen'],
          kenmerken: ['brin:12AB'],
        });
        clock.set(T0);
        assert.match(acc.gebruikersnaam, /^[0-9]{4}[a-z]{4}$/);
        assert.deepEqual(acc, {
          id: acc.id,
          gebruikersnaam: acc.gebruikersnaam,
          organisationId: org.id,
          name: 'Anna de Vries',
          email: 'anna@example.nl',
          phone: '0612345678',
          beheerder: true,
          status: 'active',
          totpSecret: null,
          rollen: ['bekostiging', 'leerlingen'],
          kenmerken: ['brin:12AB'],
          createdAt: T0 + 7,
        });
        assert.deepEqual(await reg.getAccount(acc.id), acc);
      });

      it('generates distinct gebruikersnamen', async () => {
        const org = await organisation();
        const names = new Set<string>();
        for (let i = 0; i < 30; i++) {
          const acc = await reg.createAccount({ organisationId: org.id, name: `G${i}`, email: `g${i}@example.nl` });
          assert.match(acc.gebruikersnaam, /^[0-9]{4}[a-z]{4}$/);
          names.add(acc.gebruikersnaam);
        }
        assert.equal(names.size, 30);
      });

      it('stores a given gebruikersnaam in lower case, finds it in any case, and keeps it unique', async () => {
        const name = `Demo${randomSuffix()}`;
        const acc = await account({ gebruikersnaam: `  ${name} ` });
        assert.equal(acc.gebruikersnaam, name.toLowerCase());
        assert.deepEqual(await reg.findAccountByGebruikersnaam(name.toUpperCase()), acc);
        await assert.rejects(account({ gebruikersnaam: name.toUpperCase() }), RegistryConflictError);
        await assert.rejects(account({ gebruikersnaam: 'a b' }), InvalidRegistryInputError);
        assert.equal(await reg.findAccountByGebruikersnaam('nobody-here'), null);
      });

      it('refuses an account for an unknown organisation', async () => {
        await assert.rejects(
          reg.createAccount({ organisationId: '00000000-0000-4000-8000-000000000000', name: 'X', email: 'x@example.nl' }),
          RegistryNotFoundError,
        );
      });

      it('lists all accounts, or those of one organisation, by gebruikersnaam', async () => {
        const org = await organisation();
        const a = await reg.createAccount({ organisationId: org.id, name: 'A', email: 'a@example.nl', gebruikersnaam: `zz${randomSuffix()}` });
        const b = await reg.createAccount({ organisationId: org.id, name: 'B', email: 'b@example.nl', gebruikersnaam: `aa${randomSuffix()}` });
        assert.deepEqual(
          (await reg.listAccounts(org.id)).map((x) => x.id),
          [b.id, a.id],
        );
        const all = await reg.listAccounts();
        assert.ok(all.length > 2 && all.some((x) => x.id === a.id));
        assert.deepEqual(
          all.map((x) => x.gebruikersnaam),
          all.map((x) => x.gebruikersnaam).sort(),
        );
        assert.deepEqual(await reg.listAccounts('00000000-0000-4000-8000-000000000000'), []);
      });

      it('replaces rollen and kenmerken', async () => {
        const acc = await account();
        await reg.setRollen(acc.id, ['vsv', 'examens', 'vsv']);
        await reg.setKenmerken(acc.id, []);
        const got = await reg.getAccount(acc.id);
        assert.deepEqual(got?.rollen, ['examens', 'vsv']);
        assert.deepEqual(got?.kenmerken, []);
        await assert.rejects(reg.setRollen(acc.id, ['  ']), InvalidRegistryInputError);
      });

      it('updates contact data field by field', async () => {
        const acc = await account({ phone: '0201234567' });
        await reg.updateContact(acc.id, { email: 'nieuw@example.nl' });
        assert.equal((await reg.getAccount(acc.id))?.phone, '0201234567');
        assert.equal((await reg.getAccount(acc.id))?.email, 'nieuw@example.nl');
        await reg.updateContact(acc.id, { phone: null });
        const got = await reg.getAccount(acc.id);
        assert.equal(got?.phone, null);
        assert.equal(got?.email, 'nieuw@example.nl');
      });

      it('sets and clears the TOTP secret, and the status', async () => {
        const acc = await account();
        await reg.setTotpSecret(acc.id, 'JBSWY3DPEHPK3PXP');
        assert.equal((await reg.getAccount(acc.id))?.totpSecret, 'JBSWY3DPEHPK3PXP');
        await reg.setTotpSecret(acc.id, null);
        assert.equal((await reg.getAccount(acc.id))?.totpSecret, null);
        await reg.setStatus(acc.id, 'disabled');
        assert.equal((await reg.getAccount(acc.id))?.status, 'disabled');
      });

      it('refuses changes to an account that does not exist', async () => {
        const ghost = '00000000-0000-4000-8000-000000000000';
        await assert.rejects(reg.setRollen(ghost, ['x']), RegistryNotFoundError);
        await assert.rejects(reg.setKenmerken(ghost, ['x']), RegistryNotFoundError);
        await assert.rejects(reg.updateContact(ghost, { email: 'x@example.nl' }), RegistryNotFoundError);
        await assert.rejects(reg.setTotpSecret('garbage', null), RegistryNotFoundError);
        await assert.rejects(reg.setStatus(ghost, 'disabled'), RegistryNotFoundError);
        assert.equal(await reg.getAccount(ghost), null);
        assert.equal(await reg.getAccount('garbage'), null);
      });
    });

    describe('activation codes', () => {
      it('stores the hash only, and a new code voids the earlier unused one', async () => {
        const acc = await account();
        const first = await reg.issueActivationCode({ accountId: acc.id, codeHash: hash('one'), issuedAt: T0, expiresAt: T0 + DAY });
        assert.deepEqual(first, { id: first.id, accountId: acc.id, codeHash: hash('one'), issuedAt: T0, expiresAt: T0 + DAY, usedAt: null, voidedAt: null });
        const second = await reg.issueActivationCode({ accountId: acc.id, codeHash: hash('two'), issuedAt: T0 + HOUR, expiresAt: T0 + HOUR + DAY });
        const rows = await reg.db.query<{ id: string; voided_at: Date | null; code_hash: string }>(
          'select id, voided_at, code_hash from activation_codes where account_id = $1 order by seq',
          [acc.id],
        );
        assert.deepEqual(
          rows.map((r) => [r.id, r.voided_at?.getTime() ?? null]),
          [
            [first.id, T0 + HOUR],
            [second.id, null],
          ],
        );
        assert.ok(rows.every((r) => /^[0-9a-f]{64}$/.test(r.code_hash)));
      });

      it('refuses a malformed hash, an expiry before issue, and an unknown account', async () => {
        const acc = await account();
        await assert.rejects(reg.issueActivationCode({ accountId: acc.id, codeHash: 'ABCD-EFGH', issuedAt: T0, expiresAt: T0 + DAY }), InvalidRegistryInputError);
        await assert.rejects(reg.issueActivationCode({ accountId: acc.id, codeHash: hash('x'), issuedAt: T0, expiresAt: T0 }), InvalidRegistryInputError);
        await assert.rejects(
          reg.issueActivationCode({ accountId: '00000000-0000-4000-8000-000000000000', codeHash: hash('x'), issuedAt: T0, expiresAt: T0 + DAY }),
          RegistryNotFoundError,
        );
      });

      it('the database keeps at most one open code per account', async () => {
        const acc = await account();
        await reg.issueActivationCode({ accountId: acc.id, codeHash: hash('a'), issuedAt: T0, expiresAt: T0 + DAY });
        await assert.rejects(
          reg.db.query(`insert into activation_codes (id, account_id, code_hash, issued_at, expires_at) values (gen_random_uuid(), $1, $2, $3, $4)`, [
            acc.id,
            hash('b'),
            new Date(T0),
            new Date(T0 + DAY),
          ]),
          (err: { code?: string }) => err.code === '23505',
        );
      });
    });

    describe('linkWithActivationCode', () => {
      it('links: marks the code used, creates the koppeling, and returns the account', async () => {
        const { account: acc, code } = await accountWithCode();
        const req = linkRequest(acc.gebruikersnaam.toUpperCase(), code, 'first');
        const res = await reg.linkWithActivationCode(req);
        assert.ok(res.ok);
        assert.deepEqual(res.account, acc);
        assert.equal(res.replaced, null);
        assert.deepEqual(res.koppeling, {
          id: res.koppeling.id,
          accountId: acc.id,
          subjectHash: req.subjectHash,
          broker: req.broker,
          legalSubjectType: 'KvKnr',
          legalSubjectValue: '12345678',
          linkedAt: req.now,
          lastLoginAt: req.now,
          undoneAt: null,
          undoneReason: null,
          disclaimerVersion: '2021-10',
          termsVersion: '2021-10',
          acceptedAt: req.acceptedAt,
          disclaimerAcceptedAt: req.disclaimerAcceptedAt,
        });
        const [codeRow] = await reg.db.query<{ used_at: Date }>('select used_at from activation_codes where account_id = $1', [acc.id]);
        assert.equal(codeRow?.used_at.getTime(), req.now);
        // Auditing is the caller's (it knows actor and outcome); the registry adds no events.
        assert.deepEqual(await reg.listAudit({ accountId: acc.id }), []);
      });

      it('a newer code voids the older one', async () => {
        const { account: acc, code: oldCode } = await accountWithCode();
        await reg.issueActivationCode({ accountId: acc.id, codeHash: hash('newer'), issuedAt: T0 + MINUTE, expiresAt: T0 + MINUTE + DAY });
        const refused = await reg.linkWithActivationCode(linkRequest(acc.gebruikersnaam, oldCode, 'voided'));
        assert.deepEqual(refused, { ok: false, reason: 'wrong-code', accountId: acc.id });
        assert.ok((await reg.linkWithActivationCode(linkRequest(acc.gebruikersnaam, 'newer', 'voided'))).ok);
      });

      it('a used code cannot be used again', async () => {
        const { account: acc, code } = await accountWithCode();
        assert.ok((await reg.linkWithActivationCode(linkRequest(acc.gebruikersnaam, code, 'once'))).ok);
        const before = await snapshot();
        const again = await reg.linkWithActivationCode(linkRequest(acc.gebruikersnaam, code, 'twice', T0 + 2 * HOUR));
        assert.deepEqual(again, { ok: false, reason: 'used-code', accountId: acc.id });
        assert.deepEqual(await snapshot(), before);
      });

      it('expiresAt is exclusive: valid up to 1 ms before it, expired at it exactly', async () => {
        const { account: acc, code, expiresAt } = await accountWithCode();
        const before = await snapshot();
        const atExpiry = await reg.linkWithActivationCode(linkRequest(acc.gebruikersnaam, code, 'late', expiresAt));
        assert.deepEqual(atExpiry, { ok: false, reason: 'expired-code', accountId: acc.id });
        assert.deepEqual(await snapshot(), before);
        assert.ok((await reg.linkWithActivationCode(linkRequest(acc.gebruikersnaam, code, 'just-in-time', expiresAt - 1))).ok);
      });

      it('every refusal writes nothing at all', async () => {
        const { account: acc, code } = await accountWithCode();
        const noCode = await account();
        const disabled = await accountWithCode();
        await reg.setStatus(disabled.account.id, 'disabled');
        const cases: [LinkRequest, unknown][] = [
          [linkRequest('0000zzzz', code, 'r1'), { ok: false, reason: 'unknown-gebruikersnaam', accountId: null }],
          [linkRequest(acc.gebruikersnaam, 'WRONG', 'r2'), { ok: false, reason: 'wrong-code', accountId: acc.id }],
          [{ ...linkRequest(acc.gebruikersnaam, code, 'r3'), codeHash: 'short' }, { ok: false, reason: 'wrong-code', accountId: acc.id }],
          [linkRequest(acc.gebruikersnaam, code, 'r4', T0 + 2 * DAY), { ok: false, reason: 'expired-code', accountId: acc.id }],
          [linkRequest(noCode.gebruikersnaam, code, 'r5'), { ok: false, reason: 'no-code', accountId: noCode.id }],
          [linkRequest(disabled.account.gebruikersnaam, disabled.code, 'r6'), { ok: false, reason: 'account-disabled', accountId: disabled.account.id }],
        ];
        const before = await snapshot();
        for (const [req, expected] of cases) assert.deepEqual(await reg.linkWithActivationCode(req), expected);
        assert.deepEqual(await snapshot(), before);
        // The refusals left the code usable.
        assert.ok((await reg.linkWithActivationCode(linkRequest(acc.gebruikersnaam, code, 'r7'))).ok);
      });

      it('10 parallel links with one code: exactly one succeeds', async () => {
        const { account: acc, code } = await accountWithCode();
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => reg.linkWithActivationCode(linkRequest(acc.gebruikersnaam, code, `race-${i}`))));
        const ok = results.filter((r) => r.ok);
        assert.equal(ok.length, 1);
        assert.ok(results.every((r) => r.ok || r.reason === 'used-code'));
        const rows = await reg.db.query('select id from koppelingen where account_id = $1', [acc.id]);
        assert.equal(rows.length, 1);
        const [codeRow] = await reg.db.query<{ used_at: Date | null }>('select used_at from activation_codes where account_id = $1', [acc.id]);
        assert.ok(codeRow?.used_at);
      });

      it("linking a new subject replaces the account's old koppeling (reason 'replaced')", async () => {
        const { account: acc, code } = await accountWithCode();
        const first = await reg.linkWithActivationCode(linkRequest(acc.gebruikersnaam, code, 'old-means'));
        assert.ok(first.ok);
        await reg.issueActivationCode({ accountId: acc.id, codeHash: hash('second'), issuedAt: T0 + DAY, expiresAt: T0 + 2 * DAY });
        const now = T0 + DAY + HOUR;
        const second = await reg.linkWithActivationCode(linkRequest(acc.gebruikersnaam, 'second', 'new-means', now));
        assert.ok(second.ok);
        assert.deepEqual(second.replaced, { ...first.koppeling, undoneAt: now, undoneReason: 'replaced' });
        assert.equal(await reg.findActiveKoppeling(hash('subject:old-means')), null);
        assert.deepEqual(await reg.findLatestKoppeling(hash('subject:old-means')), second.replaced);
        assert.deepEqual(await reg.activeKoppelingOfAccount(acc.id), second.koppeling);
      });

      it('a subject linked to another account moves: that koppeling is undone', async () => {
        const a = await accountWithCode();
        const b = await accountWithCode();
        const first = await reg.linkWithActivationCode(linkRequest(a.account.gebruikersnaam, a.code, 'shared'));
        const second = await reg.linkWithActivationCode(linkRequest(b.account.gebruikersnaam, b.code, 'shared'));
        assert.ok(first.ok && second.ok);
        assert.equal(second.replaced?.id, first.koppeling.id);
        assert.equal(second.replaced?.undoneReason, 'replaced');
        assert.equal(await reg.activeKoppelingOfAccount(a.account.id), null);
        assert.equal((await reg.findActiveKoppeling(hash('subject:shared')))?.account.id, b.account.id);
        // Undone is not forgotten: the account was linked once.
        assert.equal(await reg.everLinked(a.account.id), true);
      });

      it('everLinked: false before the first koppeling, true after, also once undone', async () => {
        const { account: acc, code } = await accountWithCode();
        assert.equal(await reg.everLinked(acc.id), false);
        const res = await reg.linkWithActivationCode(linkRequest(acc.gebruikersnaam, code, 'ever'));
        assert.ok(res.ok);
        assert.equal(await reg.everLinked(acc.id), true);
        assert.equal(await reg.undoKoppeling(res.koppeling.id, 'means-stolen', T0), true);
        assert.equal(await reg.everLinked(acc.id), true);
        assert.equal(await reg.everLinked('not-a-uuid'), false);
      });

      it('the database keeps at most one active koppeling per account and per subject', async () => {
        const { account: acc, code } = await accountWithCode();
        const res = await reg.linkWithActivationCode(linkRequest(acc.gebruikersnaam, code, 'unique'));
        assert.ok(res.ok);
        const other = await account();
        const insert = (accountId: string, subjectHash: string) =>
          reg.db.query(
            `insert into koppelingen (id, account_id, subject_hash, broker, legal_subject_type, legal_subject_value, linked_at, last_login_at, disclaimer_version, terms_version, accepted_at)
             values (gen_random_uuid(), $1, $2, 'b', 'KvKnr', '12345678', now(), now(), 'v', 'v', now())`,
            [accountId, subjectHash],
          );
        const duplicate = (err: { code?: string }) => err.code === '23505';
        await assert.rejects(insert(acc.id, hash('subject:elsewhere')), duplicate);
        await assert.rejects(insert(other.id, res.koppeling.subjectHash), duplicate);
      });
    });

    describe('koppelingen', () => {
      async function linked(subject: string, now = T0 + HOUR) {
        const { account: acc, code } = await accountWithCode();
        const res = await reg.linkWithActivationCode(linkRequest(acc.gebruikersnaam, code, subject, now));
        assert.ok(res.ok);
        return res;
      }

      it('finds the active koppeling with its account, and answers null for unknown subjects', async () => {
        const res = await linked('find');
        const found = await reg.findActiveKoppeling(res.koppeling.subjectHash);
        assert.deepEqual(found, { koppeling: res.koppeling, account: res.account });
        assert.equal(await reg.findActiveKoppeling(hash('subject:nobody')), null);
        assert.equal(await reg.findLatestKoppeling(hash('subject:nobody')), null);
        assert.equal(await reg.activeKoppelingOfAccount('00000000-0000-4000-8000-000000000000'), null);
      });

      it('touch moves lastLoginAt forward, never back, and not on an undone koppeling', async () => {
        const res = await linked('touch');
        await reg.touchKoppeling(res.koppeling.id, T0 + 5 * HOUR);
        await reg.touchKoppeling(res.koppeling.id, T0 + 3 * HOUR);
        assert.equal((await reg.activeKoppelingOfAccount(res.account.id))?.lastLoginAt, T0 + 5 * HOUR);
        await reg.undoKoppeling(res.koppeling.id, 'means-lost', T0 + 6 * HOUR);
        await reg.touchKoppeling(res.koppeling.id, T0 + 7 * HOUR);
        assert.equal((await reg.findLatestKoppeling(res.koppeling.subjectHash))?.lastLoginAt, T0 + 5 * HOUR);
      });

      it('undo: once, with its reason; a second undo answers false', async () => {
        const res = await linked('undo');
        assert.equal(await reg.undoKoppeling(res.koppeling.id, 'means-stolen', T0 + 2 * HOUR), true);
        assert.equal(await reg.undoKoppeling(res.koppeling.id, 'means-lost', T0 + 3 * HOUR), false);
        assert.equal(await reg.undoKoppeling('00000000-0000-4000-8000-000000000000', 'beheerder', T0), false);
        const latest = await reg.findLatestKoppeling(res.koppeling.subjectHash);
        assert.equal(latest?.undoneAt, T0 + 2 * HOUR);
        assert.equal(latest?.undoneReason, 'means-stolen');
        assert.equal(await reg.findActiveKoppeling(res.koppeling.subjectHash), null);
        await assert.rejects(reg.undoKoppeling(res.koppeling.id, 'whatever' as never, T0), InvalidRegistryInputError);
      });

      it('undoKoppelingenNotUsedSince undoes exactly those with a last login before the cutoff', async () => {
        // Use a time range of our own, far from the other tests' koppelingen.
        const base = T0 - 1000 * DAY;
        const old = await linked('idle-old', base);
        const edge = await linked('idle-edge', base + DAY);
        const recent = await linked('idle-recent', base + 2 * DAY);
        const now = T0 + 10 * DAY;
        const undone = await reg.undoKoppelingenNotUsedSince(base + DAY, now);
        assert.deepEqual(
          undone.map((k) => k.id),
          [old.koppeling.id],
        );
        assert.equal(undone[0]?.undoneReason, 'inactive-18-months');
        assert.equal(undone[0]?.undoneAt, now);
        assert.ok(await reg.activeKoppelingOfAccount(edge.account.id));
        assert.ok(await reg.activeKoppelingOfAccount(recent.account.id));
        assert.deepEqual(await reg.undoKoppelingenNotUsedSince(base + DAY, now), []);
      });
    });

    describe('audit', () => {
      it('appends and lists newest first, filtered by account and action, with a limit', async () => {
        const acc = await account();
        for (let i = 0; i < 3; i++) {
          await reg.appendAudit({ at: T0 + i, action: 'login.completed', outcome: 'success', actorType: 'account', actorId: acc.id, accountId: acc.id, details: { i } });
        }
        await reg.appendAudit({ at: T0 + 9, action: 'koppel.refused', outcome: 'refused', actorType: 'anonymous', accountId: acc.id, reason: 'wrong-code', subjectRef: 'abcdef012345' });
        const all = await reg.listAudit({ accountId: acc.id });
        assert.deepEqual(
          all.map((e) => e.action),
          ['koppel.refused', 'login.completed', 'login.completed', 'login.completed'],
        );
        const [refused] = all;
        assert.deepEqual(
          { ...refused, id: 0 },
          {
            id: 0,
            at: T0 + 9,
            action: 'koppel.refused',
            outcome: 'refused',
            actorType: 'anonymous',
            actorId: null,
            accountId: acc.id,
            subjectRef: 'abcdef012345',
            reason: 'wrong-code',
            correlationId: null,
            details: {},
          },
        );
        const logins = await reg.listAudit({ accountId: acc.id, action: 'login.completed', limit: 2 });
        assert.deepEqual(
          logins.map((e) => e.details),
          [{ i: 2 }, { i: 1 }],
        );
      });

      it('never stores codes or secrets that a caller put in details', async () => {
        const acc = await account();
        await reg.appendAudit({
          at: T0,
          action: 'test.scrub',
          outcome: 'failure',
          actorType: 'system',
          accountId: acc.id,
          details: { activatiecode: 'ABCD-EFGH', nested: { pseudonym: 'p'.repeat(64), client_secret: 's' }, keep: 'yes' },
        });
        const [e] = await reg.listAudit({ accountId: acc.id, action: 'test.scrub' });
        assert.deepEqual(e?.details, { activatiecode: '[redacted]', nested: { pseudonym: '[redacted]', client_secret: '[redacted]' }, keep: 'yes' });
      });

      it('is append-only: the database refuses UPDATE, DELETE and TRUNCATE', async () => {
        await reg.appendAudit({ at: T0, action: 'test.immutable', outcome: 'success', actorType: 'cli' });
        const before = await reg.db.query('select * from audit_events order by id');
        const refused = (err: { code?: string }) => err.code === '42501';
        await assert.rejects(reg.db.query(`update audit_events set outcome = 'failure' where action = 'test.immutable'`), refused);
        await assert.rejects(reg.db.query(`delete from audit_events where action = 'test.immutable'`), refused);
        await assert.rejects(reg.db.exec('truncate audit_events'), refused);
        assert.deepEqual(await reg.db.query('select * from audit_events order by id'), before);
      });
    });

    describe('mededelingen', () => {
      it('lists the notices current for the given rollen plus those for everyone', async () => {
        const rol = `rol-${randomSuffix()}`;
        const mine = await reg.createMededeling({ rol, title: 'Onderhoud', body: 'Zaterdag niet beschikbaar.', validFrom: T0, validUntil: T0 + DAY });
        const everyone = await reg.createMededeling({ rol: null, title: 'Welkom', body: 'Nieuw portaal.', validFrom: T0 - DAY });
        const future = await reg.createMededeling({ rol, title: 'Later', body: '…', validFrom: T0 + 2 * DAY });
        const otherRol = await reg.createMededeling({ rol: `${rol}-x`, title: 'Ander', body: '…', validFrom: T0 });
        const ids = async (at: number) => (await reg.listMededelingen({ at, rollen: [rol] })).map((m) => m.id).filter((id) => [mine.id, everyone.id, future.id, otherRol.id].includes(id));
        assert.deepEqual(await ids(T0), [mine.id, everyone.id]);
        assert.deepEqual(await ids(T0 + DAY), [everyone.id], 'validUntil is exclusive');
        assert.deepEqual(await ids(T0 + 2 * DAY), [future.id, everyone.id]);
        assert.ok((await reg.listMededelingen({ at: T0 })).some((m) => m.id === otherRol.id));
        assert.equal(await reg.deleteMededeling(mine.id), true);
        assert.equal(await reg.deleteMededeling(mine.id), false);
        assert.deepEqual(await ids(T0), [everyone.id]);
        await assert.rejects(reg.createMededeling({ rol, title: 'X', body: '', validFrom: T0, validUntil: T0 }), InvalidRegistryInputError);
      });
    });

    describe('lifecycle', () => {
      it('answers ping', async () => {
        await reg.ping();
      });

      it('after close, calls fail with StoreUnavailableError', async function () {
        this.timeout(60_000);
        const other = await impl.create();
        await other.close();
        await assert.rejects(other.ping(), StoreUnavailableError);
        await assert.rejects(other.getAccount('00000000-0000-4000-8000-000000000000'), StoreUnavailableError);
      });
    });
  });
}

const pgUrl = databaseUrl();
if (pgUrl) describe('migrations on PostgreSQL (DATABASE_URL)', () => {
  it('two processes migrating a fresh database at once: both start, each migration applied once', async () => {
    const schema = `t_${randomSuffix()}`;
    const dbs: PgDatabase[] = [];
    try {
      // Both create the schema too, at the same moment, as two starting processes would.
      dbs.push(...(await Promise.all([0, 1].map(() => PgDatabase.connect({ connectionString: pgUrl!, schema })))));
      const applied = await Promise.all(dbs.map((db) => migrate(db)));
      assert.deepEqual(
        applied.flat().sort(),
        loadMigrations().map((m) => m.version),
      );
      const rows = await dbs[0]!.query('select version from schema_migrations');
      assert.equal(rows.length, loadMigrations().length);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
      await runOnPostgres(pgUrl!, `drop schema if exists ${schema} cascade`);
    }
  });
});
