// A real apps face for tests: oidc-provider mounted in Express on 127.0.0.1:<ephemeral>, a
// real accounts registry (PGlite in memory), the KeyValue store of choice, fresh RS256 keys,
// and a tiny test-only interaction route that finishes logins with finishLogin.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { exportJWK, generateKeyPair } from 'jose';
import { pino } from 'pino';
import { CookieJar } from 'tough-cookie';
import { createAccountsRegistry } from '../../gateway/src/accounts/index.ts';
import type { Account, Organisation } from '../../gateway/src/accounts/AccountsRegistry.ts';
import type { SqlAccountsRegistry } from '../../gateway/src/accounts/SqlAccountsRegistry.ts';
import { systemClock } from '../../gateway/src/clock.ts';
import { loadConfig, type Config } from '../../gateway/src/config.ts';
import type { JWK } from '../../gateway/src/keys/jwk.ts';
import type { KeyValueStore } from '../../gateway/src/store/KeyValueStore.ts';
import {
  abortLogin,
  createOidcProvider,
  finishConsent,
  finishLogin,
  mountOidc,
  type LoginOutcome,
  type Provider,
} from '../../gateway/src/apps/provider.ts';

export const LOA3 = 'urn:etoegang:core:assurance-class:loa3';
export const LOA4 = 'urn:etoegang:core:assurance-class:loa4';
export const CLIENT_ID = 'test-app';
export const CLIENT_SECRET = 'test-app-secret-0123456789abcdef';
export const THIRD_PARTY_ID = 'third-party-app';
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';
export const POST_LOGOUT_URI = 'http://127.0.0.1:9/';

/** What the test interaction route does with the next interaction. */
export type InteractionScript =
  | { kind: 'login'; outcome: Omit<LoginOutcome, 'accountId'> & { accountId?: string } }
  | { kind: 'abort'; error?: string; description?: string }
  | { kind: 'consent' };

export interface Harness {
  baseUrl: string;
  issuer: string;
  config: Config;
  provider: Provider;
  kv: KeyValueStore;
  registry: SqlAccountsRegistry;
  organisation: Organisation;
  account: Account;
  /** Prompts seen by the test interaction route, in order. */
  prompts: Array<{ name: string; reasons: string[] }>;
  script: InteractionScript;
  /**
   * A second gateway process on the same store, keys and config (same issuer), on a port of
   * its own: its base URL stands in for the load balancer sending a request elsewhere.
   */
  secondInstance(): Promise<{ baseUrl: string; issuerPath: string }>;
  close(): Promise<void>;
}

export async function testJwks(): Promise<{ keys: JWK[] }> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  return { keys: [{ ...jwk, kid: `test-${randomBytes(4).toString('hex')}`, use: 'sig', alg: 'RS256' } as unknown as JWK] };
}

export async function startHarness(kv: KeyValueStore, opts: { extraClients?: Array<Record<string, unknown>> } = {}): Promise<Harness> {
  let handler: http.RequestListener = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  const config = loadConfig({
    env: { NODE_ENV: 'test' },
    overrides: {
      publicUrl: baseUrl,
      oidc: {
        clients: [
          {
            client_id: CLIENT_ID,
            client_secret: CLIENT_SECRET,
            name: 'Testapplicatie',
            redirect_uris: [REDIRECT_URI],
            post_logout_redirect_uris: [POST_LOGOUT_URI],
            first_party: true,
          },
          {
            client_id: THIRD_PARTY_ID,
            client_secret: `${CLIENT_SECRET}-third`,
            redirect_uris: [REDIRECT_URI],
            first_party: false,
          },
          ...(opts.extraClients ?? []),
        ],
        ttl: { sessionSeconds: 3600 },
      },
    },
  });

  const registry = await createAccountsRegistry(config, systemClock);
  const organisation = await registry.createOrganisation({ name: 'Basisschool De Regenboog', kvk: '12345678', sector: 'po' });
  const account = await registry.createAccount({
    organisationId: organisation.id,
    name: 'Anna de Vries',
    email: 'anna@regenboog.example',
    phone: '+31 6 12345678',
    rollen: ['bekostiging', 'leerlingen'],
    kenmerken: ['brin:00AA'],
  });

  const keys = {
    oidcJwks: await testJwks(),
    secrets: {
      cookieKeys: [randomBytes(32).toString('hex')],
      subjectHashKey: 'x',
      activationCodeKey: 'x',
      csrfSecret: 'x',
    },
  };
  const logger = pino({ level: 'silent' });
  const provider = createOidcProvider({ config, keys, kv, accounts: registry, clock: systemClock, logger });

  const extraServers: http.Server[] = [];
  const h: Harness = {
    baseUrl,
    issuer: `${baseUrl}/oidc`,
    config,
    provider,
    kv,
    registry,
    organisation,
    account,
    prompts: [],
    script: { kind: 'login', outcome: { acr: LOA3, authTime: Date.now() } },
    secondInstance: async () => {
      const other = createOidcProvider({ config, keys, kv, accounts: registry, clock: systemClock, logger });
      const app2 = express();
      mountOidc(app2, other);
      const s2 = http.createServer(app2);
      extraServers.push(s2);
      await new Promise<void>((resolve) => s2.listen(0, '127.0.0.1', resolve));
      return { baseUrl: `http://127.0.0.1:${(s2.address() as AddressInfo).port}`, issuerPath: '/oidc' };
    },
    close: async () => {
      for (const s of [server, ...extraServers]) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
      await registry.close();
    },
  };

  const app = express();
  mountOidc(app, provider);
  // Test-only interaction route: what the real glue does after eHerkenning and koppel.
  app.get('/interaction/:uid', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      h.prompts.push({ name: details.prompt.name, reasons: details.prompt.reasons });
      const script = h.script;
      if (script.kind === 'abort') {
        await abortLogin(provider, req, res, script.error, script.description);
      } else if (details.prompt.name === 'consent') {
        await finishConsent(provider, req, res);
      } else if (script.kind === 'login') {
        await finishLogin(provider, req, res, { accountId: account.id, ...script.outcome });
      } else {
        res.status(500).send('no script');
      }
    } catch (err) {
      next(err);
    }
  });
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(err.name === 'SessionNotFound' ? 400 : 500).type('text').send(`${err.name}: ${err.message}`);
  });
  handler = app;
  return h;
}

// ---- a minimal browser: cookie jar + redirects, stopping at the app's redirect URI ----------

export interface Hop {
  status: number;
  url: string;
  location: string | null;
  body: string;
  headers: Headers;
}

export class TestBrowser {
  readonly jar = new CookieJar();
  readonly visited: string[] = [];

  constructor(private readonly origin: string) {}

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Hop> {
    const headers: Record<string, string> = { accept: 'text/html' };
    const cookie = await this.jar.getCookieString(url);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(url, { method: init.method ?? 'GET', headers, body, redirect: 'manual' });
    for (const sc of res.headers.getSetCookie()) await this.jar.setCookie(sc, url);
    this.visited.push(url);
    return { status: res.status, url, location: res.headers.get('location'), body: await res.text(), headers: res.headers };
  }

  /**
   * Follows redirects on the gateway; returns the first hop that is not a redirect to the
   * gateway itself (a page, or the redirect to the app).
   */
  async follow(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Hop> {
    let hop = await this.request(url, init);
    for (let i = 0; i < 20; i++) {
      if (hop.status < 300 || hop.status >= 400 || !hop.location) return hop;
      const next = new URL(hop.location, hop.url);
      if (next.origin !== this.origin) return { ...hop, location: next.toString() };
      hop = await this.request(next.toString());
    }
    throw new Error('too many redirects');
  }

  async cookie(name: string): Promise<string | undefined> {
    const cookies = await this.jar.getCookies(this.origin + '/');
    return cookies.find((c) => c.key === name)?.value;
  }
}

// ---- the app's side ---------------------------------------------------------------------------

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizationUrl(
  issuer: string,
  params: Record<string, string | undefined>,
): string {
  const url = new URL(`${issuer}/auth`);
  const all: Record<string, string | undefined> = {
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid profile email phone mijnduo',
    state: randomBytes(8).toString('hex'),
    nonce: randomBytes(8).toString('hex'),
    ...params,
  };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

export function basicAuth(id = CLIENT_ID, secret = CLIENT_SECRET): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export async function tokenRequest(
  issuer: string,
  form: Record<string, string>,
  client: { id: string; secret: string } = { id: CLIENT_ID, secret: CLIENT_SECRET },
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(client.id, client.secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
