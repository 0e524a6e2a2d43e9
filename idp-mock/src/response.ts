// Building what the broker answers: the samlp:Response with its signed Assertion (made when
// the person logs in, stored under the artifact) and the signed ArtifactResponse around it
// (made when the artifact is resolved). Every failure switch that changes content acts here.
import type { CatalogueService } from './catalogue.ts';
import { encryptedId, nameIdXml } from './encryption.ts';
import type { FailureSet } from './failureModes.ts';
import type { RecipientKey, SigningKey } from './keys.ts';
import { pseudonymFor, levelUrn, type Level, type Persona } from './personas.ts';
import { signRoot } from './signature.ts';
import { NS, STATUS, child, esc, instant, is, newId, parseXml, serialize } from './xml.ts';

export const ATTR = {
  serviceId: 'urn:etoegang:core:ServiceID',
  serviceUuid: 'urn:etoegang:core:ServiceUUID',
  actingSubjectId: 'urn:etoegang:core:ActingSubjectID',
  legalSubjectId: 'urn:etoegang:core:LegalSubjectID',
  intermediateSubjectId: 'urn:etoegang:core:IntermediateSubjectID',
  vestigingsnr: 'urn:etoegang:1.9:ServiceRestriction:Vestigingsnr',
  companyName: 'urn:etoegang:1.11:attribute-represented:CompanyName',
} as const;

export const QUALIFIER = {
  pseudo: 'urn:etoegang:1.9:EntityConcernedID:Pseudo',
  kvk: 'urn:etoegang:1.9:EntityConcernedID:KvKnr',
  rsin: 'urn:etoegang:1.9:EntityConcernedID:RSIN',
} as const;

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const HOLDER_OF_KEY = 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key';
const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
const URI_FORMAT = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
const OTHER_HM = 'urn:etoegang:HM:00000003888888880000:entities:9999';
const OTHER_DV = 'urn:etoegang:DV:00000009999999990000:entities:9999';
const MINUTE = 60_000;

export interface ParticipantIds {
  /** EntityID of the authentication service (AD) that issues the inner AD assertion. */
  ad: string;
  /** EntityID of the authorisation register (MR) that issues the inner MR assertion. */
  mr: string;
}

export interface ResponseKeys {
  /** The broker's own signing key (in its metadata). */
  signing: SigningKey;
  /** The AD and MR's signing key (for Advice; not in the broker metadata). */
  participants: SigningKey;
  /** A key nobody trusts, for the untrusted-key switch. */
  untrusted: SigningKey;
}

export interface SuccessContext {
  now: number;
  hmEntityId: string;
  participants: ParticipantIds;
  /** Where the broker itself receives AD/MR answers (only used inside Advice). */
  hmAcsUrl: string;
  dvEntityId: string;
  dvRecipient: RecipientKey;
  otherDvRecipient: RecipientKey;
  acsUrl: string;
  authnRequestId: string;
  service: CatalogueService & { requestedAttributes: string[] };
  persona: Persona;
  level: Level;
  failures: FailureSet;
  keys: ResponseKeys;
  conditionsSeconds: number;
  subjectConfirmationSeconds: number;
  sessionSeconds: number;
}

/** What the mock put into a login's answer; kept for inspection by tests and the log. */
export interface IssuedContent {
  status: string;
  subStatus?: string;
  responseId: string;
  assertionId?: string;
  pseudonym?: string;
  legalSubjects?: Array<{ type: 'KvKnr' | 'RSIN'; value: string }>;
  vestigingsnummer?: string;
  serviceId?: string;
  serviceUuid?: string;
  level?: string;
}

export interface BuiltResponse {
  xml: string;
  content: IssuedContent;
}

function plainValue(v: string): string {
  return `<saml:AttributeValue xsi:type="xs:string">${esc(v)}</saml:AttributeValue>`;
}

function xmlValue(inner: string): string {
  return `<saml:AttributeValue>${inner}</saml:AttributeValue>`;
}

function attribute(name: string, values: string[]): string {
  return `<saml:Attribute Name="${esc(name)}" NameFormat="${URI_FORMAT}">${values.join('')}</saml:Attribute>`;
}

/** urn:etoegang:DV:<OIN>:services:<n> → the same DV's service n + 100. */
export function otherServiceId(serviceId: string): string {
  const m = /^(.*:services:)(\d+)$/.exec(serviceId);
  return m ? `${m[1]}${Number(m[2]) + 100}` : `${serviceId}0`;
}

export function otherServiceUuid(uuid: string): string {
  // Flip the last hex digit group: still a UUID, never the configured one.
  const last = uuid.slice(-12);
  const flipped = [...last].map((c) => ((parseInt(c, 16) ^ 0xf) >>> 0).toString(16)).join('');
  return `${uuid.slice(0, -12)}${flipped}`;
}

function statusXml(top: string, second?: string, message?: string): string {
  return (
    `<samlp:Status><samlp:StatusCode Value="${top}">` +
    (second ? `<samlp:StatusCode Value="${second}"/>` : '') +
    `</samlp:StatusCode>` +
    (message ? `<samlp:StatusMessage>${esc(message)}</samlp:StatusMessage>` : '') +
    `</samlp:Status>`
  );
}

const ROOT_NS = `xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}"`;
const ASSERTION_NS = `xmlns:saml="${NS.saml}" xmlns:xs="${NS.xs}" xmlns:xsi="${NS.xsi}"`;

export interface StatusContext {
  now: number;
  hmEntityId: string;
  acsUrl: string;
  authnRequestId: string;
  keys: ResponseKeys;
  signResponse: boolean;
}

/** A Response without assertion: cancel, no machtiging, unsupported request. */
export function buildStatusResponse(ctx: StatusContext, top: string, second?: string, message?: string): BuiltResponse {
  const id = newId();
  let xml =
    `<samlp:Response ${ROOT_NS} ID="${id}" Version="2.0" IssueInstant="${instant(ctx.now)}" ` +
    `InResponseTo="${esc(ctx.authnRequestId)}" Destination="${esc(ctx.acsUrl)}">` +
    `<saml:Issuer>${esc(ctx.hmEntityId)}</saml:Issuer>` +
    statusXml(top, second, message) +
    `</samlp:Response>`;
  if (ctx.signResponse) xml = signRoot(xml, { key: ctx.keys.signing, placement: 'after-issuer' });
  return { xml, content: { status: top, ...(second ? { subStatus: second } : {}), responseId: id } };
}

function innerAssertion(opts: {
  issuer: string;
  t: number;
  ctx: SuccessContext;
  audience: string;
  level?: Level;
  attributes: string[];
}): string {
  const { ctx, t } = opts;
  const id = newId();
  const xml =
    `<saml:Assertion ${ASSERTION_NS} ID="${id}" Version="2.0" IssueInstant="${instant(t)}">` +
    `<saml:Issuer>${esc(opts.issuer)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="${TRANSIENT}" NameQualifier="${esc(opts.issuer)}">${newId()}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="${BEARER}"><saml:SubjectConfirmationData InResponseTo="${newId()}" ` +
    `NotOnOrAfter="${instant(t + ctx.subjectConfirmationSeconds * 1000)}" Recipient="${esc(ctx.hmAcsUrl)}"/>` +
    `</saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${instant(t)}" NotOnOrAfter="${instant(t + ctx.conditionsSeconds * 1000)}">` +
    `<saml:AudienceRestriction><saml:Audience>${esc(opts.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    (opts.level
      ? `<saml:AuthnStatement AuthnInstant="${instant(t)}"><saml:AuthnContext>` +
        `<saml:AuthnContextClassRef>${levelUrn(opts.level)}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`
      : '') +
    (opts.attributes.length ? `<saml:AttributeStatement>${opts.attributes.join('')}</saml:AttributeStatement>` : '') +
    `</saml:Assertion>`;
  return signRoot(xml, { key: ctx.keys.participants, placement: 'after-issuer' });
}

/** Change the outer level after signing: the digest no longer matches. */
function tamperLevel(signedAssertion: string): string {
  const doc = parseXml(signedAssertion, 5_000_000);
  const root = doc.documentElement;
  const stmt = child(root, NS.saml, 'AuthnStatement');
  const ctxEl = stmt && child(stmt, NS.saml, 'AuthnContext');
  const ref = ctxEl && child(ctxEl, NS.saml, 'AuthnContextClassRef');
  if (!ref || !is(ref, NS.saml, 'AuthnContextClassRef')) throw new Error('no AuthnContextClassRef to tamper with');
  const current = ref.textContent ?? '';
  ref.textContent = current.endsWith(':loa4') ? levelUrn('loa3') : levelUrn('loa4');
  return serialize(doc);
}

/** The Response with a signed Assertion for a successful login, all switches applied. */
export function buildSuccessResponse(ctx: SuccessContext): BuiltResponse {
  const f = ctx.failures;
  const t = f.has('expired-assertion') ? ctx.now - 10 * MINUTE : ctx.now;
  const persona = ctx.persona;

  // The values a conforming gateway checks, and the decoys for the Advice assertions: inside
  // Advice every checked value is the opposite of the outer one, so reading the wrong
  // assertion fails in both directions.
  const rightServiceId = ctx.service.serviceId;
  const wrongServiceId = otherServiceId(rightServiceId);
  const serviceId = f.has('wrong-service-id') ? wrongServiceId : rightServiceId;
  const rightUuid = ctx.service.serviceUuid;
  const wrongUuid = otherServiceUuid(rightUuid);
  const serviceUuid = f.has('wrong-service-uuid') ? wrongUuid : rightUuid;
  const level: Level = f.has('lower-level') ? 'loa2plus' : ctx.level;
  const levelAcceptable = level === 'loa3' || level === 'loa4';
  const audience = f.has('wrong-audience') ? OTHER_DV : ctx.dvEntityId;

  const pseudonym = pseudonymFor(persona, ctx.dvEntityId, { rotated: f.has('rotated-pseudonym') });
  const vestiging =
    persona.restrictedToVestiging || f.has('vestiging-restriction') ? (persona.vestigingsnummer ?? '000012345678') : undefined;

  const encOpts = {
    recipient: ctx.dvRecipient,
    ...(f.has('other-recipient-only')
      ? { otherRecipient: { key: ctx.otherDvRecipient, mode: 'only' as const } }
      : f.has('extra-recipient')
        ? { otherRecipient: { key: ctx.otherDvRecipient, mode: 'extra' as const } }
        : {}),
    contentEncryption: f.contentEncryption,
    keyTransport: f.keyTransport,
  };
  const enc = (value: string, qualifier: string): string => xmlValue(encryptedId(nameIdXml(value, qualifier), encOpts));

  // --- Advice: the AD and MR assertions, each signed by "its own issuer" ------------------
  let advice = '';
  if (!f.has('no-advice')) {
    const decoyAudience = audience === ctx.dvEntityId ? ctx.hmEntityId : ctx.dvEntityId;
    const ad = innerAssertion({
      issuer: ctx.participants.ad,
      t,
      ctx,
      audience: decoyAudience,
      level: levelAcceptable ? 'loa2plus' : 'loa4',
      attributes: [],
    });
    const mr = innerAssertion({
      issuer: ctx.participants.mr,
      t,
      ctx,
      audience: decoyAudience,
      attributes: [
        attribute(ATTR.serviceId, [plainValue(serviceId === rightServiceId ? wrongServiceId : rightServiceId)]),
        attribute(ATTR.serviceUuid, [plainValue(serviceUuid === rightUuid ? wrongUuid : rightUuid)]),
        attribute(ATTR.legalSubjectId, [enc(persona.kvk === '99999999' ? '88888888' : '99999999', QUALIFIER.kvk)]),
      ],
    });
    advice = `<saml:Advice>${ad}${mr}</saml:Advice>`;
  }

  // --- The attributes of the outer assertion ----------------------------------------------
  const attrs: string[] = [];
  if (!f.has('no-service-id')) {
    attrs.push(
      attribute(ATTR.serviceId, f.has('two-service-ids') ? [plainValue(serviceId), plainValue(wrongServiceId)] : [plainValue(serviceId)]),
    );
    if (f.has('duplicate-service-id-attribute')) attrs.push(attribute(ATTR.serviceId, [plainValue(serviceId)]));
  }
  attrs.push(attribute(ATTR.serviceUuid, [plainValue(serviceUuid)]));
  if (vestiging) attrs.push(attribute(ATTR.vestigingsnr, [plainValue(vestiging)]));
  if (ctx.service.requestedAttributes.includes(ATTR.companyName)) {
    attrs.push(attribute(ATTR.companyName, [plainValue(persona.organisation)]));
  }
  attrs.push(attribute(ATTR.actingSubjectId, [enc(pseudonym, QUALIFIER.pseudo)]));
  const legalSubjects: Array<{ type: 'KvKnr' | 'RSIN'; value: string }> = [{ type: 'KvKnr', value: persona.kvk }];
  if (persona.rsin) legalSubjects.push({ type: 'RSIN', value: persona.rsin });
  attrs.push(
    attribute(
      ATTR.legalSubjectId,
      legalSubjects.map((ls) => enc(ls.value, ls.type === 'KvKnr' ? QUALIFIER.kvk : QUALIFIER.rsin)),
    ),
  );
  if (persona.intermediary) attrs.push(attribute(ATTR.intermediateSubjectId, [enc(persona.intermediary.kvk, QUALIFIER.kvk)]));

  // --- The outer assertion ---------------------------------------------------------------
  const assertionId = newId();
  const inResponseTo = f.has('wrong-in-response-to') ? newId() : ctx.authnRequestId;
  const recipient = f.has('wrong-recipient') ? `${ctx.acsUrl.replace(/\/+$/, '')}-elders` : ctx.acsUrl;
  const nameQualifier = persona.representation ? ctx.participants.mr : ctx.participants.ad;
  let assertion =
    `<saml:Assertion ${ASSERTION_NS} ID="${assertionId}" Version="2.0" IssueInstant="${instant(t)}">` +
    `<saml:Issuer>${esc(f.has('wrong-issuer') ? OTHER_HM : ctx.hmEntityId)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="${TRANSIENT}" NameQualifier="${esc(nameQualifier)}">${newId()}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="${f.has('holder-of-key') ? HOLDER_OF_KEY : BEARER}">` +
    `<saml:SubjectConfirmationData InResponseTo="${esc(inResponseTo)}" ` +
    `NotOnOrAfter="${instant(t + ctx.subjectConfirmationSeconds * 1000)}" Recipient="${esc(recipient)}"/>` +
    `</saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${instant(t)}" NotOnOrAfter="${instant(t + ctx.conditionsSeconds * 1000)}">` +
    `<saml:AudienceRestriction><saml:Audience>${esc(audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    advice +
    `<saml:AuthnStatement AuthnInstant="${instant(t)}" SessionIndex="${newId()}" ` +
    `SessionNotOnOrAfter="${instant(t + ctx.sessionSeconds * 1000)}"><saml:AuthnContext>` +
    `<saml:AuthnContextClassRef>${levelUrn(level)}</saml:AuthnContextClassRef>` +
    `<saml:AuthenticatingAuthority>${esc(ctx.participants.ad)}</saml:AuthenticatingAuthority>` +
    `</saml:AuthnContext></saml:AuthnStatement>` +
    `<saml:AttributeStatement>${attrs.join('')}</saml:AttributeStatement>` +
    `</saml:Assertion>`;

  if (!f.has('unsigned-assertion')) {
    assertion = signRoot(assertion, {
      key: f.has('untrusted-key') ? ctx.keys.untrusted : ctx.keys.signing,
      sha1: f.has('sha1-signature'),
      placement: 'after-issuer',
    });
    if (f.has('bad-signature')) assertion = tamperLevel(assertion);
  }

  // --- The Response around it ------------------------------------------------------------
  const responseId = newId();
  const destination = f.has('wrong-destination') ? `${ctx.acsUrl.replace(/\/+$/, '')}-elders` : ctx.acsUrl;
  let xml =
    // The broker's message is fresh even when the assertion in it is stale ('expired-assertion').
    `<samlp:Response ${ROOT_NS} ID="${responseId}" Version="2.0" IssueInstant="${instant(ctx.now)}" ` +
    `InResponseTo="${esc(inResponseTo)}" Destination="${esc(destination)}">` +
    `<saml:Issuer>${esc(ctx.hmEntityId)}</saml:Issuer>` +
    statusXml(STATUS.success) +
    assertion +
    `</samlp:Response>`;
  if (f.has('signed-response')) xml = signRoot(xml, { key: ctx.keys.signing, placement: 'after-issuer' });

  return {
    xml,
    content: {
      status: STATUS.success,
      responseId,
      assertionId,
      pseudonym,
      legalSubjects,
      ...(vestiging ? { vestigingsnummer: vestiging } : {}),
      serviceId,
      serviceUuid,
      level: levelUrn(level),
    },
  };
}

export interface ArtifactResponseOptions {
  now: number;
  hmEntityId: string;
  inResponseTo: string;
  /** The stored samlp:Response, or undefined for "nothing to return" (unknown or used artifact). */
  responseXml: string | undefined;
  key: SigningKey;
  /** The ArtifactResponse's own status; MUST be Success per the eHerkenning Bindings rules. */
  status?: { top: string; second?: string; message?: string };
  /** Change the ArtifactResponse after signing (bad-artifact-response-signature). */
  tamper?: boolean;
}

/** A SOAP 1.1 envelope with a signed samlp:ArtifactResponse. */
export function buildArtifactResponseEnvelope(opts: ArtifactResponseOptions): string {
  const status = opts.status ?? { top: STATUS.success };
  const issueInstant = instant(opts.now);
  const xml =
    `<samlp:ArtifactResponse ${ROOT_NS} ID="${newId()}" Version="2.0" IssueInstant="${issueInstant}" ` +
    `InResponseTo="${esc(opts.inResponseTo)}">` +
    `<saml:Issuer>${esc(opts.hmEntityId)}</saml:Issuer>` +
    statusXml(status.top, status.second, status.message) +
    (opts.responseXml ?? '') +
    `</samlp:ArtifactResponse>`;
  let signed = signRoot(xml, { key: opts.key, placement: 'after-issuer' });
  if (opts.tamper) signed = signed.replace(`IssueInstant="${issueInstant}"`, `IssueInstant="${instant(opts.now + 1000)}"`);
  return soapEnvelope(signed);
}

export function soapEnvelope(bodyXml: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<soap:Envelope xmlns:soap="${NS.soap11}"><soap:Body>${bodyXml}</soap:Body></soap:Envelope>`
  );
}

export function soapFault(code: 'Client' | 'Server', message: string): string {
  return soapEnvelope(`<soap:Fault><faultcode>soap:${code}</faultcode><faultstring>${esc(message)}</faultstring></soap:Fault>`);
}
