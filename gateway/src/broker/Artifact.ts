// The SAML artifact (Bindings §3.6.4): type 0x0004, 2-byte endpoint index, 20-byte SourceID,
// 20-byte message handle. eHerkenning: SourceID = SHA-1 of the issuer's EntityID, which is how
// we learn which trusted broker to resolve it at. Parsing only; nothing is trusted yet.
import { createHash, timingSafeEqual } from 'node:crypto';
import { reject } from './BrokerRejection.ts';

export interface ParsedArtifact {
  /** The artifact exactly as received (base64). */
  value: string;
  endpointIndex: number;
  /** EntityID of the trusted broker whose SHA-1 is the SourceID. */
  brokerEntityId: string;
  /** SHA-256 of the artifact bytes: the replay-cache key (never the artifact itself). */
  replayKey: string;
}

export function sourceIdOf(entityId: string): Buffer {
  return createHash('sha1').update(entityId, 'utf8').digest();
}

export function parseArtifact(value: unknown, trustedBrokers: readonly string[]): ParsedArtifact {
  if (typeof value !== 'string' || value.length === 0 || value.length > 100) reject('artifact-malformed', { why: 'length' });
  const v = value as string;
  if (!/^[A-Za-z0-9+/]{58}==$|^[A-Za-z0-9+/]{59}=$|^[A-Za-z0-9+/]{60}$/.test(v)) reject('artifact-malformed', { why: 'base64' });
  const bytes = Buffer.from(v, 'base64');
  if (bytes.length !== 44) reject('artifact-malformed', { why: 'size', size: bytes.length });
  if (bytes.readUInt16BE(0) !== 0x0004) reject('artifact-malformed', { why: 'type', type: bytes.readUInt16BE(0) });
  const sourceId = bytes.subarray(4, 24);
  const broker = trustedBrokers.find((id) => timingSafeEqual(sourceIdOf(id), sourceId));
  if (!broker) reject('artifact-source-unknown');
  return {
    value: v,
    endpointIndex: bytes.readUInt16BE(2),
    brokerEntityId: broker!,
    replayKey: createHash('sha256').update(bytes).digest('hex'),
  };
}
