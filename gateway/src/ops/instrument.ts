// Instrumentation at the seams, so no face has to know about metrics: a KeyValueStore
// decorator and an AccountsRegistry decorator that time every call and tell StoreStatus about
// outages, and wrappers around the broker face and its handlers for login outcomes.
import type { Request, Response } from 'express';
import type { AccountsRegistry, AuditEvent } from '../accounts/AccountsRegistry.ts';
import type { BrokerFace, BrokerFaceHandlers } from '../broker/BrokerFace.ts';
import type { KeyValueStore } from '../store/KeyValueStore.ts';
import type { Metrics, StoreName } from './Metrics.ts';
import { secondsSinceRequestStart } from './requestContext.ts';
import { isStoreUnavailable, type StoreStatus } from './StoreStatus.ts';

function since(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * Times the promise `fn` returns, records the outcome, and reports outages and recoveries of
 * `store`. Anything that is not a promise passes through untouched.
 */
function observed<T>(store: StoreName, histogram: Metrics['kvOperation'], status: StoreStatus, operation: string, fn: () => T): T {
  const start = process.hrtime.bigint();
  const out = fn();
  if (!(out instanceof Promise)) return out;
  return out.then(
    (result: unknown) => {
      histogram.observe({ operation, outcome: 'ok' }, since(start));
      status.markUp(store);
      return result;
    },
    (err: unknown) => {
      const unavailable = isStoreUnavailable(err);
      histogram.observe({ operation, outcome: unavailable ? 'unavailable' : 'error' }, since(start));
      if (unavailable) status.markDown(store, err);
      throw err;
    },
  ) as T;
}

const KV_OPERATIONS = ['get', 'set', 'setIfAbsent', 'increment', 'ttl', 'delete', 'consume', 'addToSet', 'members', 'ping'] as const;

/** The same store, timed. close() passes straight through. */
export function instrumentKeyValueStore(kv: KeyValueStore, metrics: Metrics, status: StoreStatus): KeyValueStore {
  const wrapped = {} as Record<string, unknown>;
  for (const op of KV_OPERATIONS) {
    const fn = (kv[op] as (...a: unknown[]) => Promise<unknown>).bind(kv);
    wrapped[op] = (...args: unknown[]) => observed('redis', metrics.kvOperation, status, op, () => fn(...args));
  }
  wrapped.close = () => kv.close();
  return wrapped as unknown as KeyValueStore;
}

/**
 * The same registry (every method, including additions such as mededelingen), timed; audit
 * events that were written are counted. A Proxy, so methods added to the registry later are
 * covered without a change here.
 */
export function instrumentAccounts<T extends AccountsRegistry>(registry: T, metrics: Metrics, status: StoreStatus): T {
  const cache = new Map<PropertyKey, unknown>();
  return new Proxy(registry, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'close' || prop === 'constructor') {
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      const hit = cache.get(prop);
      if (hit && (hit as { original?: unknown }).original === value) return hit;
      const method = value as (...a: unknown[]) => unknown;
      const wrapper = (...args: unknown[]): unknown => {
        const result = observed('database', metrics.sqlOperation, status, prop, () => method.apply(target, args));
        if (prop === 'appendAudit' && result instanceof Promise) return result.then((r) => (metrics.observeAudit(args[0] as AuditEvent), r));
        return result;
      };
      (wrapper as unknown as { original: unknown }).original = value;
      cache.set(prop, wrapper);
      return wrapper;
    },
  });
}

/** Counts refusals by reason and times the ACS up to the broker face verdict. */
export function instrumentBrokerHandlers(handlers: BrokerFaceHandlers, metrics: Metrics): BrokerFaceHandlers {
  const acsTime = (req: Request, outcome: string): void => {
    if (req.path !== '/saml/acs') return;
    const s = secondsSinceRequestStart();
    if (s !== undefined) metrics.artifactResolution.observe({ outcome }, s);
  };
  return {
    onIdentity(req: Request, res: Response, identity, loginKey) {
      acsTime(req, 'accepted');
      return handlers.onIdentity(req, res, identity, loginKey);
    },
    onFailure(req: Request, res: Response, failure) {
      acsTime(req, failure.cancelled ? 'cancelled' : failure.httpStatus >= 500 ? 'outage' : 'refused');
      metrics.loginsFailed.inc({ reason: failure.code });
      return handlers.onFailure(req, res, failure);
    },
  };
}

/** The same broker face; startLogin is counted. A Proxy, so later additions pass through. */
export function instrumentBrokerFace(face: BrokerFace, metrics: Metrics): BrokerFace {
  const startLogin: BrokerFace['startLogin'] = (req, res, opts) => {
    metrics.loginsStarted.inc();
    return face.startLogin(req, res, opts);
  };
  return new Proxy(face, {
    get(target, prop, receiver) {
      if (prop === 'startLogin') return startLogin;
      // Unbound on purpose: `router` is a function too and must stay the same object.
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}
