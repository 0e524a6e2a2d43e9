// Operations for one gateway: request ids and the access log, health, metrics, what the
// process knows about its stores, the login gate while a store is down, and the shutdown flag.
// The composition root (app.ts) mounts the pieces; main.ts wires the stores' own connection
// hooks in and serves the ops listener.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AccountsRegistry } from '../accounts/AccountsRegistry.ts';
import type { BrokerFace, BrokerFaceHandlers } from '../broker/BrokerFace.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { KeyMaterial } from '../keys/KeyMaterial.ts';
import { accessLogger, type AccessLogLine, type Logger } from '../logger.ts';
import type { KeyValueStore } from '../store/KeyValueStore.ts';
import { RedisKeyValueStore } from '../store/RedisKeyValueStore.ts';
import type { Pages } from '../views/Pages.ts';
import { Health } from './Health.ts';
import { instrumentAccounts, instrumentBrokerFace, instrumentBrokerHandlers, instrumentKeyValueStore } from './instrument.ts';
import { Metrics } from './Metrics.ts';
import { isAcceptableRequestId, runWithRequestContext } from './requestContext.ts';
import { OverloadGuard } from './OverloadGuard.ts';
import { isStoreUnavailable, StoreStatus } from './StoreStatus.ts';

export { Metrics } from './Metrics.ts';
export { Health, type ReadyReport } from './Health.ts';
export { StoreStatus, isStoreUnavailable } from './StoreStatus.ts';
export { currentRequestId } from './requestContext.ts';

export type OpsConfig = Config['ops'];

export interface OpsOptions {
  config: Pick<Config, 'trustProxy' | 'ops'>;
  clock: Clock;
  logger: Logger;
  keys: KeyMaterial;
  /** Node process metrics; on for a real gateway process, off for in-process test gateways. */
  processMetrics?: boolean;
}

const METHODS = new Set(['GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH']);
/** Probes and static files: the access log has them at debug only. */
const QUIET_PATHS = /^\/(health\/|metrics$|static\/|favicon\.ico$)/;

/** The path of a request URL: the query may hold SAMLart, codes or tokens and is never logged. */
export function pathOnly(url: string): string {
  const cut = url.search(/[?#]/);
  const p = cut === -1 ? url : url.slice(0, cut);
  return p.length > 256 ? `${p.slice(0, 256)}…` : p;
}

export class Ops {
  readonly metrics: Metrics;
  readonly status: StoreStatus;
  readonly health: Health;
  /** Event-loop saturation: new logins are refused while it lasts (login gate). */
  readonly overload: OverloadGuard;
  private readonly log: Logger;
  private readonly accessLog: Logger;
  private readonly inFlight = new Set<Response>();
  private onRequestDone: (() => void) | null = null;

  constructor(private readonly opts: OpsOptions) {
    this.log = opts.logger.child({ component: 'ops' });
    this.accessLog = accessLogger(this.log);
    this.metrics = new Metrics({ processMetrics: opts.processMetrics ?? false });
    this.status = new StoreStatus({
      logger: this.log,
      metrics: this.metrics,
      probeIntervalMs: opts.config.ops.storeProbeIntervalMs,
      probeTimeoutMs: opts.config.ops.readyTimeoutMs,
    });
    this.health = new Health({ keys: opts.keys, clock: opts.clock, logger: this.log, metrics: this.metrics, timeoutMs: opts.config.ops.readyTimeoutMs });
    this.overload = new OverloadGuard({
      maxDelayMs: opts.config.ops.overload.maxEventLoopDelayMs,
      windowMs: opts.config.ops.overload.windowMs,
      onChange: (overloaded, delayMs) => {
        this.metrics.overloaded.set(overloaded ? 1 : 0);
        if (overloaded) this.log.warn({ eventLoopDelayMs: Math.round(delayMs) }, 'overloaded: new logins are refused until the event loop catches up');
        else this.log.info({ eventLoopDelayMs: Math.round(delayMs) }, 'no longer overloaded: new logins are accepted again');
      },
    });
  }

  /** Background measurements of a running gateway process (the event-loop delay). */
  start(): void {
    this.overload.start();
  }

  instrumentKeyValueStore(kv: KeyValueStore): KeyValueStore {
    return instrumentKeyValueStore(kv, this.metrics, this.status);
  }

  instrumentAccounts<T extends AccountsRegistry>(accounts: T): T {
    return instrumentAccounts(accounts, this.metrics, this.status);
  }

  instrumentBrokerHandlers(handlers: BrokerFaceHandlers): BrokerFaceHandlers {
    return instrumentBrokerHandlers(handlers, this.metrics);
  }

  instrumentBrokerFace(face: BrokerFace): BrokerFace {
    return instrumentBrokerFace(face, this.metrics);
  }

  /** What readiness checks and the recovery probes ping (the instrumented stores). */
  attach(targets: { kv: KeyValueStore; accounts: AccountsRegistry; brokerFace: BrokerFace; kvBackend: string; databaseBackend: string }): void {
    this.health.setTargets(targets);
    this.status.setPing('redis', () => targets.kv.ping());
    this.status.setPing('database', () => targets.accounts.ping());
  }

  /**
   * First middleware: the request id (from a trusted proxy's X-Request-Id, else our own),
   * echoed in the response; the AsyncLocalStorage context every log line reads it from; the
   * access log line (path only) and the HTTP metrics when the response is done.
   */
  requestMiddleware(opts: { track?: boolean } = {}) {
    const trustProxy = this.opts.config.trustProxy;
    // The ops listener's own requests are not "in flight" for the shutdown of the main port.
    const track = opts.track ?? true;
    return (req: Request, res: Response, next: NextFunction): void => {
      const offered = trustProxy ? req.headers['x-request-id'] : undefined;
      const requestId = isAcceptableRequestId(offered) ? offered : randomUUID();
      const startedAt = process.hrtime.bigint();
      res.locals.requestId = requestId;
      res.setHeader('X-Request-Id', requestId);
      // A keep-alive client must reconnect elsewhere once this process is on its way out.
      if (this.health.isShuttingDown) res.setHeader('Connection', 'close');
      if (track) this.inFlight.add(res);
      let logged = false;
      const done = (): void => {
        if (logged) return;
        logged = true;
        this.inFlight.delete(res);
        const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
        const path = pathOnly(req.originalUrl ?? req.url);
        const status = res.headersSent ? res.statusCode : 0;
        if (track) this.metrics.httpRequests.observe({ method: METHODS.has(req.method) ? req.method : 'other', status: String(status) }, seconds);
        const line: AccessLogLine = { reqId: requestId, method: req.method, path, status, ms: Math.round(seconds * 1000), ...(res.writableFinished ? {} : { aborted: true }) };
        if (QUIET_PATHS.test(path)) this.accessLog.debug(line, 'request');
        else this.accessLog.info(line, 'request');
        if (!track) return;
        this.onRequestDone?.();
      };
      res.once('finish', done);
      res.once('close', done);
      runWithRequestContext({ requestId, startedAt }, next);
    };
  }

  /** GET /health/live and /health/ready (mounted on the main port for the load balancer). */
  healthRouter(): express.Router {
    const r = express.Router();
    r.get('/health/live', (_req, res) => {
      res.set('Cache-Control', 'no-store');
      res.status(200).json({ status: 'live' });
    });
    r.get('/health/ready', async (_req, res, next) => {
      try {
        const { httpStatus, report } = await this.health.ready();
        res.set('Cache-Control', 'no-store');
        res.status(httpStatus).json(report);
      } catch (err) {
        next(err);
      }
    });
    return r;
  }

  /**
   * GET /metrics. Served on the separate ops listener; on the main port only when
   * ops.metricsToken is set, and then only with `Authorization: Bearer <token>`.
   */
  metricsHandler(opts: { requireToken: boolean }) {
    const token = this.opts.config.ops.metricsToken;
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      if (opts.requireToken && !bearerMatches(req.headers.authorization, token)) {
        next(); // as if there were no such route: the 404 page
        return;
      }
      try {
        for (const [certificate, days] of Object.entries(this.health.certificateDaysLeft())) {
          this.metrics.certificateDaysLeft.set({ certificate }, days);
        }
        this.metrics.inFlight.set(this.inFlight.size);
        const body = await this.metrics.render();
        res.set('Cache-Control', 'no-store');
        res.type(this.metrics.contentType).send(body);
      } catch (err) {
        next(err);
      }
    };
  }

  /** The app of the ops listener: /metrics and the health endpoints, nothing else. */
  opsApp(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.use(this.requestMiddleware({ track: false }));
    app.use(this.healthRouter());
    app.get('/metrics', this.metricsHandler({ requireToken: false }));
    app.use((_req, res) => {
      res.status(404).json({ error: 'not found' });
    });
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      this.log.error({ err }, 'ops endpoint failed');
      if (!res.headersSent) res.status(500).json({ error: 'internal' });
    });
    return app;
  }

  /**
   * Before oidc-provider's authorization endpoint: while a store is known to be down, a new
   * login is refused at once with the "tijdelijk niet beschikbaar" page, before the person is
   * sent to eHerkenning for nothing.
   */
  loginGate(pages: Pages) {
    return (_req: Request, res: Response, next: NextFunction): void => {
      if (this.overload.overloaded) {
        // Refused before anything is stored or anyone is sent to the broker; the logins already
        // under way get the event loop.
        this.metrics.loginsFailed.inc({ reason: 'overloaded' });
        this.log.debug({ eventLoopDelayMs: Math.round(this.overload.delayMs) }, 'new login refused: overloaded');
        res.setHeader('Retry-After', '5');
        pages.render(res, 'unavailable', { correlationId: String(res.locals.requestId ?? '') }, 503);
        return;
      }
      const down = this.status.downStores();
      if (down.length === 0) {
        next();
        return;
      }
      this.metrics.loginsFailed.inc({ reason: 'store-unavailable' });
      this.log.warn({ stores: down }, 'new login refused: store unavailable');
      pages.render(res, 'unavailable', { correlationId: String(res.locals.requestId ?? '') }, 503);
    };
  }

  /**
   * oidc-provider answers any error of its own storage with a generic 500 page. A store outage
   * is not a bug: answer those with the 503 "tijdelijk niet beschikbaar" page instead.
   */
  watchProvider(provider: Provider, pages: Pages): void {
    // oidc-provider emits server_error from its error handler, after it has set the error body
    // and before Koa responds, so the answer can still be changed here. (Done in the event, not
    // in a provider middleware, which every request of the provider would pay for.)
    provider.on('server_error', (ctx: KoaContextWithOIDC, err: unknown) => {
      if (!isStoreUnavailable(err) || ctx.res.headersSent) return;
      const res = ctx.res as unknown as Response;
      // An API client (token, userinfo, …) keeps oidc-provider's JSON error, as a 503; so does
      // everything on the back channel, which does not pass through Express (no res.status).
      if (typeof res.locals !== 'object' || typeof res.status !== 'function' || ctx.accepts('json', 'html') !== 'html') {
        ctx.status = 503;
        return;
      }
      // Express renders the page; Koa must not write its own body as well.
      ctx.respond = false;
      if (ctx.oidc?.route === 'authorization') this.metrics.loginsFailed.inc({ reason: 'store-unavailable' });
      pages.render(res, 'unavailable', { correlationId: String(res.locals.requestId ?? '') }, 503);
    });
  }

  /**
   * Readiness turns 503 and responses ask clients to close their connection. `onRequestDone`
   * runs after every request that ends from now on (main.ts closes the keep-alive socket it
   * leaves behind, which a response that had already started could not announce).
   */
  beginShutdown(opts: { onRequestDone?: () => void } = {}): void {
    this.onRequestDone = opts.onRequestDone ?? null;
    this.health.beginShutdown();
    for (const res of this.inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Stops the background store probes (the stores are being closed on purpose) and measurements. */
  stop(): void {
    this.status.stop();
    this.overload.stop();
  }
}

function bearerMatches(header: string | undefined, token: string | undefined): boolean {
  if (!token || !header?.startsWith('Bearer ')) return false;
  const a = Buffer.from(header.slice('Bearer '.length));
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** What the readiness report names as the backends: 'redis' | 'memory', 'postgresql' | 'pglite'. */
export function backendsOf(kv: KeyValueStore, accounts: AccountsRegistry): { kvBackend: string; databaseBackend: string } {
  const driver = (accounts as { db?: { driver?: string } }).db?.driver;
  return {
    kvBackend: kv instanceof RedisKeyValueStore ? 'redis' : 'memory',
    databaseBackend: driver === 'pg' ? 'postgresql' : driver === 'pglite' ? 'pglite' : 'unknown',
  };
}

export function createOps(opts: OpsOptions): Ops {
  return new Ops(opts);
}
