// oidc-provider's storage adapter on the KeyValue port, so the same code runs on Redis and on
// the embedded in-memory store, and two gateway processes on one Redis behave as one.
//
// Key layout (the store adds its own prefix in front):
//   oidc:<Model>:<id>            the model's JSON payload, TTL = expiresIn
//   oidc:<Model>:<id>:consumed   consumption marker (epoch seconds), set once with SET NX
//   oidc:grant:<grantId>         set of model keys issued under a grant (revokeByGrantId)
//   oidc:sessionUid:<uid>        Session uid → Session id (findByUid)
//   oidc:userCode:<userCode>     DeviceCode user code → DeviceCode id (findByUserCode)
//
// Consumption. oidc-provider reads a code, checks `consumed`, then calls consume(): two token
// requests racing with one code (or one rotating refresh token) both pass that check. A
// read-modify-write of the payload would let both win, on Redis across processes as much as
// in one process. So consumption is its own key written with setIfAbsent: exactly one caller
// creates it, and every later caller is refused here with `invalid_grant`, which oidc-provider
// answers as a normal token endpoint error. find() merges the marker back in as `consumed`, so
// a later (non-concurrent) reuse is caught by oidc-provider itself, which then also revokes the
// whole grant as RFC 6749 §4.1.2 asks. A caller refused here does not revoke the grant: the
// winner may still be storing its tokens, so a revocation now could miss them anyway.
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { Clock } from '../clock.ts';
import type { KeyValueStore } from '../store/KeyValueStore.ts';

/** Models that oidc-provider may consume(); only these carry a consumption marker. */
const CONSUMABLE = new Set([
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PushedAuthorizationRequest',
  'PreAuthorizedCode',
]);

/** Models that are issued under a grant and must go when the grant is revoked. */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/**
 * oidc-provider calls upsert without expiresIn only for models it never expires itself (dynamic
 * clients, which we do not enable). The port wants a TTL for everything; this bounds them.
 */
const FALLBACK_TTL_SECONDS = 14 * 24 * 3600;

export const OIDC_KEY_PREFIX = 'oidc:';

export function modelKey(model: string, id: string): string {
  return `${OIDC_KEY_PREFIX}${model}:${id}`;
}
function consumedKey(key: string): string {
  return `${key}:consumed`;
}
function grantKey(grantId: string): string {
  return `${OIDC_KEY_PREFIX}grant:${grantId}`;
}
function sessionUidKey(uid: string): string {
  return `${OIDC_KEY_PREFIX}sessionUid:${uid}`;
}
function userCodeKey(userCode: string): string {
  return `${OIDC_KEY_PREFIX}userCode:${userCode}`;
}

function ttlMsFor(expiresIn: number | undefined): number {
  const seconds = typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : FALLBACK_TTL_SECONDS;
  return Math.max(1, Math.ceil(seconds * 1000));
}

function parse(raw: string | null): AdapterPayload | undefined {
  if (raw === null) return undefined;
  return JSON.parse(raw) as AdapterPayload;
}

export class KeyValueAdapter implements Adapter {
  private readonly consumable: boolean;

  constructor(
    readonly model: string,
    private readonly kv: KeyValueStore,
    private readonly clock: Clock,
  ) {
    this.consumable = CONSUMABLE.has(model);
  }

  private key(id: string): string {
    return modelKey(this.model, id);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.key(id);
    const ttlMs = ttlMsFor(expiresIn);
    const { consumed, ...rest } = payload;

    await this.kv.set(key, JSON.stringify(rest), ttlMs);

    if (this.consumable) {
      const marker = consumedKey(key);
      if (consumed) {
        // Consumption is never undone; a payload that says so keeps (or gets) its marker.
        if (!(await this.kv.setIfAbsent(marker, String(consumed), ttlMs))) {
          const existing = await this.kv.get(marker);
          if (existing !== null) await this.kv.set(marker, existing, ttlMs);
        }
      } else {
        // A re-saved consumed model keeps its marker for as long as the model lives.
        const existing = await this.kv.get(marker);
        if (existing !== null) await this.kv.set(marker, existing, ttlMs);
      }
    }

    if (this.model === 'Session' && typeof payload.uid === 'string') {
      await this.kv.set(sessionUidKey(payload.uid), id, ttlMs);
    }
    if (typeof payload.userCode === 'string') {
      await this.kv.set(userCodeKey(payload.userCode), id, ttlMs);
    }
    if (GRANTABLE.has(this.model) && typeof payload.grantId === 'string') {
      // The store keeps the index alive as long as its longest-lived member.
      await this.kv.addToSet(grantKey(payload.grantId), key, ttlMs);
    }
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    // Clients come from config only (no dynamic registration): never look them up in storage.
    if (this.model === 'Client') return undefined;
    const key = this.key(id);
    if (!this.consumable) return parse(await this.kv.get(key));
    // Both reads in one go: one round trip (node-redis sends the commands of one tick together),
    // read in the same order as before, and no multi-key command, so Redis Cluster still works.
    const [raw, consumed] = await Promise.all([this.kv.get(key), this.kv.get(consumedKey(key))]);
    const payload = parse(raw);
    if (payload && consumed !== null) payload.consumed = Number(consumed) || consumed;
    return payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = await this.kv.get(sessionUidKey(uid));
    return id === null ? undefined : this.find(id);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = await this.kv.get(userCodeKey(userCode));
    return id === null ? undefined : this.find(id);
  }

  /**
   * Marks the model consumed, atomically across processes. Throws `invalid_grant` for every
   * caller but the first (see the note at the top of this file), and when the model is gone.
   */
  async consume(id: string): Promise<void> {
    const key = this.key(id);
    const remaining = await this.kv.ttl(key);
    if (remaining === null || remaining <= 0) {
      throw this.refusal(`${this.model} not found`);
    }
    const ttlMs = Number.isFinite(remaining) ? Math.max(1, Math.ceil(remaining)) : ttlMsFor(undefined);
    const first = await this.kv.setIfAbsent(consumedKey(key), String(Math.floor(this.clock.now() / 1000)), ttlMs);
    if (!first) throw this.refusal(`${this.model} already consumed`);
  }

  async destroy(id: string): Promise<void> {
    const key = this.key(id);
    const payload = parse(await this.kv.get(key));
    await this.kv.delete(key);
    if (this.consumable) await this.kv.delete(consumedKey(key));
    if (payload) await this.dropSecondaryIndexes(id, payload);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const index = grantKey(grantId);
    const keys = await this.kv.members(index);
    for (const key of keys) {
      const payload = parse(await this.kv.get(key));
      await this.kv.delete(key);
      await this.kv.delete(consumedKey(key));
      if (payload?.userCode && typeof payload.jti === 'string') {
        if ((await this.kv.get(userCodeKey(payload.userCode))) === payload.jti) {
          await this.kv.delete(userCodeKey(payload.userCode));
        }
      }
    }
    await this.kv.delete(index);
  }

  private async dropSecondaryIndexes(id: string, payload: AdapterPayload): Promise<void> {
    if (this.model === 'Session' && typeof payload.uid === 'string') {
      if ((await this.kv.get(sessionUidKey(payload.uid))) === id) await this.kv.delete(sessionUidKey(payload.uid));
    }
    if (typeof payload.userCode === 'string') {
      if ((await this.kv.get(userCodeKey(payload.userCode))) === id) await this.kv.delete(userCodeKey(payload.userCode));
    }
  }

  private refusal(detail: string): Error {
    if (this.model === 'PushedAuthorizationRequest') {
      return new errors.InvalidRequestUri(`request_uri is invalid, expired, or was already used (${detail})`);
    }
    return new errors.InvalidGrant(detail);
  }
}

/**
 * The value for oidc-provider's `adapter` option: a factory that oidc-provider calls once per
 * model name.
 */
export function keyValueAdapterFactory(kv: KeyValueStore, clock: Clock): (model: string) => KeyValueAdapter {
  return (model: string) => new KeyValueAdapter(model, kv, clock);
}
