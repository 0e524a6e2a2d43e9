// The portal's own session: a server-side record in the KeyValue store, referenced by an
// HttpOnly, SameSite=Lax cookie (Secure and __Host- prefixed on https).
//
// - The cookie holds 32 random bytes; the store key is their SHA-256, so a dump of Redis
//   holds no usable cookie.
// - Idle and absolute timeouts are checked against the injected clock on every request (the
//   store TTL only collects garbage), so they hold on Redis and in memory alike.
// - The absolute limit never passes the gateway (OIDC) session: auth_time + oidc session length.
// - A session that ran out of idle time leaves a tombstone until its absolute end: the next
//   portal login from that browser asks the gateway for a fresh eHerkenning login
//   (prompt=login) instead of silently reusing the gateway session, or the idle timeout would
//   protect nothing on an unattended computer.
// - The cookie is a browser-session cookie (no Max-Age), like the gateway's own: Mijn DUO is
//   used on shared office computers.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Clock } from '../clock.ts';
import type { KeyValueStore } from '../store/KeyValueStore.ts';

export interface Flash {
  kind: 'ok' | 'info' | 'warning' | 'error';
  key: string;
  params?: Record<string, string | number>;
}

export interface PortalSession {
  v: 1;
  accountId: string;
  /** The portal's grant at the gateway: when a logout elsewhere revokes it, this session ends. */
  grantId: string;
  /** For id_token_hint at logout. */
  idToken: string;
  acr: string | null;
  /** Synchronizer token for every form of this session. */
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
  absoluteExpiresAt: number;
  flash?: Flash;
}

interface Tombstone {
  v: 1;
  expired: 'idle';
  until: number;
}

type Stored = PortalSession | Tombstone;

export type SessionLookup =
  | { status: 'active'; id: string; session: PortalSession }
  | { status: 'expired' }
  | { status: 'none' };

export interface PortalSessionsOptions {
  idleMs: number;
  absoluteMs: number;
  /** Length of the gateway session (oidc.ttl.sessionSeconds) in ms: the hard upper bound. */
  gatewaySessionMs: number;
  secure: boolean;
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export class PortalSessions {
  readonly cookieName: string;

  constructor(
    private readonly kv: KeyValueStore,
    private readonly clock: Clock,
    private readonly opts: PortalSessionsOptions,
  ) {
    this.cookieName = opts.secure ? '__Host-mijnduo_portal' : 'mijnduo_portal';
  }

  private key(id: string): string {
    return `portal:session:${sha256(id)}`;
  }

  private cookieOptions() {
    return { httpOnly: true, sameSite: 'lax' as const, secure: this.opts.secure, path: '/' };
  }

  /** The moment a new session must end at the latest. */
  absoluteEnd(now: number, authTimeSeconds: number | undefined): number {
    const limits = [now + this.opts.absoluteMs];
    // auth_time is when the gateway session began; it ends gatewaySessionMs later.
    if (typeof authTimeSeconds === 'number') limits.push(authTimeSeconds * 1000 + this.opts.gatewaySessionMs);
    return Math.min(...limits);
  }

  /** Starts a session (always a new id: no fixation) and sets the cookie. */
  async create(
    res: Response,
    input: { accountId: string; grantId: string; idToken: string; acr: string | null; authTime: number | undefined },
  ): Promise<PortalSession> {
    const now = this.clock.now();
    const id = randomBytes(32).toString('base64url');
    const session: PortalSession = {
      v: 1,
      accountId: input.accountId,
      grantId: input.grantId,
      idToken: input.idToken,
      acr: input.acr,
      csrf: randomBytes(32).toString('base64url'),
      createdAt: now,
      lastSeenAt: now,
      absoluteExpiresAt: this.absoluteEnd(now, input.authTime),
    };
    if (session.absoluteExpiresAt <= now) throw new Error('portal: the gateway session has already ended');
    await this.kv.set(this.key(id), JSON.stringify(session), session.absoluteExpiresAt - now);
    res.cookie(this.cookieName, id, this.cookieOptions());
    return session;
  }

  private cookieOf(req: Request): string | null {
    const v = (req.cookies as Record<string, unknown> | undefined)?.[this.cookieName];
    return typeof v === 'string' && /^[A-Za-z0-9_-]{43}$/.test(v) ? v : null;
  }

  /**
   * The session of this request, if any. An expired one is ended here: idle → tombstone
   * (the cookie stays so the next login knows), absolute → removed.
   */
  async load(req: Request): Promise<SessionLookup> {
    const id = this.cookieOf(req);
    if (!id) return { status: 'none' };
    const raw = await this.kv.get(this.key(id));
    if (!raw) return { status: 'none' };
    const stored = JSON.parse(raw) as Stored;
    const now = this.clock.now();
    if ('expired' in stored) return stored.until > now ? { status: 'expired' } : { status: 'none' };
    if (now >= stored.absoluteExpiresAt) {
      await this.kv.delete(this.key(id));
      return { status: 'expired' };
    }
    if (now - stored.lastSeenAt >= this.opts.idleMs) {
      const tomb: Tombstone = { v: 1, expired: 'idle', until: stored.absoluteExpiresAt };
      await this.kv.set(this.key(id), JSON.stringify(tomb), stored.absoluteExpiresAt - now);
      return { status: 'expired' };
    }
    return { status: 'active', id, session: stored };
  }

  /** Saves the session with lastSeenAt = now (the idle window starts again). */
  async touch(id: string, session: PortalSession): Promise<void> {
    const now = this.clock.now();
    session.lastSeenAt = now;
    await this.save(id, session);
  }

  async save(id: string, session: PortalSession): Promise<void> {
    const ttl = session.absoluteExpiresAt - this.clock.now();
    if (ttl <= 0) {
      await this.kv.delete(this.key(id));
      return;
    }
    await this.kv.set(this.key(id), JSON.stringify(session), ttl);
  }

  /** Drops the stored session of this request without touching the cookie (a new one follows). */
  async discard(req: Request): Promise<void> {
    const id = this.cookieOf(req);
    if (id) await this.kv.delete(this.key(id));
  }

  /** Ends the session of this request (if any) and clears the cookie. */
  async destroy(req: Request, res: Response): Promise<void> {
    const id = this.cookieOf(req);
    if (id) await this.kv.delete(this.key(id));
    res.clearCookie(this.cookieName, this.cookieOptions());
  }
}

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function csrfMatches(session: Pick<PortalSession, 'csrf'>, sent: unknown): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(sent);
  return a.length === b.length && timingSafeEqual(a, b);
}

// ---- the login in flight: state, nonce and PKCE verifier, bound to this browser ----

export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Local path to return to after login. */
  returnTo: string;
}

export const LOGIN_COOKIE = 'mijnduo_portal_login';

/**
 * Pending logins live in the store (single use) under their state; the browser keeps the state
 * in a cookie, so a callback URL pushed into someone else's browser finds no match (login CSRF).
 */
export class PendingLogins {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly ttlMs: number,
    private readonly secure: boolean,
  ) {}

  private key(state: string): string {
    return `portal:login:${sha256(state)}`;
  }

  async start(res: Response, login: PendingLogin): Promise<void> {
    await this.kv.set(this.key(login.state), JSON.stringify(login), this.ttlMs);
    res.cookie(LOGIN_COOKIE, login.state, { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/inloggen', maxAge: this.ttlMs });
  }

  /** The pending login of this browser for `state`, consumed; null when absent or not this browser's. */
  async take(req: Request, res: Response, state: unknown): Promise<PendingLogin | null> {
    const cookie = (req.cookies as Record<string, unknown> | undefined)?.[LOGIN_COOKIE];
    res.clearCookie(LOGIN_COOKIE, { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/inloggen' });
    if (typeof state !== 'string' || typeof cookie !== 'string' || !state || cookie.length !== state.length) return null;
    if (!timingSafeEqual(Buffer.from(cookie), Buffer.from(state))) return null;
    const raw = await this.kv.consume(this.key(state));
    return raw ? (JSON.parse(raw) as PendingLogin) : null;
  }
}

/** Only our own paths: no scheme, no host, no protocol-relative or backslash tricks. */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > 300) return '/';
  if (!/^\/(?![/\\])[A-Za-z0-9\-._~/%?=&]*$/.test(value)) return '/';
  if (value.startsWith('/inloggen') || value.startsWith('/uitloggen') || value.startsWith('/uitgelogd')) return '/';
  return value;
}
