import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { pseudonymFor } from '../../idp-mock/src/personas.ts';
import {
  ACS_URL,
  DV_ENTITY_ID,
  MOCK_ENTITY_ID,
  N,
  SERVICE_ID,
  SERVICE_UUID,
  all,
  artifactResolveEnvelope,
  decrypt,
  fingerprint,
  kid,
  kids,
  parse,
  postSoap,
  text,
  verifies,
} from './support/fakeDv.ts';
import { startHarness, type Harness } from './support/harness.ts';

const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';

describe('idp-mock: artifact and ArtifactResolutionService', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });
  afterEach(() => h.mock.clearNextLogins());

  it('issues a type 0x0004 artifact: endpoint index, SourceID = SHA-1(EntityID), 20 random bytes', async () => {
    const a = await h.login();
    const b = await h.login();
    for (const { artifact } of [a, b]) {
      const buf = Buffer.from(artifact, 'base64');
      assert.equal(buf.length, 44);
      assert.equal(buf.readUInt16BE(0), 0x0004);
      assert.equal(buf.readUInt16BE(2), 0);
      assert.deepEqual(buf.subarray(4, 24), createHash('sha1').update(MOCK_ENTITY_ID).digest());
    }
    assert.notDeepEqual(Buffer.from(a.artifact, 'base64').subarray(24), Buffer.from(b.artifact, 'base64').subarray(24));
  });

  it('resolves an artifact once over mutual TLS; a second resolve is a Success ArtifactResponse without a Response', async () => {
    const l = await h.login({ persona: 'jan' }, { relayState: 'state-1' });
    assert.equal(l.relayState, 'state-1');
    const first = await h.resolve(l.artifact);
    assert.ok(first.response, 'a Response the first time');
    const second = await h.resolve(l.artifact);
    assert.equal(second.response, undefined);
    const st = kid(kid(second.artifactResponse, N.samlp, 'Status'), N.samlp, 'StatusCode');
    assert.equal(st.getAttribute('Value'), SUCCESS);
    assert.equal(second.artifactResponse.getAttribute('InResponseTo'), second.resolveId);
    assert.ok(verifies(second.xml, second.artifactResponse, h.pki.mockSigning.certPem));
    assert.equal(h.mock.lastIssued()!.resolveCount, 1);
  });

  it('an artifact expires after 60 seconds (injected clock)', async () => {
    const l = await h.login();
    h.clock.advance(61_000);
    const r = await h.resolve(l.artifact);
    assert.equal(r.response, undefined);
  });

  it('an unknown or malformed artifact resolves to an empty Success ArtifactResponse', async () => {
    for (const artifact of ['AAQAAA==', Buffer.alloc(44, 7).toString('base64'), 'not base64!']) {
      const r = await h.resolve(artifact);
      assert.equal(r.response, undefined);
    }
  });

  it('refuses a client without a certificate at the TLS layer', async () => {
    const l = await h.login();
    await assert.rejects(h.resolve(l.artifact, { client: null }), (err: NodeJS.ErrnoException) => {
      assert.ok(!('result' in err), 'no HTTP answer at all');
      return true;
    });
    // The artifact was not spent.
    const r = await h.resolve(l.artifact);
    assert.ok(r.response);
  });

  it('refuses a client certificate from another CA at the TLS layer', async () => {
    const l = await h.login();
    await assert.rejects(h.resolve(l.artifact, { client: h.pki.strangerTlsClient }), (err: Error) => !('result' in err));
  });

  it('requires Content-Type text/xml', async () => {
    const l = await h.login();
    const { xml } = artifactResolveEnvelope(l.artifact, h.pki.dvSaml, {
      destination: h.running.arsUrl,
      issueInstant: new Date(h.clock.now()),
    });
    const r = await postSoap(h.running.arsUrl, xml, { ca: h.pki.ca.certPem, client: h.pki.dvTlsClient }, 'application/soap+xml');
    assert.equal(r.status, 415);
    assert.ok((await h.resolve(l.artifact)).response, 'not spent');
  });

  it('refuses an unsigned, foreign-signed or misaddressed ArtifactResolve with a SOAP fault, without spending the artifact', async () => {
    const l = await h.login();
    const tries: Array<[string, Parameters<Harness['resolve']>[1]]> = [
      ['unsigned', { sign: null }],
      ['foreign key', { sign: h.pki.mockSigning }],
      ['wrong Destination', { destination: 'https://elders.example/ars' }],
      ['no Destination', { destination: null }],
    ];
    for (const [what, o] of tries) {
      await assert.rejects(h.resolve(l.artifact, o), (err: Error & { result?: { status: number; body: string } }) => {
        assert.equal(err.result?.status, 500, what);
        assert.match(err.result!.body, /<soap:Fault><faultcode>soap:Client<\/faultcode>/, what);
        return true;
      });
    }
    assert.ok((await h.resolve(l.artifact)).response, 'still resolvable after the refusals');
  });

  it('signs the ArtifactResponse and the Assertion (KeyName only), and addresses everything right', async () => {
    const l = await h.login({ persona: 'jan' });
    const r = await h.resolve(l.artifact);
    assert.match(r.xml, /^<\?xml version="1.0" encoding="UTF-8"\?><soap:Envelope xmlns:soap="http:\/\/schemas.xmlsoap.org\/soap\/envelope\/">/);

    const ar = r.artifactResponse;
    assert.equal(ar.getAttribute('InResponseTo'), r.resolveId);
    assert.equal(text(kid(ar, N.saml, 'Issuer')), MOCK_ENTITY_ID);
    assert.equal(kid(kid(ar, N.samlp, 'Status'), N.samlp, 'StatusCode').getAttribute('Value'), SUCCESS);
    assert.ok(verifies(r.xml, ar, h.pki.mockSigning.certPem), 'ArtifactResponse signature verifies');

    const resp = r.response!;
    assert.equal(resp.getAttribute('InResponseTo'), l.authnRequestId);
    assert.equal(resp.getAttribute('Destination'), ACS_URL);
    assert.equal(text(kid(resp, N.saml, 'Issuer')), MOCK_ENTITY_ID);
    assert.equal(kids(resp, N.ds, 'Signature').length, 0, 'Response unsigned by default');
    assert.deepEqual(r.statusCodes, [SUCCESS]);
    assert.equal(kids(resp, N.saml, 'Assertion').length, 1, 'exactly one top-level Assertion');

    const as = r.assertion!;
    assert.equal(text(kid(as, N.saml, 'Issuer')), MOCK_ENTITY_ID);
    assert.ok(verifies(r.xml, as, h.pki.mockSigning.certPem), 'Assertion signature verifies');
    const sig = kid(as, N.ds, 'Signature');
    const ki = kid(sig, N.ds, 'KeyInfo');
    assert.deepEqual(
      all(ki, N.ds, 'KeyName').map(text),
      [fingerprint(h.pki.mockSigning.certPem)],
    );
    assert.equal(all(ki, N.ds, 'X509Data').length, 0);
    const si = kid(sig, N.ds, 'SignedInfo');
    assert.equal(kid(si, N.ds, 'CanonicalizationMethod').getAttribute('Algorithm'), 'http://www.w3.org/2001/10/xml-exc-c14n#');
    assert.equal(kid(si, N.ds, 'SignatureMethod').getAttribute('Algorithm'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    assert.equal(kid(kid(si, N.ds, 'Reference'), N.ds, 'DigestMethod').getAttribute('Algorithm'), 'http://www.w3.org/2001/04/xmlenc#sha256');

    const now = h.clock.now();
    const subject = kid(as, N.saml, 'Subject');
    assert.equal(kid(subject, N.saml, 'NameID').getAttribute('Format'), 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient');
    const sc = kid(subject, N.saml, 'SubjectConfirmation');
    assert.equal(sc.getAttribute('Method'), 'urn:oasis:names:tc:SAML:2.0:cm:bearer');
    const scd = kid(sc, N.saml, 'SubjectConfirmationData');
    assert.equal(scd.getAttribute('InResponseTo'), l.authnRequestId);
    assert.equal(scd.getAttribute('Recipient'), ACS_URL);
    assert.equal(Date.parse(scd.getAttribute('NotOnOrAfter')!), Math.floor(now / 1000) * 1000 + 120_000);
    const cond = kid(as, N.saml, 'Conditions');
    assert.ok(Date.parse(cond.getAttribute('NotBefore')!) <= now);
    assert.ok(Date.parse(cond.getAttribute('NotOnOrAfter')!) > now);
    assert.equal(text(kid(kid(cond, N.saml, 'AudienceRestriction'), N.saml, 'Audience')), DV_ENTITY_ID);

    const authn = kid(as, N.saml, 'AuthnStatement');
    assert.ok(authn.getAttribute('AuthnInstant'));
    assert.ok(Date.parse(authn.getAttribute('SessionNotOnOrAfter')!) > now);
    const actx = kid(authn, N.saml, 'AuthnContext');
    assert.equal(text(kid(actx, N.saml, 'AuthnContextClassRef')), 'urn:etoegang:core:assurance-class:loa3');
    assert.match(text(kid(actx, N.saml, 'AuthenticatingAuthority')), /^urn:etoegang:AD:/);

    assert.deepEqual(r.attributes.get('urn:etoegang:core:ServiceID')!.map(text), [SERVICE_ID]);
    assert.deepEqual(r.attributes.get('urn:etoegang:core:ServiceUUID')!.map(text), [SERVICE_UUID]);
    assert.equal(r.attributes.has('urn:etoegang:1.9:ServiceRestriction:Vestigingsnr'), false);
  });

  it('carries two signed Advice assertions (AD and MR) whose values differ from the outer ones', async () => {
    const l = await h.login({ persona: 'jan' });
    const r = await h.resolve(l.artifact);
    const advice = kid(r.assertion!, N.saml, 'Advice');
    const inner = kids(advice, N.saml, 'Assertion');
    assert.equal(inner.length, 2);
    const [ad, mr] = inner as [Element, Element];
    assert.match(text(kid(ad, N.saml, 'Issuer')), /^urn:etoegang:AD:/);
    assert.match(text(kid(mr, N.saml, 'Issuer')), /^urn:etoegang:MR:/);
    for (const a of inner) {
      assert.equal(kids(a, N.ds, 'Signature').length, 1, 'signed by its own issuer');
      assert.equal(verifies(r.xml, a, h.pki.mockSigning.certPem), false, 'not with the broker key');
      assert.notEqual(text(all(a, N.saml, 'Audience')[0]), DV_ENTITY_ID);
    }
    assert.equal(text(all(ad, N.saml, 'AuthnContextClassRef')[0]), 'urn:etoegang:core:assurance-class:loa2plus');
    const mrValues = all(mr, N.saml, 'Attribute').map((a) => [a.getAttribute('Name'), text(kids(a, N.saml, 'AttributeValue')[0])]);
    assert.deepEqual(mrValues[0], ['urn:etoegang:core:ServiceID', 'urn:etoegang:DV:00000001234567890000:services:101']);
    assert.notEqual(mrValues[1]![1], SERVICE_UUID);
    // A reader that takes the first AuthnContextClassRef of the document gets the wrong one.
    assert.equal(text(all(r.doc, N.saml, 'AuthnContextClassRef')[0]), 'urn:etoegang:core:assurance-class:loa2plus');
  });

  it('encrypts ActingSubjectID and LegalSubjectID as EncryptedIDs that decrypt with xml-encryption to the expected NameIDs', async () => {
    const l = await h.login({ persona: 'fatima' });
    const r = await h.resolve(l.artifact);
    const fatima = h.mock.personas.find((p) => p.id === 'fatima')!;

    const acting = r.attributes.get('urn:etoegang:core:ActingSubjectID')!;
    assert.equal(acting.length, 1);
    const encId = kid(acting[0]!, N.saml, 'EncryptedID');
    // Layout: EncryptedData with RetrievalMethod → the sibling EncryptedKey.
    const ed = kid(encId, N.xenc, 'EncryptedData');
    const ek = kid(encId, N.xenc, 'EncryptedKey');
    assert.equal(kid(ed, N.xenc, 'EncryptionMethod').getAttribute('Algorithm'), 'http://www.w3.org/2001/04/xmlenc#aes256-cbc');
    const rm = kid(kid(ed, N.ds, 'KeyInfo'), N.ds, 'RetrievalMethod');
    assert.equal(rm.getAttribute('Type'), 'http://www.w3.org/2001/04/xmlenc#EncryptedKey');
    assert.equal(rm.getAttribute('URI'), `#${ek.getAttribute('Id')}`);
    assert.equal(ek.getAttribute('Recipient'), DV_ENTITY_ID);
    const km = kid(ek, N.xenc, 'EncryptionMethod');
    assert.equal(km.getAttribute('Algorithm'), 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p');
    assert.equal(kid(km, N.ds, 'DigestMethod').getAttribute('Algorithm'), 'http://www.w3.org/2000/09/xmldsig#sha1');
    assert.equal(text(kid(kid(ek, N.ds, 'KeyInfo'), N.ds, 'KeyName')), fingerprint(h.pki.dvSaml.certPem));

    const nameId = parse(await decrypt(encId, h.pki.dvSaml.keyPem)).documentElement!;
    assert.equal(nameId.namespaceURI, N.saml);
    assert.equal(nameId.localName, 'NameID');
    assert.equal(nameId.getAttribute('Format'), 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    assert.equal(nameId.getAttribute('NameQualifier'), 'urn:etoegang:1.9:EntityConcernedID:Pseudo');
    assert.equal(text(nameId), pseudonymFor(fatima, DV_ENTITY_ID));
    assert.match(text(nameId), /^[0-9A-F]{64}@[0-9A-F]{32}$/);

    const legal = r.attributes.get('urn:etoegang:core:LegalSubjectID')!;
    const decrypted = await Promise.all(legal.map(async (v) => parse(await decrypt(kid(v, N.saml, 'EncryptedID'), h.pki.dvSaml.keyPem)).documentElement!));
    assert.deepEqual(
      decrypted.map((n) => [n.getAttribute('NameQualifier'), text(n)]),
      [
        ['urn:etoegang:1.9:EntityConcernedID:KvKnr', '23456789'],
        ['urn:etoegang:1.9:EntityConcernedID:RSIN', '812345678'],
      ],
    );
    // A fresh symmetric key for every EncryptedID: no two ciphertexts or wrapped keys are equal.
    const wrapped = all(r.assertion!, N.xenc, 'EncryptedKey').map((e) => text(all(e, N.xenc, 'CipherValue')[0]));
    assert.equal(new Set(wrapped).size, wrapped.length);

    // Fatima's machtiging is limited to her vestiging.
    assert.deepEqual(r.attributes.get('urn:etoegang:1.9:ServiceRestriction:Vestigingsnr')!.map(text), ['000023456789']);
    assert.equal(text(all(r.assertion!, N.saml, 'AuthnContextClassRef').at(-1)), 'urn:etoegang:core:assurance-class:loa4');
  });

  it('a persona without RSIN has one LegalSubjectID value; the intermediary of a ketenmachtiging is encrypted too', async () => {
    const jan = await h.resolve((await h.login({ persona: 'jan' })).artifact);
    assert.equal(jan.attributes.get('urn:etoegang:core:LegalSubjectID')!.length, 1);
    assert.equal(jan.attributes.has('urn:etoegang:core:IntermediateSubjectID'), false);
    const kees = await h.resolve((await h.login({ persona: 'kees' })).artifact);
    const inter = kees.attributes.get('urn:etoegang:core:IntermediateSubjectID')!;
    const n = parse(await decrypt(kid(inter[0]!, N.saml, 'EncryptedID'), h.pki.dvSaml.keyPem)).documentElement!;
    assert.equal(text(n), '56789012');
  });

  it('a persona without machtiging gets Responder/RequestDenied (configurable)', async () => {
    const r = await h.resolve((await h.login({ persona: 'piet' })).artifact);
    assert.deepEqual(r.statusCodes, ['urn:oasis:names:tc:SAML:2.0:status:Responder', 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied']);
    assert.equal(r.assertion, undefined);
    assert.ok(verifies(r.xml, r.artifactResponse, h.pki.mockSigning.certPem));
  });
});

describe('idp-mock: ARS options', () => {
  it('unresolvableArtifact=error answers a used artifact with Requester/RequestDenied; noMachtigingStatus=AuthnFailed', async () => {
    const h = await startHarness({ unresolvableArtifact: 'error', noMachtigingStatus: 'AuthnFailed' });
    try {
      const l = await h.login({ persona: 'piet' });
      const r = await h.resolve(l.artifact);
      assert.deepEqual(r.statusCodes, ['urn:oasis:names:tc:SAML:2.0:status:Responder', 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed']);
      const again = await h.resolve(l.artifact);
      const sc = kid(kid(again.artifactResponse, N.samlp, 'Status'), N.samlp, 'StatusCode');
      assert.equal(sc.getAttribute('Value'), 'urn:oasis:names:tc:SAML:2.0:status:Requester');
      assert.equal(kid(sc, N.samlp, 'StatusCode').getAttribute('Value'), 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied');
    } finally {
      await h.close();
    }
  });

  it('artifactDelivery=post answers with an auto-submitting form', async () => {
    const h = await startHarness({ artifactDelivery: 'post' });
    try {
      h.mock.nextLogin({});
      const { res } = await h.sso({ relayState: 'r<&>"' });
      assert.equal(res.status, 200);
      assert.match(res.text, /<form method="post" action="https:\/\/gateway.test\/saml\/acs"/);
      assert.match(res.text, /name="RelayState" value="r&lt;&amp;&gt;&quot;"/);
      assert.match(res.text, /\.submit\(\)/);
    } finally {
      await h.close();
    }
  });
});
