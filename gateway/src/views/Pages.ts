// Renders the gateway's screens: Eta templates with auto-escaping, one layout, nl/en texts.
// Every browser-facing page is no-store (eHerkenning rule for browser responses).
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Eta } from 'eta';
import type { Request, Response, NextFunction } from 'express';
import { isLang, translator, type Lang } from '../i18n/messages.ts';

const VIEWS_DIR = path.join(import.meta.dirname, 'templates');
const LANG_COOKIE = 'mijnduo_lang';

export class Pages {
  private readonly eta: Eta;

  constructor(private readonly opts: { secureCookies: boolean; cache: boolean }) {
    this.eta = new Eta({ views: VIEWS_DIR, autoEscape: true, cache: opts.cache, autoTrim: false });
  }

  /** Middleware: choose the language (query ?lang= sticks in a cookie) and a CSP nonce. */
  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      const q = req.query?.lang;
      let lang: Lang = 'nl';
      if (isLang(q)) {
        lang = q;
        res.cookie(LANG_COOKIE, q, { httpOnly: true, sameSite: 'lax', secure: this.opts.secureCookies, maxAge: 365 * 86400_000 });
      } else if (isLang(req.cookies?.[LANG_COOKIE])) {
        lang = req.cookies[LANG_COOKIE] as Lang;
      }
      res.locals.lang = lang;
      res.locals.cspNonce = randomBytes(16).toString('base64');
      next();
    };
  }

  render(res: Response, view: string, data: Record<string, unknown> = {}, status = 200): void {
    const lang: Lang = isLang(res.locals.lang) ? res.locals.lang : 'nl';
    const t = translator(lang);
    const req = res.req;
    // Link that switches language and keeps the current path (query dropped on purpose:
    // it may hold one-time values).
    const otherLang: Lang = lang === 'nl' ? 'en' : 'nl';
    // Pages that answer a POST or a one-time SAML message cannot be fetched again: their
    // switch goes to the start page instead of re-entering the exchange.
    const replayable = req.method === 'GET' && !req.path.startsWith('/saml/');
    const switchUrl = `${replayable ? `${req.baseUrl}${req.path}` : '/'}?lang=${otherLang}`;
    const html = this.eta.render(`./${view}`, {
      ...data,
      lang,
      t,
      switchUrl,
      nonce: String(res.locals.cspNonce ?? ''),
    });
    res.status(status);
    res.set('Cache-Control', 'no-cache, no-store');
    res.set('Pragma', 'no-cache');
    res.type('html').send(html);
  }
}
