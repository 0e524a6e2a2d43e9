// Starts an idp-mock in-process (HTTP + HTTPS on 127.0.0.1, ephemeral ports) with throwaway
// keys and a fake DV, and drives logins through it.
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { pino } from 'pino';
import request from 'supertest';
import { ManualClock } from '../../../gateway/src/clock.ts';
import { loadIdpMockConfig } from '../../../idp-mock/src/config.ts';
import {
  createIdpMock,
  loadKeyFiles,
  type IdpMock,
  type IdpMockOptions,
  type LoginPreset,
  type RunningIdpMock,
} from '../../../idp-mock/src/index.ts';
import {
  artifactResolveEnvelope,
  authnRequestXml,
  dvMetadata,
  postBinding,
  postSoap,
  readResolved,
  redirectBinding,
  signEnveloped,
  type AuthnRequestOptions,
  type Resolved,
} from './fakeDv.ts';
import { testPki, type Issued, type TestPki } from './pki.ts';

export interface Harness {
  mock: IdpMock;
  running: RunningIdpMock;
  pki: TestPki;
  clock: ManualClock;
  http: ReturnType<typeof request>;
  /** Send a signed AuthnRequest; returns the raw supertest response. */
  sso(o?: {
    binding?: 'POST' | 'Redirect';
    relayState?: string;
    request?: Partial<AuthnRequestOptions>;
    signWith?: Issued | null;
  }): Promise<{ res: request.Response; id: string }>;
  /** One full login via a preset: returns the artifact and where it was sent. */
  login(preset?: LoginPreset, o?: { relayState?: string; request?: Partial<AuthnRequestOptions> }): Promise<LoginResult>;
  /** Resolve over mutual TLS with the fake DV's client certificate. */
  resolve(artifact: string, o?: { client?: Issued | null; sign?: Issued | null; contentType?: string; destination?: string | null }): Promise<
    Resolved & { resolveId: string; status: number }
  >;
  close(): Promise<void>;
}

export interface LoginResult {
  artifact: string;
  relayState: string | null;
  location: string;
  authnRequestId: string;
}

export const silentLogger = pino({ level: 'silent' });

export async function startHarness(overrides: Partial<IdpMockOptions> = {}): Promise<Harness> {
  const pki = await testPki();
  const cfg = loadIdpMockConfig({ IDP_MOCK_CONFIG: undefined } as NodeJS.ProcessEnv);
  const clock = new ManualClock(Date.now());
  const mock = createIdpMock({
    keys: loadKeyFiles(pki.files),
    dv: { xml: dvMetadata(pki.dvSaml, { withService2: true }) },
    services: cfg.services,
    personas: cfg.personas,
    clock,
    logger: silentLogger,
    extraKeys: pki.extraKeys,
    controlApi: true,
    ...overrides,
  });
  const running = await mock.start();
  const http = request(running.httpUrl);

  const h: Harness = {
    mock,
    running,
    pki,
    clock,
    http,
    async sso(o = {}) {
      const { id, xml } = authnRequestXml({
        destination: running.ssoUrl,
        issueInstant: new Date(clock.now()),
        ...o.request,
      });
      const key = o.signWith === undefined ? pki.dvSaml : o.signWith;
      if ((o.binding ?? 'POST') === 'POST') {
        const body = key ? signEnveloped(xml, key) : xml;
        const res = await http.post('/broker/sso/1.13').type('form').send(postBinding(body, o.relayState));
        return { res, id };
      }
      const q = key
        ? redirectBinding(xml, key, o.relayState)
        : `SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'))}`;
      const res = await http.get(`/broker/sso/1.13?${q}`);
      return { res, id };
    },
    async login(preset = {}, o = {}) {
      mock.nextLogin(preset);
      const { res, id } = await h.sso({ ...(o.relayState !== undefined ? { relayState: o.relayState } : {}), ...(o.request ? { request: o.request } : {}) });
      if (res.status === 200 && /SAMLart/.test(res.text)) {
        const artifact = /name="SAMLart" value="([^"]+)"/.exec(res.text)?.[1];
        const rs = /name="RelayState" value="([^"]*)"/.exec(res.text)?.[1] ?? null;
        assert.ok(artifact, 'artifact in the POST form');
        return { artifact, relayState: rs, location: '(post)', authnRequestId: id };
      }
      assert.equal(res.status, 302, `expected a redirect to the ACS, got ${res.status}: ${res.text.slice(0, 300)}`);
      const location = res.headers.location as string;
      const url = new URL(location);
      const artifact = url.searchParams.get('SAMLart');
      assert.ok(artifact, 'SAMLart in the redirect');
      return { artifact, relayState: url.searchParams.get('RelayState'), location, authnRequestId: id };
    },
    async resolve(artifact, o = {}) {
      const { id, xml } = artifactResolveEnvelope(artifact, o.sign === undefined ? pki.dvSaml : o.sign, {
        destination: o.destination === undefined ? running.arsUrl : o.destination,
        issueInstant: new Date(clock.now()),
      });
      const r = await postSoap(running.arsUrl, xml, { ca: pki.ca.certPem, client: o.client === undefined ? pki.dvTlsClient : o.client }, o.contentType);
      if (r.status !== 200) {
        throw Object.assign(new Error(`ARS answered ${r.status}: ${r.body.slice(0, 300)}`), { result: r });
      }
      return { ...readResolved(r.body), resolveId: id, status: r.status };
    },
    close: () => running.close(),
  };
  return h;
}
