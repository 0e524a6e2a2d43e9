// Routes of an OIDC interaction: start the eHerkenning login, pick it up after the broker.
// Every route first asks oidc-provider for the interaction, which checks this browser's
// interaction cookie: a uid from someone else's browser gets nowhere.
import { Router, type Request, type Response, type NextFunction } from 'express';
import type Provider from 'oidc-provider';
import type { BrokerFace } from '../broker/BrokerFace.ts';
import { abortLogin, finishConsent, interactionIsFirstParty } from '../apps/interactionResult.ts';
import type { Pages } from '../views/Pages.ts';
import type { LoginFlow } from './LoginFlow.ts';
import type { LoginStateStore, LoginState } from './LoginState.ts';

export interface InteractionDeps {
  provider: Provider;
  brokerFace: BrokerFace;
  flow: LoginFlow;
  states: LoginStateStore;
  pages: Pages;
}

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
      await d.brokerFace.startLogin(req, res, { loginKey: uid, lang: res.locals.lang === 'en' ? 'en' : 'nl' });
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

  return r;
}
