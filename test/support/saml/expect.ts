// The single shape of every refusal: the reason code, no identity handed over, nothing written
// to the KeyValue store, no cookie, a 400/403 (503/504 for outages) page, the reason in the log,
// and nothing of the library or the message in the browser.
import assert from 'node:assert/strict';
import type { Harness, Outcome } from './harness.ts';

export function assertRefused(h: Harness, out: Outcome, code: string, opts: { status?: number; cancelled?: boolean } = {}): void {
  assert.equal(out.failure?.code, code, `expected ${code}, got ${out.failure?.code ?? 'an identity'}`);
  assert.equal(out.identity, null, 'onIdentity must not be called');
  assert.deepEqual(out.written, [], 'nothing may be written to the KeyValue store');
  assert.equal(out.headers['set-cookie'], undefined, 'no cookie on a refusal');
  assert.equal(out.headers['cache-control'], 'no-cache, no-store');
  const status = opts.status ?? out.failure!.httpStatus;
  assert.ok([400, 403, 503, 504].includes(out.status), `status ${out.status}`);
  assert.equal(out.status, status);
  assert.equal(out.failure!.cancelled, opts.cancelled ?? false);
  assert.match(out.failure!.correlationId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(Object.keys(JSON.parse(out.body)).sort(), ['code', 'correlationId']);
  assert.ok(h.log.includes(`"reason":"${code}"`), 'the reason is logged');
}
