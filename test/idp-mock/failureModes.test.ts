// Every failure switch, selected per login the way a gateway test would (IdpMock.nextLogin),
// changes the answer exactly as its name says.
import assert from 'node:assert/strict';
import { FAILURE_MODES, FAILURE_MODE_NAMES, type FailureMode } from '../../idp-mock/src/index.ts';
import { pseudonymFor } from '../../idp-mock/src/personas.ts';
import {
  ACS_URL,
  DV_ENTITY_ID,
  MOCK_ENTITY_ID,
  N,
  SERVICE_ID,
  SERVICE_UUID,
  all,
  decrypt,
  fingerprint,
  kid,
  kids,
  parse,
  text,
  verifies,
  type Resolved,
} from './support/fakeDv.ts';
import { startHarness, type Harness, type LoginResult } from './support/harness.ts';

const S = 'urn:oasis:names:tc:SAML:2.0:status:';
const LOA = 'urn:etoegang:core:assurance-class:';

interface Ctx {
  h: Harness;
  login: LoginResult;
  r: Resolved & { resolveId?: string };
}

function outerLevel(r: Resolved): string {
  return text(kid(kid(kid(r.assertion!, N.saml, 'AuthnStatement'), N.saml, 'AuthnContext'), N.saml, 'AuthnContextClassRef'));
}

function encryptedIds(r: Resolved, attr = 'urn:etoegang:core:ActingSubjectID'): Element[] {
  return r.attributes.get(attr)!.map((v) => kid(v, N.saml, 'EncryptedID'));
}

async function actingNameId(c: Ctx): Promise<string> {
  return text(parse(await decrypt(encryptedIds(c.r)[0]!, c.h.pki.dvSaml.keyPem)).documentElement!);
}

function contentAlg(r: Resolved): string {
  return kid(kid(encryptedIds(r)[0]!, N.xenc, 'EncryptedData'), N.xenc, 'EncryptionMethod').getAttribute('Algorithm')!;
}

function keyAlg(r: Resolved): string {
  return kid(kid(encryptedIds(r)[0]!, N.xenc, 'EncryptedKey'), N.xenc, 'EncryptionMethod').getAttribute('Algorithm')!;
}

function assertionSignature(r: Resolved): Element {
  return kid(r.assertion!, N.ds, 'Signature');
}

function scd(r: Resolved): Element {
  return kid(kid(kid(r.assertion!, N.saml, 'Subject'), N.saml, 'SubjectConfirmation'), N.saml, 'SubjectConfirmationData');
}

/** What each switch must do to the answer; the baseline (no switch) is checked too. */
const CHECKS: Record<FailureMode, (c: Ctx) => void | Promise<void>> = {
  cancel: ({ r }) => {
    assert.deepEqual(r.statusCodes, [`${S}Responder`, `${S}AuthnFailed`]);
    assert.equal(r.assertion, undefined);
  },
  'no-machtiging': ({ r }) => {
    assert.deepEqual(r.statusCodes, [`${S}Responder`, `${S}RequestDenied`]);
    assert.equal(r.assertion, undefined);
  },
  'request-unsupported': ({ r }) => {
    assert.deepEqual(r.statusCodes, [`${S}Requester`, `${S}RequestUnsupported`]);
    assert.equal(r.assertion, undefined);
  },
  'lower-level': ({ r }) => assert.equal(outerLevel(r), `${LOA}loa2plus`),
  'wrong-service-id': ({ r }) => {
    const v = r.attributes.get('urn:etoegang:core:ServiceID')!.map(text);
    assert.equal(v.length, 1);
    assert.notEqual(v[0], SERVICE_ID);
    assert.match(v[0]!, /^urn:etoegang:DV:00000001234567890000:services:\d+$/);
    // The Advice MR assertion now carries the right one (a reader of the wrong assertion passes wrongly).
    assert.ok(all(kid(r.assertion!, N.saml, 'Advice'), N.saml, 'AttributeValue').some((e) => text(e) === SERVICE_ID));
  },
  'wrong-service-uuid': ({ r }) => {
    const v = r.attributes.get('urn:etoegang:core:ServiceUUID')!.map(text);
    assert.equal(v.length, 1);
    assert.notEqual(v[0], SERVICE_UUID);
    assert.match(v[0]!, /^[0-9a-f-]{36}$/);
  },
  'two-service-ids': ({ r }) => {
    const v = r.attributes.get('urn:etoegang:core:ServiceID')!.map(text);
    assert.equal(v.length, 2);
    assert.equal(v[0], SERVICE_ID);
    assert.notEqual(v[1], SERVICE_ID);
  },
  'duplicate-service-id-attribute': ({ r }) => {
    const attrs = all(kid(r.assertion!, N.saml, 'AttributeStatement'), N.saml, 'Attribute').filter(
      (a) => a.getAttribute('Name') === 'urn:etoegang:core:ServiceID',
    );
    assert.equal(attrs.length, 2);
    assert.deepEqual(attrs.map((a) => text(a)), [SERVICE_ID, SERVICE_ID]);
  },
  'no-service-id': ({ r }) => {
    assert.equal(r.attributes.has('urn:etoegang:core:ServiceID'), false);
    assert.deepEqual(r.attributes.get('urn:etoegang:core:ServiceUUID')!.map(text), [SERVICE_UUID]);
  },
  'vestiging-restriction': ({ r }) =>
    assert.deepEqual(r.attributes.get('urn:etoegang:1.9:ServiceRestriction:Vestigingsnr')!.map(text), ['000012345678']),
  'rotated-pseudonym': async (c) => {
    const jan = c.h.mock.personas.find((p) => p.id === 'jan')!;
    const got = await actingNameId(c);
    assert.notEqual(got, pseudonymFor(jan, DV_ENTITY_ID));
    assert.equal(got, pseudonymFor(jan, DV_ENTITY_ID, { rotated: true }));
    assert.match(got, /^[0-9A-F]{64}@[0-9A-F]{32}$/);
  },
  'no-advice': ({ r }) => assert.equal(kids(r.assertion!, N.saml, 'Advice').length, 0),
  'expired-assertion': ({ h, r }) => {
    // Only the assertion is stale; the Response that carries it is the broker's fresh message.
    assert.ok(Math.abs(Date.parse(r.response!.getAttribute('IssueInstant')!) - h.clock.now()) < 1000);
    const cond = kid(r.assertion!, N.saml, 'Conditions');
    assert.ok(Date.parse(cond.getAttribute('NotOnOrAfter')!) <= h.clock.now());
    assert.ok(Date.parse(scd(r).getAttribute('NotOnOrAfter')!) <= h.clock.now());
    assert.ok(verifies(r.xml, r.assertion!, h.pki.mockSigning.certPem), 'still properly signed');
  },
  'wrong-audience': ({ r }) => {
    const aud = text(all(kid(r.assertion!, N.saml, 'Conditions'), N.saml, 'Audience')[0]);
    assert.notEqual(aud, DV_ENTITY_ID);
    assert.match(aud, /^urn:etoegang:DV:/);
  },
  'wrong-recipient': ({ r }) => {
    assert.notEqual(scd(r).getAttribute('Recipient'), ACS_URL);
    assert.equal(r.response!.getAttribute('Destination'), ACS_URL);
  },
  'wrong-destination': ({ r }) => {
    assert.notEqual(r.response!.getAttribute('Destination'), ACS_URL);
    assert.equal(scd(r).getAttribute('Recipient'), ACS_URL);
  },
  'wrong-in-response-to': ({ r, login }) => {
    assert.notEqual(r.response!.getAttribute('InResponseTo'), login.authnRequestId);
    assert.notEqual(scd(r).getAttribute('InResponseTo'), login.authnRequestId);
  },
  'wrong-resolve-in-response-to': ({ r }) => {
    assert.ok(r.resolveId);
    assert.notEqual(r.artifactResponse.getAttribute('InResponseTo'), r.resolveId);
    assert.ok(r.assertion);
  },
  'artifact-response-not-success': ({ r }) => {
    assert.equal(kid(kid(r.artifactResponse, N.samlp, 'Status'), N.samlp, 'StatusCode').getAttribute('Value'), `${S}Responder`);
    assert.deepEqual(r.statusCodes, [`${S}Success`]);
  },
  'wrong-issuer': ({ h, r }) => {
    assert.notEqual(text(kid(r.assertion!, N.saml, 'Issuer')), MOCK_ENTITY_ID);
    assert.equal(text(kid(r.response!, N.saml, 'Issuer')), MOCK_ENTITY_ID);
    assert.ok(verifies(r.xml, r.assertion!, h.pki.mockSigning.certPem));
  },
  'holder-of-key': ({ r }) =>
    assert.equal(
      kid(kid(r.assertion!, N.saml, 'Subject'), N.saml, 'SubjectConfirmation').getAttribute('Method'),
      'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key',
    ),
  'bad-signature': ({ h, r }) => {
    assert.equal(kids(r.assertion!, N.ds, 'Signature').length, 1);
    assert.equal(verifies(r.xml, r.assertion!, h.pki.mockSigning.certPem), false);
    assert.equal(outerLevel(r), `${LOA}loa4`, 'the level was raised after signing');
    assert.ok(verifies(r.xml, r.artifactResponse, h.pki.mockSigning.certPem), 'the ArtifactResponse itself is fine');
  },
  'bad-artifact-response-signature': ({ h, r }) => {
    assert.equal(verifies(r.xml, r.artifactResponse, h.pki.mockSigning.certPem), false);
    assert.ok(verifies(r.xml, r.assertion!, h.pki.mockSigning.certPem));
  },
  'unsigned-assertion': ({ h, r }) => {
    assert.equal(kids(r.assertion!, N.ds, 'Signature').length, 0);
    assert.ok(verifies(r.xml, r.artifactResponse, h.pki.mockSigning.certPem));
  },
  'untrusted-key': ({ h, r }) => {
    const sig = assertionSignature(r);
    assert.equal(verifies(r.xml, r.assertion!, h.pki.mockSigning.certPem), false);
    assert.notEqual(text(all(sig, N.ds, 'KeyName')[0]), fingerprint(h.pki.mockSigning.certPem));
  },
  'sha1-signature': ({ h, r }) => {
    const si = kid(assertionSignature(r), N.ds, 'SignedInfo');
    assert.equal(kid(si, N.ds, 'SignatureMethod').getAttribute('Algorithm'), 'http://www.w3.org/2000/09/xmldsig#rsa-sha1');
    assert.equal(kid(kid(si, N.ds, 'Reference'), N.ds, 'DigestMethod').getAttribute('Algorithm'), 'http://www.w3.org/2000/09/xmldsig#sha1');
    assert.ok(verifies(r.xml, r.assertion!, h.pki.mockSigning.certPem), 'valid, only weak');
  },
  'signed-response': ({ h, r }) => {
    assert.equal(kids(r.response!, N.ds, 'Signature').length, 1);
    assert.ok(verifies(r.xml, r.response!, h.pki.mockSigning.certPem));
    assert.ok(verifies(r.xml, r.assertion!, h.pki.mockSigning.certPem));
  },
  'other-recipient-only': async (c) => {
    for (const e of encryptedIds(c.r)) {
      const keys = kids(e, N.xenc, 'EncryptedKey');
      assert.equal(keys.length, 1);
      assert.notEqual(keys[0]!.getAttribute('Recipient'), DV_ENTITY_ID);
      assert.notEqual(text(all(keys[0]!, N.ds, 'KeyName')[0]), fingerprint(c.h.pki.dvSaml.certPem));
      await assert.rejects(decrypt(e, c.h.pki.dvSaml.keyPem));
    }
  },
  'extra-recipient': async (c) => {
    const e = encryptedIds(c.r)[0]!;
    const keys = kids(e, N.xenc, 'EncryptedKey');
    assert.equal(keys.length, 2);
    assert.notEqual(keys[0]!.getAttribute('Recipient'), DV_ENTITY_ID, 'the foreign key comes first');
    assert.equal(keys[1]!.getAttribute('Recipient'), DV_ENTITY_ID);
    assert.equal(text(kid(keys[1]!, N.xenc, 'CarriedKeyName')), text(kid(keys[0]!, N.xenc, 'CarriedKeyName')));
    assert.equal(
      kid(kid(keys[1]!, N.xenc, 'ReferenceList'), N.xenc, 'DataReference').getAttribute('URI'),
      `#${kid(e, N.xenc, 'EncryptedData').getAttribute('Id')}`,
    );
    const jan = c.h.mock.personas.find((p) => p.id === 'jan')!;
    assert.equal(await actingNameId(c), pseudonymFor(jan, DV_ENTITY_ID));
  },
  'aes256-cbc': async (c) => {
    assert.equal(contentAlg(c.r), 'http://www.w3.org/2001/04/xmlenc#aes256-cbc');
    assert.match(await actingNameId(c), /^[0-9A-F]{64}@/);
  },
  'aes128-gcm': async (c) => {
    assert.equal(contentAlg(c.r), 'http://www.w3.org/2009/xmlenc11#aes128-gcm');
    assert.match(await actingNameId(c), /^[0-9A-F]{64}@/);
  },
  'aes256-gcm': async (c) => {
    assert.equal(contentAlg(c.r), 'http://www.w3.org/2009/xmlenc11#aes256-gcm');
    assert.match(await actingNameId(c), /^[0-9A-F]{64}@/);
  },
  '3des': async (c) => {
    assert.equal(contentAlg(c.r), 'http://www.w3.org/2001/04/xmlenc#tripledes-cbc');
    assert.match(await actingNameId(c), /^[0-9A-F]{64}@/, 'correctly encrypted, only with a weak cipher');
  },
  'rsa-1_5': ({ r }) => {
    assert.equal(keyAlg(r), 'http://www.w3.org/2001/04/xmlenc#rsa-1_5');
    assert.equal(all(kid(encryptedIds(r)[0]!, N.xenc, 'EncryptedKey'), N.ds, 'DigestMethod').length, 0);
  },
  'rsa-oaep-xmlenc11': async (c) => {
    assert.equal(keyAlg(c.r), 'http://www.w3.org/2009/xmlenc11#rsa-oaep');
    assert.match(await actingNameId(c), /^[0-9A-F]{64}@/);
  },
  'replay-artifact': async (c) => {
    const again = await c.h.resolve(c.login.artifact);
    assert.ok(again.assertion, 'resolves a second time');
    assert.equal(again.assertion!.getAttribute('ID'), c.r.assertion!.getAttribute('ID'), 'the very same assertion');
    const third = await c.h.resolve(c.login.artifact);
    assert.equal(third.response, undefined, 'but not a third time');
  },
  'unknown-artifact': ({ r }) => {
    assert.equal(r.response, undefined);
    assert.equal(kid(kid(r.artifactResponse, N.samlp, 'Status'), N.samlp, 'StatusCode').getAttribute('Value'), `${S}Success`);
  },
  'artifact-post': ({ login, r }) => {
    assert.equal(login.location, '(post)');
    assert.ok(r.assertion);
  },
};

describe('idp-mock: failure switches', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });
  afterEach(() => h.mock.clearNextLogins());

  it('has a check for every switch, and every switch says what a gateway should do', () => {
    assert.deepEqual(Object.keys(CHECKS).sort(), [...FAILURE_MODE_NAMES].sort());
    for (const n of FAILURE_MODE_NAMES) assert.ok(['accept', 'refuse', 'cancelled'].includes(FAILURE_MODES[n].expect));
  });

  it('baseline (no switch): a clean, signed, decryptable answer', async () => {
    const login = await h.login({ persona: 'jan' }, { relayState: 'base' });
    const r = await h.resolve(login.artifact);
    assert.deepEqual(r.statusCodes, [`${S}Success`]);
    assert.ok(verifies(r.xml, r.artifactResponse, h.pki.mockSigning.certPem));
    assert.ok(verifies(r.xml, r.assertion!, h.pki.mockSigning.certPem));
    assert.equal(outerLevel(r), `${LOA}loa3`);
    assert.deepEqual(r.attributes.get('urn:etoegang:core:ServiceID')!.map(text), [SERVICE_ID]);
    assert.equal(contentAlg(r), 'http://www.w3.org/2001/04/xmlenc#aes256-cbc');
    assert.equal(keyAlg(r), 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p');
    assert.equal(kids(kid(r.assertion!, N.saml, 'Advice'), N.saml, 'Assertion').length, 2);
    const jan = h.mock.personas.find((p) => p.id === 'jan')!;
    assert.equal(await actingNameId({ h, login, r }), pseudonymFor(jan, DV_ENTITY_ID));
  });

  for (const mode of FAILURE_MODE_NAMES) {
    it(`${mode}: ${FAILURE_MODES[mode].description}`, async () => {
      const login = await h.login({ persona: 'jan', failures: [mode] });
      const r = await h.resolve(login.artifact);
      const issued = h.mock.lastIssued()!;
      assert.deepEqual(issued.failures, [mode]);
      await CHECKS[mode]({ h, login, r });
    });
  }

  it('switches combine (wrong-audience + extra-recipient + aes256-gcm + signed-response)', async () => {
    const login = await h.login({ persona: 'fatima', failures: ['wrong-audience', 'extra-recipient', 'aes256-gcm', 'signed-response'] });
    const r = await h.resolve(login.artifact);
    const c = { h, login, r };
    await CHECKS['wrong-audience'](c);
    await CHECKS['aes256-gcm'](c);
    await CHECKS['signed-response'](c);
    assert.equal(kids(encryptedIds(r)[0]!, N.xenc, 'EncryptedKey').length, 2);
  });

  it('defaultFailures apply to every login', async () => {
    const h2 = await startHarness({ defaultFailures: ['no-advice'] });
    try {
      const r = await h2.resolve((await h2.login()).artifact);
      assert.equal(kids(r.assertion!, N.saml, 'Advice').length, 0);
    } finally {
      await h2.close();
    }
  });
});
