// createBrokerFace: the composition of the broker face. Everything SAML stays behind the
// BrokerFace seam; out come an EherkenningIdentity or a BrokerFailure for the handlers.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Request, Response } from 'express';
import type { Clock } from '../clock.ts';
import { projectPath, type Config } from '../config.ts';
import type { KeyMaterial } from '../keys/KeyMaterial.ts';
import type { Logger } from '../logger.ts';
import type { KeyValueStore } from '../store/KeyValueStore.ts';
import type { BrokerFace, BrokerFaceHandlers, BrokerFailure } from './BrokerFace.ts';
import type { LoaLevel } from './EherkenningIdentity.ts';
import { consumeArtifact, type AcsDeps, type AcsState } from './AcsHandler.ts';
import { buildAuthnRequest, redirectUrl, sendPostForm, signedForPost } from './AuthnRequestBuilder.ts';
import { newSamlId } from './ArtifactResolver.ts';
import { BrokerMetadata } from './BrokerMetadata.ts';
import { BrokerRejection, type ReasonCode, httpStatusFor } from './BrokerRejection.ts';
import { browserBindingValue, hashBinding, setBindingCookies } from './BrowserBinding.ts';
import { ReplayGuard } from './ReplayGuard.ts';
import { brokerRoutes, noStore } from './routes.ts';
import { buildServiceCatalogue, oinOfEntityId } from './ServiceCatalogue.ts';
import { buildSpMetadata } from './SpMetadata.ts';
import type { SigningKey } from './XmlSigner.ts';

export type { BrokerFace, BrokerFaceHandlers, BrokerFailure } from './BrokerFace.ts';
export { REASON_CODES, type ReasonCode } from './BrokerRejection.ts';

/** The parts of Config the broker face reads (the composition root passes the whole Config). */
export type BrokerFaceConfig = Pick<Config, 'publicUrl' | 'service' | 'brokers' | 'saml'> & { env?: Config['env'] };

export interface BrokerFaceDeps {
  config: BrokerFaceConfig;
  keys: Pick<KeyMaterial, 'sp' | 'spPrevious' | 'tlsClient'>;
  kv: KeyValueStore;
  clock: Clock;
  logger: Logger;
  handlers: BrokerFaceHandlers;
  /** Resolves file names from config; defaults to the project root. */
  resolvePath?: (p: string) => string;
}

/** Our ACS URL: `${publicUrl}/saml/acs`. */
export function acsUrlOf(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/saml/acs`;
}

export function createBrokerFace(deps: BrokerFaceDeps): BrokerFace {
  const { config, keys, kv, clock, handlers } = deps;
  const logger = deps.logger.child({ component: 'broker-face' });
  const resolvePath = deps.resolvePath ?? projectPath;
  const acsUrl = acsUrlOf(config.publicUrl);
  const secure = config.publicUrl.startsWith('https://');
  const skewMs = config.saml.clockSkewSeconds * 1000;
  const replay = new ReplayGuard(kv, skewMs);
  // The KeyObject parsed once at start-up (KeyLoader), not the PEM: no key parsing per signature.
  const signer: SigningKey = { key: keys.sp.key, certPem: keys.sp.certPem, keyName: keys.sp.sha256Fingerprint };

  // The artifact's SourceID picks the broker by EntityID: two entries with one EntityID would
  // silently share (or overwrite) metadata, certificates and TLS CA. Refuse such a config.
  const seen = new Set<string>();
  for (const b of config.brokers) {
    if (seen.has(b.entityId)) throw new Error(`broker ${b.entityId} is configured twice`);
    seen.add(b.entityId);
  }
  const brokers: AcsDeps['brokers'] = new Map(
    config.brokers.map((b) => {
      let ca: Promise<string> | null = null;
      return [
        b.entityId,
        {
          metadata: new BrokerMetadata(b, { clock, logger, resolvePath, fetchTimeoutMs: config.saml.artifactResolve.totalTimeoutMs }),
          contentType: b.soapContentType,
          caPem: () => (ca ??= readFile(resolvePath(b.tlsCaFile), 'utf8')),
        },
      ] as const;
    }),
  );

  const acsDeps: AcsDeps = {
    spEntityId: config.service.entityId,
    acsUrl,
    serviceId: config.service.serviceId,
    serviceUuid: config.service.serviceUuid,
    minimumLevel: config.service.minimumLevel as LoaLevel,
    skewMs,
    maxAgeMs: config.saml.maxAssertionAgeSeconds * 1000,
    clock,
    logger,
    replay,
    brokers,
    resolve: {
      issuer: config.service.entityId,
      signer,
      tlsClient: { keyPem: keys.tlsClient.keyPem, certPem: keys.tlsClient.certPem },
      connectTimeoutMs: config.saml.artifactResolve.connectTimeoutMs,
      totalTimeoutMs: config.saml.artifactResolve.totalTimeoutMs,
      maxResponseBytes: config.saml.artifactResolve.maxResponseBytes,
    },
    decryptionKeys: [keys.sp, ...(keys.spPrevious ? [keys.spPrevious] : [])].map((k) => ({
      keyPem: k.keyPem,
      key: k.key,
      sha256: k.sha256Fingerprint.toLowerCase(),
      sha1: k.sha1Fingerprint.toLowerCase(),
    })),
  };

  async function fail(req: Request, res: Response, err: unknown, loginKey: string | null): Promise<void> {
    let code: ReasonCode;
    let detail: Record<string, unknown> = {};
    if (err instanceof BrokerRejection) {
      code = err.code;
      detail = err.detail;
    } else {
      code = 'message-rejected';
      // Class name only: a library message could quote input.
      detail = { unexpected: (err as Error)?.name ?? typeof err };
    }
    const failure: BrokerFailure = {
      code,
      cancelled: code === 'cancelled',
      correlationId: randomUUID(),
      httpStatus: httpStatusFor(code),
      loginKey,
    };
    const level = code === 'cancelled' ? 'info' : failure.httpStatus >= 500 ? 'error' : 'warn';
    logger[level]({ reason: code, correlationId: failure.correlationId, loginKey, detail }, 'eHerkenning login refused');
    noStore(res);
    await handlers.onFailure(req, res, failure);
  }

  let metadataXml: string | null = null;
  let catalogueXml: string | null = null;

  const face: BrokerFace = {
    router: brokerRoutes({
      spMetadata: () => face.spMetadata(),
      serviceCatalogue: () => face.serviceCatalogue(),
      badRequest: (req, res) => fail(req, res, new BrokerRejection('acs-bad-request', { why: 'body' }), null),
      acs: async (req, res, input) => {
        noStore(res);
        const state: AcsState = { loginKey: null };
        let identity;
        try {
          if (input.extra) throw new BrokerRejection('acs-bad-request', { why: 'unexpected parameters' });
          if (Array.isArray(input.samlArt) || Array.isArray(input.relayState)) {
            throw new BrokerRejection('acs-bad-request', { why: 'repeated parameter' });
          }
          identity = await consumeArtifact(req, input, acsDeps, state);
        } catch (e) {
          await fail(req, res, e, state.loginKey);
          return;
        }
        logger.info(
          { broker: identity.broker, assertionId: identity.assertionId, level: identity.level, loginKey: state.loginKey },
          'eHerkenning login accepted',
        );
        await handlers.onIdentity(req, res, identity, state.loginKey!);
      },
    }),

    async startLogin(req, res, opts) {
      const lang = opts.lang ?? 'nl';
      try {
        // The request is bound to this broker: an artifact from any other is refused at the ACS.
        const broker = opts.broker === undefined ? config.brokers[0]! : config.brokers.find((b) => b.entityId === opts.broker);
        if (!broker) throw new BrokerRejection('message-rejected', { why: 'unknown broker', broker: opts.broker });
        const descriptor = await brokers.get(broker.entityId)!.metadata.get();
        const usePost = broker.requestBinding === 'POST' ? !!descriptor.ssoPost : !descriptor.ssoRedirect;
        const endpoint = usePost ? descriptor.ssoPost : descriptor.ssoRedirect;
        if (!endpoint) throw new BrokerRejection('broker-metadata-unavailable', { why: 'no SingleSignOnService' });
        const now = clock.now();
        const requestId = newSamlId();
        const relayState = randomBytes(24).toString('base64url');
        const xml = buildAuthnRequest({
          id: requestId,
          now,
          destination: endpoint,
          issuer: config.service.entityId,
          attributeConsumingServiceIndex: config.service.attributeConsumingServiceIndex,
          assertionConsumerServiceIndex: config.service.assertionConsumerServiceIndex,
          level: config.service.minimumLevel,
        });
        const browserValue = browserBindingValue(req);
        await replay.rememberRequest(
          relayState,
          { requestId, loginKey: opts.loginKey, brokerEntityId: broker.entityId, browserBinding: hashBinding(browserValue), issuedAt: now },
          config.saml.requestTtlSeconds * 1000,
        );
        setBindingCookies(res, browserValue, { secure, maxAgeSeconds: config.saml.requestTtlSeconds });
        noStore(res);
        logger.info({ loginKey: opts.loginKey, requestId, broker: broker.entityId, binding: usePost ? 'POST' : 'Redirect' }, 'AuthnRequest sent');
        if (usePost) {
          sendPostForm(res, { endpoint, samlRequest: signedForPost(xml, signer), relayState, lang });
        } else {
          res.redirect(302, redirectUrl(endpoint, xml, relayState, signer));
        }
      } catch (e) {
        await fail(req, res, e, opts.loginKey);
      }
    },

    async spMetadata() {
      metadataXml ??= buildSpMetadata(
        {
          entityId: config.service.entityId,
          acsUrl,
          assertionConsumerServiceIndex: config.service.assertionConsumerServiceIndex,
          attributeConsumingServiceIndex: config.service.attributeConsumingServiceIndex,
          serviceId: config.service.serviceId,
          serviceName: config.service.name,
          organisationName: config.service.organisationName,
          organisationUrl: config.publicUrl,
          contact: config.service.contact,
        },
        signer,
      );
      return metadataXml;
    },

    async serviceCatalogue() {
      catalogueXml ??= buildServiceCatalogue(
        {
          oin: config.service.oin,
          serviceId: config.service.serviceId,
          serviceUuid: config.service.serviceUuid,
          serviceInstanceUuid: config.service.serviceInstanceUuid,
          level: config.service.minimumLevel,
          serviceName: config.service.name,
          serviceDescription: config.service.description,
          organisationName: config.service.organisationName,
          serviceUrl: config.publicUrl,
          brokerOins: config.brokers.map((b) => oinOfEntityId(b.entityId)).filter((o): o is string => o !== null),
          environment: config.env === 'production' ? 'P' : 'T',
          sequence: 1,
          now: clock.now(),
        },
        signer,
      );
      return catalogueXml;
    },

    async ready() {
      const results = await Promise.all([...brokers.values()].map((b) => b.metadata.ready()));
      const bad = results.filter((r) => !r.ok);
      return bad.length === 0 ? { ok: true } : { ok: false, detail: bad.map((b) => b.detail).join('; ') };
    },
  };
  return face;
}
