// SAML 2.0 artifacts, type 0x0004 (SAML Bindings §3.6.4): TypeCode (2 bytes) | EndpointIndex
// (2 bytes) | SourceID = SHA-1 of the issuer's EntityID (20 bytes) | MessageHandle (20 random
// bytes), base64. The store hands every artifact out once (twice with the replay switch) and
// forgets it after its time to live.
import { createHash, randomBytes } from 'node:crypto';

export const ARTIFACT_TYPE_CODE = 0x0004;

export function sourceIdOf(entityId: string): Buffer {
  return createHash('sha1').update(entityId, 'utf8').digest();
}

export function makeArtifact(entityId: string, endpointIndex: number): string {
  const buf = Buffer.alloc(44);
  buf.writeUInt16BE(ARTIFACT_TYPE_CODE, 0);
  buf.writeUInt16BE(endpointIndex, 2);
  sourceIdOf(entityId).copy(buf, 4);
  randomBytes(20).copy(buf, 24);
  return buf.toString('base64');
}

export interface ParsedArtifact {
  typeCode: number;
  endpointIndex: number;
  sourceId: Buffer;
  messageHandle: Buffer;
}

export function parseArtifact(artifact: string): ParsedArtifact | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(artifact)) return undefined;
  const buf = Buffer.from(artifact, 'base64');
  if (buf.length !== 44) return undefined;
  return {
    typeCode: buf.readUInt16BE(0),
    endpointIndex: buf.readUInt16BE(2),
    sourceId: buf.subarray(4, 24),
    messageHandle: buf.subarray(24, 44),
  };
}

interface Stored<T> {
  value: T;
  expiresAt: number;
  resolvesLeft: number;
}

export class ArtifactStore<T> {
  private readonly items = new Map<string, Stored<T>>();

  put(artifact: string, value: T, expiresAt: number, resolves: number): void {
    this.items.set(artifact, { value, expiresAt, resolvesLeft: resolves });
  }

  /** The stored value, counting one resolve; undefined when unknown, used up or expired. */
  take(artifact: string, now: number): T | undefined {
    this.sweep(now);
    const item = this.items.get(artifact);
    if (!item) return undefined;
    item.resolvesLeft -= 1;
    if (item.resolvesLeft <= 0) this.items.delete(artifact);
    return item.value;
  }

  size(): number {
    return this.items.size;
  }

  private sweep(now: number): void {
    for (const [k, v] of this.items) if (v.expiresAt <= now) this.items.delete(k);
  }
}

/** A map whose entries expire; for pending logins and seen AuthnRequest IDs. */
export class ExpiringMap<T> {
  private readonly items = new Map<string, { value: T; expiresAt: number }>();
  constructor(private readonly maxEntries = 10_000) {}

  set(key: string, value: T, expiresAt: number, now: number): void {
    this.sweep(now);
    if (this.items.size >= this.maxEntries) {
      const oldest = this.items.keys().next();
      if (!oldest.done) this.items.delete(oldest.value);
    }
    this.items.set(key, { value, expiresAt });
  }

  get(key: string, now: number): T | undefined {
    const item = this.items.get(key);
    if (!item) return undefined;
    if (item.expiresAt <= now) {
      this.items.delete(key);
      return undefined;
    }
    return item.value;
  }

  has(key: string, now: number): boolean {
    return this.get(key, now) !== undefined;
  }

  delete(key: string): boolean {
    return this.items.delete(key);
  }

  private sweep(now: number): void {
    for (const [k, v] of this.items) if (v.expiresAt <= now) this.items.delete(k);
  }
}
