// What every portal and beheer route shares: the dependencies, the session of the request
// (checked against the registry and the gateway on every request), rendering with the
// portal bar, and the refusal pages.
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type Provider from 'oidc-provider';
import type { Account, AccountsRegistry, Mededeling, MededelingenRegistry } from '../accounts/AccountsRegistry.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { KeyMaterial } from '../keys/KeyMaterial.ts';
import type { Logger } from '../logger.ts';
import type { Mailer } from '../mail/Mailer.ts';
import type { KeyValueStore } from '../store/KeyValueStore.ts';
import type { Pages } from '../views/Pages.ts';
import { isLang, type Lang } from '../i18n/messages.ts';
import { PortalClient } from './PortalClient.ts';
import { csrfMatches, PendingLogins, PortalSessions, type Flash, type PortalSession } from './PortalSessions.ts';
import './messages.ts';

export interface PortalDeps {
  config: Config;
  provider: Provider;
  accounts: AccountsRegistry;
  kv: KeyValueStore;
  keys: KeyMaterial;
  clock: Clock;
  logger: Logger;
  pages: Pages;
  mailer: Mailer;
  /** Replaces the network for the portal's server-to-server calls (tests). */
  fetchImpl?: typeof fetch;
}

export interface Current {
  id: string;
  session: PortalSession;
  account: Account;
}

type Handler = (req: Request, res: Response) => Promise<void>;

function hasMededelingen(x: unknown): x is MededelingenRegistry {
  return typeof (x as Partial<MededelingenRegistry>)?.listMededelingen === 'function';
}

export class PortalCore {
  readonly sessions: PortalSessions;
  readonly logins: PendingLogins;
  readonly client: PortalClient;
  readonly log: Logger;

  constructor(readonly d: PortalDeps) {
    const secure = d.config.publicUrl.startsWith('https://');
    const gatewaySessionMs = d.config.oidc.ttl.sessionSeconds * 1000;
    const absoluteMinutes = d.config.portal.session.absoluteMinutes;
    this.sessions = new PortalSessions(d.kv, d.clock, {
      idleMs: d.config.portal.session.idleMinutes * 60_000,
      absoluteMs: absoluteMinutes !== undefined ? Math.min(absoluteMinutes * 60_000, gatewaySessionMs) : gatewaySessionMs,
      gatewaySessionMs,
      secure,
    });
    this.logins = new PendingLogins(d.kv, d.config.oidc.ttl.interactionSeconds * 1000, secure);
    this.client = new PortalClient({
      config: d.config,
      secrets: d.keys.secrets,
      provider: d.provider,
      ...(d.fetchImpl ? { fetchImpl: d.fetchImpl } : {}),
    });
    this.log = d.logger.child({ face: 'portal' });
  }

  lang(res: Response): Lang {
    return isLang(res.locals.lang) ? res.locals.lang : 'nl';
  }

  correlationId(res: Response): string {
    return String(res.locals.requestId ?? randomUUID());
  }

  /**
   * The logged-in person of this request, or why there is none. The session only counts while
   * the account is active and the portal's grant at the gateway still exists: a logout at the
   * gateway (from any DUO app, in any gateway process) revokes the grant and so ends the portal
   * session too. Each request starts the idle window again.
   */
  async current(req: Request, res: Response): Promise<Current | 'expired' | null> {
    const found = await this.sessions.load(req);
    if (found.status === 'expired') return 'expired';
    if (found.status === 'none') return null;
    const { id, session } = found;
    const account = await this.d.accounts.getAccount(session.accountId);
    const grantAlive = Boolean(await this.d.provider.Grant.find(session.grantId));
    if (!account || account.status !== 'active' || !grantAlive) {
      this.log.info({ accountId: session.accountId, active: account?.status === 'active', grantAlive }, 'portal session ended');
      await this.sessions.destroy(req, res);
      return null;
    }
    await this.sessions.touch(id, session);
    return { id, session, account };
  }

  /** A page of the portal: the bar with the person's name, the session's CSRF token, a flash message. */
  render(res: Response, view: string, cur: Current | null, data: Record<string, unknown> = {}, status = 200): void {
    this.d.pages.render(
      res,
      view,
      {
        ...data,
        user: cur ? { name: cur.account.name, beheerder: cur.account.beheerder } : null,
        codeHours: this.d.config.koppel.activationCodeTtlHours,
        csrf: cur?.session.csrf ?? '',
      },
      status,
    );
  }

  /** Takes the flash message left by the previous POST (post/redirect/get). */
  async takeFlash(cur: Current): Promise<Flash | null> {
    const flash = cur.session.flash ?? null;
    if (flash) {
      delete cur.session.flash;
      await this.sessions.save(cur.id, cur.session);
    }
    return flash;
  }

  async setFlash(cur: Current, flash: Flash): Promise<void> {
    cur.session.flash = flash;
    await this.sessions.save(cur.id, cur.session);
  }

  refuse(res: Response, cur: Current | null, kind: 'denied' | 'csrf'): void {
    this.render(
      res,
      'portal-error',
      cur,
      { titleKey: `portal.${kind}.title`, bodyKey: `portal.${kind}.body`, code: kind === 'csrf' ? 'PORTAL-CSRF' : 'PORTAL-403', correlationId: this.correlationId(res), backUrl: '/' },
      403,
    );
  }

  /**
   * A form POST must bring the session's CSRF token. Without it: `refused` runs (an audit
   * line, say), the 403 page is shown and the answer is false — the route stops.
   */
  async csrfChecked(req: Request, res: Response, cur: Current, refused?: () => Promise<void>): Promise<boolean> {
    if (csrfMatches(cur.session, (req.body as Record<string, unknown> | undefined)?._csrf)) return true;
    await refused?.();
    this.refuse(res, cur, 'csrf');
    return false;
  }

  async mededelingen(account: Account): Promise<Mededeling[]> {
    if (!hasMededelingen(this.d.accounts)) return [];
    return this.d.accounts.listMededelingen({ at: this.d.clock.now(), rollen: [...account.rollen] });
  }

  /**
   * Wraps a route that needs a logged-in person. Without one: a GET goes to the login (and
   * back here afterwards); an expired session first explains itself; a POST changes nothing
   * and goes to the start page.
   */
  authenticated(fn: (req: Request, res: Response, cur: Current) => Promise<void>): (req: Request, res: Response, next: NextFunction) => void {
    const wrapped: Handler = async (req, res) => {
      const cur = await this.current(req, res);
      if (cur && cur !== 'expired') {
        await fn(req, res, cur);
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.redirect(303, '/');
        return;
      }
      const back = encodeURIComponent(req.originalUrl);
      if (cur === 'expired') {
        this.render(res, 'portal-start', null, { expired: true, loginUrl: `/inloggen?terug=${back}` });
        return;
      }
      res.redirect(303, `/inloggen?terug=${back}`);
    };
    return (req, res, next) => {
      wrapped(req, res).catch(next);
    };
  }
}
