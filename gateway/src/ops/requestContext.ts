// The request id: one per HTTP request, carried by AsyncLocalStorage through everything the
// request causes (broker face, stores, oidc-provider), so every log line of a request names it
// without anyone passing it along. The logger's mixin reads it from here.
//
// This module imports nothing of the gateway: the logger depends on it.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  requestId: string;
  /** process.hrtime.bigint() when the request arrived. */
  startedAt: bigint;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithRequestContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/** Seconds since the current request arrived, or undefined outside a request. */
export function secondsSinceRequestStart(): number | undefined {
  const ctx = storage.getStore();
  return ctx ? Number(process.hrtime.bigint() - ctx.startedAt) / 1e9 : undefined;
}

/**
 * What we accept as a request id from a trusted proxy: short, printable, no separators that
 * could forge a log field. Anything else is replaced by our own id.
 */
export function isAcceptableRequestId(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9._:-]{8,128}$/.test(value);
}
