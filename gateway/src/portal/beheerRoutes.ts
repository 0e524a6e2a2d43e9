// Beheer (manual 1.1 and 1.5): a beheerder manages the gebruikers of their own organisation.
//
// Every request is checked on the server: logged in, beheerder, and the gebruiker in the URL
// belongs to the beheerder's organisation. A gebruikersnaam of another organisation and one
// that does not exist get the same 403, so the screens cannot be used to find out which
// gebruikersnamen exist elsewhere. Every change is a POST with the session's CSRF token,
// leaves an audit event (actorType 'beheerder'), and ends in a redirect to a page that
// confirms it (post/redirect/get). Refusals are audited too.
import { Router, type Request, type Response } from 'express';
import type { Account, Organisation } from '../accounts/AccountsRegistry.ts';
import { normaliseGebruikersnaam } from '../accounts/gebruikersnaam.ts';
import { InvalidRegistryInputError, RegistryConflictError } from '../accounts/errors.ts';
import { addAccount, loginUrl } from '../cli/accounts.ts';
import { issueActivationCode } from '../cli/codes.ts';
import { CliUserError } from '../cli/context.ts';
import { renderGebruikersnaamLetter } from '../letters/GebruikersnaamLetter.ts';
import { formatDateTime } from '../mail/templates.ts';
import { beheerCliContext } from './beheerContext.ts';
import { emailError, field, fieldList, formBody, parseKenmerken, phoneError, type FieldErrors } from './forms.ts';
import { isMeansProblem, MEANS_PROBLEMS, type KoppelBeheer } from './koppelBeheer.ts';
import { rolKey, rolOptions } from './onderwerpen.ts';
import type { Current, PortalCore } from './PortalCore.ts';

export const BEHEER_BASE = '/beheer';

interface Target {
  cur: Current;
  target: Account;
  organisation: Organisation;
}

const userPath = (a: Pick<Account, 'gebruikersnaam'>) => `${BEHEER_BASE}/gebruikers/${encodeURIComponent(a.gebruikersnaam)}`;

export function beheerRoutes(core: PortalCore, koppel: KoppelBeheer): Router {
  const r = Router();
  const { d } = core;

  function beheerBase() {
    return { config: d.config, accounts: d.accounts, keys: d.keys, clock: d.clock, mailer: d.mailer };
  }

  async function auditRefusal(res: Response, cur: Current, reason: string, details: Record<string, unknown> = {}): Promise<void> {
    await d.accounts.appendAudit({
      at: d.clock.now(),
      action: 'beheer.refused',
      outcome: 'refused',
      actorType: cur.account.beheerder ? 'beheerder' : 'account',
      actorId: cur.account.id,
      reason,
      correlationId: core.correlationId(res),
      details,
    });
  }

  /** Logged in and beheerder, else 403; a POST also needs the session's CSRF token. */
  function asBeheerder(fn: (req: Request, res: Response, cur: Current) => Promise<void>) {
    return core.authenticated(async (req, res, cur) => {
      if (!cur.account.beheerder) {
        await auditRefusal(res, cur, 'not-beheerder', { path: req.path });
        core.refuse(res, cur, 'denied');
        return;
      }
      if (req.method === 'POST' && !(await core.csrfChecked(req, res, cur, () => auditRefusal(res, cur, 'csrf', { path: req.path })))) return;
      await fn(req, res, cur);
    });
  }

  /** Beheerder (asBeheerder, CSRF included) and the gebruiker of the URL in their own organisation. */
  function forTarget(fn: (req: Request, res: Response, t: Target) => Promise<void>) {
    return asBeheerder(async (req, res, cur) => {
      const param = (req.params as Record<string, string | undefined>).gebruikersnaam ?? '';
      const found = await d.accounts.findAccountByGebruikersnaam(normaliseGebruikersnaam(param));
      if (!found || found.organisationId !== cur.account.organisationId) {
        await auditRefusal(res, cur, 'other-organisation', { accountId: found?.id ?? null });
        core.refuse(res, cur, 'denied');
        return;
      }
      const organisation = await d.accounts.getOrganisation(cur.account.organisationId);
      if (!organisation) throw new Error(`organisation ${cur.account.organisationId} of beheerder ${cur.account.id} is gone`);
      await fn(req, res, { cur, target: found, organisation });
    });
  }

  r.get(BEHEER_BASE, asBeheerder(async (_req, res) => res.redirect(303, `${BEHEER_BASE}/gebruikers`)));

  r.get(
    `${BEHEER_BASE}/gebruikers`,
    asBeheerder(async (_req, res, cur) => {
      const lang = core.lang(res);
      const organisation = await d.accounts.getOrganisation(cur.account.organisationId);
      const accounts = await d.accounts.listAccounts(cur.account.organisationId);
      const locks = await koppel.lockedUntil(accounts);
      const rows = [];
      for (const a of accounts.sort((x, y) => x.name.localeCompare(y.name, 'nl'))) {
        const koppeling = await d.accounts.activeKoppelingOfAccount(a.id);
        const lockedUntil = locks.get(a.gebruikersnaam);
        rows.push({
          gebruikersnaam: a.gebruikersnaam,
          url: userPath(a),
          name: a.name,
          beheerder: a.beheerder,
          disabled: a.status !== 'active',
          rollen: a.rollen,
          koppeling: koppeling ? formatDateTime(koppeling.linkedAt, lang) : null,
          lockedUntil: lockedUntil === undefined ? null : formatDateTime(lockedUntil, lang),
        });
      }
      core.render(res, 'beheer-list', cur, { organisation: organisation?.name ?? '', rows, flash: await core.takeFlash(cur) });
    }),
  );

  // ---- register a gebruiker (manual 1.1, step 2) ----

  interface NewValues {
    name: string;
    email: string;
    phone: string;
    rollen: string[];
    kenmerken: string;
  }

  async function newPage(res: Response, cur: Current, values: NewValues, errors: FieldErrors, formError: string | null, status = 200) {
    const organisation = await d.accounts.getOrganisation(cur.account.organisationId);
    core.render(
      res,
      'beheer-new',
      cur,
      { organisation: organisation?.name ?? '', values, errors, formError, rolOptions: rolOptions(d.config.portal) },
      status,
    );
  }

  r.get(
    `${BEHEER_BASE}/gebruiker-aanmelden`,
    asBeheerder(async (_req, res, cur) => {
      await newPage(res, cur, { name: '', email: '', phone: '', rollen: [], kenmerken: '' }, {}, null);
    }),
  );

  r.post(
    `${BEHEER_BASE}/gebruiker-aanmelden`,
    formBody,
    asBeheerder(async (req, res, cur) => {
      const values: NewValues = {
        name: field(req.body, 'name', 200),
        email: field(req.body, 'email', 300),
        phone: field(req.body, 'phone', 40),
        rollen: fieldList(req.body, 'rollen'),
        kenmerken: field(req.body, 'kenmerken', 6000),
      };
      const errors: FieldErrors = {};
      if (!values.name) errors.name = 'beheer.error.name.required';
      const e = emailError(values.email);
      if (e) errors.email = e;
      const p = phoneError(values.phone);
      if (p) errors.phone = p;
      const allowed = new Set(rolOptions(d.config.portal).map(rolKey));
      if (values.rollen.some((x) => !allowed.has(rolKey(x)))) errors.rollen = 'beheer.error.rollen.unknown';
      const kenmerken = parseKenmerken(values.kenmerken);
      if (kenmerken.error) errors.kenmerken = kenmerken.error;
      if (Object.keys(errors).length) {
        await newPage(res, cur, values, errors, null, 400);
        return;
      }
      const { ctx, mail } = beheerCliContext(beheerBase(), cur.account, core.correlationId(res));
      let account: Account;
      try {
        // A beheerder registers gebruikers; beheerders are appointed by the bevoegd gezag
        // through DUO (form "Aanmelding en wijziging beheerder"), so never beheerder: true here.
        account = await addAccount(ctx, {
          org: cur.account.organisationId,
          name: values.name,
          email: values.email,
          phone: values.phone || null,
          rollen: values.rollen,
          kenmerken: kenmerken.kenmerken,
          beheerder: false,
          sendConfirmation: true,
        });
      } catch (err) {
        if (err instanceof CliUserError) {
          await newPage(res, cur, values, {}, core.lang(res) === 'en' ? err.en : err.nl, 400);
          return;
        }
        if (err instanceof InvalidRegistryInputError || err instanceof RegistryConflictError) {
          await newPage(res, cur, values, {}, err.message, 400);
          return;
        }
        throw err;
      }
      await core.setFlash(cur, {
        kind: mail.failed ? 'warning' : 'ok',
        key: mail.failed ? 'beheer.new.doneNoMail' : 'beheer.new.done',
        params: { name: account.name, gebruikersnaam: account.gebruikersnaam },
      });
      res.redirect(303, userPath(account));
    }),
  );

  // ---- one gebruiker ----

  async function detailPage(res: Response, t: Target, extra: { errors?: FieldErrors; values?: { rollen: string[]; kenmerken: string } } = {}, status = 200) {
    const lang = core.lang(res);
    const koppeling = await d.accounts.activeKoppelingOfAccount(t.target.id);
    const lockedUntil = (await koppel.lockedUntil([t.target])).get(t.target.gebruikersnaam);
    core.render(
      res,
      'beheer-detail',
      t.cur,
      {
        organisation: t.organisation.name,
        target: t.target,
        basePath: userPath(t.target),
        koppeling: koppeling ? { since: formatDateTime(koppeling.linkedAt, lang), lastLogin: formatDateTime(koppeling.lastLoginAt, lang) } : null,
        lockedUntil: lockedUntil === undefined ? null : formatDateTime(lockedUntil, lang),
        rolOptions: rolOptions(d.config.portal, t.target.rollen),
        values: extra.values ?? { rollen: t.target.rollen, kenmerken: t.target.kenmerken.join('\n') },
        errors: extra.errors ?? {},
        reasons: MEANS_PROBLEMS,
        codeHours: d.config.koppel.activationCodeTtlHours,
        maxFailedAttempts: d.config.koppel.maxFailedAttempts,
        lockMinutes: d.config.koppel.lockMinutes,
        flash: await core.takeFlash(t.cur),
      },
      status,
    );
  }

  r.get(`${BEHEER_BASE}/gebruikers/:gebruikersnaam`, forTarget(async (_req, res, t) => detailPage(res, t)));

  r.post(
    `${BEHEER_BASE}/gebruikers/:gebruikersnaam/rollen`,
    formBody,
    forTarget(async (req, res, t) => {
      const rollen = fieldList(req.body, 'rollen');
      const kenmerkenText = field(req.body, 'kenmerken', 6000);
      const errors: FieldErrors = {};
      const allowed = new Set(rolOptions(d.config.portal, t.target.rollen).map(rolKey));
      if (rollen.some((x) => !allowed.has(rolKey(x)))) errors.rollen = 'beheer.error.rollen.unknown';
      const kenmerken = parseKenmerken(kenmerkenText);
      if (kenmerken.error) errors.kenmerken = kenmerken.error;
      if (Object.keys(errors).length) {
        await detailPage(res, t, { errors, values: { rollen, kenmerken: kenmerkenText } }, 400);
        return;
      }
      const newRollen = [...new Set(rollen)];
      const same = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
      const changed = !same(newRollen, t.target.rollen) || !same(kenmerken.kenmerken, t.target.kenmerken);
      if (changed) {
        await d.accounts.setRollen(t.target.id, newRollen);
        await d.accounts.setKenmerken(t.target.id, kenmerken.kenmerken);
        await d.accounts.appendAudit({
          at: d.clock.now(),
          action: 'account.rollen-changed',
          outcome: 'success',
          actorType: 'beheerder',
          actorId: t.cur.account.id,
          accountId: t.target.id,
          correlationId: core.correlationId(res),
          details: {
            rollen: { before: t.target.rollen, after: newRollen },
            kenmerken: { before: t.target.kenmerken, after: kenmerken.kenmerken },
          },
        });
      }
      await core.setFlash(t.cur, {
        kind: changed ? 'ok' : 'info',
        key: changed ? 'beheer.rollen.saved' : 'beheer.rollen.unchanged',
        params: { name: t.target.name },
      });
      res.redirect(303, userPath(t.target));
    }),
  );

  // The letter (manual 1.1, step 3) as a download. Same content as `mijnduo letter`.
  r.post(
    `${BEHEER_BASE}/gebruikers/:gebruikersnaam/brief`,
    formBody,
    forTarget(async (_req, res, t) => {
      const pdf = await renderGebruikersnaamLetter({
        gebruikersnaam: t.target.gebruikersnaam,
        name: t.target.name,
        organisation: t.organisation.name,
        loginUrl: loginUrl(d),
        date: d.clock.now(),
        activationCodeTtlHours: d.config.koppel.activationCodeTtlHours,
        maxFailedAttempts: d.config.koppel.maxFailedAttempts,
        lockMinutes: d.config.koppel.lockMinutes,
      });
      await d.accounts.appendAudit({
        at: d.clock.now(),
        action: 'letter.created',
        outcome: 'success',
        actorType: 'beheerder',
        actorId: t.cur.account.id,
        accountId: t.target.id,
        correlationId: core.correlationId(res),
        details: { via: 'beheer' },
      });
      res.status(200);
      res.set('Content-Type', 'application/pdf');
      res.set('Content-Disposition', `attachment; filename="brief-gebruikersnaam-${t.target.gebruikersnaam.replace(/[^a-z0-9._-]/g, '')}.pdf"`);
      res.set('Cache-Control', 'no-store');
      res.send(pdf);
    }),
  );

  // A new activation code by e-mail (manual 1.1, step 4). Never shown on screen.
  r.post(
    `${BEHEER_BASE}/gebruikers/:gebruikersnaam/activatiecode`,
    formBody,
    forTarget(async (_req, res, t) => {
      const { ctx } = beheerCliContext(beheerBase(), t.cur.account, core.correlationId(res));
      try {
        const issued = await issueActivationCode(ctx, { gebruikersnaam: t.target.gebruikersnaam, print: false });
        await core.setFlash(t.cur, {
          kind: 'ok',
          key: 'beheer.code.sent',
          params: { email: t.target.email, until: formatDateTime(issued.expiresAt, core.lang(res)) },
        });
      } catch (err) {
        if (err instanceof CliUserError) {
          // e.g. a blocked account: nothing was issued.
          await core.setFlash(t.cur, { kind: 'error', key: 'beheer.code.refused', params: { reason: core.lang(res) === 'en' ? err.en : err.nl } });
        } else {
          // The mail failed; issueActivationCode has audited it, and the stored code is useless.
          core.log.warn({ err, accountId: t.target.id }, 'beheer: activation code not mailed');
          await core.setFlash(t.cur, { kind: 'error', key: 'beheer.code.failed' });
        }
      }
      res.redirect(303, userPath(t.target));
    }),
  );

  // Undo the koppeling (manual 1.5: means lost, stolen or defective).
  r.post(
    `${BEHEER_BASE}/gebruikers/:gebruikersnaam/ontkoppelen`,
    formBody,
    forTarget(async (req, res, t) => {
      const reason = field(req.body, 'reason', 40);
      if (!isMeansProblem(reason)) {
        await detailPage(res, t, { errors: { reason: 'beheer.error.reason.required' } }, 400);
        return;
      }
      const undone = await koppel.undo(t.target, reason, t.cur.account.id);
      await core.setFlash(t.cur, { kind: undone ? 'ok' : 'info', key: undone ? 'beheer.undo.done' : 'beheer.undo.nothing', params: { name: t.target.name } });
      res.redirect(303, userPath(t.target));
    }),
  );

  r.post(
    `${BEHEER_BASE}/gebruikers/:gebruikersnaam/blokkade-opheffen`,
    formBody,
    forTarget(async (_req, res, t) => {
      const lifted = await koppel.lift(t.target, t.cur.account.id);
      await core.setFlash(t.cur, {
        kind: lifted ? 'ok' : 'info',
        key: lifted ? 'beheer.lockout.lifted' : 'beheer.lockout.notLocked',
        params: { name: t.target.name },
      });
      res.redirect(303, userPath(t.target));
    }),
  );

  return r;
}
