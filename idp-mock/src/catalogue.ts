// The broker's view of the dienstcatalogus: AttributeConsumingServiceIndex → ServiceID,
// ServiceUUID and the level registered for the service. Configured entries win; an index
// that is only in the DV metadata (a RequestedAttribute named like a ServiceID) is derived,
// with a ServiceUUID made stable from the ServiceID and the default level.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { DvMetadata } from './dvMetadata.ts';
import { LEVELS, type Level } from './personas.ts';

export const catalogueServiceSchema = z.object({
  index: z.number().int().min(0),
  serviceId: z.string().regex(/^urn:etoegang:DV:\d{20}:services:\d+$/, 'urn:etoegang:DV:<OIN>:services:<n>'),
  serviceUuid: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'a UUID'),
  level: z.enum(LEVELS).default('loa3'),
  name: z.string().optional(),
});

export type CatalogueService = z.infer<typeof catalogueServiceSchema>;

export interface ResolvedService extends CatalogueService {
  /** 'catalogue' = configured; 'metadata' = derived from the DV metadata. */
  source: 'catalogue' | 'metadata';
  /** Names of the RequestedAttributes of this service in the DV metadata. */
  requestedAttributes: string[];
}

/** A UUID (version-4 shaped) that is stable for a ServiceID. */
export function stableUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

export function resolveService(
  index: number | undefined,
  catalogue: readonly CatalogueService[],
  md: DvMetadata,
  defaultLevel: Level,
): ResolvedService | undefined {
  const acsList = md.attributeConsumingServices;
  const effective =
    index ?? acsList.find((a) => a.isDefault)?.index ?? (acsList.length === 1 ? acsList[0]!.index : catalogue[0]?.index);
  if (effective === undefined) return undefined;
  const fromMd = acsList.find((a) => a.index === effective);
  const requestedAttributes = fromMd?.requestedAttributes.map((r) => r.name) ?? [];
  const configured = catalogue.find((c) => c.index === effective);
  if (configured) return { ...configured, source: 'catalogue', requestedAttributes };
  if (fromMd?.serviceId) {
    return {
      index: effective,
      serviceId: fromMd.serviceId,
      serviceUuid: stableUuid(fromMd.serviceId),
      level: defaultLevel,
      name: fromMd.serviceName,
      source: 'metadata',
      requestedAttributes,
    };
  }
  return undefined;
}
