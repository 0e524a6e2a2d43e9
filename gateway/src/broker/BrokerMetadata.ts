// The trusted broker's metadata: fetched from a URL or read from a file, verified against the
// configured metadata signing certificate, and read only from the signed bytes. Gives the SSO
// endpoints, the ArtifactResolutionService endpoints and the signing certificates (with their
// SHA-256/SHA-1 fingerprints). Loaded lazily, refreshed after cacheDuration (capped), and a
// failed refresh keeps the last good copy until its validUntil.
import { readFile } from 'node:fs/promises';
import type { BrokerConfig } from '../config.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { BINDING, NS, PROTOCOL_SAML2 } from './constants.ts';
import { BrokerRejection } from './BrokerRejection.ts';
import { type TrustedCert, derFromBase64, pemCertificates, trustedCert, trustedCertFromPem } from './Certificates.ts';
import { childrenNamed, elementChildren, parseInstant, textOf } from './Dom.ts';
import { verifyEnvelopedSignature } from './SignatureVerifier.ts';
import { METADATA_LIMITS, decodeXml, parseXml } from './XmlGuard.ts';

export interface Endpoint {
  binding: string;
  location: string;
  index: number | null;
  isDefault: boolean;
}

export interface BrokerDescriptor {
  entityId: string;
  ssoPost: string | null;
  ssoRedirect: string | null;
  artifactResolution: Endpoint[];
  signingCerts: TrustedCert[];
  validUntil: number | null;
}

export interface BrokerMetadataOptions {
  clock: Clock;
  logger: Logger;
  /** Resolves relative file names from config (project root). */
  resolvePath: (p: string) => string;
  fetchTimeoutMs: number;
  /** Upper bound of the refresh interval, whatever cacheDuration says. */
  maxCacheMs?: number;
}

const DEFAULT_CACHE_MS = 60 * 60 * 1000;
const RETRY_AFTER_FAILURE_MS = 60 * 1000;

/** xs:duration as metadata uses it (PnDTnHnMnS), to milliseconds; null when unusable. */
export function parseDuration(value: string | null): number | null {
  if (!value) return null;
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value);
  if (!m || value === 'P' || value.endsWith('T')) return null;
  const [, y, mo, d, h, mi, s] = m;
  const days = Number(y ?? 0) * 365 + Number(mo ?? 0) * 30 + Number(d ?? 0);
  return ((days * 24 + Number(h ?? 0)) * 60 + Number(mi ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
}

function findEntity(root: Element, entityId: string): Element[] {
  if (root.namespaceURI === NS.md && root.localName === 'EntityDescriptor') {
    return root.getAttribute('entityID') === entityId ? [root] : [];
  }
  if (root.namespaceURI === NS.md && root.localName === 'EntitiesDescriptor') {
    return elementChildren(root).flatMap((c) => findEntity(c, entityId));
  }
  return [];
}

function endpoints(descriptor: Element, local: string): Endpoint[] {
  return childrenNamed(descriptor, NS.md, local).map((e) => ({
    binding: e.getAttribute('Binding') ?? '',
    location: e.getAttribute('Location') ?? '',
    index: e.hasAttribute('index') && /^\d{1,5}$/.test(e.getAttribute('index')!) ? Number(e.getAttribute('index')) : null,
    isDefault: e.getAttribute('isDefault') === 'true',
  }));
}

function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

/** Parse verified (signed) metadata into what the broker face needs. Exported for tests. */
export function readBrokerDescriptor(root: Element, entityId: string, now: number, logger?: Logger): BrokerDescriptor {
  const entities = findEntity(root, entityId);
  if (entities.length !== 1) throw new Error(`metadata has ${entities.length} EntityDescriptor(s) for ${entityId}`);
  const entity = entities[0]!;
  let validUntil: number | null = null;
  for (let n: Element | null = entity; n; n = n.parentNode && n.parentNode.nodeType === 1 ? (n.parentNode as Element) : null) {
    if (n.hasAttribute('validUntil')) validUntil = earliest(validUntil, parseInstant(n.getAttribute('validUntil'), 'message-rejected'));
  }
  if (validUntil !== null && validUntil <= now) throw new Error('metadata validUntil has passed');
  const idps = childrenNamed(entity, NS.md, 'IDPSSODescriptor').filter((d) =>
    (d.getAttribute('protocolSupportEnumeration') ?? '').split(/\s+/).includes(PROTOCOL_SAML2),
  );
  if (idps.length !== 1) throw new Error(`metadata has ${idps.length} SAML 2.0 IDPSSODescriptor(s)`);
  const idp = idps[0]!;
  const signingCerts: TrustedCert[] = [];
  for (const kd of childrenNamed(idp, NS.md, 'KeyDescriptor')) {
    const use = kd.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const keyInfo of childrenNamed(kd, NS.ds, 'KeyInfo')) {
      const keyNames = childrenNamed(keyInfo, NS.ds, 'KeyName').map((k) => textOf(k, 'message-rejected'));
      for (const x509Data of childrenNamed(keyInfo, NS.ds, 'X509Data')) {
        for (const c of childrenNamed(x509Data, NS.ds, 'X509Certificate')) {
          try {
            signingCerts.push(trustedCert(derFromBase64(textOf(c, 'message-rejected')), keyNames));
          } catch (e) {
            logger?.warn({ broker: entityId, err: (e as Error).message }, 'broker metadata: signing certificate skipped');
          }
        }
      }
    }
  }
  if (signingCerts.length === 0) throw new Error('metadata has no usable signing certificate');
  const sso = endpoints(idp, 'SingleSignOnService');
  const pick = (binding: string): string | null => sso.find((e) => e.binding === binding && e.location)?.location ?? null;
  const artifactResolution = endpoints(idp, 'ArtifactResolutionService').filter(
    (e) => e.binding === BINDING.soap && /^https:\/\//.test(e.location),
  );
  return {
    entityId,
    ssoPost: pick(BINDING.post),
    ssoRedirect: pick(BINDING.redirect),
    artifactResolution,
    signingCerts,
    validUntil,
  };
}

/** The ARS endpoint for an artifact's EndpointIndex: that index, else the default, else the first. */
export function artifactResolutionEndpoint(d: BrokerDescriptor, endpointIndex: number): Endpoint | null {
  return (
    d.artifactResolution.find((e) => e.index === endpointIndex) ??
    d.artifactResolution.find((e) => e.isDefault) ??
    d.artifactResolution[0] ??
    null
  );
}

export class BrokerMetadata {
  private current: { descriptor: BrokerDescriptor; refreshAt: number } | null = null;
  private loading: Promise<BrokerDescriptor> | null = null;
  private lastError: string | null = null;
  private retryAt = 0;
  private signerCerts: TrustedCert[] | null = null;

  constructor(
    readonly broker: BrokerConfig,
    private readonly opts: BrokerMetadataOptions,
  ) {}

  get entityId(): string {
    return this.broker.entityId;
  }

  /** The current descriptor, loading or refreshing when due. Rejects with 503 when unusable. */
  async get(): Promise<BrokerDescriptor> {
    const now = this.opts.clock.now();
    const cur = this.current;
    const usable = cur && (cur.descriptor.validUntil === null || cur.descriptor.validUntil > now);
    if (cur && usable && now < cur.refreshAt) return cur.descriptor;
    if (now < this.retryAt) {
      // Back off after a failed load: keep serving the last good copy, or fail fast.
      if (usable) return cur!.descriptor;
      throw new BrokerRejection('broker-metadata-unavailable', { reason: this.lastError, backoff: true });
    }
    try {
      return await this.load();
    } catch (e) {
      if (usable) return cur!.descriptor;
      throw e instanceof BrokerRejection ? e : new BrokerRejection('broker-metadata-unavailable');
    }
  }

  async ready(): Promise<{ ok: boolean; detail?: string }> {
    try {
      await this.get();
      return { ok: true };
    } catch {
      return { ok: false, detail: `broker metadata for ${this.entityId} unavailable: ${this.lastError ?? 'unknown'}` };
    }
  }

  private load(): Promise<BrokerDescriptor> {
    if (!this.loading) {
      this.loading = this.loadOnce().finally(() => {
        this.loading = null;
      });
    }
    return this.loading;
  }

  private async loadOnce(): Promise<BrokerDescriptor> {
    const log = this.opts.logger;
    try {
      const raw = await this.fetchRaw();
      const now = this.opts.clock.now();
      const xml = decodeXml(raw, METADATA_LIMITS);
      const doc = parseXml(xml, METADATA_LIMITS);
      const verified = verifyEnvelopedSignature(doc.documentElement, {
        certs: await this.metadataSigners(),
        now,
        limits: METADATA_LIMITS,
      });
      const descriptor = readBrokerDescriptor(verified.element, this.entityId, now, log);
      const cacheMs = Math.min(
        parseDuration(verified.element.getAttribute('cacheDuration')) ?? DEFAULT_CACHE_MS,
        this.opts.maxCacheMs ?? 6 * DEFAULT_CACHE_MS,
      );
      this.current = { descriptor, refreshAt: now + Math.max(cacheMs, 60_000) };
      this.lastError = null;
      log.info(
        { broker: this.entityId, certs: descriptor.signingCerts.map((c) => c.sha256), ars: descriptor.artifactResolution.length },
        'broker metadata loaded',
      );
      return descriptor;
    } catch (e) {
      this.lastError = e instanceof BrokerRejection ? e.code : (e as Error).message;
      this.retryAt = this.opts.clock.now() + RETRY_AFTER_FAILURE_MS;
      log.error({ broker: this.entityId, reason: this.lastError }, 'broker metadata could not be loaded');
      throw new BrokerRejection('broker-metadata-unavailable', { reason: this.lastError });
    }
  }

  private async metadataSigners(): Promise<TrustedCert[]> {
    if (!this.signerCerts) {
      const pem = await readFile(this.opts.resolvePath(this.broker.metadataSigningCertFile), 'utf8');
      this.signerCerts = pemCertificates(pem).map((p) => trustedCertFromPem(p));
      if (this.signerCerts.length === 0) throw new Error('metadataSigningCertFile holds no certificate');
    }
    return this.signerCerts;
  }

  private async fetchRaw(): Promise<Buffer> {
    if (this.broker.metadataFile) {
      const buf = await readFile(this.opts.resolvePath(this.broker.metadataFile));
      if (buf.byteLength > METADATA_LIMITS.maxBytes) throw new Error('metadata file too large');
      return buf;
    }
    const url = this.broker.metadataUrl!;
    const res = await fetch(url, {
      signal: AbortSignal.timeout(this.opts.fetchTimeoutMs),
      redirect: 'error',
      headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' },
    });
    if (res.status !== 200) throw new Error(`metadata URL answered ${res.status}`);
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > METADATA_LIMITS.maxBytes) throw new Error('metadata too large');
    const chunks: Buffer[] = [];
    let total = 0;
    const reader = res.body?.getReader();
    if (!reader) throw new Error('metadata response has no body');
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > METADATA_LIMITS.maxBytes) {
        await reader.cancel();
        throw new Error('metadata too large');
      }
      chunks.push(Buffer.from(value));
    }
    return Buffer.concat(chunks);
  }
}
