// Rules 4, 6 and 8 end to end: every semantic rule violated once in an answer the broker signs
// properly (mutations before signing), each refused with its own code and nothing stored.
import assert from 'node:assert/strict';
import { Harness, SERVICE_UUID, SP_ENTITY } from '../support/saml/harness.ts';
import { assertRefused } from '../support/saml/expect.ts';
import { NS, STATUS, newId, type GoldenOptions } from '../support/saml/golden.ts';

const LOA = (l: string) => `urn:etoegang:core:assurance-class:${l}`;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function first(root: Element, ns: string, local: string): Element {
  const found = root.getElementsByTagNameNS(ns, local);
  if (!found[0]) throw new Error(`no ${local}`);
  return found[0];
}
/** A direct child (the outer assertion's own statements, never the Advice's). */
function child(el: Element, ns: string, local: string): Element {
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 1 && (c as Element).namespaceURI === ns && (c as Element).localName === local) return c as Element;
  }
  throw new Error(`no ${local} child`);
}
function attrValues(a: Element, name: string): Element {
  const st = child(a, NS.saml, 'AttributeStatement');
  for (let c = st.firstChild; c; c = c.nextSibling) if ((c as Element).getAttribute?.('Name') === name) return c as Element;
  throw new Error(`no attribute ${name}`);
}
function setText(el: Element, text: string): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  el.appendChild(el.ownerDocument.createTextNode(text));
}
function response(ar: Element): Element {
  return first(ar, NS.samlp, 'Response');
}

describe('broker face: semantic rules (signed, but wrong)', function () {
  let h: Harness;
  before(async () => {
    h = await Harness.create();
  });
  after(async () => h?.close());

  const cases: Array<[string, string, (h: Harness) => Partial<GoldenOptions>]> = [
    // eHerkenning profile (rule 6)
    ['level loa2', 'level-too-low', () => ({ level: LOA('loa2') })],
    ['level loa2plus', 'level-too-low', () => ({ level: LOA('loa2plus') })],
    ['level missing', 'level-missing', () => ({ level: null })],
    ['level unknown URN', 'level-unknown', () => ({ level: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport' })],
    ['two AuthnStatements', 'authn-statement-invalid', () => ({
      mutateAssertion: (a) => a.insertBefore(child(a, NS.saml, 'AuthnStatement').cloneNode(true), child(a, NS.saml, 'AttributeStatement')),
    })],
    ['another ServiceID', 'service-id-mismatch', () => ({ serviceId: 'urn:etoegang:DV:00000001234567890000:services:2' })],
    ['another OIN in the ServiceID', 'service-id-mismatch', () => ({ serviceId: 'urn:etoegang:DV:00000009999999990000:services:1' })],
    ['ServiceID missing', 'service-id-missing', () => ({
      mutateAssertion: (a) => attrValues(a, 'urn:etoegang:core:ServiceID').parentNode!.removeChild(attrValues(a, 'urn:etoegang:core:ServiceID')),
    })],
    ['two ServiceID values', 'service-id-multiple', () => ({
      mutateAssertion: (a) => {
        const at = attrValues(a, 'urn:etoegang:core:ServiceID');
        at.appendChild(first(at, NS.saml, 'AttributeValue').cloneNode(true));
      },
    })],
    ['ServiceID attribute twice', 'attribute-duplicate', () => ({
      mutateAssertion: (a) => {
        const at = attrValues(a, 'urn:etoegang:core:ServiceID');
        at.parentNode!.appendChild(at.cloneNode(true));
      },
    })],
    ['ServiceID split by a comment before signing', 'service-id-mismatch', () => ({
      mutateAssertion: (a, doc) => {
        const v = first(attrValues(a, 'urn:etoegang:core:ServiceID'), NS.saml, 'AttributeValue');
        v.appendChild(doc.createComment('x'));
        v.appendChild(doc.createTextNode('9'));
      },
    })],
    ['another ServiceUUID', 'service-uuid-mismatch', () => ({ serviceUuid: '00000000-0000-4000-8000-000000000000' })],
    ['ServiceUUID missing', 'service-uuid-missing', () => ({
      mutateAssertion: (a) => attrValues(a, 'urn:etoegang:core:ServiceUUID').parentNode!.removeChild(attrValues(a, 'urn:etoegang:core:ServiceUUID')),
    })],
    ['pseudonym of the wrong shape', 'acting-subject-invalid', () => ({ pseudonym: 'ab'.repeat(31) })],
    ['pseudonym with a short representation part', 'acting-subject-invalid', () => ({ pseudonym: `${'ab'.repeat(32)}@${'cd'.repeat(15)}` })],
    ['ActingSubjectID that is not a Pseudo', 'acting-subject-invalid', () => ({ pseudonymQualifier: 'urn:etoegang:1.9:EntityConcernedID:KvKnr' })],
    ['ActingSubjectID in plain text', 'acting-subject-invalid', () => ({
      mutateAssertion: (a) => setText(first(attrValues(a, 'urn:etoegang:core:ActingSubjectID'), NS.saml, 'AttributeValue'), 'ab'.repeat(32)),
    })],
    ['ActingSubjectID missing', 'acting-subject-missing', () => ({
      mutateAssertion: (a) => attrValues(a, 'urn:etoegang:core:ActingSubjectID').parentNode!.removeChild(attrValues(a, 'urn:etoegang:core:ActingSubjectID')),
    })],
    ['LegalSubjectID a BSN', 'legal-subject-invalid', () => ({ legalSubjects: [{ qualifier: 'urn:etoegang:1.12:EntityConcernedID:BSN', value: '123456782' }] })],
    ['KvKnr of 7 digits', 'legal-subject-invalid', () => ({ legalSubjects: [{ qualifier: 'urn:etoegang:1.9:EntityConcernedID:KvKnr', value: '1234567' }] })],
    ['RSIN of 8 digits', 'legal-subject-invalid', () => ({ legalSubjects: [{ qualifier: 'urn:etoegang:1.9:EntityConcernedID:RSIN', value: '12345678' }] })],
    ['two KvKnrs', 'legal-subject-invalid', () => ({ legalSubjects: [
      { qualifier: 'urn:etoegang:1.9:EntityConcernedID:KvKnr', value: '12345678' },
      { qualifier: 'urn:etoegang:1.9:EntityConcernedID:KvKnr', value: '87654321' },
    ] })],
    ['LegalSubjectID missing', 'legal-subject-missing', () => ({ legalSubjects: [] })],
    ['vestigingsnummer of 11 digits', 'vestigingsnummer-invalid', () => ({ vestigingsnr: '00001234567' })],
    // Assertion (rule 4)
    ['assertion Issuer of another party', 'assertion-issuer-mismatch', () => ({
      mutateAssertion: (a) => setText(first(a, NS.saml, 'Issuer'), 'urn:etoegang:HM:00000003888888880000:entities:9633'),
    })],
    ['assertion IssueInstant too old', 'assertion-too-old', (h) => ({
      mutateAssertion: (a) => a.setAttribute('IssueInstant', iso(h.clock.now() - 10 * 60_000)),
    })],
    ['assertion IssueInstant in the future', 'assertion-too-old', (h) => ({
      mutateAssertion: (a) => a.setAttribute('IssueInstant', iso(h.clock.now() + 5 * 60_000)),
    })],
    ['AuthnInstant too old', 'assertion-too-old', (h) => ({
      mutateAssertion: (a) => child(a, NS.saml, 'AuthnStatement').setAttribute('AuthnInstant', iso(h.clock.now() - 10 * 60_000)),
    })],
    ['SessionNotOnOrAfter passed', 'session-expired', (h) => ({
      mutateAssertion: (a) => child(a, NS.saml, 'AuthnStatement').setAttribute('SessionNotOnOrAfter', iso(h.clock.now() - 1000)),
    })],
    ['no Subject', 'subject-invalid', () => ({ mutateAssertion: (a) => a.removeChild(first(a, NS.saml, 'Subject')) })],
    ['holder-of-key confirmation', 'subject-confirmation-invalid', () => ({
      mutateAssertion: (a) => first(a, NS.saml, 'SubjectConfirmation').setAttribute('Method', 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key'),
    })],
    ['a second SubjectConfirmation', 'subject-confirmation-invalid', () => ({
      mutateAssertion: (a) => {
        const sc = first(a, NS.saml, 'SubjectConfirmation');
        sc.parentNode!.appendChild(sc.cloneNode(true));
      },
    })],
    ['Recipient not our ACS', 'subject-recipient-mismatch', () => ({
      mutateAssertion: (a) => first(a, NS.saml, 'SubjectConfirmationData').setAttribute('Recipient', 'https://evil.example/saml/acs'),
    })],
    ['bearer InResponseTo another request', 'subject-in-response-to-mismatch', () => ({
      mutateAssertion: (a) => first(a, NS.saml, 'SubjectConfirmationData').setAttribute('InResponseTo', newId()),
    })],
    ['bearer NotOnOrAfter passed', 'subject-expired', (h) => ({
      mutateAssertion: (a) => first(a, NS.saml, 'SubjectConfirmationData').setAttribute('NotOnOrAfter', iso(h.clock.now() - 61_000)),
    })],
    ['no Conditions', 'conditions-invalid', () => ({ mutateAssertion: (a) => a.removeChild(first(a, NS.saml, 'Conditions')) })],
    ['Conditions not yet valid', 'conditions-not-yet-valid', (h) => ({
      mutateAssertion: (a) => first(a, NS.saml, 'Conditions').setAttribute('NotBefore', iso(h.clock.now() + 2 * 60_000)),
    })],
    ['Conditions expired', 'conditions-expired', (h) => ({
      mutateAssertion: (a) => first(a, NS.saml, 'Conditions').setAttribute('NotOnOrAfter', iso(h.clock.now() - 61_000)),
    })],
    ['another Audience', 'audience-mismatch', () => ({
      mutateAssertion: (a) => setText(first(a, NS.saml, 'Audience'), 'urn:etoegang:DV:00000009999999990000:entities:9001'),
    })],
    ['a second AudienceRestriction without us', 'audience-mismatch', () => ({
      mutateAssertion: (a, doc) => {
        const r = doc.createElementNS(NS.saml, 'saml:AudienceRestriction');
        const au = doc.createElementNS(NS.saml, 'saml:Audience');
        au.appendChild(doc.createTextNode('urn:other'));
        r.appendChild(au);
        first(a, NS.saml, 'Conditions').appendChild(r);
      },
    })],
    // Response (rule 4)
    ['Response Destination elsewhere', 'response-destination-mismatch', () => ({
      mutateArtifactResponse: (ar) => response(ar).setAttribute('Destination', 'https://evil.example/saml/acs'),
    })],
    ['Response Issuer of another party', 'response-issuer-mismatch', () => ({
      mutateArtifactResponse: (ar) => setText(first(response(ar), NS.saml, 'Issuer'), 'urn:other'),
    })],
    ['Response Issuer with a Format', 'response-issuer-mismatch', () => ({
      mutateArtifactResponse: (ar) => first(response(ar), NS.saml, 'Issuer').setAttribute('Format', 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified'),
    })],
    ['Response InResponseTo another request', 'response-in-response-to-mismatch', () => ({
      mutateArtifactResponse: (ar) => response(ar).setAttribute('InResponseTo', newId()),
    })],
    ['Response without InResponseTo (unsolicited)', 'unsolicited-response', () => ({
      mutateArtifactResponse: (ar) => response(ar).removeAttribute('InResponseTo'),
    })],
    ['Response with Extensions', 'response-extensions-present', () => ({
      mutateArtifactResponse: (ar, doc) => {
        const r = response(ar);
        r.insertBefore(doc.createElementNS(NS.samlp, 'samlp:Extensions'), first(r, NS.samlp, 'Status'));
      },
    })],
    ['two top-level assertions', 'assertion-count-invalid', () => ({
      mutateArtifactResponse: (ar) => {
        const a = first(response(ar), NS.saml, 'Assertion');
        const copy = a.cloneNode(true) as Element;
        copy.setAttribute('ID', newId());
        // keep IDs unique (EncryptedData/Key Ids, the Advice assertion) so the count rule is what trips
        copy.removeChild(child(copy, NS.saml, 'AttributeStatement'));
        copy.removeChild(child(copy, NS.saml, 'Advice'));
        response(ar).appendChild(copy);
      },
    })],
    ['an EncryptedAssertion beside the assertion', 'assertion-count-invalid', () => ({
      mutateArtifactResponse: (ar, doc) => response(ar).appendChild(doc.createElementNS(NS.saml, 'saml:EncryptedAssertion')),
    })],
    ['no assertion at all', 'assertion-count-invalid', () => ({ withAssertion: false })],
    // ArtifactResponse (rule 4)
    ['ArtifactResponse InResponseTo another resolve', 'artifact-response-in-response-to-mismatch', () => ({
      mutateArtifactResponse: (ar) => ar.setAttribute('InResponseTo', newId()),
    })],
    ['ArtifactResponse Issuer of another party', 'artifact-response-issuer-mismatch', () => ({
      mutateArtifactResponse: (ar) => setText(first(ar, NS.saml, 'Issuer'), 'urn:other'),
    })],
    ['ArtifactResponse status not Success', 'artifact-response-status-not-success', () => ({
      mutateArtifactResponse: (ar) => first(ar, NS.samlp, 'StatusCode').setAttribute('Value', STATUS.requester),
    })],
    ['ArtifactResponse without a Response (unknown artifact)', 'artifact-response-empty', () => ({
      mutateArtifactResponse: (ar) => ar.removeChild(response(ar)),
    })],
    // Broker status codes (rule 8)
    ['Requester/RequestUnsupported', 'broker-status-request-unsupported', () => ({ status: { top: STATUS.requester, second: STATUS.requestUnsupported } })],
    ['Responder/RequestDenied', 'broker-status-request-denied', () => ({ status: { top: STATUS.responder, second: STATUS.requestDenied } })],
    ['bare Requester', 'broker-status-error', () => ({ status: { top: STATUS.requester } })],
  ];

  for (const [what, code, options] of cases) {
    it(`refuses ${what} → ${code}`, async () => {
      const out = await h.login(options(h));
      assertRefused(h, out, code);
    });
  }

  it('Responder/AuthnFailed is a cancel: calm, cancelled=true, and the request is used up', async () => {
    const out = await h.login({ status: { top: STATUS.responder, second: STATUS.authnFailed } });
    assertRefused(h, out, 'cancelled', { cancelled: true, status: 400 });
    assert.equal(out.failure!.loginKey, 'login-1');
    // The request record is gone: the same RelayState cannot be answered again.
    const again = await h.acs({ artifact: out.artifact, relayState: out.started.relayState, cookie: out.started.cookie });
    assertRefused(h, again, 'request-unknown');
  });

  it('a refused level is a 403 with the login key', async () => {
    const out = await h.login({ level: LOA('loa2') });
    assert.equal(out.status, 403);
    assert.equal(out.failure!.loginKey, 'login-1');
  });

  describe('accepted variants', () => {
    const ok: Array<[string, (h: Harness) => Partial<GoldenOptions>, (id: NonNullable<Awaited<ReturnType<Harness['login']>>['identity']>) => void]> = [
      ['loa4', () => ({ level: LOA('loa4') }), (id) => assert.equal(id.level, LOA('loa4'))],
      ['a ServiceID index with leading zeros', () => ({ serviceId: 'urn:etoegang:DV:00000001234567890000:services:0001' }), () => undefined],
      ['an upper-case ServiceUUID', () => ({ serviceUuid: SERVICE_UUID.toUpperCase() }), (id) => assert.equal(id.serviceUuid, SERVICE_UUID)],
      ['KvKnr and RSIN together', () => ({ legalSubjects: [
        { qualifier: 'urn:etoegang:1.9:EntityConcernedID:KvKnr', value: '12345678' },
        { qualifier: 'urn:etoegang:1.9:EntityConcernedID:RSIN', value: '123456789' },
      ] }), (id) => assert.deepEqual(id.legalSubjects.map((l) => l.type), ['KvKnr', 'RSIN'])],
      ['a 1.13 Pseudo qualifier and a pseudonym without representation', () => ({
        pseudonymQualifier: 'urn:etoegang:1.13:EntityConcernedID:Pseudo',
        pseudonym: 'ab'.repeat(32),
      }), (id) => assert.equal(id.pseudonym, 'ab'.repeat(32))],
      ['no vestiging restriction', () => ({}), (id) => assert.equal(id.vestigingsnummer, undefined)],
      ['an Advice whose inner assertion says loa2 and another service (never read)', () => ({ advice: true }), (id) => {
        assert.equal(id.level, LOA('loa3'));
      }],
      ['attribute names like __proto__ and constructor', () => ({
        mutateAssertion: (a, doc) => {
          const st = child(a, NS.saml, 'AttributeStatement');
          for (const name of ['__proto__', 'constructor', 'hasOwnProperty']) {
            const at = doc.createElementNS(NS.saml, 'saml:Attribute');
            at.setAttribute('Name', name);
            const v = doc.createElementNS(NS.saml, 'saml:AttributeValue');
            v.appendChild(doc.createTextNode('{"polluted":true}'));
            at.appendChild(v);
            st.appendChild(at);
          }
        },
      }), () => assert.equal(({} as Record<string, unknown>).polluted, undefined)],
      ['a signed Response inside the signed ArtifactResponse', (h) => ({ signResponse: { key: h.pki.brokerSigning } }), () => undefined],
      ['a SubjectConfirmationData without NotBefore, Conditions with OneTimeUse', () => ({
        mutateAssertion: (a, doc) => first(a, NS.saml, 'Conditions').appendChild(doc.createElementNS(NS.saml, 'saml:OneTimeUse')),
      }), () => undefined],
    ];
    for (const [what, options, check] of ok) {
      it(`accepts ${what}`, async () => {
        const out = await h.login(options(h));
        assert.equal(out.failure, null, JSON.stringify(out.failure));
        assert.ok(out.identity);
        check(out.identity!);
      });
    }
  });

  it('the audience is our EntityID', () => assert.equal(SP_ENTITY, h.config.service.entityId));
});
