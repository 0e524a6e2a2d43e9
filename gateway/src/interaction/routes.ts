// Routes of an OIDC interaction: the login page (sector, Log in met eHerkenning, token, help),
// start the eHerkenning login, pick it up after the broker. Every route first asks
// oidc-provider for the interaction, which checks this browser's interaction cookie: a uid
// from someone else's browser gets nowhere.
import { Router, urlencoded, type Request, type Response, type NextFunction } from 'express';
import type Provider from 'oidc-provider';
import type { AccountsRegistry } from '../accounts/AccountsRegistry.ts';
import type { BrokerFace } from '../broker/BrokerFace.ts';
import { abortLogin, finishConsent, interactionIsFirstParty } from '../apps/interactionResult.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import '../i18n/koppel.ts';
import type { IpThrottle } from '../koppel/IpThrottle.ts';
import type { Lockout } from '../koppel/Lockout.ts';
import type { KeyValueStore } from '../store/KeyValueStore.ts';
import type { Pages } from '../views/Pages.ts';
import { infoRoutes } from './InfoRoutes.ts';
import type { LoginFlow } from './LoginFlow.ts';
import { csrfMatches, type LoginStateStore, type LoginState } from './LoginState.ts';
import { tokenLoginRoutes } from './TokenLogin.ts';
import { formView, langOf } from './view.ts';

export interface InteractionDeps {
  config: Config;
  provider: Provider;
  brokerFace: BrokerFace;
  flow: LoginFlow;
  states: LoginStateStore;
  pages: Pages;
  accounts: AccountsRegistry;
  clock: Clock;
  kv: KeyValueStore;
  lockout: Lockout;
  ipThrottle: IpThrottle;
}

/** The login pages' small forms (also the token login's). */
export const form = urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });

/** Remembers the sector chosen last, to preselect it next time (not personal, not secret). */
const SECTOR_COOKIE = 'mijnduo_sector';

type Handler = (req: Request, res: Response) => Promise<void>;

/** Wrap an async route: a lost or foreign interaction gets the "session expired" page. */
export function interactionRoute(pages: Pages, fn: Handler) {
  return (req: Request, res: Response, next: NextFunction): void => {
    fn(req, res).catch((err: unknown) => {
      const name = (err as { name?: string })?.name;
      if (name === 'SessionNotFound' || name === 'InteractionNotFound' || name === 'InvalidRequest') {
        pages.render(res, 'error', { titleKey: 'error.sessionLost.title', bodyKey: 'error.sessionLost.body' }, 400);
        return;
      }
      next(err);
    });
  };
}

/** Load the interaction (cookie-checked) and the login state that belongs to it. */
export async function loadInteraction(
  provider: Provider,
  states: LoginStateStore,
  req: Request,
  res: Response,
): Promise<{ uid: string; promptName: string; state: LoginState | null }> {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== req.params.uid) {
    const err = new Error('interaction mismatch');
    err.name = 'SessionNotFound';
    throw err;
  }
  return { uid: details.uid, promptName: details.prompt.name, state: await states.get(details.uid) };
}

export function interactionRoutes(d: InteractionDeps): Router {
  const r = Router();
  const secure = d.config.publicUrl.startsWith('https://');

  async function showLoginPage(req: Request, res: Response, uid: string): Promise<void> {
    const pre = await d.states.ensurePreLogin(uid);
    const flash = await d.states.takeFlash(uid, 'login');
    const lang = langOf(res);
    const remembered = req.cookies?.[SECTOR_COOKIE] as unknown;
    const known = (v: unknown): v is string => typeof v === 'string' && d.config.portal.sectors.some((s) => s.id === v);
    const sector = known(flash?.values?.sector) ? flash.values.sector : known(pre.sector) ? pre.sector : known(remembered) ? remembered : null;
    const first = d.config.portal.sectors[0]?.id ?? '';
    d.pages.render(res, 'login', {
      uid,
      csrf: pre.csrf,
      sector,
      sectors: d.config.portal.sectors.map((s) => ({ id: s.id, label: lang === 'en' ? s.en : s.nl })),
      ...formView(res, d.clock.now(), flash, { sector: `sector-${first}` }),
    });
  }

  r.get(
    '/interaction/:uid',
    interactionRoute(d.pages, async (req, res) => {
      const { uid, promptName, state } = await loadInteraction(d.provider, d.states, req, res);
      if (promptName === 'consent') {
        // First-party DUO apps need no consent screen (also for offline_access, which OIDC
        // ties to prompt=consent); other clients are not offered one yet.
        if (await interactionIsFirstParty(d.provider, req, res)) await finishConsent(d.provider, req, res);
        else await abortLogin(d.provider, req, res, 'access_denied', 'consent is not available for this client');
        return;
      }
      if (promptName !== 'login') {
        await abortLogin(d.provider, req, res, 'access_denied', `unsupported prompt ${promptName}`);
        return;
      }
      if (state?.stage === 'koppel') {
        res.redirect(303, `/interaction/${encodeURIComponent(uid)}/koppel`);
        return;
      }
      await showLoginPage(req, res, uid);
    }),
  );

  // "Log in met eHerkenning": a POST with the page's token, so no other site can start a
  // login in this browser's interaction.
  r.post(
    '/interaction/:uid/login',
    form,
    interactionRoute(d.pages, async (req, res) => {
      const { uid, promptName, state } = await loadInteraction(d.provider, d.states, req, res);
      if (promptName !== 'login' || state?.stage === 'koppel') {
        res.redirect(303, `/interaction/${encodeURIComponent(uid)}`);
        return;
      }
      const pre = await d.states.getPreLogin(uid);
      const body = req.body as Record<string, unknown> | undefined;
      if (!pre || !csrfMatches(pre.csrf, body?._csrf)) {
        await d.accounts.appendAudit({
          at: d.clock.now(),
          action: 'login.request-refused',
          outcome: 'refused',
          actorType: 'anonymous',
          reason: 'csrf',
          correlationId: uid,
        });
        d.pages.render(res, 'error', { code: 'csrf', correlationId: uid.slice(0, 8) }, 403);
        return;
      }
      const sector = typeof body?.sector === 'string' ? body.sector : '';
      if (!d.config.portal.sectors.some((s) => s.id === sector)) {
        await d.states.setFlash(uid, { page: 'login', errors: [{ field: 'sector', key: 'login.sector.required' }] });
        res.redirect(303, `/interaction/${encodeURIComponent(uid)}`);
        return;
      }
      await d.states.savePreLogin({ ...pre, sector });
      res.cookie(SECTOR_COOKIE, sector, { httpOnly: true, sameSite: 'lax', secure, maxAge: 365 * 86400_000 });
      await d.brokerFace.startLogin(req, res, { loginKey: uid, lang: langOf(res) });
    }),
  );

  r.get(
    '/interaction/:uid/eherkenning',
    interactionRoute(d.pages, async (req, res) => {
      const { state } = await loadInteraction(d.provider, d.states, req, res);
      if (!state) {
        d.pages.render(res, 'error', { titleKey: 'error.sessionLost.title', bodyKey: 'error.sessionLost.body' }, 400);
        return;
      }
      if (state.stage === 'koppel') {
        res.redirect(303, `/interaction/${encodeURIComponent(state.uid)}/koppel`);
        return;
      }
      await d.flow.resolveKoppeling(req, res, state);
    }),
  );

  r.use(infoRoutes({ config: d.config, pages: d.pages }));
  r.use(tokenLoginRoutes(d));

  return r;
}
