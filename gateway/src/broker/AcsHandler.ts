// The ACS pipeline, in the order that keeps every promise of issue 3:
//  1. cheap, read-only checks of what the browser brought (RelayState, artifact, cookie);
//  2. resolve the artifact at the broker that issued it (mutual TLS);
//  3. verify the ArtifactResponse signature and continue from the signed bytes only;
//  4. addressing and status of the Response; verify the outer Assertion by its own ID;
//  5. the ONE atomic consume of the request record — only now, after the signatures;
//  6. time, subject, audience, level, machtiging, identifiers (decrypted last);
//  7. claim the assertion ID and the artifact in the replay cache (SET NX);
// and nothing is written on any failure path before 7.
import type { Request } from 'express';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { EherkenningIdentity, LoaLevel } from './EherkenningIdentity.ts';
import { NS } from './constants.ts';
import { BrokerRejection, reject } from './BrokerRejection.ts';
import { parseArtifact } from './Artifact.ts';
import { resolveArtifact, type ResolveSettings } from './ArtifactResolver.ts';
import { artifactResolutionEndpoint, type BrokerMetadata } from './BrokerMetadata.ts';
import { browserMatches } from './BrowserBinding.ts';
import { childrenNamed, isElement, isSafeId } from './Dom.ts';
import { decryptEncryptedId, type DecryptionKey } from './EncryptedIdDecrypter.ts';
import { applyProfile, collectAttributes } from './EherkenningProfile.ts';
import { ReplayGuard, isRelayState } from './ReplayGuard.ts';
import {
  checkArtifactResponse,
  checkAssertionHeader,
  checkConditions,
  checkResponseAddressing,
  checkResponseStatus,
  checkSubjectConfirmation,
  readAuthnStatement,
  topLevelAssertion,
  type ExchangeContext,
} from './ResponseValidator.ts';
import { verifyEnvelopedSignature } from './SignatureVerifier.ts';
import { MESSAGE_LIMITS, forEachElement, type XmlLimits } from './XmlGuard.ts';
import type { SoapRequest } from './SoapClient.ts';

export interface AcsDeps {
  spEntityId: string;
  acsUrl: string;
  serviceId: string;
  serviceUuid: string;
  minimumLevel: LoaLevel;
  skewMs: number;
  maxAgeMs: number;
  clock: Clock;
  logger: Logger;
  replay: ReplayGuard;
  brokers: ReadonlyMap<string, { metadata: BrokerMetadata; contentType: SoapRequest['contentType']; caPem: () => Promise<string> }>;
  resolve: ResolveSettings;
  decryptionKeys: readonly DecryptionKey[];
}

export interface AcsInput {
  samlArt: unknown;
  relayState: unknown;
}

/** What the route needs to report a failure: the login key once it was safely established. */
export interface AcsState {
  loginKey: string | null;
}

/** The element with this ID in the original document; it must sit where the signed copy says. */
function originalById(root: Element, id: string, ns: string, local: string, parent: Element): Element {
  const found: Element[] = [];
  forEachElement(root, (el) => {
    for (const a of ['ID', 'Id', 'id']) if (el.getAttribute(a) === id) found.push(el);
  });
  const el = found[0];
  if (found.length !== 1 || !isElement(el, ns, local) || el!.parentNode !== parent) {
    reject('signature-reference-invalid', { why: `${local} position` });
  }
  return el!;
}

export async function consumeArtifact(req: Request, input: AcsInput, deps: AcsDeps, state: AcsState): Promise<EherkenningIdentity> {
  // 1. Read-only checks of what the browser brought.
  if (input.relayState === undefined || input.relayState === '') reject('unsolicited-response', { why: 'no RelayState' });
  if (!isRelayState(input.relayState)) reject('unsolicited-response', { why: 'RelayState not ours' });
  const relay = input.relayState as string;
  const artifact = parseArtifact(input.samlArt, [...deps.brokers.keys()]);
  if (await deps.replay.artifactSeen(artifact.replayKey)) reject('artifact-replayed');
  const record = await deps.replay.peekRequest(relay);
  if (!record) reject('request-unknown');
  if (!browserMatches(req, record!.browserBinding)) reject('browser-binding-mismatch');
  state.loginKey = record!.loginKey;
  if (artifact.brokerEntityId !== record!.brokerEntityId) reject('artifact-broker-mismatch');
  const broker = deps.brokers.get(artifact.brokerEntityId)!;

  // 2. Resolve over the back channel.
  const descriptor = await broker.metadata.get();
  const endpoint = artifactResolutionEndpoint(descriptor, artifact.endpointIndex);
  if (!endpoint) reject('broker-metadata-unavailable', { why: 'no https ArtifactResolutionService' });
  const resolved = await resolveArtifact(
    artifact.value,
    { url: endpoint!.location, contentType: broker.contentType, caPem: await broker.caPem() },
    deps.resolve,
    deps.clock.now(),
  );

  // 3. The ArtifactResponse signature; from here on only signed bytes are read.
  const now = deps.clock.now();
  const limits: XmlLimits = { ...MESSAGE_LIMITS, maxBytes: deps.resolve.maxResponseBytes };
  const verifyOpts = { certs: descriptor.signingCerts, now, limits };
  const originalRoot = resolved.artifactResponse.ownerDocument.documentElement;
  const ar = verifyEnvelopedSignature(resolved.artifactResponse, verifyOpts).element;
  const ctx: ExchangeContext = {
    brokerEntityId: artifact.brokerEntityId,
    spEntityId: deps.spEntityId,
    acsUrl: deps.acsUrl,
    requestId: record!.requestId,
    resolveId: resolved.resolveId,
    now,
    skewMs: deps.skewMs,
    maxAgeMs: deps.maxAgeMs,
  };
  const response = checkArtifactResponse(ar, ctx);
  const responseId = response.getAttribute('ID') ?? '';
  if (!isSafeId(responseId)) reject('response-invalid', { why: 'Response ID' });
  const originalResponse = originalById(originalRoot, responseId, NS.samlp, 'Response', resolved.artifactResponse);
  if (childrenNamed(response, NS.ds, 'Signature').length > 0) {
    // Optional inside an ArtifactResponse; when present it must verify too.
    verifyEnvelopedSignature(originalResponse, verifyOpts);
  }

  // 4. Addressing and status of the Response.
  checkResponseAddressing(response, ctx);
  try {
    checkResponseStatus(response);
  } catch (e) {
    // A signed answer to our request that ends it (cancel, refusal): the request is used up.
    await deps.replay.consumeRequest(relay, record!.requestId).catch(() => undefined);
    throw e;
  }
  const assertionInResponse = topLevelAssertion(response);
  const assertionId = assertionInResponse.getAttribute('ID') ?? '';
  if (!isSafeId(assertionId)) reject('assertion-invalid', { why: 'Assertion ID' });
  const originalAssertion = originalById(originalRoot, assertionId, NS.saml, 'Assertion', originalResponse);
  const assertion = verifyEnvelopedSignature(originalAssertion, verifyOpts).element;

  // 5. The single atomic step.
  await deps.replay.consumeRequest(relay, record!.requestId);

  // 6. The assertion itself and the eHerkenning profile.
  checkAssertionHeader(assertion, ctx);
  const confirmationUntil = checkSubjectConfirmation(assertion, ctx);
  const conditionsUntil = checkConditions(assertion, ctx);
  const authn = readAuthnStatement(assertion, ctx);
  const facts = applyProfile({
    attributes: collectAttributes(assertion),
    classRef: authn.classRef,
    minimumLevel: deps.minimumLevel,
    serviceId: deps.serviceId,
    serviceUuid: deps.serviceUuid,
    decrypt: (el) => decryptEncryptedId(el, { recipient: deps.spEntityId, keys: deps.decryptionKeys }),
  });

  // 7. Replay cache.
  const until = Math.max(confirmationUntil, conditionsUntil);
  await deps.replay.claimAssertion(artifact.brokerEntityId, assertionId, until, now);
  await deps.replay.claimArtifact(artifact.replayKey, until, now);

  return {
    pseudonym: facts.pseudonym,
    legalSubjects: facts.legalSubjects,
    level: facts.level,
    serviceId: facts.serviceId,
    serviceUuid: facts.serviceUuid,
    ...(facts.vestigingsnummer ? { vestigingsnummer: facts.vestigingsnummer } : {}),
    broker: artifact.brokerEntityId,
    assertionId,
    authnInstant: authn.authnInstant,
    ...(authn.sessionNotOnOrAfter !== undefined ? { sessionNotOnOrAfter: authn.sessionNotOnOrAfter } : {}),
    ...(authn.authenticatingAuthority ? { authenticatingAuthority: authn.authenticatingAuthority } : {}),
  };
}

export { BrokerRejection };
