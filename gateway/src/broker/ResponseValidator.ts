// Rule 4: addressing, structure and time of the ArtifactResponse, the Response and the outer
// Assertion. Every rule is a named function so each one has its own test. All functions read
// signed content only (the caller passes elements re-parsed from signed bytes) and only
// direct children: nothing is ever read from Advice.
import { CM_BEARER, NAMEID_FORMAT, NS, STATUS } from './constants.ts';
import { BrokerRejection, type ReasonCode, reject } from './BrokerRejection.ts';
import {
  childrenNamed,
  elementChildren,
  isElement,
  onlyChild,
  optionalAttr,
  optionalChild,
  parseInstant,
  requiredAttr,
  textOf,
} from './Dom.ts';

export interface ExchangeContext {
  brokerEntityId: string;
  spEntityId: string;
  acsUrl: string;
  /** Our AuthnRequest ID (from the request record). */
  requestId: string;
  /** Our ArtifactResolve ID. */
  resolveId: string;
  now: number;
  skewMs: number;
  maxAgeMs: number;
}

/** An Issuer: exactly one, entity format (or none), no qualifiers, equal to the broker. */
export function checkIssuer(parent: Element, expected: string, code: ReasonCode): void {
  const issuer = onlyChild(parent, NS.saml, 'Issuer', code);
  const format = optionalAttr(issuer, 'Format');
  if (format !== null && format !== NAMEID_FORMAT.entity) reject(code, { why: 'Issuer Format' });
  for (const a of ['NameQualifier', 'SPNameQualifier', 'SPProvidedID']) {
    if (issuer.hasAttribute(a)) reject(code, { why: `Issuer ${a}` });
  }
  if (textOf(issuer, code) !== expected) reject(code, { why: 'Issuer value' });
}

function checkVersion(el: Element, code: ReasonCode): void {
  if (el.getAttribute('Version') !== '2.0') reject(code, { why: 'Version' });
}

/** An IssueInstant not in the future (beyond skew) and not older than the maximum age. */
export function checkIssueInstant(el: Element, ctx: ExchangeContext, code: ReasonCode): number {
  const t = parseInstant(optionalAttr(el, 'IssueInstant'), code);
  if (t > ctx.now + ctx.skewMs) reject(code, { why: 'IssueInstant in the future' });
  if (t < ctx.now - ctx.maxAgeMs - ctx.skewMs) reject(code, { why: 'IssueInstant too old' });
  return t;
}

/** The top-level StatusCode value and its (first) second-level value. */
export function readStatus(parent: Element, code: ReasonCode): { top: string; second: string | null } {
  const status = onlyChild(parent, NS.samlp, 'Status', code);
  const top = onlyChild(status, NS.samlp, 'StatusCode', code);
  const second = optionalChild(top, NS.samlp, 'StatusCode', code);
  return { top: requiredAttr(top, 'Value', code), second: second ? requiredAttr(second, 'Value', code) : null };
}

/**
 * ArtifactResponse: Version, InResponseTo = our ArtifactResolve ID, Issuer = the broker,
 * Status Success, a sane IssueInstant. Returns the samlp:Response it carries.
 */
export function checkArtifactResponse(ar: Element, ctx: ExchangeContext): Element {
  checkVersion(ar, 'artifact-response-invalid');
  if (ar.getAttribute('InResponseTo') !== ctx.resolveId) reject('artifact-response-in-response-to-mismatch');
  checkIssuer(ar, ctx.brokerEntityId, 'artifact-response-issuer-mismatch');
  const status = readStatus(ar, 'artifact-response-invalid');
  if (status.top !== STATUS.success) reject('artifact-response-status-not-success', { status });
  checkIssueInstant(ar, ctx, 'response-issue-instant-invalid');
  const payload = elementChildren(ar).filter(
    (c) => !(c.namespaceURI === NS.saml && c.localName === 'Issuer') && !(c.namespaceURI === NS.samlp && c.localName === 'Status') && !(c.namespaceURI === NS.ds && c.localName === 'Signature'),
  );
  if (payload.length === 0) reject('artifact-response-empty');
  if (payload.length !== 1 || !isElement(payload[0], NS.samlp, 'Response')) {
    reject('artifact-response-invalid', { why: 'payload is not one Response' });
  }
  return payload[0]!;
}

/**
 * Response addressing: Version, Issuer = the broker, Destination = our ACS, InResponseTo = our
 * AuthnRequest (absent means unsolicited), no Extensions, a sane IssueInstant.
 */
export function checkResponseAddressing(resp: Element, ctx: ExchangeContext): void {
  checkVersion(resp, 'response-invalid');
  checkIssuer(resp, ctx.brokerEntityId, 'response-issuer-mismatch');
  if (resp.getAttribute('Destination') !== ctx.acsUrl) reject('response-destination-mismatch');
  if (!resp.hasAttribute('InResponseTo')) reject('unsolicited-response');
  if (resp.getAttribute('InResponseTo') !== ctx.requestId) reject('response-in-response-to-mismatch');
  if (childrenNamed(resp, NS.samlp, 'Extensions').length > 0) reject('response-extensions-present');
  checkIssueInstant(resp, ctx, 'response-issue-instant-invalid');
}

/**
 * Rule 8: Success goes on; Responder/AuthnFailed is the person cancelling (a calm page);
 * RequestUnsupported, RequestDenied and anything else each get their own code.
 */
export function checkResponseStatus(resp: Element): void {
  const { top, second } = readStatus(resp, 'response-invalid');
  if (top === STATUS.success) {
    if (second !== null) reject('broker-status-error', { top, second });
    return;
  }
  if (top === STATUS.responder && second === STATUS.authnFailed) reject('cancelled');
  if (second === STATUS.requestUnsupported) reject('broker-status-request-unsupported', { top });
  if (second === STATUS.requestDenied) reject('broker-status-request-denied', { top });
  reject('broker-status-error', { top, second });
}

/** Exactly one plain Assertion directly under the Response, and no EncryptedAssertion. */
export function topLevelAssertion(resp: Element): Element {
  const assertions = childrenNamed(resp, NS.saml, 'Assertion');
  const encrypted = childrenNamed(resp, NS.saml, 'EncryptedAssertion');
  if (assertions.length !== 1 || encrypted.length > 0) {
    reject('assertion-count-invalid', { assertions: assertions.length, encrypted: encrypted.length });
  }
  return assertions[0]!;
}

/** Assertion Version, Issuer = the broker, and IssueInstant within the maximum age. */
export function checkAssertionHeader(assertion: Element, ctx: ExchangeContext): void {
  checkVersion(assertion, 'assertion-invalid');
  checkIssuer(assertion, ctx.brokerEntityId, 'assertion-issuer-mismatch');
  checkIssueInstant(assertion, ctx, 'assertion-too-old');
}

/**
 * Subject with exactly one SubjectConfirmation, bearer, whose SubjectConfirmationData has
 * Recipient = our ACS, InResponseTo = our request, NotOnOrAfter in the future and no NotBefore
 * in the future. Returns NotOnOrAfter.
 */
export function checkSubjectConfirmation(assertion: Element, ctx: ExchangeContext): number {
  const subject = onlyChild(assertion, NS.saml, 'Subject', 'subject-invalid');
  const confirmations = childrenNamed(subject, NS.saml, 'SubjectConfirmation');
  if (confirmations.length !== 1) reject('subject-confirmation-invalid', { count: confirmations.length });
  const sc = confirmations[0]!;
  if (sc.getAttribute('Method') !== CM_BEARER) reject('subject-confirmation-invalid', { method: sc.getAttribute('Method') });
  const data = onlyChild(sc, NS.saml, 'SubjectConfirmationData', 'subject-confirmation-invalid');
  if (data.getAttribute('Recipient') !== ctx.acsUrl) reject('subject-recipient-mismatch');
  if (data.getAttribute('InResponseTo') !== ctx.requestId) reject('subject-in-response-to-mismatch');
  const notOnOrAfter = parseInstant(optionalAttr(data, 'NotOnOrAfter'), 'subject-expired');
  if (notOnOrAfter <= ctx.now - ctx.skewMs) reject('subject-expired');
  const notBefore = optionalAttr(data, 'NotBefore');
  if (notBefore !== null && parseInstant(notBefore, 'subject-confirmation-invalid') > ctx.now + ctx.skewMs) {
    reject('subject-confirmation-invalid', { why: 'NotBefore in the future' });
  }
  return notOnOrAfter;
}

/** Every AudienceRestriction must name us (SAML Core 2.5.1.4); at least one must exist. */
export function checkAudience(conditions: Element, ctx: ExchangeContext): void {
  const restrictions = childrenNamed(conditions, NS.saml, 'AudienceRestriction');
  if (restrictions.length === 0) reject('audience-mismatch', { why: 'no AudienceRestriction' });
  for (const r of restrictions) {
    const audiences = childrenNamed(r, NS.saml, 'Audience').map((a) => textOf(a, 'conditions-invalid'));
    if (!audiences.includes(ctx.spEntityId)) reject('audience-mismatch');
  }
}

/**
 * Conditions present, NotBefore/NotOnOrAfter window holding now (with skew), the audience, and
 * no condition we do not understand. Returns NotOnOrAfter.
 */
export function checkConditions(assertion: Element, ctx: ExchangeContext): number {
  const conditions = onlyChild(assertion, NS.saml, 'Conditions', 'conditions-invalid');
  const notBefore = optionalAttr(conditions, 'NotBefore');
  if (notBefore !== null && parseInstant(notBefore, 'conditions-invalid') > ctx.now + ctx.skewMs) {
    reject('conditions-not-yet-valid');
  }
  const notOnOrAfter = parseInstant(optionalAttr(conditions, 'NotOnOrAfter'), 'conditions-invalid');
  if (notOnOrAfter <= ctx.now - ctx.skewMs) reject('conditions-expired');
  for (const c of elementChildren(conditions)) {
    const known = c.namespaceURI === NS.saml && ['AudienceRestriction', 'OneTimeUse', 'ProxyRestriction'].includes(c.localName ?? '');
    if (!known) reject('conditions-invalid', { unknown: c.localName });
  }
  checkAudience(conditions, ctx);
  return notOnOrAfter;
}

export interface AuthnFacts {
  authnInstant: number;
  sessionNotOnOrAfter?: number;
  /** AuthnContextClassRef, or null when absent (the profile refuses that). */
  classRef: string | null;
  authenticatingAuthority?: string;
}

/**
 * Exactly one AuthnStatement in the outer assertion: AuthnInstant within the maximum age
 * (ForceAuthn means the person just logged in), SessionNotOnOrAfter not passed, the class ref.
 */
export function readAuthnStatement(assertion: Element, ctx: ExchangeContext): AuthnFacts {
  const statements = childrenNamed(assertion, NS.saml, 'AuthnStatement');
  if (statements.length !== 1) reject('authn-statement-invalid', { count: statements.length });
  const st = statements[0]!;
  const authnInstant = parseInstant(optionalAttr(st, 'AuthnInstant'), 'authn-statement-invalid');
  if (authnInstant > ctx.now + ctx.skewMs || authnInstant < ctx.now - ctx.maxAgeMs - ctx.skewMs) {
    reject('assertion-too-old', { why: 'AuthnInstant' });
  }
  const sessionAttr = optionalAttr(st, 'SessionNotOnOrAfter');
  const sessionNotOnOrAfter = sessionAttr === null ? undefined : parseInstant(sessionAttr, 'authn-statement-invalid');
  if (sessionNotOnOrAfter !== undefined && sessionNotOnOrAfter <= ctx.now) reject('session-expired');
  const context = onlyChild(st, NS.saml, 'AuthnContext', 'authn-statement-invalid');
  const refs = childrenNamed(context, NS.saml, 'AuthnContextClassRef');
  if (refs.length > 1) reject('authn-statement-invalid', { why: 'several class refs' });
  const classRef = refs[0] ? textOf(refs[0], 'authn-statement-invalid') : null;
  const authorities = childrenNamed(context, NS.saml, 'AuthenticatingAuthority');
  const authenticatingAuthority = authorities[0] ? textOf(authorities[0], 'authn-statement-invalid') : undefined;
  return {
    authnInstant,
    classRef,
    ...(sessionNotOnOrAfter !== undefined ? { sessionNotOnOrAfter } : {}),
    ...(authenticatingAuthority ? { authenticatingAuthority } : {}),
  };
}

export function isRejection(e: unknown): e is BrokerRejection {
  return e instanceof BrokerRejection;
}
