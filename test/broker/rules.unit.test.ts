// Each named rule function of the broker face on its own (issue 3, rules 1, 4 and 6), on small
// hand-written XML. The end-to-end suites prove the same rules through the whole pipeline.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { BrokerRejection, httpStatusFor, REASON_CODES } from '../../gateway/src/broker/BrokerRejection.ts';
import { parseArtifact, sourceIdOf } from '../../gateway/src/broker/Artifact.ts';
import { parseXml, MESSAGE_LIMITS, DECRYPTED_LIMITS } from '../../gateway/src/broker/XmlGuard.ts';
import {
  checkArtifactResponse,
  checkAssertionHeader,
  checkAudience,
  checkConditions,
  checkIssuer,
  checkResponseAddressing,
  checkResponseStatus,
  checkSubjectConfirmation,
  readAuthnStatement,
  topLevelAssertion,
  type ExchangeContext,
} from '../../gateway/src/broker/ResponseValidator.ts';
import {
  checkLegalSubjects,
  checkLevel,
  checkServiceId,
  checkServiceUuid,
  collectAttributes,
  readActingSubject,
  readLegalSubject,
  readVestigingsnummer,
  sameServiceId,
} from '../../gateway/src/broker/EherkenningProfile.ts';
import { candidateCerts } from '../../gateway/src/broker/SignatureVerifier.ts';
import { keyOrder } from '../../gateway/src/broker/EncryptedIdDecrypter.ts';
import { artifactResolutionEndpoint, parseDuration } from '../../gateway/src/broker/BrokerMetadata.ts';
import type { TrustedCert } from '../../gateway/src/broker/Certificates.ts';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const B = 'urn:etoegang:HM:00000003999999990000:entities:9632';
const US = 'urn:etoegang:DV:00000001234567890000:entities:9001';
const ACS = 'https://gw.example/saml/acs';
const NOW = Date.UTC(2026, 0, 15, 9, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const ctx: ExchangeContext = { brokerEntityId: B, spEntityId: US, acsUrl: ACS, requestId: '_req', resolveId: '_res', now: NOW, skewMs: 60_000, maxAgeMs: 300_000 };

function el(xml: string): Element {
  return parseXml(xml.replace(/^<(\w+:\w+|\w+)/, `<$1 xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}"`), MESSAGE_LIMITS).documentElement;
}
function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof BrokerRejection) return e.code;
    throw e;
  }
  return 'accepted';
}
const issuer = (v = B) => `<saml:Issuer>${v}</saml:Issuer>`;
const ok = '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>';

describe('broker face rules, one by one', () => {
  describe('BrokerRejection', () => {
    it('maps codes to 400/403 and outages to 503/504; codes are unique', () => {
      assert.equal(httpStatusFor('signature-invalid'), 400);
      assert.equal(httpStatusFor('level-too-low'), 403);
      assert.equal(httpStatusFor('artifact-resolve-timeout'), 504);
      assert.equal(httpStatusFor('store-unavailable'), 503);
      assert.equal(new Set(REASON_CODES).size, REASON_CODES.length);
    });
  });

  describe('XmlGuard', () => {
    const c = (xml: string) => code(() => parseXml(xml, MESSAGE_LIMITS));
    it('accepts one plain document', () => assert.equal(c('<?xml version="1.0" encoding="UTF-8"?><a><b x="1">t</b><!-- c --></a>'), 'accepted'));
    it('refuses any DOCTYPE', () => assert.equal(c('<!DOCTYPE a><a/>'), 'xml-doctype-forbidden'));
    it('refuses an ENTITY declaration smuggled anywhere', () => assert.equal(c('<a><!ENTITY x "y"></a>'), 'xml-doctype-forbidden'));
    it('refuses processing instructions', () => assert.equal(c('<a><?x y?></a>'), 'xml-forbidden-construct'));
    it('refuses a non-UTF-8 declaration', () => assert.equal(c('<?xml version="1.0" encoding="ISO-8859-1"?><a/>'), 'xml-malformed'));
    it('refuses two roots', () => assert.equal(c('<a/><b/>'), 'xml-multiple-roots'));
    it('refuses no root', () => assert.equal(c('   '), 'xml-malformed'));
    it('refuses malformed XML the parser would repair', () => assert.equal(c('<a><b></a>'), 'xml-malformed'));
    it('refuses an oversize input', () => assert.equal(code(() => parseXml(`<a>${'x'.repeat(9000)}</a>`, DECRYPTED_LIMITS)), 'xml-too-large'));
    it('refuses depth over the cap', () => assert.equal(c(`${'<a>'.repeat(41)}${'</a>'.repeat(41)}`), 'xml-too-deep'));
    it('refuses too many elements', () => assert.equal(c(`<a>${'<b/>'.repeat(4001)}</a>`), 'xml-too-many-elements'));
    it('refuses too many attributes', () => assert.equal(c(`<a ${Array.from({ length: 33 }, (_, i) => `x${i}="1"`).join(' ')}/>`), 'xml-too-many-attributes'));
    it('refuses duplicate ID values (any of ID, Id, id)', () => assert.equal(c('<a ID="x"><b Id="x"/></a>'), 'xml-duplicate-id'));
  });

  describe('parseArtifact', () => {
    const art = (type = 4, src = B, len = 44) => {
      const b = Buffer.alloc(len);
      b.writeUInt16BE(type, 0);
      b.writeUInt16BE(3, 2);
      sourceIdOf(src).copy(b, 4);
      return b.toString('base64');
    };
    it('finds the broker by SHA-1 of its EntityID', () => {
      const p = parseArtifact(art(), [B]);
      assert.equal(p.brokerEntityId, B);
      assert.equal(p.endpointIndex, 3);
      assert.equal(p.replayKey, createHash('sha256').update(Buffer.from(art(), 'base64')).digest('hex').length === 64 ? p.replayKey : '');
    });
    it('refuses type 0x0005', () => assert.equal(code(() => parseArtifact(art(5), [B])), 'artifact-malformed'));
    it('refuses a wrong length', () => assert.equal(code(() => parseArtifact(art(4, B, 43), [B])), 'artifact-malformed'));
    it('refuses non-base64 and non-strings', () => {
      assert.equal(code(() => parseArtifact('!'.repeat(60), [B])), 'artifact-malformed');
      assert.equal(code(() => parseArtifact(['x'], [B])), 'artifact-malformed');
    });
    it('refuses an unknown SourceID', () => assert.equal(code(() => parseArtifact(art(4, 'urn:other'), [B])), 'artifact-source-unknown'));
  });

  describe('ResponseValidator', () => {
    const ar = (attrs: string, inner: string) =>
      el(`<samlp:ArtifactResponse ID="_a" Version="2.0" IssueInstant="${iso(NOW)}" ${attrs}>${inner}</samlp:ArtifactResponse>`);
    const resp = `<samlp:Response ID="_r" Version="2.0" IssueInstant="${iso(NOW)}" Destination="${ACS}" InResponseTo="_req">${issuer()}${ok}</samlp:Response>`;
    it('checkIssuer: exact value, entity format only, no qualifiers', () => {
      assert.equal(code(() => checkIssuer(el(`<x>${issuer()}</x>`), B, 'response-issuer-mismatch')), 'accepted');
      assert.equal(code(() => checkIssuer(el(`<x>${issuer('urn:x')}</x>`), B, 'response-issuer-mismatch')), 'response-issuer-mismatch');
      assert.equal(code(() => checkIssuer(el(`<x><saml:Issuer NameQualifier="q">${B}</saml:Issuer></x>`), B, 'response-issuer-mismatch')), 'response-issuer-mismatch');
      assert.equal(code(() => checkIssuer(el(`<x>${issuer()}${issuer()}</x>`), B, 'response-issuer-mismatch')), 'response-issuer-mismatch');
    });
    it('checkArtifactResponse: InResponseTo, Issuer, Success, one Response', () => {
      assert.equal(code(() => checkArtifactResponse(ar('InResponseTo="_res"', `${issuer()}${ok}${resp}`), ctx)), 'accepted');
      assert.equal(code(() => checkArtifactResponse(ar('InResponseTo="_x"', `${issuer()}${ok}${resp}`), ctx)), 'artifact-response-in-response-to-mismatch');
      assert.equal(code(() => checkArtifactResponse(ar('InResponseTo="_res"', `${issuer('urn:x')}${ok}${resp}`), ctx)), 'artifact-response-issuer-mismatch');
      assert.equal(code(() => checkArtifactResponse(ar('InResponseTo="_res"', `${issuer()}${ok.replace('Success', 'Requester')}${resp}`), ctx)), 'artifact-response-status-not-success');
      assert.equal(code(() => checkArtifactResponse(ar('InResponseTo="_res"', `${issuer()}${ok}`), ctx)), 'artifact-response-empty');
      assert.equal(code(() => checkArtifactResponse(ar('InResponseTo="_res"', `${issuer()}${ok}${resp}<x/>`), ctx)), 'artifact-response-invalid');
    });
    const r = (attrs: string, inner = `${issuer()}${ok}`) => el(`<samlp:Response ID="_r" Version="2.0" IssueInstant="${iso(NOW)}" ${attrs}>${inner}</samlp:Response>`);
    it('checkResponseAddressing: Destination, InResponseTo, unsolicited, Extensions, IssueInstant', () => {
      assert.equal(code(() => checkResponseAddressing(r(`Destination="${ACS}" InResponseTo="_req"`), ctx)), 'accepted');
      assert.equal(code(() => checkResponseAddressing(r(`Destination="${ACS}/" InResponseTo="_req"`), ctx)), 'response-destination-mismatch');
      assert.equal(code(() => checkResponseAddressing(r(`InResponseTo="_req"`), ctx)), 'response-destination-mismatch');
      assert.equal(code(() => checkResponseAddressing(r(`Destination="${ACS}"`), ctx)), 'unsolicited-response');
      assert.equal(code(() => checkResponseAddressing(r(`Destination="${ACS}" InResponseTo="_other"`), ctx)), 'response-in-response-to-mismatch');
      assert.equal(code(() => checkResponseAddressing(r(`Destination="${ACS}" InResponseTo="_req"`, `${issuer()}<samlp:Extensions/>${ok}`), ctx)), 'response-extensions-present');
      assert.equal(code(() => checkResponseAddressing(el(`<samlp:Response ID="_r" Version="2.0" IssueInstant="${iso(NOW + 120_000)}" Destination="${ACS}" InResponseTo="_req">${issuer()}${ok}</samlp:Response>`), ctx)), 'response-issue-instant-invalid');
    });
    it('checkResponseStatus: Success, cancel, RequestUnsupported, RequestDenied, others', () => {
      const st = (top: string, second?: string) =>
        el(`<samlp:Response><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:${top}">${second ? `<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:${second}"/>` : ''}</samlp:StatusCode></samlp:Status></samlp:Response>`);
      assert.equal(code(() => checkResponseStatus(st('Success'))), 'accepted');
      assert.equal(code(() => checkResponseStatus(st('Responder', 'AuthnFailed'))), 'cancelled');
      assert.equal(code(() => checkResponseStatus(st('Requester', 'AuthnFailed'))), 'broker-status-error');
      assert.equal(code(() => checkResponseStatus(st('Requester', 'RequestUnsupported'))), 'broker-status-request-unsupported');
      assert.equal(code(() => checkResponseStatus(st('Responder', 'RequestDenied'))), 'broker-status-request-denied');
      assert.equal(code(() => checkResponseStatus(st('Responder'))), 'broker-status-error');
      assert.equal(code(() => checkResponseStatus(st('Success', 'AuthnFailed'))), 'broker-status-error');
    });
    it('topLevelAssertion: exactly one plain Assertion as a direct child', () => {
      assert.equal(code(() => topLevelAssertion(el('<samlp:Response><saml:Assertion ID="_1"/></samlp:Response>'))), 'accepted');
      assert.equal(code(() => topLevelAssertion(el('<samlp:Response><saml:Assertion ID="_1"/><saml:Assertion ID="_2"/></samlp:Response>'))), 'assertion-count-invalid');
      assert.equal(code(() => topLevelAssertion(el('<samlp:Response><x><saml:Assertion ID="_1"/></x></samlp:Response>'))), 'assertion-count-invalid');
      assert.equal(code(() => topLevelAssertion(el('<samlp:Response><saml:Assertion ID="_1"/><saml:EncryptedAssertion/></samlp:Response>'))), 'assertion-count-invalid');
    });
    const a = (inner: string, issued = NOW) => el(`<saml:Assertion ID="_as" Version="2.0" IssueInstant="${iso(issued)}">${issuer()}${inner}</saml:Assertion>`);
    it('checkAssertionHeader: Issuer and maximum age', () => {
      assert.equal(code(() => checkAssertionHeader(a(''), ctx)), 'accepted');
      assert.equal(code(() => checkAssertionHeader(a('', NOW - 400_000), ctx)), 'assertion-too-old');
      assert.equal(code(() => checkAssertionHeader(el(`<saml:Assertion ID="_as" Version="2.0" IssueInstant="${iso(NOW)}">${issuer('urn:x')}</saml:Assertion>`), ctx)), 'assertion-issuer-mismatch');
    });
    const sc = (method: string, data: string) =>
      `<saml:Subject><saml:NameID>x</saml:NameID><saml:SubjectConfirmation Method="${method}"><saml:SubjectConfirmationData ${data}/></saml:SubjectConfirmation></saml:Subject>`;
    const bearer = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
    const good = `InResponseTo="_req" Recipient="${ACS}" NotOnOrAfter="${iso(NOW + 60_000)}"`;
    it('checkSubjectConfirmation: one bearer, Recipient, InResponseTo, NotOnOrAfter', () => {
      assert.equal(code(() => checkSubjectConfirmation(a(sc(bearer, good)), ctx)), 'accepted');
      assert.equal(code(() => checkSubjectConfirmation(a(''), ctx)), 'subject-invalid');
      assert.equal(code(() => checkSubjectConfirmation(a(sc('urn:oasis:names:tc:SAML:2.0:cm:holder-of-key', good)), ctx)), 'subject-confirmation-invalid');
      assert.equal(code(() => checkSubjectConfirmation(a(sc(bearer, good.replace(ACS, 'https://x')) ), ctx)), 'subject-recipient-mismatch');
      assert.equal(code(() => checkSubjectConfirmation(a(sc(bearer, good.replace('_req', '_y'))), ctx)), 'subject-in-response-to-mismatch');
      assert.equal(code(() => checkSubjectConfirmation(a(sc(bearer, `InResponseTo="_req" Recipient="${ACS}"`)), ctx)), 'subject-expired');
      assert.equal(code(() => checkSubjectConfirmation(a(sc(bearer, good.replace(iso(NOW + 60_000), iso(NOW - 61_000)))), ctx)), 'subject-expired');
      assert.equal(code(() => checkSubjectConfirmation(a(sc(bearer, `${good} NotBefore="${iso(NOW + 120_000)}"`)), ctx)), 'subject-confirmation-invalid');
    });
    const cond = (attrs: string, inner: string) => `<saml:Conditions ${attrs}>${inner}</saml:Conditions>`;
    const aud = (v = US) => `<saml:AudienceRestriction><saml:Audience>${v}</saml:Audience></saml:AudienceRestriction>`;
    const window = `NotBefore="${iso(NOW - 1000)}" NotOnOrAfter="${iso(NOW + 60_000)}"`;
    it('checkConditions and checkAudience: window with skew, audience, unknown conditions', () => {
      assert.equal(code(() => checkConditions(a(cond(window, aud())), ctx)), 'accepted');
      assert.equal(code(() => checkConditions(a(cond(`NotBefore="${iso(NOW + 50_000)}" NotOnOrAfter="${iso(NOW + 90_000)}"`, aud())), ctx)), 'accepted');
      assert.equal(code(() => checkConditions(a(cond(`NotBefore="${iso(NOW + 70_000)}" NotOnOrAfter="${iso(NOW + 90_000)}"`, aud())), ctx)), 'conditions-not-yet-valid');
      assert.equal(code(() => checkConditions(a(cond(`NotOnOrAfter="${iso(NOW - 61_000)}"`, aud())), ctx)), 'conditions-expired');
      assert.equal(code(() => checkConditions(a(cond(window, aud('urn:x'))), ctx)), 'audience-mismatch');
      assert.equal(code(() => checkConditions(a(cond(window, `${aud()}<saml:Condition/>`)), ctx)), 'conditions-invalid');
      assert.equal(code(() => checkConditions(a(''), ctx)), 'conditions-invalid');
      assert.equal(code(() => checkAudience(el(`<saml:Conditions>${aud()}${aud('urn:x')}</saml:Conditions>`), ctx)), 'audience-mismatch');
      assert.equal(code(() => checkAudience(el('<saml:Conditions/>'), ctx)), 'audience-mismatch');
    });
    const authn = (attrs: string, ctxInner: string) => `<saml:AuthnStatement ${attrs}><saml:AuthnContext>${ctxInner}</saml:AuthnContext></saml:AuthnStatement>`;
    const loa3 = '<saml:AuthnContextClassRef>urn:etoegang:core:assurance-class:loa3</saml:AuthnContextClassRef>';
    it('readAuthnStatement: one statement, AuthnInstant age, SessionNotOnOrAfter, class ref from it only', () => {
      const f = readAuthnStatement(a(authn(`AuthnInstant="${iso(NOW)}" SessionNotOnOrAfter="${iso(NOW + 3600_000)}"`, loa3)), ctx);
      assert.equal(f.classRef, 'urn:etoegang:core:assurance-class:loa3');
      assert.equal(f.sessionNotOnOrAfter, NOW + 3600_000);
      assert.equal(code(() => readAuthnStatement(a(authn(`AuthnInstant="${iso(NOW - 400_000)}"`, loa3)), ctx)), 'assertion-too-old');
      assert.equal(code(() => readAuthnStatement(a(authn(`AuthnInstant="${iso(NOW)}" SessionNotOnOrAfter="${iso(NOW)}"`, loa3)), ctx)), 'session-expired');
      assert.equal(code(() => readAuthnStatement(a(authn(`AuthnInstant="${iso(NOW)}"`, loa3) + authn(`AuthnInstant="${iso(NOW)}"`, loa3)), ctx)), 'authn-statement-invalid');
      assert.equal(readAuthnStatement(a(`<saml:Advice><saml:Assertion>${authn(`AuthnInstant="${iso(NOW)}"`, loa3)}</saml:Assertion></saml:Advice>${authn(`AuthnInstant="${iso(NOW)}"`, '')}`), ctx).classRef, null);
    });
  });

  describe('EherkenningProfile', () => {
    const attrs = (inner: string) => el(`<saml:Assertion><saml:AttributeStatement>${inner}</saml:AttributeStatement></saml:Assertion>`);
    const attr = (name: string, ...values: string[]) => `<saml:Attribute Name="${name}">${values.map((v) => `<saml:AttributeValue>${v}</saml:AttributeValue>`).join('')}</saml:Attribute>`;
    const SID = 'urn:etoegang:DV:00000001234567890000:services:1';
    it('collectAttributes: a Map (so __proto__ is a plain key); duplicates refused', () => {
      const m = collectAttributes(attrs(attr('__proto__', 'x') + attr('a', 'y')));
      assert.ok(m instanceof Map);
      assert.equal(m.get('__proto__')!.length, 1);
      assert.equal(({} as Record<string, unknown>).x, undefined);
      assert.equal(code(() => collectAttributes(attrs(attr('a', 'y') + attr('a', 'z')))), 'attribute-duplicate');
      assert.equal(code(() => collectAttributes(attrs('<saml:Other/>'))), 'attribute-invalid');
    });
    it('checkLevel: only loa3/loa4 and at least the minimum', () => {
      const L = (l: string) => `urn:etoegang:core:assurance-class:${l}`;
      assert.equal(checkLevel(L('loa3'), L('loa3') as never), L('loa3'));
      assert.equal(checkLevel(L('loa4'), L('loa3') as never), L('loa4'));
      assert.equal(code(() => checkLevel(L('loa3'), L('loa4') as never)), 'level-too-low');
      assert.equal(code(() => checkLevel(L('loa2plus'), L('loa3') as never)), 'level-too-low');
      assert.equal(code(() => checkLevel(L('loa5'), L('loa3') as never)), 'level-unknown');
      assert.equal(code(() => checkLevel(null, L('loa3') as never)), 'level-missing');
    });
    it('sameServiceId / checkServiceId: index compared numerically, exactly one value', () => {
      assert.ok(sameServiceId(SID, 'urn:etoegang:DV:00000001234567890000:services:0001'));
      assert.ok(!sameServiceId(SID, 'urn:etoegang:DV:00000001234567890000:services:10'));
      assert.ok(!sameServiceId(SID, 'urn:etoegang:DV:00000001234567890001:services:1'));
      assert.ok(!sameServiceId(SID, `${SID} `.trim() + 'x'));
      const vals = (...v: string[]) => collectAttributes(attrs(attr('s', ...v))).get('s');
      assert.equal(checkServiceId(vals(SID), SID), SID);
      assert.equal(code(() => checkServiceId(undefined, SID)), 'service-id-missing');
      assert.equal(code(() => checkServiceId(vals(SID, SID), SID)), 'service-id-multiple');
      assert.equal(code(() => checkServiceId(vals('urn:etoegang:DV:00000001234567890000:services:2'), SID)), 'service-id-mismatch');
    });
    it('checkServiceUuid: case-insensitive UUID compare', () => {
      const U = '4f2e1f63-8c1e-4b0e-9d77-2b7b3f4a2c01';
      const vals = (...v: string[]) => collectAttributes(attrs(attr('s', ...v))).get('s');
      assert.equal(checkServiceUuid(vals(U.toUpperCase()), U), U);
      assert.equal(code(() => checkServiceUuid(vals('not-a-uuid'), U)), 'service-uuid-mismatch');
      assert.equal(code(() => checkServiceUuid(vals(U, U), U)), 'service-uuid-multiple');
      assert.equal(code(() => checkServiceUuid(undefined, U)), 'service-uuid-missing');
    });
    const nameId = (q: string, v: string, extra = '', format = 'persistent') =>
      el(`<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:${format}" NameQualifier="${q}"${extra}>${v}</saml:NameID>`);
    it('readActingSubject: persistent, …:EntityConcernedID:Pseudo, 64 hex (+ @ 32 hex)', () => {
      const P = 'urn:etoegang:1.9:EntityConcernedID:Pseudo';
      assert.equal(readActingSubject(nameId(P, 'a'.repeat(64))), 'a'.repeat(64));
      assert.equal(readActingSubject(nameId(P, `${'A'.repeat(64)}@${'b'.repeat(32)}`)), `${'A'.repeat(64)}@${'b'.repeat(32)}`);
      assert.equal(code(() => readActingSubject(nameId(P, 'g'.repeat(64)))), 'acting-subject-invalid');
      assert.equal(code(() => readActingSubject(nameId(P, 'a'.repeat(64), '', 'transient'))), 'acting-subject-invalid');
      assert.equal(code(() => readActingSubject(nameId(P, 'a'.repeat(64), ' SPNameQualifier="x"'))), 'acting-subject-invalid');
      assert.equal(code(() => readActingSubject(nameId('urn:etoegang:1.9:EntityConcernedID:PseudoID', 'a'.repeat(64)))), 'acting-subject-invalid');
    });
    it('readLegalSubject / checkLegalSubjects: KvKnr 8 digits, RSIN 9 digits, one per type', () => {
      assert.deepEqual(readLegalSubject(nameId('urn:etoegang:1.9:EntityConcernedID:KvKnr', '12345678')).type, 'KvKnr');
      assert.deepEqual(readLegalSubject(nameId('urn:etoegang:1.9:EntityConcernedID:RSIN', '123456789')).type, 'RSIN');
      assert.equal(code(() => readLegalSubject(nameId('urn:etoegang:1.9:EntityConcernedID:KvKnr', '123456789'))), 'legal-subject-invalid');
      assert.equal(code(() => readLegalSubject(nameId('urn:etoegang:1.12:EntityConcernedID:BSN', '123456782'))), 'legal-subject-invalid');
      assert.equal(code(() => checkLegalSubjects([])), 'legal-subject-missing');
      const k = { type: 'KvKnr' as const, value: '12345678', qualifier: 'q' };
      assert.equal(code(() => checkLegalSubjects([k, k])), 'legal-subject-invalid');
    });
    it('readVestigingsnummer: optional, one value of 12 digits', () => {
      const vals = (...v: string[]) => collectAttributes(attrs(attr('v', ...v))).get('v');
      assert.equal(readVestigingsnummer(undefined), undefined);
      assert.equal(readVestigingsnummer(vals('000012345678')), '000012345678');
      assert.equal(code(() => readVestigingsnummer(vals('12345678'))), 'vestigingsnummer-invalid');
      assert.equal(code(() => readVestigingsnummer(vals('000012345678', '000012345679'))), 'vestigingsnummer-invalid');
    });
  });

  describe('key and certificate selection', () => {
    const cert = (sha256: string, notAfter = NOW + 1000): TrustedCert => ({ pem: '', sha256, sha1: `${sha256}-1`, keyNames: [], notBefore: 0, notAfter });
    it('candidateCerts: KeyName narrows, unknown KeyName falls back to all, expired ones never', () => {
      const a = cert('aa');
      const b = cert('bb');
      const old = cert('cc', NOW - 1);
      assert.deepEqual(candidateCerts([a, b, old], ['bb'], NOW), [b]);
      assert.deepEqual(candidateCerts([a, b, old], ['zz'], NOW), [a, b]);
      assert.deepEqual(candidateCerts([a, b, old], [], NOW), [a, b]);
      assert.deepEqual(candidateCerts([old], ['cc'], NOW), []);
    });
    it('keyOrder: the key named by SHA-256 or SHA-1 first, then the rest', () => {
      const active = { keyPem: 'a', sha256: 'a256', sha1: 'a1' };
      const previous = { keyPem: 'p', sha256: 'p256', sha1: 'p1' };
      assert.deepEqual(keyOrder([active, previous], []), [active, previous]);
      assert.deepEqual(keyOrder([active, previous], ['p1']), [previous, active]);
      assert.deepEqual(keyOrder([active, previous], ['p256']), [previous, active]);
    });
    it('artifactResolutionEndpoint: the artifact index, else the default, else the first', () => {
      const d = {
        entityId: B, ssoPost: null, ssoRedirect: null, signingCerts: [], validUntil: null,
        artifactResolution: [
          { binding: 's', location: 'https://a', index: 0, isDefault: false },
          { binding: 's', location: 'https://b', index: 1, isDefault: true },
        ],
      };
      assert.equal(artifactResolutionEndpoint(d, 0)!.location, 'https://a');
      assert.equal(artifactResolutionEndpoint(d, 7)!.location, 'https://b');
    });
    it('parseDuration: metadata cacheDuration', () => {
      assert.equal(parseDuration('P7D'), 7 * 86_400_000);
      assert.equal(parseDuration('PT1H30M'), 5_400_000);
      assert.equal(parseDuration('P'), null);
      assert.equal(parseDuration('7 days'), null);
    });
  });
});
