// The Mijn DUO portal for every gebruiker: start page, login through the gateway (as its own
// OIDC client), the overview (manual 1.6), Mijn gegevens (1.7) and Uitloggen (1.8).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Router, type Request, type Response } from 'express';
import type { Organisation } from '../accounts/AccountsRegistry.ts';
import { formatDateTime } from '../mail/templates.ts';
import { emailError, field, formBody, phoneError, type FieldErrors } from './forms.ts';
import { onderwerpenFor } from './onderwerpen.ts';
import type { Current, PortalCore } from './PortalCore.ts';
import { safeReturnPath } from './PortalSessions.ts';

const PORTAL_CSS = readFileSync(path.join(import.meta.dirname, 'portal.css'), 'utf8');

export function portalRoutes(core: PortalCore): Router {
  const r = Router();
  const { d } = core;

  const wrap =
    (fn: (req: Request, res: Response) => Promise<void>) =>
    (req: Request, res: Response, next: (err?: unknown) => void): void => {
      fn(req, res).catch(next);
    };

  r.get('/portal/static/portal.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', d.config.env === 'production' ? 'public, max-age=86400' : 'no-cache').send(PORTAL_CSS);
  });

  // Start page "Inloggen op Mijn DUO zakelijk", or the overview for someone logged in.
  r.get(
    '/',
    wrap(async (req, res) => {
      const cur = await core.current(req, res);
      if (cur === 'expired' || cur === null) {
        core.render(res, 'portal-start', null, { expired: cur === 'expired', loginUrl: '/inloggen' });
        return;
      }
      await overview(req, res, cur);
    }),
  );

  async function overview(_req: Request, res: Response, cur: Current): Promise<void> {
    const lang = core.lang(res);
    const organisation: Organisation | null = await d.accounts.getOrganisation(cur.account.organisationId);
    const onderwerpen = onderwerpenFor(d.config.portal, cur.account.rollen, lang);
    const mededelingen = (await core.mededelingen(cur.account)).map((m) => ({
      id: m.id,
      title: m.title,
      body: m.body,
      since: formatDateTime(m.validFrom, lang),
    }));
    core.render(res, 'portal-overview', cur, {
      organisation: organisation?.name ?? '',
      onderwerpen,
      mededelingen,
      flash: await core.takeFlash(cur),
    });
  }

  // Starts the portal's login at the gateway. After a portal session timed out in this
  // browser, the gateway is asked for a fresh eHerkenning login (prompt=login).
  r.get(
    '/inloggen',
    wrap(async (req, res) => {
      const returnTo = safeReturnPath(req.query.terug);
      const cur = await core.current(req, res);
      if (cur && cur !== 'expired') {
        res.redirect(303, returnTo);
        return;
      }
      const start = await core.client.startLogin({ forceLogin: cur === 'expired' });
      await core.logins.start(res, { state: start.state, nonce: start.nonce, codeVerifier: start.codeVerifier, returnTo });
      res.redirect(303, start.url.toString());
    }),
  );

  r.get(
    '/inloggen/callback',
    wrap(async (req, res) => {
      const correlationId = core.correlationId(res);
      const failed = async (code: string, status = 400, accountId: string | null = null, bodyKey = 'portal.loginFailed.body') => {
        await d.accounts.appendAudit({ at: d.clock.now(), action: 'portal.login-refused', outcome: 'refused', actorType: 'anonymous', accountId, reason: code, correlationId });
        core.render(res, 'portal-error', null, { titleKey: 'portal.loginFailed.title', bodyKey, code, correlationId, retryUrl: '/inloggen' }, status);
      };
      const pending = await core.logins.take(req, res, req.query.state);
      if (!pending) {
        await failed('PORTAL-STATE');
        return;
      }
      if (typeof req.query.error === 'string') {
        core.log.info({ correlationId, error: req.query.error }, 'portal login ended with an error from the gateway');
        await failed(`OIDC-${req.query.error.replace(/[^a-z_]/g, '').slice(0, 40)}`);
        return;
      }
      let result;
      try {
        // The callback as the browser saw it: the public base plus this path and query.
        const seen = new URL(`${d.config.publicUrl.replace(/\/+$/, '')}${req.originalUrl}`);
        result = await core.client.finishLogin(seen, pending);
      } catch (err) {
        core.log.warn({ err, correlationId }, 'portal login: code exchange or ID token check failed');
        await failed('PORTAL-TOKEN', 502);
        return;
      }
      const account = await d.accounts.getAccount(result.accountId);
      if (!account || account.status !== 'active') {
        await failed('PORTAL-ACCOUNT', 403, account?.id ?? null, 'portal.accountUnavailable.body');
        return;
      }
      // The grant ties this session to the gateway session: see PortalCore.current.
      const grantId = (await d.provider.AccessToken.find(result.accessToken))?.grantId;
      if (!grantId) {
        await failed('PORTAL-GRANT', 502, account.id);
        return;
      }
      await core.sessions.discard(req);
      await core.sessions.create(res, {
        accountId: account.id,
        grantId,
        idToken: result.idToken,
        acr: result.acr ?? null,
        authTime: result.authTime,
      });
      res.redirect(303, pending.returnTo);
    }),
  );

  r.get(
    '/mijn-gegevens',
    core.authenticated(async (_req, res, cur) => {
      await gegevensPage(res, cur, { email: cur.account.email, phone: cur.account.phone ?? '' }, {}, await core.takeFlash(cur));
    }),
  );

  async function gegevensPage(
    res: Response,
    cur: Current,
    values: { email: string; phone: string },
    errors: FieldErrors,
    flash: unknown,
    status = 200,
  ): Promise<void> {
    const organisation = await d.accounts.getOrganisation(cur.account.organisationId);
    core.render(res, 'portal-gegevens', cur, { account: cur.account, organisation: organisation?.name ?? '', values, errors, flash }, status);
  }

  r.post(
    '/mijn-gegevens',
    formBody,
    core.authenticated(async (req, res, cur) => {
      if (!(await core.csrfChecked(req, res, cur))) return;
      const email = field(req.body, 'email', 300);
      const phone = field(req.body, 'phone', 40);
      const errors: FieldErrors = {};
      const e = emailError(email);
      if (e) errors.email = e;
      const p = phoneError(phone);
      if (p) errors.phone = p;
      if (Object.keys(errors).length) {
        await gegevensPage(res, cur, { email, phone }, errors, null, 400);
        return;
      }
      const changed: string[] = [];
      if (email !== cur.account.email) changed.push('email');
      if ((phone || null) !== cur.account.phone) changed.push('phone');
      if (changed.length) {
        await d.accounts.updateContact(cur.account.id, { email, phone: phone || null });
        // Which fields changed, not their values: the registry holds the values.
        await d.accounts.appendAudit({
          at: d.clock.now(),
          action: 'account.contact-changed',
          outcome: 'success',
          actorType: 'account',
          actorId: cur.account.id,
          accountId: cur.account.id,
          correlationId: core.correlationId(res),
          details: { fields: changed, via: 'portal' },
        });
      }
      await core.setFlash(cur, { kind: changed.length ? 'ok' : 'info', key: changed.length ? 'portal.gegevens.saved' : 'portal.gegevens.unchanged' });
      res.redirect(303, '/mijn-gegevens');
    }),
  );

  // Ends the portal session, then the gateway session (RP-initiated logout), which comes back
  // to /uitgelogd. The portal session goes first, so it is over even if the person never
  // answers the gateway's logout question.
  r.post(
    '/uitloggen',
    formBody,
    core.authenticated(async (req, res, cur) => {
      if (!(await core.csrfChecked(req, res, cur))) return;
      await core.sessions.destroy(req, res);
      await d.accounts.appendAudit({
        at: d.clock.now(),
        action: 'portal.logout',
        outcome: 'success',
        actorType: 'account',
        actorId: cur.account.id,
        accountId: cur.account.id,
        correlationId: core.correlationId(res),
      });
      res.redirect(303, core.client.endSessionUrl(cur.session.idToken).toString());
    }),
  );

  r.get(
    '/uitgelogd',
    wrap(async (req, res) => {
      // Only a page: following a link here must not log anyone out.
      const cur = await core.current(req, res);
      if (cur && cur !== 'expired') {
        res.redirect(303, '/');
        return;
      }
      core.render(res, 'portal-uitgelogd', null, {});
    }),
  );

  return r;
}
