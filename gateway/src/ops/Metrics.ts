// Prometheus metrics of one gateway, on its own prom-client Registry (never the global default),
// so a test process can build several gateways and read each one's figures apart.
//
// Label values come only from closed sets (reason codes, audit actions, method names): nothing
// a person or a message controls ends up as a label, so the series count stays bounded.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type StoreName = 'redis' | 'database';

const LATENCY_BUCKETS_STORE = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const LATENCY_BUCKETS_ACS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LATENCY_BUCKETS_HTTP = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A label value we are willing to store: short and from a code-like alphabet. */
export function labelValue(v: unknown, fallback = 'other'): string {
  return typeof v === 'string' && /^[a-z0-9][a-z0-9._:-]{0,63}$/i.test(v) ? v : fallback;
}

export interface MetricsOptions {
  /** Node process metrics (CPU, memory, event loop, GC). Off for in-process test gateways. */
  processMetrics?: boolean;
}

export class Metrics {
  readonly registry = new Registry();

  readonly loginsStarted = new Counter({
    name: 'mijnduo_logins_started_total',
    help: 'eHerkenning logins started (AuthnRequest sent to the broker).',
    registers: [this.registry],
  });
  readonly loginsCompleted = new Counter({
    name: 'mijnduo_logins_completed_total',
    help: 'Logins finished toward the app with an account, by level of assurance.',
    labelNames: ['level'] as const,
    registers: [this.registry],
  });
  readonly loginsFailed = new Counter({
    name: 'mijnduo_logins_failed_total',
    help: 'Logins refused or broken off, by reason code (broker face codes, store-unavailable).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly koppelOutcomes = new Counter({
    name: 'mijnduo_koppel_outcomes_total',
    help: 'Koppel wizard outcomes (linked, refused, undone), by reason.',
    labelNames: ['outcome', 'reason'] as const,
    registers: [this.registry],
  });
  readonly lockouts = new Counter({
    name: 'mijnduo_lockouts_total',
    help: 'Locks started after too many wrong attempts, by what is locked (gebruikersnaam, pseudonym, token).',
    labelNames: ['dimension'] as const,
    registers: [this.registry],
  });
  readonly auditEvents = new Counter({
    name: 'mijnduo_audit_events_total',
    help: 'Audit events written, by action and outcome.',
    labelNames: ['action', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly artifactResolution = new Histogram({
    name: 'mijnduo_artifact_resolution_duration_seconds',
    help:
      'ACS: from the artifact arriving to the broker face verdict (back-channel ArtifactResolve over mutual TLS, ' +
      'signature checks, decryption), by outcome.',
    labelNames: ['outcome'] as const,
    buckets: LATENCY_BUCKETS_ACS,
    registers: [this.registry],
  });
  readonly kvOperation = new Histogram({
    name: 'mijnduo_kv_operation_duration_seconds',
    help: 'KeyValue store (Redis) call latency, by operation and outcome.',
    labelNames: ['operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS_STORE,
    registers: [this.registry],
  });
  readonly sqlOperation = new Histogram({
    name: 'mijnduo_sql_operation_duration_seconds',
    help: 'Accounts registry (PostgreSQL) call latency, by registry method and outcome.',
    labelNames: ['operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS_STORE,
    registers: [this.registry],
  });
  readonly storeUp = new Gauge({
    name: 'mijnduo_store_up',
    help: '1 while the store answers as far as this process knows, 0 after an outage was seen.',
    labelNames: ['store'] as const,
    registers: [this.registry],
  });
  readonly certificateDaysLeft = new Gauge({
    name: 'mijnduo_certificate_days_left',
    help: 'Whole days until a certificate of ours expires (negative once expired).',
    labelNames: ['certificate'] as const,
    registers: [this.registry],
  });
  readonly httpRequests = new Histogram({
    name: 'mijnduo_http_request_duration_seconds',
    help: 'HTTP requests handled, by method and status code.',
    labelNames: ['method', 'status'] as const,
    buckets: LATENCY_BUCKETS_HTTP,
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'mijnduo_http_requests_in_flight',
    help: 'Requests on the main port that have arrived and not been answered yet.',
    registers: [this.registry],
  });
  readonly overloaded = new Gauge({
    name: 'mijnduo_overloaded',
    help: '1 while new logins are refused because the event loop is saturated (ops.overload), 0 otherwise.',
    registers: [this.registry],
  });
  readonly ready = new Gauge({
    name: 'mijnduo_ready',
    help: '1 when the last readiness check passed, 0 otherwise (also 0 while shutting down).',
    registers: [this.registry],
  });

  constructor(opts: MetricsOptions = {}) {
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
    for (const store of ['redis', 'database'] as const) this.storeUp.set({ store }, 1);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** Counts what an audit event says about logins, koppelingen and lockouts. */
  observeAudit(event: { action: string; outcome: string; reason?: string | null; details?: Record<string, unknown> }): void {
    const action = labelValue(event.action);
    this.auditEvents.inc({ action, outcome: labelValue(event.outcome) });
    if (action === 'login.completed') {
      const level = typeof event.details?.level === 'string' ? event.details.level.split(':').pop() : undefined;
      this.loginsCompleted.inc({ level: labelValue(level, 'unknown') });
    } else if (action.startsWith('koppel.')) {
      this.koppelOutcomes.inc({ outcome: labelValue(action.slice('koppel.'.length)), reason: labelValue(event.reason ?? 'none') });
    }
    // koppel/Lockout.ts audits each lock it starts as 'lockout.started', reason = the dimension.
    if (action === 'lockout.started') this.lockouts.inc({ dimension: labelValue(event.reason ?? 'unknown') });
  }
}
