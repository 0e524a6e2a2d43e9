// Information pages of the login: "eHerkenning aanvragen en gebruiken", "Problemen met
// inloggen" (manual 1.5) and the default Gebruikersvoorwaarden (config.koppel.termsUrl points
// here unless DUO publishes its own). Each is public; the copies under /interaction/<uid>/ only
// add a link back to that login page. They change nothing, so they need no interaction check.
import { Router } from 'express';
import type { Config } from '../config.ts';
import '../i18n/koppel.ts';
import type { Pages } from '../views/Pages.ts';

/** oidc-provider's interaction ids (nanoid); anything else gets no back link. */
const UID = /^[A-Za-z0-9_-]{1,64}$/;

export function infoRoutes(d: { config: Config; pages: Pages }): Router {
  const r = Router();
  const back = (uid: string | undefined): string | null => (uid && UID.test(uid) ? `/interaction/${uid}` : null);

  r.get('/voorwaarden', (_req, res) => d.pages.render(res, 'voorwaarden', { version: d.config.koppel.termsVersion }));
  r.get('/problemen-met-inloggen', (_req, res) => d.pages.render(res, 'problemen', { backHref: null }));
  r.get('/eherkenning-aanvragen-en-gebruiken', (_req, res) => d.pages.render(res, 'info-eherkenning', { backHref: null }));
  r.get('/interaction/:uid/problemen', (req, res) => d.pages.render(res, 'problemen', { backHref: back(req.params.uid) }));
  r.get('/interaction/:uid/informatie', (req, res) => d.pages.render(res, 'info-eherkenning', { backHref: back(req.params.uid) }));
  return r;
}
