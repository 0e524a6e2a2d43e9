// The DV's (gateway's) SAML metadata, as the mock broker reads it: the certificates it trusts
// for AuthnRequest and ArtifactResolve signatures and encrypts the identifiers for, the ACS
// endpoints, and the AttributeConsumingServices with their ServiceID. Fetched lazily and
// cached, because the gateway may start after the mock.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Clock } from '../../gateway/src/clock.ts';
import { base64ToPem, certKeyName } from './keys.ts';
import { verifyEnvelopedSignature } from './signature.ts';
import { BINDING, NS, child, children, descendants, is, parseXml, textOf } from './xml.ts';

export interface DvAcs {
  index: number;
  location: string;
  binding: string;
  isDefault: boolean;
}

export interface DvAttributeConsumingService {
  index: number;
  isDefault: boolean;
  serviceName: string;
  requestedAttributes: Array<{ name: string; isRequired: boolean }>;
  /** The RequestedAttribute that is a ServiceID (urn:etoegang:DV:<OIN>:services:<n>), if any. */
  serviceId?: string;
}

export interface DvMetadata {
  entityId: string;
  /** PEM certificates that may sign the DV's messages. */
  signingCerts: string[];
  /** PEM certificate the identifiers are encrypted for (the first encryption-capable one). */
  encryptionCert: string;
  encryptionKeyName: string;
  acs: DvAcs[];
  attributeConsumingServices: DvAttributeConsumingService[];
  /** Raw XML, for diagnostics. */
  xml: string;
}

export class DvMetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DvMetadataError';
  }
}

const SERVICE_ID_RE = /^urn:etoegang:DV:\d{20}:services:\d+$/;

export function parseDvMetadata(
  xml: string,
  opts: { entityId?: string; signingCert?: string } = {},
): DvMetadata {
  const doc = parseXml(xml, 2_000_000);
  const root = doc.documentElement;
  let entity: Element | undefined;
  const candidates = is(root, NS.md, 'EntityDescriptor')
    ? [root]
    : is(root, NS.md, 'EntitiesDescriptor')
      ? descendants(root, NS.md, 'EntityDescriptor')
      : [];
  if (candidates.length === 0) throw new DvMetadataError('no md:EntityDescriptor in the DV metadata');
  entity = candidates.find((e) =>
    opts.entityId ? e.getAttribute('entityID') === opts.entityId : child(e, NS.md, 'SPSSODescriptor') !== undefined,
  );
  if (!entity) throw new DvMetadataError(`no SP entity ${opts.entityId ?? ''} in the DV metadata`);

  if (opts.signingCert) {
    const signed = root.getAttribute('ID') ? root : entity;
    const v = verifyEnvelopedSignature(xml, doc, signed, [opts.signingCert]);
    if (!v.ok) throw new DvMetadataError(`DV metadata signature: ${v.reason}`);
  }

  const entityId = entity.getAttribute('entityID') ?? '';
  const sp = child(entity, NS.md, 'SPSSODescriptor');
  if (!sp) throw new DvMetadataError(`entity ${entityId} has no SPSSODescriptor`);

  const signingCerts: string[] = [];
  const encryptionCerts: string[] = [];
  for (const kd of children(sp, NS.md, 'KeyDescriptor')) {
    const use = kd.getAttribute('use');
    const keyInfo = child(kd, NS.ds, 'KeyInfo');
    const certs = keyInfo
      ? children(keyInfo, NS.ds, 'X509Data').flatMap((d) => children(d, NS.ds, 'X509Certificate'))
      : [];
    for (const c of certs) {
      const pem = base64ToPem(textOf(c));
      if (!use || use === 'signing') signingCerts.push(pem);
      if (!use || use === 'encryption') encryptionCerts.push(pem);
    }
  }
  if (signingCerts.length === 0) throw new DvMetadataError(`entity ${entityId} publishes no signing certificate`);
  if (encryptionCerts.length === 0) throw new DvMetadataError(`entity ${entityId} publishes no encryption certificate`);
  const encryptionCert = encryptionCerts[0]!;

  const acs: DvAcs[] = children(sp, NS.md, 'AssertionConsumerService').map((e) => ({
    index: Number(e.getAttribute('index') ?? 'NaN'),
    location: e.getAttribute('Location') ?? '',
    binding: e.getAttribute('Binding') ?? '',
    isDefault: e.getAttribute('isDefault') === 'true',
  }));

  const attributeConsumingServices: DvAttributeConsumingService[] = children(sp, NS.md, 'AttributeConsumingService').map(
    (e) => {
      const requested = children(e, NS.md, 'RequestedAttribute').map((r) => ({
        name: r.getAttribute('Name') ?? '',
        isRequired: r.getAttribute('isRequired') === 'true',
      }));
      const serviceId = requested.find((r) => SERVICE_ID_RE.test(r.name))?.name;
      return {
        index: Number(e.getAttribute('index') ?? 'NaN'),
        isDefault: e.getAttribute('isDefault') === 'true',
        serviceName: textOf(children(e, NS.md, 'ServiceName')[0]),
        requestedAttributes: requested,
        ...(serviceId ? { serviceId } : {}),
      };
    },
  );

  return {
    entityId,
    signingCerts,
    encryptionCert,
    encryptionKeyName: certKeyName(encryptionCert),
    acs,
    attributeConsumingServices,
    xml,
  };
}

/** Pick the Artifact ACS by index, by URL, or the default one. */
export function selectAcs(md: DvMetadata, index: number | undefined, url: string | undefined): DvAcs | { error: string } {
  const artifactAcs = md.acs.filter((a) => a.binding === BINDING.artifact);
  if (index !== undefined) {
    const hit = md.acs.find((a) => a.index === index);
    if (!hit) return { error: `AssertionConsumerServiceIndex ${index} is not in the DV metadata` };
    if (hit.binding !== BINDING.artifact) return { error: `ACS ${index} does not use the HTTP-Artifact binding` };
    return hit;
  }
  if (url !== undefined) {
    const hit = artifactAcs.find((a) => a.location === url);
    return hit ?? { error: 'AssertionConsumerServiceURL is not an HTTP-Artifact ACS in the DV metadata' };
  }
  const def = artifactAcs.find((a) => a.isDefault) ?? [...artifactAcs].sort((a, b) => a.index - b.index)[0];
  return def ?? { error: 'the DV metadata has no HTTP-Artifact AssertionConsumerService' };
}

export interface DvMetadataSourceOptions {
  /** Where to get it: a URL (fetched lazily), a file, or the XML itself. */
  url?: string;
  file?: string;
  xml?: string;
  /** Pick this entity from an EntitiesDescriptor (default: the first SP). */
  entityId?: string;
  /** When given, the metadata must carry a valid signature by this certificate (PEM). */
  signingCert?: string;
  /** Re-read after this many seconds (default 300). */
  refreshSeconds?: number;
  /** Timeout of one fetch (default 5000 ms). */
  fetchTimeoutMs?: number;
}

export class DvMetadataSource {
  private cached: { md: DvMetadata; at: number } | undefined;
  private inflight: Promise<DvMetadata> | undefined;

  constructor(
    private readonly opts: DvMetadataSourceOptions,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    const n = [opts.url, opts.file, opts.xml].filter((v) => v !== undefined).length;
    if (n !== 1) throw new Error('idp-mock: give exactly one of dv.metadataUrl, dv.metadataFile and dv.metadataXml');
  }

  /** The metadata, from cache while fresh. */
  async get(): Promise<DvMetadata> {
    const refreshMs = (this.opts.refreshSeconds ?? 300) * 1000;
    if (this.cached && this.clock.now() - this.cached.at < refreshMs) return this.cached.md;
    return this.load();
  }

  /** Read again now (after a signature failure: the DV may have rolled its key). */
  async refresh(): Promise<DvMetadata> {
    return this.load();
  }

  /** Seconds since the last successful load (Infinity when never). */
  age(): number {
    return this.cached ? (this.clock.now() - this.cached.at) / 1000 : Number.POSITIVE_INFINITY;
  }

  private load(): Promise<DvMetadata> {
    if (!this.inflight) {
      this.inflight = this.read()
        .then((xml) => {
          const md = parseDvMetadata(xml, {
            ...(this.opts.entityId ? { entityId: this.opts.entityId } : {}),
            ...(this.opts.signingCert ? { signingCert: this.opts.signingCert } : {}),
          });
          this.cached = { md, at: this.clock.now() };
          this.log.info({ dv: md.entityId, acs: md.acs.length, services: md.attributeConsumingServices.length }, 'DV metadata loaded');
          return md;
        })
        .catch((err: unknown) => {
          if (this.cached) {
            this.log.warn({ err: (err as Error).message }, 'DV metadata refresh failed; keeping the previous copy');
            return this.cached.md;
          }
          throw err instanceof DvMetadataError ? err : new DvMetadataError(`DV metadata unavailable: ${(err as Error).message}`);
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return this.inflight;
  }

  private async read(): Promise<string> {
    if (this.opts.xml !== undefined) return this.opts.xml;
    if (this.opts.file !== undefined) return readFile(this.opts.file, 'utf8');
    const res = await fetch(this.opts.url!, { signal: AbortSignal.timeout(this.opts.fetchTimeoutMs ?? 5000) });
    if (!res.ok) throw new Error(`GET ${this.opts.url} → HTTP ${res.status}`);
    return res.text();
  }
}
