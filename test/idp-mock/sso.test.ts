import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import request from 'supertest';
import { ManualClock } from '../../gateway/src/clock.ts';
import { createIdpMock, loadKeyFiles } from '../../idp-mock/src/index.ts';
import { loadIdpMockConfig } from '../../idp-mock/src/config.ts';
import {
  ACS_URL,
  ACS_URL_2,
  authnRequestXml,
  dvMetadata,
  postBinding,
  redirectBinding,
  signEnveloped,
} from './support/fakeDv.ts';
import { startHarness, type Harness } from './support/harness.ts';
import { testPki } from './support/pki.ts';

const STATUS = 'urn:oasis:names:tc:SAML:2.0:status:';

describe('idp-mock: SingleSignOnService', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });
  afterEach(() => {
    h.mock.clearNextLogins();
  });

  function assertNoCache(res: request.Response): void {
    assert.match(String(res.headers['cache-control']), /no-cache/);
    assert.match(String(res.headers['cache-control']), /no-store/);
    assert.equal(res.headers.pragma, 'no-cache');
  }

  describe('a trustworthy AuthnRequest', () => {
    it('POST binding: shows the persona screen (Dutch, accessible, with Annuleren)', async () => {
      const { res } = await h.sso({ relayState: 'rs-1' });
      assert.equal(res.status, 200);
      assertNoCache(res);
      assert.match(res.text, /<html lang="nl">/);
      assert.match(res.text, /Jan Jansen/);
      assert.match(res.text, /<legend>Kies een testpersoon<\/legend>/);
      assert.match(res.text, /<label for="persona-jan">/);
      assert.match(res.text, /name="action" value="cancel"[^>]*>Annuleren</);
      assert.match(res.text, /name="failure" id="failure-wrong-audience"/);
    });

    it('Redirect binding (DEFLATE + query signature): shows the persona screen', async () => {
      const { res } = await h.sso({ binding: 'Redirect', relayState: 'rs-2' });
      assert.equal(res.status, 200, res.text.slice(0, 400));
      assert.match(res.text, /Kies een testpersoon/);
    });

    it('choosing a persona sends the browser to the ACS with SAMLart and the untouched RelayState', async () => {
      const relayState = 'a+b/c=d&e f~ü'; // characters that need careful encoding
      const { res } = await h.sso({ relayState });
      const login = /name="login" value="([^"]+)"/.exec(res.text)![1]!;
      const sub = await h.http.post('/broker/persona').type('form').send({ login, persona: 'jan', action: 'login' });
      assert.equal(sub.status, 302);
      assertNoCache(sub);
      const url = new URL(sub.headers.location as string);
      assert.equal(`${url.origin}${url.pathname}`, ACS_URL);
      assert.equal(url.searchParams.get('RelayState'), relayState);
      assert.ok(url.searchParams.get('SAMLart'));
      // The pending login is used up.
      const again = await h.http.post('/broker/persona').type('form').send({ login, persona: 'jan', action: 'login' });
      assert.equal(again.status, 400);
      assert.match(again.text, /login-unknown/);
    });

    it('the persona screen switches change the answer (wrong-audience, level override)', async () => {
      const { res } = await h.sso();
      const login = /name="login" value="([^"]+)"/.exec(res.text)![1]!;
      const sub = await h.http
        .post('/broker/persona')
        .type('form')
        .send(`login=${login}&persona=jan&level=loa4&failure=wrong-audience&failure=aes128-gcm&action=login`);
      assert.equal(sub.status, 302);
      const last = h.mock.lastIssued()!;
      assert.deepEqual(last.failures.sort(), ['aes128-gcm', 'wrong-audience']);
      assert.equal(last.content.level, 'urn:etoegang:core:assurance-class:loa4');
      assert.match(last.responseXml, /<saml:Audience>urn:etoegang:DV:00000009999999990000:entities:9999<\/saml:Audience>/);
    });

    it('Annuleren answers Responder/AuthnFailed', async () => {
      const { res } = await h.sso({ relayState: 'rs' });
      const login = /name="login" value="([^"]+)"/.exec(res.text)![1]!;
      const sub = await h.http.post('/broker/persona').type('form').send({ login, action: 'cancel' });
      assert.equal(sub.status, 302);
      const artifact = new URL(sub.headers.location as string).searchParams.get('SAMLart')!;
      const r = await h.resolve(artifact);
      assert.deepEqual(r.statusCodes, [`${STATUS}Responder`, `${STATUS}AuthnFailed`]);
      assert.equal(r.assertion, undefined);
    });

    it('a custom persona from the form is validated and used', async () => {
      const { res } = await h.sso();
      const login = /name="login" value="([^"]+)"/.exec(res.text)![1]!;
      const bad = await h.http
        .post('/broker/persona')
        .type('form')
        .send({ login, persona: 'custom', custom_kvk: '123', action: 'login' });
      assert.equal(bad.status, 400);
      assert.match(bad.text, /Controleer de andere gegevens/);
      assert.match(bad.text, /value="123"/, 'the typed value is kept');
      const ok = await h.http
        .post('/broker/persona')
        .type('form')
        .send({ login, persona: 'custom', custom_name: 'Ans', custom_kvk: '87654321', custom_vestigingsnummer: '000011112222', action: 'login' });
      assert.equal(ok.status, 302);
      const last = h.mock.lastIssued()!;
      assert.deepEqual(last.content.legalSubjects, [{ type: 'KvKnr', value: '87654321' }]);
      assert.equal(last.content.vestigingsnummer, '000011112222');
    });

    it('AssertionConsumerServiceIndex picks the ACS from the DV metadata; no index means the default', async () => {
      const one = await h.login({}, { request: { acsIndex: 1 } });
      assert.ok(one.location.startsWith(`${ACS_URL_2}?`));
      const def = await h.login({}, { request: { acsIndex: null } });
      assert.ok(def.location.startsWith(`${ACS_URL}?`));
      const byUrl = await h.login(
        {},
        {
          request: {
            acsIndex: null,
            extraAttributes: `AssertionConsumerServiceURL="${ACS_URL_2}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"`,
          },
        },
      );
      assert.ok(byUrl.location.startsWith(`${ACS_URL_2}?`));
    });

    it('a service only in the DV metadata (RequestedAttribute = ServiceID) is served with its ServiceID', async () => {
      await h.login({}, { request: { attrIndex: 2 } });
      const last = h.mock.lastIssued()!;
      assert.equal(last.content.serviceId, 'urn:etoegang:DV:00000001234567890000:services:2');
      assert.match(last.content.serviceUuid!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      // It asked for CompanyName, so it gets it.
      assert.match(last.responseXml, /attribute-represented:CompanyName/);
    });
  });

  describe('refusals on the error page (nothing goes to the ACS)', () => {
    async function expectRefused(res: request.Response, code: string): Promise<void> {
      assert.equal(res.status, 400, res.text.slice(0, 300));
      assert.match(res.text, new RegExp(`<code>${code}</code>`));
      assertNoCache(res);
      assert.equal(res.headers.location, undefined);
    }

    it('an AuthnRequest changed after signing', async () => {
      const before = h.mock.issued.length;
      const { xml } = authnRequestXml({ destination: h.running.ssoUrl, issueInstant: new Date(h.clock.now()) });
      const tampered = signEnveloped(xml, h.pki.dvSaml).replace('AttributeConsumingServiceIndex="1"', 'AttributeConsumingServiceIndex="2"');
      const res = await h.http.post('/broker/sso/1.13').type('form').send(postBinding(tampered));
      await expectRefused(res, 'signature-invalid');
      assert.equal(h.mock.issued.length, before);
    });

    it('an AuthnRequest signed by a key that is not in the DV metadata', async () => {
      const { res } = await h.sso({ signWith: h.pki.mockSigning });
      await expectRefused(res, 'signature-invalid');
    });

    it('an unsigned AuthnRequest (POST and Redirect)', async () => {
      await expectRefused((await h.sso({ signWith: null })).res, 'signature-missing');
      await expectRefused((await h.sso({ signWith: null, binding: 'Redirect' })).res, 'signature-missing');
    });

    it('a Redirect-binding request whose query was changed after signing', async () => {
      const { xml } = authnRequestXml({ destination: h.running.ssoUrl, issueInstant: new Date(h.clock.now()) });
      const res = await h.http.get(`/broker/sso/1.13?${redirectBinding(xml, h.pki.dvSaml, 'relay', { tamper: true })}`);
      await expectRefused(res, 'signature-invalid');
    });

    it('a SHA-1 signature', async () => {
      const { xml } = authnRequestXml({ destination: h.running.ssoUrl, issueInstant: new Date(h.clock.now()) });
      const res = await h.http.post('/broker/sso/1.13').type('form').send(postBinding(signEnveloped(xml, h.pki.dvSaml, { sha1: true })));
      await expectRefused(res, 'signature-invalid');
    });

    it('a wrong Destination', async () => {
      const { res } = await h.sso({ request: { destination: 'https://elders.example/broker/sso/1.13' } });
      await expectRefused(res, 'wrong-destination');
    });

    it('an unknown Issuer', async () => {
      const { res } = await h.sso({ request: { issuer: 'urn:etoegang:DV:00000009999999990000:entities:1' } });
      await expectRefused(res, 'unknown-issuer');
    });

    it('a stale or future IssueInstant', async () => {
      const old = await h.sso({ request: { issueInstant: new Date(h.clock.now() - 10 * 60_000) } });
      await expectRefused(old.res, 'request-expired');
      const future = await h.sso({ request: { issueInstant: new Date(h.clock.now() + 5 * 60_000) } });
      await expectRefused(future.res, 'issue-instant-in-future');
    });

    it('a replayed AuthnRequest ID', async () => {
      const { xml } = authnRequestXml({ destination: h.running.ssoUrl, issueInstant: new Date(h.clock.now()) });
      const body = postBinding(signEnveloped(xml, h.pki.dvSaml));
      assert.equal((await h.http.post('/broker/sso/1.13').type('form').send(body)).status, 200);
      await expectRefused(await h.http.post('/broker/sso/1.13').type('form').send(body), 'replayed-request');
    });

    it('a RelayState over 80 bytes', async () => {
      const { res } = await h.sso({ relayState: 'x'.repeat(81) });
      await expectRefused(res, 'relay-state-too-long');
    });

    it('an ACS index that is not an HTTP-Artifact ACS', async () => {
      const { res } = await h.sso({ request: { acsIndex: 5 } });
      await expectRefused(res, 'unknown-acs');
    });

    it('a DOCTYPE', async () => {
      const xml = `<!DOCTYPE x [<!ENTITY e "e">]>${authnRequestXml({ destination: h.running.ssoUrl }).xml}`;
      const res = await h.http.post('/broker/sso/1.13').type('form').send(postBinding(xml));
      await expectRefused(res, 'bad-xml');
    });
  });

  describe('Requester status back to the ACS (the request is authentic but cannot be served)', () => {
    it('a level higher than the catalogue level', async () => {
      const l = await h.login({}, { request: { level: 'urn:etoegang:core:assurance-class:loa4' } });
      const r = await h.resolve(l.artifact);
      assert.deepEqual(r.statusCodes, [`${STATUS}Requester`, `${STATUS}RequestUnsupported`]);
      assert.equal(r.assertion, undefined);
      assert.equal(r.response!.getAttribute('InResponseTo'), l.authnRequestId);
      h.mock.clearNextLogins();
    });

    it('the same or a lower level is fine', async () => {
      for (const level of ['urn:etoegang:core:assurance-class:loa3', 'urn:etoegang:core:assurance-class:loa2plus', null]) {
        const l = await h.login({}, { request: { level } });
        const r = await h.resolve(l.artifact);
        assert.equal(r.statusCodes[0], `${STATUS}Success`);
      }
    });

    it('an unknown AttributeConsumingServiceIndex', async () => {
      const l = await h.login({}, { request: { attrIndex: 7 } });
      const r = await h.resolve(l.artifact);
      assert.deepEqual(r.statusCodes, [`${STATUS}Requester`, `${STATUS}RequestUnsupported`]);
      h.mock.clearNextLogins();
    });

    it('IsPassive="true"', async () => {
      const l = await h.login({}, { request: { extraAttributes: 'IsPassive="true"' } });
      const r = await h.resolve(l.artifact);
      assert.deepEqual(r.statusCodes, [`${STATUS}Requester`, `${STATUS}RequestUnsupported`]);
      h.mock.clearNextLogins();
    });
  });

  describe('presets', () => {
    it('autoSubmit:false shows the screen with the preset preselected', async () => {
      h.mock.nextLogin({ persona: 'fatima', failures: ['wrong-recipient'], autoSubmit: false });
      const { res } = await h.sso();
      assert.equal(res.status, 200);
      assert.match(res.text, /id="persona-fatima" value="fatima" checked/);
      assert.match(res.text, /id="failure-wrong-recipient" value="wrong-recipient" checked/);
    });

    it('the control API queues a preset over HTTP', async () => {
      const bad = await h.http.post('/mock/next-login').send({ failures: ['nope'] });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error, /unknown failure mode/);
      assert.equal((await h.http.post('/mock/next-login').send({ persona: 'piet' })).status, 204);
      const { res } = await h.sso();
      assert.equal(res.status, 302);
      assert.equal(h.mock.lastIssued()!.personaId, 'piet');
      const issued = await h.http.get('/mock/issued');
      assert.equal(issued.body.at(-1).personaId, 'piet');
    });

    it('an unknown persona or failure mode in nextLogin throws at once', () => {
      assert.throws(() => h.mock.nextLogin({ persona: 'nobody' }), /unknown persona/);
      assert.throws(() => h.mock.nextLogin({ failures: ['nope' as never] }), /unknown failure mode/);
    });
  });
});

describe('idp-mock: DV metadata is fetched lazily', () => {
  it('answers 503 until the DV metadata can be read, then works without a restart', async () => {
    const pki = await testPki();
    const cfg = loadIdpMockConfig({} as NodeJS.ProcessEnv);
    let served = false;
    const dv = http.createServer((req, res) => {
      if (!served) {
        res.statusCode = 503;
        res.end();
        return;
      }
      res.setHeader('content-type', 'application/samlmetadata+xml');
      res.end(dvMetadata(pki.dvSaml));
    });
    await new Promise<void>((r) => dv.listen(0, '127.0.0.1', r));
    const clock = new ManualClock(Date.now());
    const mock = createIdpMock({
      keys: loadKeyFiles(pki.files),
      dv: { url: `http://127.0.0.1:${(dv.address() as AddressInfo).port}/saml/metadata`, refreshSeconds: 300 },
      services: cfg.services,
      personas: cfg.personas,
      clock,
      logger: pino({ level: 'silent' }),
      extraKeys: pki.extraKeys,
    });
    const running = await mock.start();
    try {
      const send = () => {
        const { xml } = authnRequestXml({ destination: running.ssoUrl, issueInstant: new Date(clock.now()) });
        return request(running.httpUrl).post('/broker/sso/1.13').type('form').send(postBinding(signEnveloped(xml, pki.dvSaml)));
      };
      const first = await send();
      assert.equal(first.status, 503);
      assert.match(first.text, /dv-metadata-unavailable/);
      served = true;
      const second = await send();
      assert.equal(second.status, 200);
      assert.match(second.text, /Kies een testpersoon/);
    } finally {
      await running.close();
      await new Promise<void>((r) => dv.close(() => r()));
    }
  });

  it('reloads the DV metadata when a signature does not verify (the DV rolled its key)', async () => {
    const pki = await testPki();
    const cfg = loadIdpMockConfig({} as NodeJS.ProcessEnv);
    let current = pki.dvSaml;
    const dv = http.createServer((_req, res) => res.end(dvMetadata(current)));
    await new Promise<void>((r) => dv.listen(0, '127.0.0.1', r));
    const clock = new ManualClock(Date.now());
    const mock = createIdpMock({
      keys: loadKeyFiles(pki.files),
      dv: { url: `http://127.0.0.1:${(dv.address() as AddressInfo).port}/md`, refreshSeconds: 3600 },
      services: cfg.services,
      personas: cfg.personas,
      clock,
      logger: pino({ level: 'silent' }),
      extraKeys: pki.extraKeys,
    });
    const running = await mock.start();
    try {
      const send = (key: typeof current) => {
        const { xml } = authnRequestXml({ destination: running.ssoUrl, issueInstant: new Date(clock.now()) });
        return request(running.httpUrl).post('/broker/sso/1.13').type('form').send(postBinding(signEnveloped(xml, key)));
      };
      assert.equal((await send(pki.dvSaml)).status, 200);
      current = pki.dvSamlNext;
      clock.advance(5_000);
      assert.equal((await send(pki.dvSamlNext)).status, 200, 'the new key is picked up at once');
    } finally {
      await running.close();
      await new Promise<void>((r) => dv.close(() => r()));
    }
  });
});
