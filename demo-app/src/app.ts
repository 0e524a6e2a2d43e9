// A tiny DUO app: logs a person in through the gateway (OpenID Connect, authorization code
// flow with PKCE) and shows what it received. It is what a DUO application team would write,
// so it uses only the gateway's public face (discovery, authorize, token, userinfo, logout)
// and shares no code with the gateway.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import * as oidc from 'openid-client';

export interface DemoAppOptions {
  /** The gateway's issuer, e.g. http://localhost:3000/oidc. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Must be registered at the gateway, e.g. http://localhost:3200/callback. */
  redirectUri: string;
  /** Where this app is reached, e.g. http://localhost:3200 (also the post-logout target). */
  baseUrl: string;
  /** Scopes to ask for; default openid profile email phone mijnduo. */
  scope?: string;
  /** Browser sessions kept in memory; default 1 hour. */
  sessionTtlMs?: number;
}

const COOKIE = 'demo_app_session';
const MAX_SESSIONS = 10_000;
const PENDING_TTL_MS = 10 * 60 * 1000;

interface Pending {
  state: string;
  nonce: string;
  codeVerifier: string;
  createdAt: number;
}

interface LoggedIn {
  idToken: string;
  idTokenClaims: Record<string, unknown>;
  userinfo: Record<string, unknown>;
}

interface Session {
  id: string;
  expiresAt: number;
  /** Token for the logout form (the only state-changing POST). */
  csrf: string;
  pending?: Pending;
  user?: LoggedIn;
}

/** openid-client refuses http issuers; allowed here only for a gateway on this machine. */
export function isLoopbackHttp(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
}

function esc(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} - Demo DUO-applicatie</title>
</head>
<body>
<header><p><strong>Demo DUO-applicatie</strong> (voorbeeld van een applicatie die via Mijn DUO zakelijk inlogt)</p></header>
<main>
${body}
</main>
</body>
</html>`;
}

function list(values: unknown): string {
  if (!Array.isArray(values) || values.length === 0) return '<p><em>geen</em></p>';
  return `<ul>${values.map((v) => `<li>${esc(v)}</li>`).join('')}</ul>`;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function createDemoApp(opts: DemoAppOptions): express.Application {
  const baseUrl = opts.baseUrl.replace(/\/$/, '');
  const secureCookie = baseUrl.startsWith('https://');
  const scope = opts.scope ?? 'openid profile email phone mijnduo';
  const sessionTtlMs = opts.sessionTtlMs ?? 60 * 60 * 1000;
  const sessions = new Map<string, Session>();
  const issuerOrigin = new URL(opts.issuer).origin;

  // Discovery is lazy and retried: the gateway may start after this app.
  let configuration: Promise<oidc.Configuration> | null = null;
  function config(): Promise<oidc.Configuration> {
    if (!configuration) {
      const execute = isLoopbackHttp(opts.issuer) ? [oidc.allowInsecureRequests] : [];
      configuration = oidc
        .discovery(new URL(opts.issuer), opts.clientId, undefined, oidc.ClientSecretBasic(opts.clientSecret), { execute })
        .catch((err: unknown) => {
          configuration = null;
          throw err;
        });
    }
    return configuration;
  }

  function sweep(now: number): void {
    for (const [id, s] of sessions) if (s.expiresAt <= now) sessions.delete(id);
    // A flood of new visitors must not grow memory without bound: drop the oldest.
    while (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
  }

  function cookieOf(req: Request): string | undefined {
    const header = req.headers.cookie ?? '';
    for (const part of header.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === COOKIE) return v.join('=');
    }
    return undefined;
  }

  function setCookie(res: Response, id: string): void {
    res.cookie(COOKIE, id, { httpOnly: true, sameSite: 'lax', secure: secureCookie, path: '/', maxAge: sessionTtlMs });
  }

  function current(req: Request): Session | undefined {
    const id = cookieOf(req);
    const s = id ? sessions.get(id) : undefined;
    if (!s || s.expiresAt <= Date.now()) return undefined;
    return s;
  }

  /** A fresh session (new id: never reuse an id across a login, against session fixation). */
  function fresh(res: Response, carry: Partial<Session> = {}): Session {
    const now = Date.now();
    sweep(now);
    const s: Session = { id: randomBytes(32).toString('base64url'), expiresAt: now + sessionTtlMs, csrf: randomBytes(16).toString('base64url'), ...carry };
    sessions.set(s.id, s);
    setCookie(res, s.id);
    return s;
  }

  function drop(req: Request, res: Response): void {
    const id = cookieOf(req);
    if (id) sessions.delete(id);
    res.clearCookie(COOKIE, { httpOnly: true, sameSite: 'lax', secure: secureCookie, path: '/' });
  }

  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.set({
      'Content-Security-Policy': `default-src 'none'; form-action 'self' ${issuerOrigin}; frame-ancestors 'none'; base-uri 'none'`,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    });
    next();
  });

  app.get('/', (req, res) => {
    const s = current(req);
    if (!s?.user) {
      res.type('html').send(
        page(
          'Welkom',
          `<h1>Welkom</h1>
<p>Log in met eHerkenning via Mijn DUO zakelijk om te zien welke gegevens deze applicatie over u krijgt.</p>
<form action="/login" method="get"><button type="submit">Inloggen</button></form>`,
        ),
      );
      return;
    }
    const c = { ...s.user.userinfo, ...s.user.idTokenClaims };
    const org = (c.organisation ?? {}) as { name?: string; kvk?: string; sector?: string };
    res.type('html').send(
      page(
        'Ingelogd',
        `<h1>U bent ingelogd</h1>
<dl>
<dt>Naam</dt><dd>${esc(c.name ?? '(onbekend)')}</dd>
<dt>Organisatie</dt><dd>${esc(org.name ?? '(onbekend)')}${org.kvk ? ` (KvK ${esc(org.kvk)})` : ''}${org.sector ? `, sector ${esc(org.sector)}` : ''}</dd>
<dt>E-mailadres</dt><dd>${esc(c.email ?? '')}</dd>
<dt>Betrouwbaarheidsniveau (acr)</dt><dd><code>${esc(c.acr ?? '')}</code></dd>
<dt>Inlogmethode (amr)</dt><dd><code>${esc(Array.isArray(c.amr) ? c.amr.join(', ') : (c.amr ?? ''))}</code></dd>
</dl>
<h2>Rollen</h2>
${list(c.rollen)}
<h2>Kenmerken</h2>
${list(c.kenmerken)}
<form action="/logout" method="post">
<input type="hidden" name="csrf" value="${esc(s.csrf)}">
<button type="submit">Uitloggen</button>
</form>
<h2>Ruwe gegevens</h2>
<h3>ID-token</h3>
<pre>${esc(JSON.stringify(s.user.idTokenClaims, null, 2))}</pre>
<h3>Userinfo</h3>
<pre>${esc(JSON.stringify(s.user.userinfo, null, 2))}</pre>`,
      ),
    );
  });

  app.get('/login', async (req, res, next) => {
    try {
      const cfg = await config();
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const pending: Pending = {
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        codeVerifier,
        createdAt: Date.now(),
      };
      drop(req, res);
      fresh(res, { pending });
      const url = oidc.buildAuthorizationUrl(cfg, {
        redirect_uri: opts.redirectUri,
        scope,
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      });
      res.redirect(303, url.href);
    } catch (err) {
      next(err);
    }
  });

  app.get('/callback', async (req, res, next) => {
    const s = current(req);
    const pending = s?.pending;
    if (!s || !pending || Date.now() - pending.createdAt > PENDING_TTL_MS) {
      res.status(400).type('html').send(
        page('Inloggen verlopen', '<h1>Inloggen verlopen</h1><p>Deze inlogpoging is niet (meer) bekend. <a href="/">Probeer het opnieuw</a>.</p>'),
      );
      return;
    }
    delete s.pending; // one attempt per login, whatever happens next
    const error = typeof req.query.error === 'string' ? req.query.error : undefined;
    if (error) {
      const cancelled = error === 'access_denied';
      res.status(cancelled ? 200 : 400).type('html').send(
        page(
          cancelled ? 'Inloggen afgebroken' : 'Inloggen mislukt',
          `<h1>${cancelled ? 'Inloggen afgebroken' : 'Inloggen mislukt'}</h1>
<p>De gateway meldt: <code>${esc(error)}</code>.</p>
<p><a href="/">Terug naar de startpagina</a></p>`,
        ),
      );
      return;
    }
    try {
      const cfg = await config();
      const tokens = await oidc.authorizationCodeGrant(cfg, new URL(req.originalUrl, baseUrl), {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims || !tokens.id_token) throw new Error('no ID token');
      const userinfo = await oidc.fetchUserInfo(cfg, tokens.access_token, claims.sub);
      drop(req, res);
      fresh(res, {
        user: {
          idToken: tokens.id_token,
          idTokenClaims: { ...claims } as Record<string, unknown>,
          userinfo: { ...userinfo } as Record<string, unknown>,
        },
      });
      res.redirect(303, '/');
    } catch (err) {
      next(err);
    }
  });

  app.post('/logout', express.urlencoded({ extended: false, limit: '2kb' }), async (req, res, next) => {
    try {
      const s = current(req);
      const given = typeof req.body?.csrf === 'string' ? req.body.csrf : '';
      if (!s || !sameSecret(given, s.csrf)) {
        res.redirect(303, '/');
        return;
      }
      const idToken = s.user?.idToken;
      drop(req, res);
      if (!idToken) {
        res.redirect(303, '/');
        return;
      }
      const cfg = await config();
      const url = oidc.buildEndSessionUrl(cfg, { id_token_hint: idToken, post_logout_redirect_uri: `${baseUrl}/` });
      res.redirect(303, url.href);
    } catch (err) {
      next(err);
    }
  });

  app.use((err: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
    const reference = randomBytes(4).toString('hex');
    console.error(`demo-app error ${reference}:`, err);
    res.status(502).type('html').send(
      page(
        'Er ging iets mis',
        `<h1>Er ging iets mis</h1><p>Het inloggen via de gateway lukte niet (referentie ${reference}). <a href="/">Probeer het opnieuw</a>.</p>`,
      ),
    );
  });

  return app;
}

/** Starts the demo app on host:port (0 for any free port). */
export async function startDemoApp(
  opts: DemoAppOptions & { host?: string; port: number },
): Promise<{ server: http.Server; url: string; close(): Promise<void> }> {
  const app = createDemoApp(opts);
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
