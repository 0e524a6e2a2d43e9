// The mock eHerkenning broker (HM): signed metadata, SingleSignOnService (POST + Redirect),
// the persona screen, artifacts, and the ArtifactResolutionService (SOAP 1.1 over mutual TLS).
// It shares no code with the gateway's broker face: only the Clock type comes from gateway/.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Request, type Response } from 'express';
import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from '../../gateway/src/clock.ts';
import { ArtifactStore, ExpiringMap, makeArtifact, parseArtifact, sourceIdOf } from './artifact.ts';
import {
  SsoRequestError,
  checkAuthnRequest,
  decodePostBinding,
  decodeRedirectBinding,
  type AuthnRequestInfo,
  type EncodedRequest,
} from './authnRequest.ts';
import { resolveService, type CatalogueService, type ResolvedService } from './catalogue.ts';
import { DvMetadataSource, selectAcs, type DvAcs, type DvMetadata, type DvMetadataSourceOptions } from './dvMetadata.ts';
import { FAILURE_MODES, FailureSet, parseFailureModes, type FailureMode } from './failureModes.ts';
import {
  generateRsaKey,
  recipientFromCert,
  signingKeyFromKeyObject,
  signingKeyFromPem,
  type IdpMockKeys,
  type RecipientKey,
} from './keys.ts';
import { buildIdpMetadata } from './metadata.ts';
import { LEVELS, LEVEL_ORDER, levelUrn, personaSchema, type Level, type Persona, type PersonaInput } from './personas.ts';
import {
  buildArtifactResponseEnvelope,
  buildStatusResponse,
  buildSuccessResponse,
  soapFault,
  type BuiltResponse,
  type IssuedContent,
  type ParticipantIds,
  type ResponseKeys,
} from './response.ts';
import { verifyEnvelopedSignature } from './signature.ts';
import { artifactPostPage, errorPage, indexPage, personaPage } from './views.ts';
import { BINDING, NS, STATUS, children, elementChildren, is, parseInstant, parseXml, textOf } from './xml.ts';

export const DEFAULT_ENTITY_ID = 'urn:etoegang:HM:00000003999999990000:entities:9632';
export const PATHS = {
  metadata: '/broker/metadata/1.13',
  sso: '/broker/sso/1.13',
  ars: '/broker/ars/1.13',
  persona: '/broker/persona',
} as const;

export interface IdpMockOptions {
  /** The broker's EntityID (default urn:etoegang:HM:00000003999999990000:entities:9632). */
  entityId?: string;
  /**
   * Base URL of the HTTP side as browsers and the gateway see it (e.g. http://127.0.0.1:3100).
   * Unset: taken from the listening address in start().
   */
  publicUrl?: string;
  /** Full URL of the ArtifactResolutionService. Unset: https://<host>:<arsPort>/broker/ars/1.13 in start(). */
  arsUrl?: string;
  /** PEM material (see loadKeyFiles for reading it from files). */
  keys: IdpMockKeys;
  /** Where the DV (gateway) metadata comes from; read lazily and cached. */
  dv: DvMetadataSourceOptions;
  /** The dienstcatalogus: AttributeConsumingServiceIndex → ServiceID, ServiceUUID, level. */
  services?: CatalogueService[];
  /** Level for services derived from the DV metadata only (default loa3). */
  defaultServiceLevel?: Level;
  /** Test personas (at least one). */
  personas: PersonaInput[];
  clock?: Clock;
  logger?: Logger;
  /** Artifact lifetime (default 60 s). */
  artifactTtlSeconds?: number;
  /** How the artifact reaches the ACS: 302 GET (default) or an auto-submitting POST form. */
  artifactDelivery?: 'redirect' | 'post';
  /**
   * Resolving an unknown, expired or used artifact: 'empty' (default) = a signed
   * ArtifactResponse with Status Success and no message inside (SAML Core §3.5.2);
   * 'error' = a signed ArtifactResponse with Status Requester/RequestDenied.
   */
  unresolvableArtifact?: 'empty' | 'error';
  /** Content types the ARS accepts (default ['text/xml'], like OneWelcome and Signicat). */
  soapContentTypes?: string[];
  /** Ask for and require a client certificate issued by keys.caCert (default true). */
  requireClientCert?: boolean;
  /** The ArtifactResolve must carry Destination = the ARS URL (default true). */
  requireResolveDestination?: boolean;
  /** Status for "no machtiging" (⚠ unconfirmed which one real brokers use; default RequestDenied). */
  noMachtigingStatus?: 'RequestDenied' | 'AuthnFailed';
  /** Oldest AuthnRequest/ArtifactResolve IssueInstant accepted (default 300 s). */
  maxRequestAgeSeconds?: number;
  clockSkewSeconds?: number;
  /** RelayState longer than this is refused (default 80, the eHerkenning limit). */
  maxRelayStateBytes?: number;
  /** Accept SHA-1 signatures from the DV (default false). */
  allowSha1FromDv?: boolean;
  /** Conditions window (default 240 s), bearer NotOnOrAfter (default 120 s), session (default 7200 s). */
  conditionsSeconds?: number;
  subjectConfirmationSeconds?: number;
  sessionSeconds?: number;
  /** Failure modes applied to every login (on top of the per-login ones). */
  defaultFailures?: FailureMode[];
  /** Expose POST/DELETE /mock/next-login and GET /mock/issued (default false). */
  controlApi?: boolean;
  /** Metadata cacheDuration (default PT1H). */
  metadataCacheDuration?: string;
  /** EntityIDs of the AD and MR the broker pretends to have used. */
  participants?: Partial<ParticipantIds>;
  /** Throwaway keys (generated when absent): AD/MR signer, untrusted signer, another DV. */
  extraKeys?: { participants?: import('node:crypto').KeyObject; untrusted?: import('node:crypto').KeyObject; otherDv?: import('node:crypto').KeyObject };
}

/** What a test (or POST /mock/next-login) asks of the next login. */
export interface LoginPreset {
  /** Persona id from the configuration, or a complete persona of its own. Default: the first persona. */
  persona?: string | PersonaInput;
  failures?: FailureMode[];
  /** Override the persona's level for this login. */
  level?: Level;
  /** Override whether the persona holds a machtiging. */
  machtiging?: boolean;
  /**
   * true (default): the SSO endpoint answers at once with the artifact, no persona screen.
   * false: the persona screen is shown with these choices preselected.
   */
  autoSubmit?: boolean;
}

/** One answer the mock issued, for inspection. */
export interface IssuedLogin {
  at: number;
  artifact: string;
  /** false for the unknown-artifact switch: the artifact was never stored. */
  stored: boolean;
  authnRequestId: string;
  dvEntityId: string;
  acsUrl: string;
  relayState: string | undefined;
  personaId: string | null;
  failures: FailureMode[];
  content: IssuedContent;
  /** The samlp:Response XML as stored under the artifact. */
  responseXml: string;
  resolveCount: number;
}

export interface StartOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (ephemeral). */
  httpPort?: number;
  arsPort?: number;
}

export interface RunningIdpMock {
  /** Base URL of the HTTP side (metadata, SSO, persona screen). */
  httpUrl: string;
  /** Full URL of the ArtifactResolutionService (HTTPS, mutual TLS). */
  arsUrl: string;
  metadataUrl: string;
  ssoUrl: string;
  close(): Promise<void>;
}

export interface IdpMock {
  readonly entityId: string;
  /** Express app for metadata, SSO, persona screen (plain HTTP). */
  readonly httpApp: Express;
  /** Express app for the ArtifactResolutionService; serve it with `arsTlsOptions` over HTTPS. */
  readonly arsApp: Express;
  /** https.createServer options for the ARS: server key/cert, CA, requestCert + rejectUnauthorized. */
  readonly arsTlsOptions: https.ServerOptions;
  readonly personas: readonly Persona[];
  /** Queue a preset for the next AuthnRequest (first in, first out). */
  nextLogin(preset?: LoginPreset): void;
  clearNextLogins(): void;
  /** The answers issued so far (newest last, at most 100). */
  readonly issued: readonly IssuedLogin[];
  lastIssued(): IssuedLogin | undefined;
  /** Signed metadata XML (needs the URLs: set publicUrl/arsUrl or start() first). */
  metadataXml(): string;
  /** Reload the DV metadata now. */
  refreshDvMetadata(): Promise<DvMetadata>;
  urls(): { publicUrl: string; metadataUrl: string; ssoUrl: string; arsUrl: string };
  /** Generate the throwaway keys; start() does it too. */
  ready(): Promise<void>;
  start(opts?: StartOptions): Promise<RunningIdpMock>;
}

interface PendingLogin {
  info: AuthnRequestInfo;
  acs: DvAcs;
  service: ResolvedService;
  dvEntityId: string;
  preset?: LoginPreset;
}

interface StoredArtifact {
  responseXml: string;
  failures: FailureSet;
  dvEntityId: string;
  record: IssuedLogin;
}

type Selection =
  | { kind: 'cancel' }
  | { kind: 'login'; persona: Persona; failures: FailureMode[]; level?: Level; machtiging?: boolean };

const ARS_ENDPOINT_INDEX = 0;
const MAX_ISSUED = 100;

function noCache(res: Response): void {
  res.set('Cache-Control', 'no-cache, no-store');
  res.set('Pragma', 'no-cache');
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function listen(server: http.Server | https.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: http.Server | https.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export function createIdpMock(options: IdpMockOptions): IdpMock {
  const entityId = options.entityId ?? DEFAULT_ENTITY_ID;
  const clock = options.clock ?? systemClock;
  const log = options.logger ?? pino({ name: 'idp-mock', level: 'info' });
  const signing = signingKeyFromPem(options.keys.signingKey, options.keys.signingCert);
  const personas = options.personas.map((p) => personaSchema.parse(p));
  if (personas.length === 0) throw new Error('idp-mock: at least one persona is needed');
  const catalogue = options.services ?? [];
  const defaultFailures = parseFailureModes(options.defaultFailures ?? []);
  const participants: ParticipantIds = {
    ad: options.participants?.ad ?? 'urn:etoegang:AD:00000003999999990001:entities:9101',
    mr: options.participants?.mr ?? 'urn:etoegang:MR:00000003999999990002:entities:9201',
  };
  const cfg = {
    artifactTtlMs: (options.artifactTtlSeconds ?? 60) * 1000,
    artifactDelivery: options.artifactDelivery ?? 'redirect',
    unresolvable: options.unresolvableArtifact ?? 'empty',
    soapContentTypes: (options.soapContentTypes ?? ['text/xml']).map((t) => t.toLowerCase()),
    requireClientCert: options.requireClientCert ?? true,
    requireResolveDestination: options.requireResolveDestination ?? true,
    noMachtigingStatus: options.noMachtigingStatus === 'AuthnFailed' ? STATUS.authnFailed : STATUS.requestDenied,
    maxAge: options.maxRequestAgeSeconds ?? 300,
    skew: options.clockSkewSeconds ?? 60,
    maxRelayState: options.maxRelayStateBytes ?? 80,
    allowSha1: options.allowSha1FromDv ?? false,
    conditionsSeconds: options.conditionsSeconds ?? 240,
    subjectConfirmationSeconds: options.subjectConfirmationSeconds ?? 120,
    sessionSeconds: options.sessionSeconds ?? 7200,
    defaultServiceLevel: options.defaultServiceLevel ?? ('loa3' as Level),
    cacheDuration: options.metadataCacheDuration ?? 'PT1H',
  };

  const dv = new DvMetadataSource(options.dv, clock, log);
  const artifacts = new ArtifactStore<StoredArtifact>();
  const pending = new ExpiringMap<PendingLogin>();
  const seenRequestIds = new ExpiringMap<true>(100_000);
  const seenResolveIds = new ExpiringMap<true>(100_000);
  const presets: LoginPreset[] = [];
  const issued: IssuedLogin[] = [];

  let publicUrl = options.publicUrl?.replace(/\/+$/, '');
  let arsUrl = options.arsUrl;
  let started = false;

  // ---- keys for the parties the mock also plays -----------------------------------------
  let extra: { keys: ResponseKeys; otherDv: RecipientKey } | undefined;
  let extraPromise: Promise<void> | undefined;
  function ready(): Promise<void> {
    extraPromise ??= (async () => {
      const [p, u, o] = await Promise.all([
        options.extraKeys?.participants ?? generateRsaKey(),
        options.extraKeys?.untrusted ?? generateRsaKey(),
        options.extraKeys?.otherDv ?? generateRsaKey(),
      ]);
      const other = signingKeyFromKeyObject(o);
      extra = {
        keys: { signing, participants: signingKeyFromKeyObject(p), untrusted: signingKeyFromKeyObject(u) },
        otherDv: {
          entityId: 'urn:etoegang:DV:00000009999999990000:entities:9999',
          publicKey: o,
          keyName: other.keyName,
        },
      };
    })();
    return extraPromise;
  }

  function urls(): { publicUrl: string; metadataUrl: string; ssoUrl: string; arsUrl: string } {
    if (!publicUrl || !arsUrl) throw new Error('idp-mock: publicUrl/arsUrl are not known yet; set them or call start() first');
    return { publicUrl, metadataUrl: publicUrl + PATHS.metadata, ssoUrl: publicUrl + PATHS.sso, arsUrl };
  }

  let metadataCache: { xml: string; key: string; at: number } | undefined;
  function metadataXml(): string {
    const u = urls();
    const key = `${u.ssoUrl}|${u.arsUrl}`;
    const now = clock.now();
    if (!metadataCache || metadataCache.key !== key || now - metadataCache.at > 3_600_000 || now < metadataCache.at) {
      const xml = buildIdpMetadata({
        entityId,
        ssoUrl: u.ssoUrl,
        arsUrl: u.arsUrl,
        arsIndex: ARS_ENDPOINT_INDEX,
        publicUrl: u.publicUrl,
        signing,
        now,
        cacheDuration: cfg.cacheDuration,
        validDays: 7,
      });
      metadataCache = { xml, key, at: now };
    }
    return metadataCache.xml;
  }

  function resolvePresetPersona(p: LoginPreset['persona']): Persona {
    if (p === undefined) return personas[0]!;
    if (typeof p === 'string') {
      const hit = personas.find((x) => x.id === p);
      if (!hit) throw new Error(`unknown persona ${JSON.stringify(p)}; known: ${personas.map((x) => x.id).join(', ')}`);
      return hit;
    }
    return personaSchema.parse(p);
  }

  function validatePreset(preset: LoginPreset): LoginPreset {
    resolvePresetPersona(preset.persona);
    parseFailureModes(preset.failures ?? []);
    if (preset.level !== undefined && !LEVELS.includes(preset.level)) throw new Error(`unknown level ${String(preset.level)}`);
    return preset;
  }

  function record(entry: IssuedLogin): void {
    issued.push(entry);
    if (issued.length > MAX_ISSUED) issued.splice(0, issued.length - MAX_ISSUED);
  }

  // ---- delivering an answer to the ACS ------------------------------------------------
  function deliver(
    res: Response,
    p: PendingLogin,
    built: BuiltResponse,
    failures: FailureSet,
    personaId: string | null,
  ): void {
    const now = clock.now();
    const artifact = makeArtifact(entityId, ARS_ENDPOINT_INDEX);
    const stored = !failures.has('unknown-artifact');
    const entry: IssuedLogin = {
      at: now,
      artifact,
      stored,
      authnRequestId: p.info.id,
      dvEntityId: p.dvEntityId,
      acsUrl: p.acs.location,
      relayState: p.info.relayState,
      personaId,
      failures: failures.list(),
      content: built.content,
      responseXml: built.xml,
      resolveCount: 0,
    };
    if (stored) {
      artifacts.put(
        artifact,
        { responseXml: built.xml, failures, dvEntityId: p.dvEntityId, record: entry },
        now + cfg.artifactTtlMs,
        failures.has('replay-artifact') ? 2 : 1,
      );
    }
    record(entry);
    log.info(
      {
        authnRequestId: p.info.id,
        persona: personaId,
        failures: entry.failures,
        status: built.content.status,
        subStatus: built.content.subStatus,
        assertionId: built.content.assertionId,
        pseudonym: built.content.pseudonym,
      },
      'artifact issued',
    );
    noCache(res);
    if (failures.has('artifact-post') || cfg.artifactDelivery === 'post') {
      res.status(200).type('html').send(artifactPostPage(p.acs.location, artifact, p.info.relayState));
      return;
    }
    const sep = p.acs.location.includes('?') ? '&' : '?';
    const location =
      `${p.acs.location}${sep}SAMLart=${encodeURIComponent(artifact)}` +
      (p.info.relayState !== undefined ? `&RelayState=${encodeURIComponent(p.info.relayState)}` : '');
    res.redirect(302, location);
  }

  async function answerWithStatus(res: Response, p: PendingLogin, top: string, second: string, message: string): Promise<void> {
    await ready();
    const built = buildStatusResponse(
      { now: clock.now(), hmEntityId: entityId, acsUrl: p.acs.location, authnRequestId: p.info.id, keys: extra!.keys, signResponse: false },
      top,
      second,
      message,
    );
    deliver(res, p, built, new FailureSet([]), null);
  }

  async function completeLogin(res: Response, p: PendingLogin, sel: Selection): Promise<void> {
    await ready();
    const now = clock.now();
    if (sel.kind === 'cancel') {
      const built = buildStatusResponse(
        { now, hmEntityId: entityId, acsUrl: p.acs.location, authnRequestId: p.info.id, keys: extra!.keys, signResponse: false },
        STATUS.responder,
        STATUS.authnFailed,
        'Inloggen geannuleerd door de gebruiker',
      );
      deliver(res, p, built, new FailureSet(['cancel']), null);
      return;
    }
    const failures = new FailureSet([...defaultFailures, ...sel.failures]);
    const persona: Persona = {
      ...sel.persona,
      level: sel.level ?? sel.persona.level,
      machtiging: sel.machtiging ?? sel.persona.machtiging,
    };
    const statusCtx = {
      now,
      hmEntityId: entityId,
      acsUrl: p.acs.location,
      authnRequestId: p.info.id,
      keys: extra!.keys,
      signResponse: failures.has('signed-response'),
    };
    let built: BuiltResponse;
    if (failures.has('cancel')) {
      built = buildStatusResponse(statusCtx, STATUS.responder, STATUS.authnFailed, 'Inloggen geannuleerd door de gebruiker');
    } else if (failures.has('request-unsupported')) {
      built = buildStatusResponse(statusCtx, STATUS.requester, STATUS.requestUnsupported, 'Verzoek niet ondersteund');
    } else if (failures.has('no-machtiging') || !persona.machtiging) {
      built = buildStatusResponse(statusCtx, STATUS.responder, cfg.noMachtigingStatus, 'Geen machtiging voor deze dienst');
    } else {
      const md = await dv.get();
      built = buildSuccessResponse({
        now,
        hmEntityId: entityId,
        participants,
        hmAcsUrl: `${urls().publicUrl}/broker/acs`,
        dvEntityId: p.dvEntityId,
        dvRecipient: recipientFromCert(md.entityId, md.encryptionCert),
        otherDvRecipient: extra!.otherDv,
        acsUrl: p.acs.location,
        authnRequestId: p.info.id,
        service: p.service,
        persona,
        level: persona.level,
        failures,
        keys: extra!.keys,
        conditionsSeconds: cfg.conditionsSeconds,
        subjectConfirmationSeconds: cfg.subjectConfirmationSeconds,
        sessionSeconds: cfg.sessionSeconds,
      });
    }
    deliver(res, p, built, failures, sel.persona.id);
  }

  function renderPersonaPage(res: Response, loginId: string, p: PendingLogin, extraInput: { error?: string; selected?: Parameters<typeof personaPage>[0]['selected'] } = {}, status = 200): void {
    noCache(res);
    const preset = p.preset;
    const selected =
      extraInput.selected ??
      (preset
        ? {
            persona: typeof preset.persona === 'string' ? preset.persona : preset.persona ? 'custom' : undefined,
            failures: preset.failures ?? [],
            ...(preset.level ? { level: preset.level } : {}),
            ...(preset.machtiging !== undefined ? { machtiging: preset.machtiging } : {}),
          }
        : undefined);
    res
      .status(status)
      .type('html')
      .send(
        personaPage({
          loginId,
          dvEntityId: p.dvEntityId,
          serviceName: p.service.name ?? '',
          serviceId: p.service.serviceId,
          serviceLevel: p.service.level,
          requestedLevels: p.info.requestedLevels,
          personas,
          ...(selected ? { selected: selected as NonNullable<Parameters<typeof personaPage>[0]['selected']> } : {}),
          ...(extraInput.error ? { error: extraInput.error } : {}),
        }),
      );
  }

  function sendError(res: Response, status: number, code: string, message: string): void {
    noCache(res);
    res.status(status).type('html').send(errorPage(code, message));
  }

  // ---- the SingleSignOnService --------------------------------------------------------
  async function handleSso(req: Request, res: Response, decode: () => EncodedRequest): Promise<void> {
    let enc: EncodedRequest;
    let md: DvMetadata;
    let info: AuthnRequestInfo;
    try {
      enc = decode();
      try {
        md = await dv.get();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'DV metadata unavailable');
        sendError(res, 503, 'dv-metadata-unavailable', 'De metadata van de dienstverlener is (nog) niet beschikbaar.');
        return;
      }
      const check = (m: DvMetadata): AuthnRequestInfo =>
        checkAuthnRequest(enc, m, {
          ssoUrl: urls().ssoUrl,
          now: clock.now(),
          maxAgeSeconds: cfg.maxAge,
          clockSkewSeconds: cfg.skew,
          allowSha1: cfg.allowSha1,
        });
      try {
        info = check(md);
      } catch (err) {
        // The DV may have rolled its key or changed its EntityID: read the metadata once more.
        if (err instanceof SsoRequestError && (err.code === 'signature-invalid' || err.code === 'unknown-issuer') && dv.age() > 2) {
          md = await dv.refresh();
          info = check(md);
        } else {
          throw err;
        }
      }
    } catch (err) {
      if (err instanceof SsoRequestError) {
        log.warn({ code: err.code, reason: err.message }, 'AuthnRequest refused');
        sendError(res, err.httpStatus, err.code, err.message);
        return;
      }
      throw err;
    }

    const now = clock.now();
    if (info.relayState !== undefined && Buffer.byteLength(info.relayState, 'utf8') > cfg.maxRelayState) {
      sendError(res, 400, 'relay-state-too-long', `RelayState is langer dan ${cfg.maxRelayState} bytes.`);
      return;
    }
    if (seenRequestIds.has(info.id, now)) {
      log.warn({ authnRequestId: info.id }, 'AuthnRequest replayed');
      sendError(res, 400, 'replayed-request', 'Dit AuthnRequest-ID is al eerder gebruikt.');
      return;
    }
    seenRequestIds.set(info.id, true, now + 24 * 3_600_000, now);

    const acs = selectAcs(md, info.assertionConsumerServiceIndex, info.assertionConsumerServiceUrl);
    if ('error' in acs) {
      sendError(res, 400, 'unknown-acs', acs.error);
      return;
    }
    log.info(
      {
        authnRequestId: info.id,
        binding: info.binding,
        acs: acs.location,
        attributeConsumingServiceIndex: info.attributeConsumingServiceIndex,
        requestedLevels: info.requestedLevels,
      },
      'AuthnRequest accepted',
    );

    // From here on the requester is known and authentic: problems go back as a SAML status.
    const service = resolveService(info.attributeConsumingServiceIndex, catalogue, md, cfg.defaultServiceLevel);
    const base = { info, acs, dvEntityId: md.entityId };
    if (!service) {
      await answerWithStatus(
        res,
        { ...base, service: { index: -1, serviceId: '', serviceUuid: '', level: 'loa3', source: 'catalogue', requestedAttributes: [] } },
        STATUS.requester,
        STATUS.requestUnsupported,
        `Onbekende AttributeConsumingServiceIndex ${info.attributeConsumingServiceIndex ?? '(geen)'}`,
      );
      return;
    }
    const p: PendingLogin = { ...base, service };
    if (info.protocolBinding !== undefined && info.protocolBinding !== BINDING.artifact) {
      await answerWithStatus(res, p, STATUS.requester, STATUS.requestUnsupported, 'Alleen de HTTP-Artifact binding wordt ondersteund');
      return;
    }
    if (info.isPassive) {
      await answerWithStatus(res, p, STATUS.requester, STATUS.requestUnsupported, 'IsPassive wordt niet ondersteund');
      return;
    }
    if (info.unknownClassRefs.length > 0 && info.requestedLevels.length === 0) {
      await answerWithStatus(res, p, STATUS.requester, STATUS.requestUnsupported, 'Onbekend betrouwbaarheidsniveau gevraagd');
      return;
    }
    const tooHigh = info.requestedLevels.find((l) => LEVEL_ORDER[l] > LEVEL_ORDER[service.level]);
    if (tooHigh) {
      await answerWithStatus(
        res,
        p,
        STATUS.requester,
        STATUS.requestUnsupported,
        `Gevraagd niveau ${levelUrn(tooHigh)} is hoger dan het niveau ${levelUrn(service.level)} in de dienstencatalogus`,
      );
      return;
    }

    const preset = presets.shift();
    if (preset && preset.autoSubmit !== false) {
      await completeLogin(res, p, {
        kind: 'login',
        persona: resolvePresetPersona(preset.persona),
        failures: parseFailureModes(preset.failures ?? []),
        ...(preset.level ? { level: preset.level } : {}),
        ...(preset.machtiging !== undefined ? { machtiging: preset.machtiging } : {}),
      });
      return;
    }
    const loginId = randomBytes(24).toString('base64url');
    if (preset) p.preset = preset;
    pending.set(loginId, p, now + 30 * 60_000, now);
    renderPersonaPage(res, loginId, p);
  }

  // ---- the persona screen's answer ----------------------------------------------------
  async function handlePersona(req: Request, res: Response): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const str = (k: string): string => (typeof body[k] === 'string' ? (body[k] as string).trim() : '');
    const loginId = str('login');
    const now = clock.now();
    const p = loginId ? pending.get(loginId, now) : undefined;
    if (!p) {
      sendError(res, 400, 'login-unknown', 'Deze inlogpoging is onbekend, verlopen of al afgerond. Begin opnieuw bij de dienstverlener.');
      return;
    }
    if (str('action') === 'cancel') {
      pending.delete(loginId);
      await completeLogin(res, p, { kind: 'cancel' });
      return;
    }
    const rawFailures = body.failure === undefined ? [] : Array.isArray(body.failure) ? body.failure : [body.failure];
    const custom: Record<string, string> = {};
    for (const k of ['name', 'organisation', 'kvk', 'rsin', 'vestigingsnummer', 'seed']) custom[k] = str(`custom_${k}`);
    const levelRaw = str('level');
    const machtigingRaw = str('machtiging');
    const personaId = str('persona');
    const rerender = (error: string): void =>
      renderPersonaPage(
        res,
        loginId,
        p,
        {
          error,
          selected: {
            persona: personaId,
            failures: rawFailures.filter((f): f is FailureMode => typeof f === 'string' && parseSafe(f)),
            level: levelRaw,
            ...(machtigingRaw ? { machtiging: machtigingRaw === 'ja' } : {}),
            custom,
          },
        },
        400,
      );

    let failures: FailureMode[];
    try {
      failures = parseFailureModes(rawFailures);
    } catch (err) {
      rerender((err as Error).message);
      return;
    }
    if (levelRaw && !(LEVELS as readonly string[]).includes(levelRaw)) {
      rerender('Onbekend betrouwbaarheidsniveau.');
      return;
    }
    let persona: Persona | undefined;
    if (personaId === 'custom') {
      const parsed = personaSchema.safeParse({
        id: 'custom',
        name: custom.name || 'Testgebruiker',
        organisation: custom.organisation || 'Testorganisatie',
        kvk: custom.kvk,
        ...(custom.rsin ? { rsin: custom.rsin } : {}),
        ...(custom.vestigingsnummer ? { vestigingsnummer: custom.vestigingsnummer, restrictedToVestiging: true } : {}),
        seed: custom.seed || `custom-${custom.kvk}-${custom.name}`,
      });
      if (!parsed.success) {
        rerender(
          `Controleer de andere gegevens: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        );
        return;
      }
      persona = parsed.data;
    } else {
      persona = personas.find((x) => x.id === personaId);
    }
    if (!persona) {
      rerender('Kies een testpersoon.');
      return;
    }
    pending.delete(loginId);
    await completeLogin(res, p, {
      kind: 'login',
      persona,
      failures,
      ...(levelRaw ? { level: levelRaw as Level } : {}),
      ...(machtigingRaw === 'ja' ? { machtiging: true } : machtigingRaw === 'nee' ? { machtiging: false } : {}),
    });
  }

  function parseSafe(f: string): boolean {
    try {
      parseFailureModes([f]);
      return true;
    } catch {
      return false;
    }
  }

  // ---- the ArtifactResolutionService --------------------------------------------------
  async function handleResolve(req: Request, res: Response): Promise<void> {
    const fault = (status: number, code: 'Client' | 'Server', message: string): void => {
      log.warn({ reason: message }, 'ArtifactResolve refused');
      res.status(status).type('text/xml; charset=utf-8').send(soapFault(code, message));
    };
    const tlsSocket = req.socket as import('node:tls').TLSSocket;
    if (cfg.requireClientCert && !tlsSocket.authorized) {
      fault(403, 'Client', 'client certificate required');
      return;
    }
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!cfg.soapContentTypes.includes(mediaType)) {
      log.warn({ contentType: req.headers['content-type'] }, 'ArtifactResolve with wrong content type');
      res
        .status(415)
        .type('text/plain')
        .send(`Content-Type must be ${cfg.soapContentTypes.join(' or ')}`);
      return;
    }
    const xml = typeof req.body === 'string' ? req.body : '';
    let doc: Document;
    try {
      doc = parseXml(xml, 200_000);
    } catch (err) {
      fault(500, 'Client', `malformed request: ${(err as Error).message}`);
      return;
    }
    const env = doc.documentElement;
    if (!is(env, NS.soap11, 'Envelope')) {
      fault(500, 'Client', 'not a SOAP 1.1 Envelope');
      return;
    }
    const bodies = children(env, NS.soap11, 'Body');
    const bodyChildren = bodies.length === 1 ? elementChildren(bodies[0]!) : [];
    const resolve = bodyChildren[0];
    if (bodyChildren.length !== 1 || !is(resolve, NS.samlp, 'ArtifactResolve')) {
      fault(500, 'Client', 'the SOAP Body must hold exactly one samlp:ArtifactResolve');
      return;
    }
    let md: DvMetadata;
    try {
      md = await dv.get();
    } catch (err) {
      fault(500, 'Server', `DV metadata unavailable: ${(err as Error).message}`);
      return;
    }
    const issuer = textOf(children(resolve, NS.saml, 'Issuer')[0]);
    if (issuer !== md.entityId) {
      fault(500, 'Client', `unknown Issuer ${JSON.stringify(issuer)}`);
      return;
    }
    let v = verifyEnvelopedSignature(xml, doc, resolve, md.signingCerts, { allowSha1: cfg.allowSha1 });
    if (!v.ok && v.reason !== 'unsigned' && dv.age() > 2) {
      md = await dv.refresh();
      v = verifyEnvelopedSignature(xml, doc, resolve, md.signingCerts, { allowSha1: cfg.allowSha1 });
    }
    if (!v.ok) {
      fault(500, 'Client', `ArtifactResolve signature: ${v.reason}`);
      return;
    }
    const now = clock.now();
    const resolveId = resolve.getAttribute('ID') ?? '';
    const destination = resolve.getAttribute('Destination');
    if (destination !== null ? destination !== urls().arsUrl : cfg.requireResolveDestination) {
      fault(500, 'Client', `Destination ${JSON.stringify(destination)} is not ${urls().arsUrl}`);
      return;
    }
    const issueInstant = parseInstant(resolve.getAttribute('IssueInstant'));
    if (
      Number.isNaN(issueInstant) ||
      issueInstant > now + cfg.skew * 1000 ||
      now - issueInstant > (cfg.maxAge + cfg.skew) * 1000
    ) {
      fault(500, 'Client', 'IssueInstant missing, in the future or too old');
      return;
    }
    if (seenResolveIds.has(resolveId, now)) {
      fault(500, 'Client', 'ArtifactResolve ID replayed');
      return;
    }
    seenResolveIds.set(resolveId, true, now + 3_600_000, now);

    const artifact = textOf(children(resolve, NS.samlp, 'Artifact')[0]);
    const parsed = parseArtifact(artifact);
    const ours = parsed && parsed.typeCode === 4 && parsed.sourceId.equals(sourceIdOf(entityId));
    const stored = ours ? artifacts.take(artifact, now) : undefined;
    await ready();
    res.type('text/xml; charset=utf-8');
    if (!stored || stored.dvEntityId !== issuer) {
      log.warn({ resolveId, known: Boolean(stored), wellFormed: Boolean(parsed) }, 'artifact unknown, expired or used');
      res.send(
        buildArtifactResponseEnvelope({
          now,
          hmEntityId: entityId,
          inResponseTo: resolveId,
          responseXml: undefined,
          key: signing,
          ...(cfg.unresolvable === 'error'
            ? { status: { top: STATUS.requester, second: STATUS.requestDenied, message: 'Artifact onbekend, verlopen of al gebruikt' } }
            : {}),
        }),
      );
      return;
    }
    stored.record.resolveCount += 1;
    const f = stored.failures;
    log.info({ resolveId, authnRequestId: stored.record.authnRequestId, resolveCount: stored.record.resolveCount }, 'artifact resolved');
    res.send(
      buildArtifactResponseEnvelope({
        now,
        hmEntityId: entityId,
        inResponseTo: f.has('wrong-resolve-in-response-to') ? `_${randomBytes(20).toString('hex')}` : resolveId,
        responseXml: stored.responseXml,
        key: signing,
        tamper: f.has('bad-artifact-response-signature'),
        ...(f.has('artifact-response-not-success') ? { status: { top: STATUS.responder } } : {}),
      }),
    );
  }

  // ---- the Express apps -----------------------------------------------------------------
  const httpApp = express();
  httpApp.disable('x-powered-by');
  const form = express.urlencoded({ extended: false, limit: '300kb', parameterLimit: 200 });

  httpApp.get('/', (_req, res) => {
    noCache(res);
    const u = urls();
    res.type('html').send(indexPage({ entityId, metadataUrl: u.metadataUrl, ssoUrl: u.ssoUrl, arsUrl: u.arsUrl, personas }));
  });
  httpApp.get('/health', (_req, res) => {
    res.json({ ok: true, entityId, dvMetadataAgeSeconds: Number.isFinite(dv.age()) ? Math.round(dv.age()) : null });
  });
  httpApp.get(PATHS.metadata, (_req, res) => {
    res.type('application/samlmetadata+xml').send(metadataXml());
  });
  httpApp.get(PATHS.sso, async (req, res) => {
    const q = req.originalUrl.indexOf('?');
    await handleSso(req, res, () => decodeRedirectBinding(q < 0 ? '' : req.originalUrl.slice(q + 1)));
  });
  httpApp.post(PATHS.sso, form, async (req, res) => {
    await handleSso(req, res, () => decodePostBinding((req.body ?? {}) as Record<string, unknown>));
  });
  httpApp.post(PATHS.persona, form, handlePersona);
  httpApp.get('/mock/failure-modes', (_req, res) => {
    res.json(FAILURE_MODES);
  });
  httpApp.get('/mock/personas', (_req, res) => {
    res.json(personas);
  });
  if (options.controlApi) {
    httpApp.post('/mock/next-login', express.json({ limit: '20kb' }), (req, res) => {
      try {
        const preset = validatePreset((req.body ?? {}) as LoginPreset);
        presets.push(preset);
        res.status(204).end();
      } catch (err) {
        res.status(400).json({ error: (err as Error).message });
      }
    });
    httpApp.delete('/mock/next-login', (_req, res) => {
      presets.length = 0;
      res.status(204).end();
    });
    httpApp.get('/mock/issued', (_req, res) => {
      res.json(issued);
    });
  }
  httpApp.use((err: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Body parser refusals (too large, malformed): the client's fault.
      log.warn({ status, reason: (err as Error).message }, 'request refused');
      if (!res.headersSent) sendError(res, status, 'bad-request', 'Het verzoek kon niet worden gelezen (te groot of ongeldig).');
      return;
    }
    log.error({ err }, 'idp-mock error');
    if (!res.headersSent) sendError(res, 500, 'internal', 'Interne fout in de testmakelaar.');
  });

  const arsApp = express();
  arsApp.disable('x-powered-by');
  arsApp.post(PATHS.ars, express.text({ type: () => true, limit: '200kb' }), handleResolve);
  arsApp.use((err: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
    const status = (err as { status?: unknown }).status;
    const clientFault = typeof status === 'number' && status >= 400 && status < 500;
    if (clientFault) log.warn({ status, reason: (err as Error).message }, 'ArtifactResolve unreadable');
    else log.error({ err }, 'idp-mock ARS error');
    if (!res.headersSent) {
      res
        .status(clientFault ? (status as number) : 500)
        .type('text/xml; charset=utf-8')
        .send(soapFault(clientFault ? 'Client' : 'Server', clientFault ? 'request unreadable or too large' : 'internal error'));
    }
  });

  const arsTlsOptions: https.ServerOptions = {
    key: options.keys.tlsKey,
    cert: options.keys.tlsCert,
    ca: options.keys.caCert,
    requestCert: cfg.requireClientCert,
    rejectUnauthorized: cfg.requireClientCert,
    minVersion: 'TLSv1.2',
  };

  return {
    entityId,
    httpApp,
    arsApp,
    arsTlsOptions,
    personas,
    nextLogin(preset: LoginPreset = {}) {
      presets.push(validatePreset(preset));
    },
    clearNextLogins() {
      presets.length = 0;
    },
    get issued() {
      return issued;
    },
    lastIssued() {
      return issued[issued.length - 1];
    },
    metadataXml,
    refreshDvMetadata: () => dv.refresh(),
    urls,
    ready,
    async start(so: StartOptions = {}): Promise<RunningIdpMock> {
      if (started) throw new Error('idp-mock: already started');
      started = true;
      await ready();
      const host = so.host ?? '127.0.0.1';
      const httpServer = http.createServer(httpApp);
      const arsServer = https.createServer(arsTlsOptions, arsApp);
      const httpPort = await listen(httpServer, so.httpPort ?? 0, host);
      let arsPort: number;
      try {
        arsPort = await listen(arsServer, so.arsPort ?? 0, host);
      } catch (err) {
        await closeServer(httpServer);
        started = false;
        throw err;
      }
      publicUrl ??= `http://${urlHost(host)}:${httpPort}`;
      arsUrl ??= `https://${urlHost(host)}:${arsPort}${PATHS.ars}`;
      const u = urls();
      log.info({ entityId, metadata: u.metadataUrl, sso: u.ssoUrl, ars: u.arsUrl }, 'idp-mock listening');
      return {
        httpUrl: u.publicUrl,
        arsUrl: u.arsUrl,
        metadataUrl: u.metadataUrl,
        ssoUrl: u.ssoUrl,
        async close() {
          await Promise.all([closeServer(httpServer), closeServer(arsServer)]);
          started = false;
        },
      };
    },
  };
}
