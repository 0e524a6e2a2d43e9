import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../gateway/src/clock.ts';
import { loadConfig } from '../../gateway/src/config.ts';
import { createMailer, createOutboxMailer, MemoryMailer, readOutbox } from '../../gateway/src/mail/Mailer.ts';
import { activationCodeMail, confirmationMail, escapeHtml } from '../../gateway/src/mail/templates.ts';

const FROM = 'Mijn DUO zakelijk <noreply@duo.example>';

describe('mail', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mijnduo-outbox-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  describe('outbox (development)', () => {
    it('writes an .eml and a .json file holding the activation code mail', async () => {
      const clock = new ManualClock(Date.UTC(2026, 0, 15, 9, 0, 0));
      const mailer = createOutboxMailer(path.join(dir, 'outbox'), FROM, clock);
      const mail = activationCodeMail({
        name: 'Jan de Vries',
        code: 'ABCDEFGHJKMNPQRS',
        expiresAt: clock.now() + 24 * 3600 * 1000,
        validHours: 24,
        loginUrl: 'http://localhost:3000/',
        maxFailedAttempts: 5,
        lockMinutes: 15,
      });
      await mailer.send({ to: 'jan@example.org', ...mail });

      const files = (await fs.readdir(path.join(dir, 'outbox'))).sort();
      assert.equal(files.length, 2);
      assert.ok(files[0]!.startsWith('2026-01-15T09-00-00-000Z-'));
      assert.deepEqual(files.map((f) => path.extname(f)), ['.eml', '.json']);

      const [record] = await readOutbox(path.join(dir, 'outbox'));
      assert.ok(record);
      assert.equal(record.to, 'jan@example.org');
      assert.equal(record.from, FROM);
      assert.equal(record.date, '2026-01-15T09:00:00.000Z');
      assert.match(record.subject, /activatiecode/i);
      assert.match(record.text, /ABCDEFGHJKMNPQRS/);
      assert.match(record.html ?? '', /ABCDEFGHJKMNPQRS/);

      const eml = await fs.readFile(path.join(dir, 'outbox', record.eml), 'utf8');
      assert.match(eml, /^From: .*noreply@duo\.example/m);
      assert.match(eml, /^To: jan@example\.org/m);
      assert.match(eml, /^Content-Type: multipart\/alternative/m);
      assert.match(eml, /ABCDEFGHJKMNPQRS/);

      const st = await fs.stat(path.join(dir, 'outbox', record.eml));
      assert.equal(st.mode & 0o777, 0o600, 'the outbox holds codes: owner only');
    });

    it('keeps every mail (no overwrite) and reads them back oldest first', async () => {
      const clock = new ManualClock();
      const mailer = createOutboxMailer(dir, FROM, clock);
      await mailer.send({ to: 'a@example.org', subject: 'een', text: '1' });
      clock.advance(1000);
      await mailer.send({ to: 'b@example.org', subject: 'twee', text: '2' });
      await mailer.send({ to: 'c@example.org', subject: 'drie', text: '3' });
      const all = await readOutbox(dir);
      assert.deepEqual(
        all.map((r) => r.to).slice(0, 1),
        ['a@example.org'],
      );
      assert.deepEqual(new Set(all.map((r) => r.to)), new Set(['a@example.org', 'b@example.org', 'c@example.org']));
      assert.deepEqual(await readOutbox(path.join(dir, 'missing')), []);
    });
  });

  it('createMailer picks the outbox without SMTP and refuses that in production', async () => {
    const cfg = loadConfig({ env: { NODE_ENV: 'test' }, overrides: { mail: { outboxDir: dir } } });
    const mailer = createMailer(cfg, new ManualClock());
    await mailer.send({ to: 'x@example.org', subject: 's', text: 't' });
    assert.equal((await readOutbox(dir)).length, 1);
    assert.throws(() => createMailer({ ...cfg, env: 'production' }), /smtpUrl/);
  });

  it('MemoryMailer records messages', async () => {
    const m = new MemoryMailer();
    await m.send({ to: 'x@example.org', subject: 's', text: 't' });
    assert.equal(m.sent.length, 1);
  });

  describe('templates', () => {
    const code = {
      name: 'Jan de Vries',
      code: 'ABCDEFGHJKMNPQRS',
      expiresAt: Date.UTC(2026, 0, 16, 9, 0, 0),
      validHours: 24,
      loginUrl: 'http://localhost:3000/',
      maxFailedAttempts: 5,
      lockMinutes: 15,
    };

    it('activation code mail: code, 24 hours in Dutch time, koppel steps, Dutch and English', () => {
      const m = activationCodeMail(code);
      assert.match(m.text, /Deze code is 24 uur geldig, tot 16 januari 2026 om 10:00 uur/);
      assert.match(m.text, /valid for 24 hours, until 16 January 2026 at 10:00/);
      assert.match(m.text, /Ik heb een gebruikersnaam en een geldige activatiecode/);
      assert.match(m.text, /klik op Koppel/);
      assert.match(m.text, /5 keer een verkeerde combinatie.*15 minuten geblokkeerd/);
      assert.match(m.text, /http:\/\/localhost:3000\//);
    });

    it('confirmation mail: next steps of manual 1.1, never the gebruikersnaam', () => {
      const m = confirmationMail({
        name: 'Jan de Vries',
        organisation: 'Gemeente Voorbeeld',
        beheerder: false,
        rollen: ['leerplicht'],
        kenmerken: ['gemeente-0363'],
        loginUrl: 'http://localhost:3000/',
      });
      assert.match(m.subject, /aanmelding/i);
      assert.match(m.text, /Gemeente Voorbeeld/);
      assert.match(m.text, /niveau 3 \(EH3\) of hoger/);
      assert.match(m.text, /brief met uw gebruikersnaam/);
      assert.match(m.text, /activatiecode is 24 uur geldig/);
      assert.match(m.text, /Rollen: leerplicht/);
      assert.match(m.text, /English below/);
    });

    it('escapes names in HTML', () => {
      const m = confirmationMail({
        name: '<script>alert(1)</script>',
        organisation: 'A & B',
        beheerder: true,
        rollen: [],
        kenmerken: [],
        loginUrl: 'http://localhost:3000/',
      });
      assert.ok(!m.html.includes('<script>'));
      assert.match(m.html, /&lt;script&gt;/);
      assert.match(m.html, /A &amp; B/);
      assert.equal(escapeHtml(`"'`), '&quot;&#39;');
    });
  });
});
