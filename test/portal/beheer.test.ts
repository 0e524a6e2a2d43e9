// Beheer (manual 1.1 and 1.5) over real HTTP: a beheerder of organisation A registers and
// manages the gebruikers of A — and can do nothing to those of B; a gebruiker gets 403; a form
// without its CSRF token changes nothing. Every change is audited with actorType 'beheerder'.
import assert from 'node:assert/strict';
import type { Account } from '../../gateway/src/accounts/AccountsRegistry.ts';
import { Lockout } from '../../gateway/src/koppel/Lockout.ts';
import { normaliseActivationCode } from '../../gateway/src/koppel/ActivationCode.ts';
import { Browser, type Page } from '../support/Browser.ts';
import { pdfText } from './support/pdf.ts';
import { csrfOf, portalLogin, startWorld, text, type World } from './support/world.ts';

const userPath = (a: Pick<Account, 'gebruikersnaam'>) => `/beheer/gebruikers/${a.gebruikersnaam}`;

/** A POST the way the browser would send it, but raw (status, headers, bytes). */
async function rawPost(browser: Browser, url: string, fields: Record<string, string>): Promise<Response> {
  const cookie = await browser.jar.getCookieString(url);
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

/** The activation code in a mail (16 letters, maybe grouped), normalised. */
function codeInMail(textBody: string): string {
  const m = /\b([A-Z]{4}(?:[ -]?[A-Z]{4}){3})\b/.exec(textBody);
  assert.ok(m, `no activation code in the mail:\n${textBody}`);
  return normaliseActivationCode(m[1]!);
}

describe('beheer: a beheerder manages the gebruikers of their own organisation', function () {
  this.timeout(90_000);
  let world: World;
  let base: string;
  let anna: Browser;
  let bert: Browser;
  let jan: Browser;

  before(async () => {
    world = await startWorld();
    base = world.stack.gatewayUrl;
    // Everyone links their means once; Jan's koppeling is what beheer later undoes.
    anna = (await portalLogin(world, world.anna)).browser;
    bert = (await portalLogin(world, world.bert)).browser;
    jan = (await portalLogin(world, world.jan)).browser;
  });
  after(async () => {
    await world?.close();
  });

  const audit = (accountId: string, action: string) => world.stack.accounts.listAudit({ accountId, action });

  it('the overview of a beheerder leads to the list of their own organisation, with koppeling and lockout', async () => {
    const overview = await anna.get(`${base}/`);
    assert.equal(overview.$('[data-testid=beheer] a[href="/beheer/gebruikers"]').length, 1);
    const page = await anna.get(`${base}/beheer/gebruikers`);
    assert.equal(page.status, 200);
    const rows = page.$('[data-testid=gebruikers] tbody tr').toArray().map((tr) => page.$(tr).attr('data-gebruikersnaam'));
    assert.deepEqual(rows.sort(), [world.anna.account.gebruikersnaam, world.jan.account.gebruikersnaam].sort());
    const janRow = page.$(`tr[data-gebruikersnaam="${world.jan.account.gebruikersnaam}"]`);
    assert.match(janRow.find('[data-col=koppeling]').text(), /Gekoppeld sinds/);
    assert.match(janRow.text(), /Bekostiging, Leerlingadministratie/);
    assert.equal(janRow.find('[data-col=lockout]').text().trim(), 'Geen');
    assert.equal(text(page, 'caption'), 'Gebruikers van Basisschool De Regenboog');
  });

  it('registers a gebruiker (confirmation mail, audited as the beheerder); invalid input shows field errors', async () => {
    let page = await anna.get(`${base}/beheer/gebruiker-aanmelden`);
    assert.equal(page.status, 200);
    assert.equal(page.$('fieldset legend').first().text().trim(), 'Gegevens van de gebruiker');
    assert.ok(page.$('input[type=checkbox][name=rollen]').length >= 3);

    page = await anna.submit(page, { name: '', email: 'niet-goed' }, '[data-testid=new-user-form]');
    assert.equal(page.status, 400);
    assert.equal(page.$('[data-testid=error-summary] a[href="#name"]').length, 1);
    assert.equal(page.$('[data-testid=error-summary] a[href="#email"]').length, 1);

    const before = world.mailer.sent.length;
    const form = anna.form(page, '[data-testid=new-user-form]');
    const body = new URLSearchParams([...form.fields]);
    body.set('name', 'Karin Koster');
    body.set('email', 'karin.koster@regenboog.example');
    body.set('phone', '050 111 2222');
    body.append('rollen', 'Examens');
    body.append('rollen', 'Leerplicht');
    body.set('kenmerken', 'BRIN:12AB\nBRIN:34CD');
    body.set('beheerder', 'on'); // not on the form: must not make a beheerder
    page = await anna.request(form.action, { method: 'POST', body });
    assert.equal(page.status, 200);
    assert.match(new URL(page.url).pathname, /^\/beheer\/gebruikers\/[a-z0-9]+$/, 'redirected to the new gebruiker');
    const gebruikersnaam = decodeURIComponent(new URL(page.url).pathname.split('/').pop()!);
    assert.match(text(page, '[data-testid=flash]'), new RegExp(`Karin Koster is aangemeld met gebruikersnaam ${gebruikersnaam}`));

    const karin = (await world.stack.accounts.findAccountByGebruikersnaam(gebruikersnaam))!;
    assert.equal(karin.organisationId, world.orgA.id);
    assert.equal(karin.beheerder, false);
    assert.deepEqual([...karin.rollen].sort(), ['Examens', 'Leerplicht']);
    assert.deepEqual([...karin.kenmerken].sort(), ['BRIN:12AB', 'BRIN:34CD']);
    const mails = world.mailer.sent.slice(before);
    assert.equal(mails.length, 1);
    assert.equal(mails[0]!.to, 'karin.koster@regenboog.example');
    assert.doesNotMatch(mails[0]!.text, new RegExp(gebruikersnaam), 'the gebruikersnaam goes on the letter, not in the mail');
    const [created] = await audit(karin.id, 'account.created');
    assert.equal(created!.actorType, 'beheerder');
    assert.equal(created!.actorId, world.anna.account.id);
    assert.equal((await audit(karin.id, 'account.confirmation-mailed'))[0]!.outcome, 'success');
  });

  it('changes rollen and kenmerken; the gebruiker sees the new onderwerpen at once', async () => {
    let page = await anna.get(`${base}${userPath(world.jan.account)}`);
    assert.equal(page.status, 200);
    const form = anna.form(page, '[data-testid=rollen-form]');
    const body = new URLSearchParams([['_csrf', form.fields.get('_csrf')!], ['rollen', 'Bekostiging'], ['rollen', 'Examens'], ['kenmerken', 'BRIN:12AB\nBestuursnummer:41234']]);
    page = await anna.request(form.action, { method: 'POST', body });
    assert.equal(page.status, 200);
    assert.equal(new URL(page.url).pathname, userPath(world.jan.account));
    assert.match(text(page, '[data-testid=flash]'), /rollen en kenmerken van Jan Jansen zijn opgeslagen/);
    const saved = (await world.stack.accounts.getAccount(world.jan.account.id))!;
    assert.deepEqual([...saved.rollen].sort(), ['Bekostiging', 'Examens']);
    assert.deepEqual([...saved.kenmerken].sort(), ['BRIN:12AB', 'Bestuursnummer:41234']);
    const [event] = await audit(world.jan.account.id, 'account.rollen-changed');
    assert.equal(event!.actorType, 'beheerder');
    assert.equal(event!.actorId, world.anna.account.id);
    assert.deepEqual((event!.details as { rollen: { after: string[] } }).rollen.after.sort(), ['Bekostiging', 'Examens']);

    const overview = await jan.get(`${base}/`);
    const onderwerpen = overview.$('[data-testid=onderwerpen] li').toArray().map((li) => overview.$(li).text().trim());
    assert.deepEqual(onderwerpen, ['Bekostiging', 'Examenresultaten', 'Diplomaregister']);

    // A rol that is not on the list is refused.
    const bad = await anna.request(form.action, { method: 'POST', body: new URLSearchParams([['_csrf', form.fields.get('_csrf')!], ['rollen', 'Superuser']]) });
    assert.equal(bad.status, 400);
    assert.deepEqual([...(await world.stack.accounts.getAccount(world.jan.account.id))!.rollen].sort(), ['Bekostiging', 'Examens']);
  });

  it('prints the letter: a PDF with the gebruikersnaam, audited', async () => {
    const page = await anna.get(`${base}${userPath(world.jan.account)}`);
    const res = await rawPost(anna, `${base}${userPath(world.jan.account)}/brief`, { _csrf: csrfOf(page) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="brief-gebruikersnaam-[a-z0-9]+\.pdf"$/);
    assert.match(res.headers.get('cache-control') ?? '', /no-store/);
    const pdf = Buffer.from(await res.arrayBuffer());
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
    assert.ok(pdfText(pdf).includes(world.jan.account.gebruikersnaam), 'the gebruikersnaam is on the letter');
    const [event] = await audit(world.jan.account.id, 'letter.created');
    assert.equal(event!.actorType, 'beheerder');
    assert.equal(event!.actorId, world.anna.account.id);
  });

  it('sends a new activation code by e-mail and never shows it', async () => {
    const before = world.mailer.sent.length;
    let page = await anna.get(`${base}${userPath(world.jan.account)}`);
    page = await anna.submit(page, {}, '[data-testid=code-form]');
    assert.equal(page.status, 200);
    assert.equal(new URL(page.url).pathname, userPath(world.jan.account));
    assert.match(text(page, '[data-testid=flash]'), /nieuwe activatiecode gemaild naar jan\.jansen@regenboog\.example/);
    const mails = world.mailer.sent.slice(before);
    assert.equal(mails.length, 1);
    assert.equal(mails[0]!.to, 'jan.jansen@regenboog.example');
    const code = codeInMail(mails[0]!.text);
    const html = page.body.replace(/[\s-]/g, '').toUpperCase();
    assert.ok(!html.includes(code), 'the code is not on the page');
    const [event] = await audit(world.jan.account.id, 'activation-code.issued');
    assert.equal(event!.actorType, 'beheerder');
    assert.equal(event!.actorId, world.anna.account.id);
    assert.equal((event!.details as { delivery: string }).delivery, 'mail');
    assert.ok(!JSON.stringify(event).includes(code));
  });

  it('says so when the activation code mail cannot be sent, and audits the failure', async () => {
    const send = world.mailer.send;
    world.mailer.send = async () => {
      throw new Error('smtp down');
    };
    try {
      let page = await anna.get(`${base}${userPath(world.jan.account)}`);
      page = await anna.submit(page, {}, '[data-testid=code-form]');
      assert.equal(page.status, 200);
      assert.match(text(page, '[data-testid=flash]'), /kon niet worden gemaild/);
      const [event] = await audit(world.jan.account.id, 'activation-code.issued');
      assert.equal(event!.outcome, 'failure');
      assert.equal(event!.actorType, 'beheerder');
    } finally {
      world.mailer.send = send;
    }
  });

  it('undoes a koppeling (means lost): the next login goes through koppelen again with a new code', async () => {
    let page = await anna.get(`${base}${userPath(world.jan.account)}`);
    assert.match(text(page, '[data-testid=koppeling-status]'), /Gekoppeld sinds/);
    // The reason is required.
    page = await anna.submit(page, {}, '[data-testid=undo-form]');
    assert.equal(page.status, 400);
    assert.equal(page.$('[data-testid=error-summary] a[href="#reason"]').length, 1);
    assert.ok(await world.stack.accounts.activeKoppelingOfAccount(world.jan.account.id));

    page = await anna.submit(page, { reason: 'lost' }, '[data-testid=undo-form]');
    assert.equal(page.status, 200);
    assert.match(text(page, '[data-testid=flash]'), /koppeling van Jan Jansen is ongedaan gemaakt/);
    assert.equal(text(page, '[data-testid=koppeling-status]'), 'Niet gekoppeld');
    assert.equal(await world.stack.accounts.activeKoppelingOfAccount(world.jan.account.id), null);
    const [event] = await audit(world.jan.account.id, 'koppel.undone');
    assert.equal(event!.actorType, 'beheerder');
    assert.equal(event!.actorId, world.anna.account.id);
    assert.equal(event!.reason, 'means-lost');

    // A new code by mail, and Jan links again.
    const before = world.mailer.sent.length;
    await anna.submit(await anna.get(`${base}${userPath(world.jan.account)}`), {}, '[data-testid=code-form]');
    const code = codeInMail(world.mailer.sent[before]!.text);
    const { koppeled, steps, page: overview } = await portalLogin(world, world.jan, { code });
    assert.ok(koppeled, `koppelen again: ${steps.join(', ')}`);
    assert.equal(text(overview, '[data-testid=user-name]'), 'Jan Jansen');
    assert.ok(await world.stack.accounts.activeKoppelingOfAccount(world.jan.account.id));
  });

  it('shows and lifts a lockout of a gebruiker of the organisation', async () => {
    const s = world.stack;
    const lockout = new Lockout({ kv: s.kv, accounts: s.accounts, clock: s.clock, config: s.config });
    const targets = Lockout.koppelTargets(world.jan.account.gebruikersnaam, 'f'.repeat(64));
    for (let i = 0; i < s.config.koppel.maxFailedAttempts; i++) {
      const r = await lockout.reserve(targets);
      assert.equal(r.kind, 'reserved');
      if (r.kind === 'reserved') await lockout.failed(r, { accountId: world.jan.account.id });
    }
    let page = await anna.get(`${base}/beheer/gebruikers`);
    assert.match(page.$(`tr[data-gebruikersnaam="${world.jan.account.gebruikersnaam}"] [data-col=lockout]`).text(), /Geblokkeerd tot/);
    page = await anna.get(`${base}${userPath(world.jan.account)}`);
    assert.match(text(page, '[data-testid=lockout-status]'), /Geblokkeerd tot/);
    page = await anna.submit(page, {}, '[data-testid=lift-form]');
    assert.equal(page.status, 200);
    assert.match(text(page, '[data-testid=flash]'), /blokkade van Jan Jansen is opgeheven/);
    assert.equal(text(page, '[data-testid=lockout-status]'), 'Er is geen blokkade.');
    assert.equal(await lockout.blockedUntil(targets[0]!), null);
    const lifted = (await s.accounts.listAudit({ action: 'lockout.lifted' })).find((e) => e.actorId === world.anna.account.id);
    assert.ok(lifted);
    assert.equal(lifted.actorType, 'beheerder');
  });

  describe('refusals change nothing', () => {
    async function snapshot(a: Account) {
      const acc = (await world.stack.accounts.getAccount(a.id))!;
      const k = await world.stack.accounts.activeKoppelingOfAccount(a.id);
      return { rollen: [...acc.rollen].sort(), kenmerken: [...acc.kenmerken].sort(), koppeling: k?.id ?? null, mails: world.mailer.sent.length };
    }

    it('a beheerder of organisation B can neither see nor change anything of organisation A (403)', async () => {
      const list = await bert.get(`${base}/beheer/gebruikers`);
      assert.equal(list.status, 200);
      assert.doesNotMatch(list.body, new RegExp(world.jan.account.gebruikersnaam));
      assert.doesNotMatch(list.body, /Jan Jansen|Regenboog/);

      const target = world.jan.account;
      const before = await snapshot(target);
      const lettersBefore = (await audit(target.id, 'letter.created')).length;
      const view = await bert.get(`${base}${userPath(target)}`);
      assert.equal(view.status, 403);
      assert.doesNotMatch(view.body, /Jan Jansen|jan\.jansen/);
      // Same answer for a gebruikersnaam that does not exist at all: nothing to enumerate.
      const unknown = await bert.get(`${base}/beheer/gebruikers/zzzz9999`);
      assert.equal(unknown.status, 403);

      const csrf = csrfOf(await bert.get(`${base}/`));
      for (const [action, fields] of [
        ['rollen', { rollen: 'Personeel', kenmerken: 'X' }],
        ['brief', {}],
        ['activatiecode', {}],
        ['ontkoppelen', { reason: 'stolen' }],
        ['blokkade-opheffen', {}],
      ] as const) {
        const res = await rawPost(bert, `${base}${userPath(target)}/${action}`, { _csrf: csrf, ...fields });
        assert.equal(res.status, 403, `${action} refused`);
        assert.notEqual(res.headers.get('content-type'), 'application/pdf');
      }
      assert.deepEqual(await snapshot(target), before);
      assert.equal((await audit(target.id, 'letter.created')).length, lettersBefore);
      const refusals = (await world.stack.accounts.listAudit({ action: 'beheer.refused' })).filter((e) => e.actorId === world.bert.account.id);
      assert.ok(refusals.length >= 6);
      assert.ok(refusals.every((e) => e.reason === 'other-organisation'));
    });

    it('a form without (or with a wrong) CSRF token is refused with 403, and the refusal is audited', async () => {
      const target = world.jan.account;
      const before = await snapshot(target);
      const csrfRefusals = async (): Promise<number> =>
        (await world.stack.accounts.listAudit({ action: 'beheer.refused', limit: 1000 })).filter((e) => e.actorId === world.anna.account.id && e.reason === 'csrf').length;
      const refusedBefore = await csrfRefusals();
      for (const token of [undefined, 'not-the-token']) {
        for (const [action, fields] of [
          ['rollen', { rollen: 'Personeel' }],
          ['activatiecode', {}],
          ['ontkoppelen', { reason: 'defective' }],
          ['brief', {}],
        ] as const) {
          const res = await rawPost(anna, `${base}${userPath(target)}/${action}`, { ...(token ? { _csrf: token } : {}), ...fields });
          assert.equal(res.status, 403, `${action} without a valid token`);
        }
        const reg = await rawPost(anna, `${base}/beheer/gebruiker-aanmelden`, {
          ...(token ? { _csrf: token } : {}),
          name: 'Indringer',
          email: 'x@example.org',
        });
        assert.equal(reg.status, 403);
      }
      assert.deepEqual(await snapshot(target), before);
      assert.equal((await world.stack.accounts.listAccounts(world.orgA.id)).some((a) => a.name === 'Indringer'), false);
      // Four actions and the registration, each without and with a wrong token.
      assert.equal((await csrfRefusals()) - refusedBefore, 10);
    });

    it('a gebruiker who is not a beheerder gets 403 on every beheer page and action', async () => {
      const target = world.anna.account;
      const before = await snapshot(target);
      for (const path of ['/beheer/gebruikers', '/beheer/gebruiker-aanmelden', userPath(target)]) {
        const page: Page = await jan.get(`${base}${path}`);
        assert.equal(page.status, 403, path);
        assert.equal(text(page, 'h1'), 'Geen toegang');
      }
      const csrf = csrfOf(await jan.get(`${base}/`));
      for (const action of ['rollen', 'activatiecode', 'ontkoppelen', 'brief']) {
        const res = await rawPost(jan, `${base}${userPath(target)}/${action}`, { _csrf: csrf, rollen: 'Personeel', reason: 'lost' });
        assert.equal(res.status, 403, action);
      }
      assert.deepEqual(await snapshot(target), before);
      const refused = (await world.stack.accounts.listAudit({ action: 'beheer.refused' })).filter((e) => e.actorId === world.jan.account.id);
      assert.ok(refused.length >= 7 && refused.every((e) => e.reason === 'not-beheerder' && e.actorType === 'account'));
    });

    it('without a session a beheer page leads to the login, and a beheer POST changes nothing', async () => {
      const stranger = new Browser();
      const before = await snapshot(world.jan.account);
      const res = await rawPost(stranger, `${base}${userPath(world.jan.account)}/rollen`, { rollen: 'Personeel' });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/');
      assert.deepEqual(await snapshot(world.jan.account), before);
      const get = await fetch(`${base}/beheer/gebruikers`, { redirect: 'manual' });
      assert.equal(get.status, 303);
      assert.equal(get.headers.get('location'), '/inloggen?terug=%2Fbeheer%2Fgebruikers');
    });
  });
});
