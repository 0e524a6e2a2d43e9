// The CLI command functions against a real accounts registry (PGlite in memory, or PostgreSQL
// in a fresh schema when DATABASE_URL is set). The mailer is the boundary: a recording fake.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as OTPAuth from 'otpauth';
import type { AccountsRegistry } from '../../gateway/src/accounts/AccountsRegistry.ts';
import { createAccountsRegistry } from '../../gateway/src/accounts/index.ts';
import { HOUR, ManualClock } from '../../gateway/src/clock.ts';
import { loadConfig, type Config } from '../../gateway/src/config.ts';
import { addAccount, listAccounts, showAccount } from '../../gateway/src/cli/accounts.ts';
import { issueActivationCode } from '../../gateway/src/cli/codes.ts';
import { CliUserError, type CliContext } from '../../gateway/src/cli/context.ts';
import { showKeys } from '../../gateway/src/cli/keys.ts';
import { writeLetter } from '../../gateway/src/cli/letter.ts';
import { addOrganisation, listOrganisations } from '../../gateway/src/cli/organisations.ts';
import { assignToken, totpFor } from '../../gateway/src/cli/token.ts';
import { ensureDevKeys } from '../../gateway/src/keys/DevKeys.ts';
import { loadKeyMaterial } from '../../gateway/src/keys/KeyLoader.ts';
import type { KeyMaterial } from '../../gateway/src/keys/KeyMaterial.ts';
import { hashActivationCode } from '../../gateway/src/koppel/ActivationCode.ts';
import { MemoryMailer, type MailMessage, type Mailer } from '../../gateway/src/mail/Mailer.ts';

class FailingMailer implements Mailer {
  async send(_msg: MailMessage): Promise<void> {
    throw new Error('SMTP down');
  }
}

function isUserError(re?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof CliUserError, `expected CliUserError, got ${String(err)}`);
    if (re) assert.match(err.message, re);
    return true;
  };
}

describe('CLI commands', function () {
  this.timeout(60_000);
  let keyDir: string;
  let cfg: Config;
  let keys: KeyMaterial;
  let registry: AccountsRegistry;
  let clock: ManualClock;
  let mailer: MemoryMailer;
  let lines: string[];
  let ctx: CliContext;

  before(async () => {
    keyDir = await fs.mkdtemp(path.join(os.tmpdir(), 'mijnduo-cli-'));
    await ensureDevKeys(keyDir);
    cfg = loadConfig({
      env: { NODE_ENV: 'test', ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}) },
      overrides: { keys: { dir: keyDir, generateDevKeys: false }, publicUrl: 'http://localhost:3000' },
    });
    keys = await loadKeyMaterial(cfg);
    // One database for the file (opening PGlite takes seconds); every test uses its own
    // organisation (KvK) and gebruikersnaam.
    clock = new ManualClock();
    const schema = `cli_test_${crypto.randomBytes(4).toString('hex')}`;
    registry = await createAccountsRegistry(cfg, clock, cfg.stores.databaseUrl ? { schema } : {});
  });
  after(async () => {
    await registry?.close();
    await fs.rm(keyDir, { recursive: true, force: true });
  });

  let n = 0;
  let kvk: string;
  let gbn: string;
  beforeEach(() => {
    n++;
    kvk = String(20_000_000 + n * 10);
    gbn = `${1000 + n}abcd`;
    clock.set(Date.UTC(2026, 0, 15, 9, 0, 0));
    mailer = new MemoryMailer();
    lines = [];
    ctx = { config: cfg, accounts: registry, mailer, keys, clock, out: (l) => lines.push(l), actor: 'tester' };
  });

  async function seedOrg() {
    return addOrganisation(ctx, { name: 'Gemeente Voorbeeld', kvk, rsin: '123456789', sector: 'gemeenten' });
  }
  async function seedAccount(extra: Partial<Parameters<typeof addAccount>[1]> = {}) {
    await seedOrg();
    return addAccount(ctx, {
      org: kvk,
      name: 'Jan de Vries',
      email: 'jan@example.org',
      gebruikersnaam: gbn,
      rollen: ['leerplicht', 'leerplicht'],
      kenmerken: ['gemeente-0363'],
      ...extra,
    });
  }
  function link(gebruikersnaam: string, code: string, now = clock.now()) {
    return registry.linkWithActivationCode({
      gebruikersnaam,
      codeHash: hashActivationCode(code, keys.secrets.activationCodeKey),
      now,
      subjectHash: crypto.randomBytes(32).toString('hex'),
      broker: 'urn:etoegang:HM:00000003999999990000:entities:9632',
      legalSubjectType: 'KvKnr',
      legalSubjectValue: kvk,
      disclaimerVersion: '2021-10',
      termsVersion: '2021-10',
      acceptedAt: now,
    });
  }

  describe('org', () => {
    it('adds and lists an organisation, audited', async () => {
      const org = await seedOrg();
      assert.equal(org.kvk, kvk);
      assert.equal(org.rsin, '123456789');
      const listed = await listOrganisations(ctx);
      assert.ok(listed.some((o) => o.id === org.id));
      assert.ok(lines.some((l) => l.includes(`KvK ${kvk}`) && l.includes('Gemeente Voorbeeld')));
      const audit = (await registry.listAudit({ action: 'organisation.created' })).filter(
        (e) => e.details?.organisationId === org.id,
      );
      assert.equal(audit.length, 1);
      assert.equal(audit[0]!.actorType, 'cli');
      assert.equal(audit[0]!.actorId, 'tester');
    });

    it('refuses a bad KvK number, RSIN, unknown sector and a duplicate', async () => {
      await assert.rejects(addOrganisation(ctx, { name: 'X', kvk: '1234', sector: 'gemeenten' }), isUserError(/8 cijfers/));
      await assert.rejects(addOrganisation(ctx, { name: 'X', kvk: kvk, rsin: '12', sector: 'gemeenten' }), isUserError(/RSIN/));
      await assert.rejects(addOrganisation(ctx, { name: 'X', kvk: kvk, sector: 'maan' }), isUserError(/sector/));
      await seedOrg();
      await assert.rejects(addOrganisation(ctx, { name: 'Y', kvk: kvk, sector: 'po' }), isUserError(/al een organisatie/));
    });
  });

  describe('account', () => {
    it('adds an account with rollen, kenmerken and beheerder flag, by KvK or id, and mails the confirmation', async () => {
      const acc = await seedAccount({ beheerder: true, phone: '+31 6 12345678' });
      assert.equal(acc.gebruikersnaam, gbn);
      assert.equal(acc.beheerder, true);
      assert.deepEqual(acc.rollen, ['leerplicht']);
      assert.deepEqual(acc.kenmerken, ['gemeente-0363']);
      assert.equal(acc.phone, '+31 6 12345678');
      assert.equal(mailer.sent.length, 1);
      const mail = mailer.sent[0]!;
      assert.equal(mail.to, 'jan@example.org');
      assert.match(mail.subject, /aanmelding/i);
      assert.match(mail.text, /Gemeente Voorbeeld/);
      assert.ok(!mail.text.includes(gbn) && !mail.html!.includes(gbn), 'the gebruikersnaam goes by letter only');
      const audit = await registry.listAudit({ accountId: acc.id });
      assert.deepEqual(audit.map((e) => e.action).sort(), ['account.confirmation-mailed', 'account.created']);

      const org = await registry.findOrganisationByKvk(kvk);
      const second = await addAccount(ctx, { org: org!.id, name: 'Piet', email: 'piet@example.org' });
      assert.match(second.gebruikersnaam, /^[0-9]{4}[a-z]{4}$/, 'generated like 1234abcd');
      assert.equal(second.beheerder, false);
    });

    it('refuses an unknown organisation, a bad e-mail address and a taken gebruikersnaam', async () => {
      await assert.rejects(addAccount(ctx, { org: '87654321', name: 'A', email: 'a@example.org' }), isUserError(/Geen organisatie/));
      await seedAccount();
      await assert.rejects(addAccount(ctx, { org: kvk, name: 'A', email: 'not-an-address' }), isUserError(/e-mailadres/));
      await assert.rejects(
        addAccount(ctx, { org: kvk, name: 'A', email: 'a@example.org', gebruikersnaam: gbn.toUpperCase() }),
        isUserError(/al in gebruik/),
      );
      await assert.rejects(
        addAccount(ctx, { org: kvk, name: 'A', email: 'a@example.org', gebruikersnaam: 'x y' }),
        isUserError(/gebruikersnaam/i),
      );
    });

    it('still registers the account when the confirmation mail fails, and says so', async () => {
      await seedOrg();
      ctx.mailer = new FailingMailer();
      const acc = await addAccount(ctx, { org: kvk, name: 'A', email: 'a@example.org' });
      assert.ok(await registry.findAccountByGebruikersnaam(acc.gebruikersnaam));
      assert.ok(lines.some((l) => /WARNING.*confirmation mail not sent/.test(l)));
      const [failed] = await registry.listAudit({ accountId: acc.id, action: 'account.confirmation-mailed' });
      assert.equal(failed!.outcome, 'failure');
    });

    it('lists per organisation and shows one account', async () => {
      const acc = await seedAccount();
      const otherKvk = String(Number(kvk) + 1);
      await addOrganisation(ctx, { name: 'School', kvk: otherKvk, sector: 'po' });
      const els = await addAccount(ctx, { org: otherKvk, name: 'Els', email: 'els@example.org' });
      const ids = (await listAccounts(ctx)).map((a) => a.id);
      assert.ok(ids.includes(acc.id) && ids.includes(els.id));
      assert.deepEqual((await listAccounts(ctx, { org: kvk })).map((a) => a.id), [acc.id]);
      lines.length = 0;
      const shown = await showAccount(ctx, { gebruikersnaam: ` ${gbn.toUpperCase()} ` });
      assert.equal(shown.account.id, acc.id);
      assert.equal(shown.organisation?.kvk, kvk);
      assert.equal(shown.koppeling, null);
      assert.ok(lines.some((l) => /Rollen\s+: leerplicht/.test(l)));
      await assert.rejects(showAccount(ctx, { gebruikersnaam: 'nobody' }), isUserError(/Geen account/));
    });
  });

  describe('code issue', () => {
    it('with --print: returns and prints the code, mails nothing, audits without the code', async () => {
      const acc = await seedAccount();
      mailer.sent.length = 0;
      lines.length = 0;
      const issued = await issueActivationCode(ctx, { gebruikersnaam: gbn, print: true });
      assert.ok(issued.code);
      assert.match(issued.code, /^[A-Z]{16}$/);
      assert.equal(issued.expiresAt, clock.now() + 24 * HOUR);
      assert.equal(mailer.sent.length, 0);
      assert.ok(lines.some((l) => l.includes(issued.code!)));
      const audit = await registry.listAudit({ accountId: acc.id, action: 'activation-code.issued' });
      assert.equal(audit.length, 1);
      assert.equal(audit[0]!.details?.delivery, 'print');
      const all = JSON.stringify(await registry.listAudit());
      assert.ok(!all.includes(issued.code), 'the code is never in the audit trail');
      assert.ok(!all.includes(hashActivationCode(issued.code, keys.secrets.activationCodeKey)), 'nor its hash');
      // the code links, also as a person types it
      const typed = issued.code.toLowerCase().replace(/(.{4})/g, '$1 ');
      const r = await link(gbn, typed);
      assert.equal(r.ok, true);
    });

    it('without --print: mails the code and never returns or prints it', async () => {
      await seedAccount();
      mailer.sent.length = 0;
      lines.length = 0;
      const issued = await issueActivationCode(ctx, { gebruikersnaam: gbn });
      assert.equal(issued.code, undefined);
      assert.equal(mailer.sent.length, 1);
      const mail = mailer.sent[0]!;
      assert.equal(mail.to, 'jan@example.org');
      const code = /\n {4}([A-Z]{16})\n/.exec(mail.text)?.[1];
      assert.ok(code, 'the mail holds the code');
      assert.match(mail.text, /24 uur geldig, tot 16 januari 2026 om 10:00 uur/);
      assert.ok(!lines.join('\n').includes(code), 'not printed');
      assert.ok(!JSON.stringify(await registry.listAudit()).includes(code));
      assert.equal((await link(gbn, code)).ok, true);
    });

    it('is valid for koppel.activationCodeTtlHours and a new code voids the old one', async () => {
      await seedAccount();
      const first = await issueActivationCode(ctx, { gebruikersnaam: gbn, print: true });
      clock.advance(HOUR);
      const second = await issueActivationCode(ctx, { gebruikersnaam: gbn, print: true });
      assert.notEqual(first.code, second.code);
      assert.deepEqual(await link(gbn, first.code!), { ok: false, reason: 'wrong-code', accountId: (await registry.findAccountByGebruikersnaam(gbn))!.id });
      const expired = await link(gbn, second.code!, second.expiresAt);
      assert.equal(expired.ok, false);
      const justInTime = await link(gbn, second.code!, second.expiresAt - 1);
      assert.equal(justInTime.ok, true);
    });

    it('uses the configured lifetime', async () => {
      await seedAccount();
      ctx.config = { ...cfg, koppel: { ...cfg.koppel, activationCodeTtlHours: 2 } };
      const issued = await issueActivationCode(ctx, { gebruikersnaam: gbn, print: true });
      assert.equal(issued.expiresAt, clock.now() + 2 * HOUR);
    });

    it('refuses an unknown gebruikersnaam and a disabled account; a mail failure is not a user error', async () => {
      await assert.rejects(issueActivationCode(ctx, { gebruikersnaam: 'nobody', print: true }), isUserError(/Geen account/));
      const acc = await seedAccount();
      ctx.mailer = new FailingMailer();
      await assert.rejects(issueActivationCode(ctx, { gebruikersnaam: gbn }), (err: unknown) => {
        assert.ok(!(err instanceof CliUserError));
        assert.match(String(err), /could not be mailed/);
        return true;
      });
      const [failed] = await registry.listAudit({ accountId: acc.id, action: 'activation-code.issued' });
      assert.equal(failed!.outcome, 'failure');
      await registry.setStatus(acc.id, 'disabled');
      await assert.rejects(issueActivationCode(ctx, { gebruikersnaam: gbn, print: true }), isUserError(/disabled/));
    });
  });

  describe('letter', () => {
    it('writes a PDF letter and audits it', async () => {
      const acc = await seedAccount();
      const out = path.join(keyDir, 'brief.pdf');
      const r = await writeLetter(ctx, { gebruikersnaam: gbn, out });
      const pdf = await fs.readFile(out);
      assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
      assert.equal(r.bytes, pdf.length);
      assert.equal((await registry.listAudit({ accountId: acc.id, action: 'letter.created' })).length, 1);
      await assert.rejects(writeLetter(ctx, { gebruikersnaam: 'nobody', out }), isUserError());
    });
  });

  describe('token assign', () => {
    it('stores a TOTP secret and returns an otpauth URI that generates valid codes', async () => {
      const acc = await seedAccount();
      const { uri } = await assignToken(ctx, { gebruikersnaam: gbn });
      assert.match(uri, /^otpauth:\/\/totp\//);
      assert.ok(lines.includes(uri));
      const parsed = OTPAuth.URI.parse(uri) as OTPAuth.TOTP;
      const stored = (await registry.getAccount(acc.id))!.totpSecret!;
      assert.equal(parsed.secret.base32, stored);
      const token = parsed.generate({ timestamp: clock.now() });
      assert.equal(totpFor(gbn, stored).validate({ token, timestamp: clock.now(), window: 1 }), 0);
      assert.ok(!JSON.stringify(await registry.listAudit()).includes(stored), 'secret not audited');
    });

    it('refuses once the account is linked to eHerkenning', async () => {
      await seedAccount();
      const { code } = await issueActivationCode(ctx, { gebruikersnaam: gbn, print: true });
      assert.equal((await link(gbn, code!)).ok, true);
      await assert.rejects(assignToken(ctx, { gebruikersnaam: gbn }), isUserError(/gekoppeld/));
    });
  });

  describe('keys show', () => {
    it('prints fingerprints, notAfter and days left', async () => {
      const report = await showKeys({ config: cfg, clock, out: (l) => lines.push(l) });
      assert.equal(report.certificates.length, 2);
      const sp = report.certificates[0]!;
      assert.equal(sp.sha256Fingerprint, keys.sp.sha256Fingerprint);
      assert.equal(sp.daysLeft, Math.floor((keys.sp.notAfter.getTime() - clock.now()) / (24 * HOUR)));
      assert.ok(lines.some((l) => l.includes(keys.sp.sha256Fingerprint)));
      assert.ok(lines.some((l) => l.includes(keys.sp.sha1Fingerprint)));
      assert.equal(report.jwks.length, 2);
      clock.set(keys.sp.notAfter.getTime() - 10 * 24 * HOUR);
      lines.length = 0;
      await showKeys({ config: cfg, clock, out: (l) => lines.push(l), keys });
      assert.ok(lines.some((l) => /WARNING: expires soon/.test(l)));
    });
  });
});
