// Composition root of the HTTP side: one Express app with the three faces in the order a
// login flows through them — broker (SAML) → checks (interaction, koppel) → apps (OIDC).
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import path from 'node:path';
import express, { type Request, type Response, type NextFunction } from 'express';
import cookieParser from 'cookie-parser';
import helmet from 'helmet';
import type Provider from 'oidc-provider';
import type { AccountsRegistry } from './accounts/AccountsRegistry.ts';
import type { BrokerFace } from './broker/BrokerFace.ts';
import { createBrokerFace } from './broker/index.ts';
import type { Clock } from './clock.ts';
import { PROJECT_ROOT, type Config } from './config.ts';
import type { KeyMaterial } from './keys/KeyMaterial.ts';
import type { Logger } from './logger.ts';
import type { KeyValueStore } from './store/KeyValueStore.ts';
import { StoreUnavailableError } from './store/KeyValueStore.ts';
import { createOidcProvider, mountOidc, OIDC_MOUNT_PATH, oidcBackChannel } from './apps/provider.ts';
import { LoginFlow } from './interaction/LoginFlow.ts';
import { LoginStateStore } from './interaction/LoginState.ts';
import { interactionRoutes } from './interaction/routes.ts';
import { koppelRoutes } from './koppel/KoppelRoutes.ts';
import { IpThrottle, type IpThrottleOptions } from './koppel/IpThrottle.ts';
import { Lockout } from './koppel/Lockout.ts';
import { createMailer, type Mailer } from './mail/Mailer.ts';
import { portalRouter, withPortalClient } from './portal/index.ts';
import { backendsOf, createOps, type Ops } from './ops/index.ts';
import { Pages } from './views/Pages.ts';

export interface GatewayDeps {
  config: Config;
  clock: Clock;
  logger: Logger;
  kv: KeyValueStore;
  accounts: AccountsRegistry;
  keys: KeyMaterial;
  /** Mails of the beheer screens; default: createMailer(config) (SMTP, or the dev outbox). */
  mailer?: Mailer;
  /** Health, metrics, store status; main.ts passes one wired to the stores' own hooks. */
  ops?: Ops;
  /** Koppel and token login tuning (tests); the defaults suit production. */
  koppel?: { ipThrottle?: IpThrottleOptions };
}

export interface Gateway {
  /** The Express app: everything, the back channel included (tests may drive it directly). */
  app: express.Express;
  /** The request listener for the HTTP server: the app, with a short way to the back channel. */
  handler: http.RequestListener;
  provider: Provider;
  brokerFace: BrokerFace;
  pages: Pages;
  states: LoginStateStore;
  ops: Ops;
}

function originOf(url: string): string {
  return new URL(url).origin;
}

/** Origins a form on our pages may post to, or be redirected to after a post. */
function formTargets(cfg: Config): string[] {
  const origins = new Set<string>(["'self'"]);
  for (const c of cfg.oidc.clients) for (const u of [...c.redirect_uris, ...c.post_logout_redirect_uris]) origins.add(originOf(u));
  for (const b of cfg.brokers) if (b.metadataUrl) origins.add(originOf(b.metadataUrl));
  return [...origins];
}

export function createGatewayApp(deps: GatewayDeps): Gateway {
  const { config, clock, logger, keys } = deps;
  const ops = deps.ops ?? createOps({ config, clock, logger, keys });
  // Every store call is timed and feeds the store status (login gate, readiness).
  const kv = ops.instrumentKeyValueStore(deps.kv);
  const accounts = ops.instrumentAccounts(deps.accounts);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  const secure = config.publicUrl.startsWith('https://');
  const pages = new Pages({ secureCookies: secure, cache: config.env !== 'development' });

  // The Mijn DUO portal is one more (first-party) OIDC client of the provider.
  const provider = createOidcProvider({ config: withPortalClient(config, keys.secrets), keys, kv, accounts, clock, logger });
  // A store failure inside oidc-provider: 503 (JSON for API clients, the page for browsers).
  ops.watchProvider(provider, pages);

  // Request id, access log, HTTP metrics; then the probes, which need nothing else; then the
  // apps' back channel (token, userinfo, JWKS…), which needs nothing of the browser side.
  const requestContext = ops.requestMiddleware();
  const backChannel = oidcBackChannel(provider);
  app.use(requestContext);
  app.use(ops.healthRouter());
  if (config.ops.metricsToken) app.get('/metrics', ops.metricsHandler({ requireToken: true }));
  app.use(OIDC_MOUNT_PATH, backChannel.middleware);
  app.use(cookieParser());
  app.use(pages.middleware());
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          scriptSrc: ["'self'", (_req, res) => `'nonce-${String((res as Response).locals.cspNonce)}'`],
          formAction: formTargets(config),
          upgradeInsecureRequests: secure ? [] : null,
        },
      },
      strictTransportSecurity: secure,
    }),
  );

  const staticOpts = { immutable: config.env === 'production', maxAge: config.env === 'production' ? '1d' : 0 };
  const rhc = path.join(PROJECT_ROOT, 'node_modules', '@rijkshuisstijl-community');
  app.get('/static/components.css', (_req, res) => res.sendFile(path.join(rhc, 'components-css', 'dist', 'index.css'), staticOpts));
  app.get('/static/design-tokens.css', (_req, res) => res.sendFile(path.join(rhc, 'design-tokens', 'dist', 'index.css'), staticOpts));
  app.use('/static', express.static(path.join(import.meta.dirname, 'views', 'static'), staticOpts));

  const states = new LoginStateStore(kv, config.oidc.ttl.interactionSeconds * 1000);
  const flow = new LoginFlow({
    config,
    provider,
    accounts,
    states,
    clock,
    logger,
    pages,
    subjectHashKey: keys.secrets.subjectHashKey,
  });
  const brokerFace = ops.instrumentBrokerFace(createBrokerFace({
    config,
    keys,
    kv,
    clock,
    logger,
    handlers: ops.instrumentBrokerHandlers({
      onIdentity: (req, res, identity, loginKey) => flow.identityAccepted(req, res, identity, loginKey),
      onFailure: (req, res, failure) => flow.brokerFailed(req, res, failure),
    }),
  }));
  ops.attach({ kv, accounts, brokerFace, ...backendsOf(deps.kv, deps.accounts) });

  // While a store is known to be down, no new login starts. It reads no body.
  app.all('/oidc/auth', ops.loginGate(pages));
  // oidc-provider parses its own bodies: nothing that reads the body may run before it.
  mountOidc(app, provider);
  app.use(brokerFace.router);
  // One lockout and one per-IP throttle, shared by the koppel wizard and token login.
  const lockout = new Lockout({ kv, accounts, clock, config });
  const ipThrottle = new IpThrottle(kv, clock, deps.koppel?.ipThrottle);
  app.use(interactionRoutes({ config, provider, brokerFace, flow, states, pages, accounts, clock, kv, lockout, ipThrottle }));
  app.use(
    koppelRoutes({
      config,
      provider,
      accounts,
      states,
      flow,
      pages,
      clock,
      activationCodeKey: keys.secrets.activationCodeKey,
      lockout,
      ipThrottle,
    }),
  );

  // Built on first use: without SMTP a production gateway must still start (createMailer refuses).
  let mailer = deps.mailer;
  const lazyMailer: Mailer = { send: (msg) => (mailer ??= createMailer(config, clock)).send(msg) };
  app.use(portalRouter({ config, provider, accounts, kv, keys, clock, logger, pages, mailer: lazyMailer }));

  app.use((_req: Request, res: Response) => {
    pages.render(res, 'error', { titleKey: 'error.notFound.title', bodyKey: 'error.notFound.body' }, 404);
  });
  // Last resort: never a stack trace or library message in the browser.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const correlationId = String(res.locals.requestId ?? randomUUID());
    if (res.headersSent) return;
    if (err instanceof StoreUnavailableError || (err as { name?: string })?.name === 'StoreUnavailableError') {
      logger.error({ err, correlationId }, 'store unavailable');
      pages.render(res, 'unavailable', { correlationId }, 503);
      return;
    }
    const status = (err as { status?: number; statusCode?: number })?.status ?? (err as { statusCode?: number })?.statusCode;
    if (status === 400 || status === 413 || status === 415) {
      logger.warn({ err, correlationId }, 'bad request');
      pages.render(res, 'error', { code: 'bad-request', correlationId }, 400);
      return;
    }
    logger.error({ err, correlationId }, 'unhandled error');
    pages.render(res, 'error', { code: 'internal', correlationId }, 500);
  });

  // What the HTTP server runs. The back channel goes straight to oidc-provider, past Express:
  // its per-request prototype swap and router cost a token request more than everything else
  // the gateway adds. Same request id, access log and metrics as every other request.
  const handler: http.RequestListener = (req, res) => {
    if (!backChannel.matches(req.url)) {
      app(req, res);
      return;
    }
    (res as unknown as { locals: Record<string, unknown> }).locals = {};
    requestContext(req as Request, res as Response, () => backChannel.handle(req, res));
  };

  return { app, handler, provider, brokerFace, pages, states, ops };
}
