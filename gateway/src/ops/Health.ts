// Liveness and readiness. Live: the process answers. Ready: Redis and PostgreSQL answer
// within a short time, the keys are loaded and the broker metadata is valid — and the process
// is not shutting down. The report holds booleans, timings, backends and certificate days
// left: nothing secret, no error text (that goes to the log, once per change).
import type { AccountsRegistry } from '../accounts/AccountsRegistry.ts';
import type { BrokerFace } from '../broker/BrokerFace.ts';
import type { Clock } from '../clock.ts';
import { daysLeft } from '../keys/KeyLoader.ts';
import type { KeyMaterial } from '../keys/KeyMaterial.ts';
import type { Logger } from '../logger.ts';
import type { KeyValueStore } from '../store/KeyValueStore.ts';
import type { Metrics } from './Metrics.ts';
import { errorSummary, withTimeout } from './StoreStatus.ts';

export interface HealthTargets {
  kv: Pick<KeyValueStore, 'ping'>;
  accounts: Pick<AccountsRegistry, 'ping'>;
  brokerFace: Pick<BrokerFace, 'ready'>;
  /** Shown in the report: 'redis' or 'memory'. */
  kvBackend: string;
  /** Shown in the report: 'postgresql' or 'pglite'. */
  databaseBackend: string;
}

export interface CheckResult {
  ok: boolean;
  ms?: number;
  backend?: string;
}

export interface ReadyReport {
  status: 'ready' | 'not-ready' | 'shutting-down';
  checks?: {
    redis: CheckResult;
    database: CheckResult;
    keys: CheckResult & { certificates: Record<string, { daysLeft: number }> };
    broker: CheckResult;
  };
}

/** Our certificates by metric/report name. */
export function certificatesOf(keys: KeyMaterial): Record<string, Date> {
  const out: Record<string, Date> = { 'sp-saml': keys.sp.notAfter, 'tls-client': keys.tlsClient.notAfter };
  if (keys.spPrevious) out['sp-saml-previous'] = keys.spPrevious.notAfter;
  return out;
}

export class Health {
  private targets: HealthTargets | null = null;
  private shuttingDown = false;
  private lastOk: boolean | null = null;

  constructor(
    private readonly opts: { keys: KeyMaterial; clock: Clock; logger: Logger; metrics: Metrics; timeoutMs: number },
  ) {}

  setTargets(targets: HealthTargets): void {
    this.targets = targets;
  }

  beginShutdown(): void {
    this.shuttingDown = true;
    this.opts.metrics.ready.set(0);
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  certificateDaysLeft(): Record<string, number> {
    const now = this.opts.clock.now();
    return Object.fromEntries(Object.entries(certificatesOf(this.opts.keys)).map(([name, notAfter]) => [name, daysLeft(notAfter, now)]));
  }

  async ready(): Promise<{ httpStatus: number; report: ReadyReport }> {
    if (this.shuttingDown) return { httpStatus: 503, report: { status: 'shutting-down' } };
    const t = this.targets;
    if (!t) return { httpStatus: 503, report: { status: 'not-ready' } };
    const problems: Record<string, unknown> = {};
    const timed = async (name: string, fn: () => Promise<void>): Promise<CheckResult> => {
      const start = performance.now();
      try {
        await withTimeout(fn(), this.opts.timeoutMs, name);
        return { ok: true, ms: Math.round(performance.now() - start) };
      } catch (err) {
        problems[name] = errorSummary(err);
        return { ok: false, ms: Math.round(performance.now() - start) };
      }
    };
    const [redis, database, broker] = await Promise.all([
      timed('redis', () => t.kv.ping()),
      timed('database', () => t.accounts.ping()),
      timed('broker', async () => {
        const r = await t.brokerFace.ready();
        if (!r.ok) throw new Error(r.detail ?? 'broker metadata not valid');
      }),
    ]);
    const k = this.opts.keys;
    const keysLoaded = Boolean(k.sp?.keyPem && k.sp.certPem && k.tlsClient?.keyPem && k.oidcJwks?.keys?.length);
    const certificates = Object.fromEntries(Object.entries(this.certificateDaysLeft()).map(([n, d]) => [n, { daysLeft: d }]));
    const checks: NonNullable<ReadyReport['checks']> = {
      redis: { ...redis, backend: t.kvBackend },
      database: { ...database, backend: t.databaseBackend },
      keys: { ok: keysLoaded, certificates },
      broker,
    };
    const ok = redis.ok && database.ok && broker.ok && keysLoaded && !this.shuttingDown;
    this.opts.metrics.ready.set(ok ? 1 : 0);
    if (ok !== this.lastOk) {
      // Once per change, not on every probe.
      if (ok) this.opts.logger.info('ready');
      else this.opts.logger.warn({ problems, keysLoaded }, 'not ready');
      this.lastOk = ok;
    }
    return { httpStatus: ok ? 200 : 503, report: { status: ok ? 'ready' : 'not-ready', checks } };
  }
}
