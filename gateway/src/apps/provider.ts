// The apps face: an OpenID Connect provider toward DUO applications, on oidc-provider.
//
// Choices, each deliberate (see docs and anchors.md §1b, §2.6, §2.10, §5):
// - Code flow only, PKCE (S256, the only method oidc-provider 9 knows) required for every
//   client, confidential or not.
// - Storage through the KeyValue port (KeyValueAdapter), so Redis and memory both work.
// - Clients from config only; no dynamic registration. First-party clients skip consent:
//   loadExistingGrant grants what they ask for.
// - Scope claims go into the ID token too (conformIdTokenClaims: false): DUO apps are
//   server-side and read the person from the ID token; userinfo gives the same.
// - Sessions: absolute lifetime (ttl.sessionSeconds from the moment of authentication), never
//   beyond the broker's SessionNotOnOrAfter, session cookie (not persistent) so closing the
//   browser ends it. Tokens without offline_access die with the session (expiresWithSession).
// - Refresh tokens only with offline_access. rotateRefreshToken: confidential clients are NOT
//   rotated (their token has a fixed lifetime of ttl.refreshTokenSeconds and must be presented
//   with the client secret, so rotation adds little and concurrent refreshes would revoke the
//   whole grant, anchors §2.10); public clients are always rotated (reuse detection is their
//   only protection), and rotation never extends the original expiry.
// - CORS: DUO apps are server-side, so no client-based CORS at all. Discovery and JWKS stay
//   open to every origin (oidc-provider always allows that; they are public documents).
// - Introspection and revocation: a client may introspect or revoke only its own tokens.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import Provider, {
  errors,
  interactionPolicy,
  type Account as OidcAccount,
  type Configuration,
  type FindAccount,
  type Grant,
  type InteractionResults,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import type { AccountsRegistry } from '../accounts/AccountsRegistry.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { KeyMaterial } from '../keys/KeyMaterial.ts';
import type { Logger } from '../logger.ts';
import type { KeyValueStore } from '../store/KeyValueStore.ts';
import { buildClaims, CLAIMS_BY_SCOPE, SCOPES, type LoginFacts } from './claims.ts';
import { clientsFromConfig, EXTRA_CLIENT_METADATA, isFirstParty } from './clients.ts';
import { keyValueAdapterFactory } from './KeyValueAdapter.ts';
import { errorPage, errorText, loggedOutPage, logoutPage } from './pages.ts';
import { ACR_VALUES, RESULT_KEY, type MijnDuoResult } from './interactionResult.ts';

export type { Provider };

/** Where oidc-provider lives under the gateway's public URL. */
export const OIDC_MOUNT_PATH = '/oidc';

/** Login facts carried in an access token's `extra` (and shown by introspection). */
interface LoginExtra {
  acr?: string;
  amr?: string[];
  auth_time?: number;
}

export interface OidcProviderDeps {
  config: Pick<Config, 'publicUrl' | 'trustProxy' | 'oidc'>;
  keys: Pick<KeyMaterial, 'oidcJwks' | 'secrets'>;
  kv: KeyValueStore;
  accounts: Pick<AccountsRegistry, 'getAccount' | 'getOrganisation'>;
  clock: Clock;
  logger: Logger;
}

function trimSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

export function issuerFor(publicUrl: string): string {
  return `${trimSlash(publicUrl)}${OIDC_MOUNT_PATH}`;
}

const nowSeconds = (clock: Clock): number => Math.floor(clock.now() / 1000);

export function createOidcProvider(deps: OidcProviderDeps): Provider {
  const { config, keys, kv, accounts, clock, logger } = deps;
  const ttl = config.oidc.ttl;
  const issuer = issuerFor(config.publicUrl);
  const https = issuer.startsWith('https://');
  const basePath = trimSlash(new URL(config.publicUrl).pathname);
  const log = logger.child({ face: 'apps' });

  const findAccount: FindAccount = async (ctx, sub, token) => {
    const account = await accounts.getAccount(sub);
    // oidc-provider wants undefined (not null) for "no such account": a disabled account is
    // treated as gone, so its tokens stop working and its session must log in again.
    if (!account || account.status !== 'active') return undefined;
    const organisation = await accounts.getOrganisation(account.organisationId);
    // Codes and refresh tokens carry the login facts themselves; access tokens carry them in
    // `extra` (see extraTokenClaims); without a token (authorization endpoint) the session does.
    const source = token as { acr?: string; amr?: string[]; authTime?: number; extra?: LoginExtra } | undefined;
    const session = ctx?.oidc?.entities.Session;
    const login: LoginFacts = source
      ? {
          acr: source.acr ?? source.extra?.acr,
          amr: source.amr ?? source.extra?.amr,
          authTime: source.authTime ?? source.extra?.auth_time,
        }
      : { acr: session?.acr, amr: session?.amr, authTime: session?.loginTs };
    const result: OidcAccount = {
      accountId: account.id,
      claims: () => buildClaims(account, organisation, login),
    };
    return result;
  };

  /** First-party clients: grant what they ask for, so the consent prompt never shows. */
  const loadExistingGrant = async (ctx: KoaContextWithOIDC): Promise<Grant | undefined> => {
    const { oidc } = ctx;
    const client = oidc.client;
    if (!client) return undefined;
    const grantId = (oidc.result?.consent as { grantId?: string } | undefined)?.grantId ?? oidc.session?.grantIdFor(client.clientId);
    let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
    const accountId = oidc.session?.accountId;
    if (!isFirstParty(client.metadata()) || !accountId) return grant;
    if (!grant || grant.accountId !== accountId || grant.clientId !== client.clientId) {
      grant = new oidc.provider.Grant({ accountId, clientId: client.clientId });
    }
    grantRequested(oidc, grant);
    await grant.save();
    return grant;
  };

  const policy = interactionPolicy.base();
  // A session whose account was disabled (or removed) must log in again instead of carrying on.
  policy.get('login')?.checks.add(
    new interactionPolicy.Check('account_unavailable', 'the account of this session is no longer available', (ctx) =>
      ctx.oidc.session?.accountId && !ctx.oidc.account ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT,
    ),
    0,
  );

  const configuration: Configuration = {
    adapter: keyValueAdapterFactory(kv, clock),
    clients: clientsFromConfig(config),
    extraClientMetadata: { properties: EXTRA_CLIENT_METADATA },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    clientBasedCORS: () => false,
    findAccount,
    jwks: keys.oidcJwks as Configuration['jwks'],
    claims: Object.fromEntries(
      Object.entries(CLAIMS_BY_SCOPE).map(([k, v]) => [k, v === null ? null : [...v]]),
    ) as Configuration['claims'],
    scopes: [...SCOPES],
    acrValues: [...ACR_VALUES],
    responseTypes: ['code'],
    pkce: { required: () => true },
    conformIdTokenClaims: false,
    // Access tokens do not keep acr/amr/auth_time of their own; carry them along, so userinfo
    // and introspection (for DUO APIs) can tell the level of assurance too.
    extraTokenClaims: (ctx) => {
      const e = ctx?.oidc?.entities;
      const source = e?.AuthorizationCode ?? e?.RefreshToken ?? e?.DeviceCode ?? e?.BackchannelAuthenticationRequest;
      if (!source) return undefined;
      const extra: LoginExtra = {};
      if (source.acr) extra.acr = source.acr;
      if (source.amr) extra.amr = source.amr;
      if (typeof source.authTime === 'number') extra.auth_time = source.authTime;
      return extra as Record<string, unknown>;
    },
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'] },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.type = 'html';
          ctx.body = logoutPage(form, ctx.oidc.client?.clientName ?? undefined);
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.type = 'html';
          ctx.body = loggedOutPage(ctx.oidc.client?.clientName ?? undefined);
        },
      },
      revocation: {
        enabled: true,
        // Another client's token is not revoked; the answer is the same 200 (RFC 7009 §2.2).
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      introspection: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      userinfo: { enabled: true },
      claimsParameter: { enabled: true },
      backchannelLogout: { enabled: true },
    },
    loadExistingGrant,
    rotateRefreshToken: (ctx) => {
      const client = ctx.oidc.entities.Client;
      const refreshToken = ctx.oidc.entities.RefreshToken;
      return client?.clientAuthMethod === 'none' && !refreshToken?.isSenderConstrained();
    },
    ttl: {
      AccessToken: ttl.accessTokenSeconds,
      AuthorizationCode: 60,
      IdToken: ttl.idTokenSeconds,
      Interaction: ttl.interactionSeconds,
      // A grant must outlive the refresh tokens issued under it.
      Grant: Math.max(ttl.refreshTokenSeconds, ttl.sessionSeconds),
      RefreshToken: (ctx) => {
        // A rotated refresh token inherits the remaining life of the one it replaces.
        const rotated = ctx?.oidc?.entities.RotatedRefreshToken;
        if (rotated) return Math.max(1, Math.min(ttl.refreshTokenSeconds, rotated.remainingTTL));
        return ttl.refreshTokenSeconds;
      },
      Session: (ctx, session) => sessionTtlSeconds(ctx, session, ttl.sessionSeconds, clock),
    },
    interactions: {
      policy,
      url: (_ctx, interaction) => `${basePath}/interaction/${interaction.uid}`,
    },
    cookies: {
      keys: [...keys.secrets.cookieKeys],
      names: { session: 'mijnduo_oidc_session', interaction: 'mijnduo_oidc_interaction', resume: 'mijnduo_oidc_resume' },
      long: { signed: true, httpOnly: true, sameSite: 'lax', secure: https },
      short: { signed: true, httpOnly: true, sameSite: 'lax', secure: https },
    },
    renderError: (ctx, out, error) => {
      const code = /^[a-z_]{1,64}$/.test(out.error) ? out.error : 'unknown';
      const status = ctx.status || 500;
      const reference = randomBytes(5).toString('hex').toUpperCase();
      const e = error as Partial<errors.OIDCProviderError>;
      log.warn(
        { reference, status, error: out.error, description: out.error_description, detail: e.error_detail, route: ctx.oidc?.route },
        'oidc error page shown',
      );
      ctx.type = 'html';
      ctx.body = errorPage(errorText(error, code, status), code, reference);
    },
  };

  if (!keys.secrets.cookieKeys.length) throw new Error('apps face: secrets.cookieKeys must hold at least one key');

  const provider = new Provider(issuer, configuration);
  provider.proxy = config.trustProxy;

  provider.on('server_error', (ctx: KoaContextWithOIDC, err: Error) => {
    log.error({ err, route: ctx.oidc?.route }, 'oidc server error');
  });
  const refused = (event: string) => (ctx: KoaContextWithOIDC, err: errors.OIDCProviderError) => {
    log.info(
      { event, route: ctx.oidc?.route, client: ctx.oidc?.client?.clientId, error: err.error, detail: err.error_detail },
      'oidc request refused',
    );
  };
  provider.on('authorization.error', refused('authorization.error'));
  provider.on('grant.error', refused('grant.error'));
  provider.on('userinfo.error', refused('userinfo.error'));
  provider.on('introspection.error', refused('introspection.error'));
  provider.on('revocation.error', refused('revocation.error'));
  provider.on('end_session.error', refused('end_session.error'));
  provider.on('backchannel.error', (_ctx, err, client) => {
    log.warn({ err, client: client?.clientId }, 'back-channel logout delivery failed');
  });

  return provider;
}

/** Adds every requested OIDC scope and claim (and resource scope) to the grant. */
function grantRequested(oidc: KoaContextWithOIDC['oidc'], grant: Grant): void {
  const scopes = [...oidc.requestParamOIDCScopes];
  if (scopes.length) grant.addOIDCScope(scopes.join(' '));
  const claims = [...oidc.requestParamClaims];
  if (claims.length) grant.addOIDCClaims(claims);
  for (const [indicator, resourceServer] of Object.entries(oidc.resourceServers ?? {})) {
    const wanted = [...oidc.requestParamScopes].filter((s) => resourceServer.scopes.has(s));
    if (wanted.length) grant.addResourceScope(indicator, wanted.join(' '));
  }
}

/**
 * Session lifetime in seconds: at most `max` after the moment of authentication, never past
 * the broker's SessionNotOnOrAfter, and never extended by later requests (oidc-provider saves
 * the session on every request that touches it, with this TTL).
 */
function sessionTtlSeconds(
  ctx: KoaContextWithOIDC | undefined,
  session: { accountId?: string | undefined; loginTs?: number | undefined; exp?: number | undefined },
  max: number,
  clock: Clock,
): number {
  const now = nowSeconds(clock);
  const limits = [max];
  if (typeof session.loginTs === 'number' && session.accountId) limits.push(session.loginTs + max - now);
  const result = ctx?.oidc?.result as (InteractionResults & { [RESULT_KEY]?: MijnDuoResult }) | undefined;
  const login = result?.login;
  const justLoggedIn = Boolean(login && login.accountId === session.accountId && login.ts === session.loginTs);
  if (justLoggedIn) {
    const notOnOrAfter = result?.[RESULT_KEY]?.sessionNotOnOrAfter;
    if (typeof notOnOrAfter === 'number') limits.push(notOnOrAfter - now);
  } else if (typeof session.exp === 'number') {
    // The expiry set at login stays the expiry (oidc-provider's own clock: Date.now).
    limits.push(session.exp - Math.floor(Date.now() / 1000));
  }
  return Math.max(1, Math.floor(Math.min(...limits)));
}

/**
 * Mounts the provider at /oidc on an Express app. Call this BEFORE any body parser is
 * installed for these paths: oidc-provider reads request bodies itself (oidc-provider#49,
 * #965). Also answers the RFC 8414 metadata location for an issuer with a path.
 */
export function mountOidc(app: express.Application, provider: Provider): void {
  const callback = provider.callback();
  app.get(`/.well-known/oauth-authorization-server${OIDC_MOUNT_PATH}`, (req, res) => {
    req.url = '/.well-known/openid-configuration';
    void callback(req, res);
  });
  app.use(OIDC_MOUNT_PATH, (req, res) => {
    void callback(req, res);
  });
}

/**
 * The provider's endpoints that only servers call and that answer JSON, never a page: token,
 * userinfo, JWKS, discovery, introspection, revocation (oidc-provider's default routes; a test
 * holds them to what discovery announces).
 */
export const OIDC_BACK_CHANNEL_PATHS: ReadonlySet<string> = new Set([
  '/token',
  '/me',
  '/jwks',
  '/.well-known/openid-configuration',
  '/token/introspection',
  '/token/revocation',
]);

export interface OidcBackChannel {
  /** Whether a raw request URL (`/oidc/token?…`) is one of the back-channel endpoints. */
  matches(url: string | undefined): boolean;
  /** Answer a request `matches` said yes to, from the raw http server (outside Express). */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** The same, as Express middleware for app.use(OIDC_MOUNT_PATH, …); other paths pass on. */
  middleware: express.RequestHandler;
}

/**
 * The back-channel endpoints straight to the provider. Nothing of the browser side (cookies,
 * language, CSP nonce, helmet; and in front of Express, Express itself) means anything to a
 * JSON answer for a server, and on the token endpoint it cost about a quarter of the request
 * (docs/performance.md).
 */
export function oidcBackChannel(provider: Provider): OidcBackChannel {
  const callback = provider.callback();
  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    // The one helmet header that matters for a JSON body.
    res.setHeader('X-Content-Type-Options', 'nosniff');
    void callback(req, res);
  };
  const prefix = `${OIDC_MOUNT_PATH}/`;
  return {
    matches(url) {
      if (!url?.startsWith(prefix)) return false;
      const q = url.indexOf('?');
      // Anything unusual (//, %-escapes, a trailing slash) is no match and takes the Express route.
      return OIDC_BACK_CHANNEL_PATHS.has((q === -1 ? url : url.slice(0, q)).slice(OIDC_MOUNT_PATH.length));
    },
    handle(req, res) {
      // What Express's app.use(OIDC_MOUNT_PATH) does: oidc-provider finds its mount path from these two.
      const url = req.url ?? '/';
      (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
      req.url = url.slice(OIDC_MOUNT_PATH.length);
      answer(req, res);
    },
    middleware(req, res, next) {
      if (OIDC_BACK_CHANNEL_PATHS.has(req.path)) answer(req, res);
      else next();
    },
  };
}

// The interaction glue helpers live in interactionResult.ts; re-exported for one import site.
export { abortLogin, finishConsent, finishLogin, type LoginOutcome } from './interactionResult.ts';
