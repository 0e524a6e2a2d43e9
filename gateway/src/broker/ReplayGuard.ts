// Rule 5: single use, atomically, through the KeyValue port.
// - The request record (AuthnRequest ID bound to the browser and the login key) lives under
//   the RelayState and is consumed with one GETDEL, only after the broker's signatures verified
//   and the answer matched it: a forged response cannot burn the real user's request.
// - Assertion IDs and artifacts go into a replay cache with SET NX until NotOnOrAfter + skew.
// Failures of the store itself become 'store-unavailable' (503), never a login.
import { createHash } from 'node:crypto';
import type { KeyValueStore } from '../store/KeyValueStore.ts';
import { BrokerRejection, reject } from './BrokerRejection.ts';

export interface RequestRecord {
  requestId: string;
  loginKey: string;
  brokerEntityId: string;
  /** SHA-256 (hex) of the browser-binding cookie value. */
  browserBinding: string;
  issuedAt: number;
}

const KEY = {
  request: (relay: string) => `saml:req:${relay}`,
  artifact: (hash: string) => `saml:art:${hash}`,
  assertion: (broker: string, id: string) => `saml:asn:${createHash('sha256').update(`${broker}\n${id}`).digest('hex')}`,
};

/** RelayState is ours: 32 base64url characters, never a URL. */
export function isRelayState(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{32}$/.test(value);
}

function parseRecord(raw: string | null): RequestRecord | null {
  if (raw === null) return null;
  try {
    const r = JSON.parse(raw) as Partial<RequestRecord>;
    if (
      typeof r.requestId === 'string' &&
      typeof r.loginKey === 'string' &&
      typeof r.brokerEntityId === 'string' &&
      typeof r.browserBinding === 'string' &&
      typeof r.issuedAt === 'number'
    ) {
      return { requestId: r.requestId, loginKey: r.loginKey, brokerEntityId: r.brokerEntityId, browserBinding: r.browserBinding, issuedAt: r.issuedAt };
    }
  } catch {
    // fall through
  }
  return null;
}

async function guarded<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (e instanceof BrokerRejection) throw e;
    throw new BrokerRejection('store-unavailable', { err: (e as Error)?.name });
  }
}

export class ReplayGuard {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly skewMs: number,
  ) {}

  rememberRequest(relayState: string, record: RequestRecord, ttlMs: number): Promise<void> {
    return guarded(() => this.kv.set(KEY.request(relayState), JSON.stringify(record), ttlMs));
  }

  /** Read without consuming (before the signatures are checked). */
  peekRequest(relayState: string): Promise<RequestRecord | null> {
    return guarded(async () => parseRecord(await this.kv.get(KEY.request(relayState))));
  }

  /**
   * The one atomic step: exactly one caller gets the record. Anyone else (a duplicate posted at
   * the same moment, a replay) gets 'request-already-used'.
   */
  consumeRequest(relayState: string, expectedRequestId: string): Promise<RequestRecord> {
    return guarded(async () => {
      const record = parseRecord(await this.kv.consume(KEY.request(relayState)));
      if (!record || record.requestId !== expectedRequestId) return reject('request-already-used');
      return record;
    });
  }

  /** Has this artifact been used for a login already? (Read only.) */
  artifactSeen(replayKey: string): Promise<boolean> {
    return guarded(async () => (await this.kv.get(KEY.artifact(replayKey))) !== null);
  }

  /** Claim an assertion ID until NotOnOrAfter + skew; a second claim is a replay. */
  claimAssertion(brokerEntityId: string, assertionId: string, notOnOrAfter: number, now: number): Promise<void> {
    return guarded(async () => {
      const ttl = Math.max(notOnOrAfter + this.skewMs - now, 1000);
      if (!(await this.kv.setIfAbsent(KEY.assertion(brokerEntityId, assertionId), '1', ttl))) reject('assertion-replayed');
    });
  }

  /** Claim an artifact until NotOnOrAfter + skew; a second claim is a replay. */
  claimArtifact(replayKey: string, notOnOrAfter: number, now: number): Promise<void> {
    return guarded(async () => {
      const ttl = Math.max(notOnOrAfter + this.skewMs - now, 1000);
      if (!(await this.kv.setIfAbsent(KEY.artifact(replayKey), '1', ttl))) reject('artifact-replayed');
    });
  }
}
