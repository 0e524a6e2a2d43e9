// One broker face wired to real parts for the tests: the in-memory KeyValue store (behind a
// counting wrapper), a ManualClock, a captured pino log, signed broker metadata in a temp dir,
// and a real mutual-TLS ArtifactResolutionService on 127.0.0.1 that answers with golden
// responses. `login()` runs the whole exchange the way a browser and a broker would.
import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { ManualClock } from '../../../gateway/src/clock.ts';
import { createLogger } from '../../../gateway/src/logger.ts';
import { MemoryKeyValueStore } from '../../../gateway/src/store/MemoryKeyValueStore.ts';
import type { BrokerFace, BrokerFailure } from '../../../gateway/src/broker/BrokerFace.ts';
import type { EherkenningIdentity } from '../../../gateway/src/broker/EherkenningIdentity.ts';
import { createBrokerFace, type BrokerFaceConfig } from '../../../gateway/src/broker/index.ts';
import { buildBrokerMetadata } from './brokerMetadata.ts';
import { BrokerServer, type Answer, type ResolveCall } from './brokerServer.ts';
import { CountingStore } from './CountingStore.ts';
import { buildGolden, parse, type Golden, type GoldenOptions } from './golden.ts';
import { testPki, type Identity, type TestPki } from './pki.ts';

export const BROKER = 'urn:etoegang:HM:00000003999999990000:entities:9632';
export const OTHER_BROKER = 'urn:etoegang:HM:00000003888888880000:entities:9633';
export const SP_ENTITY = 'urn:etoegang:DV:00000001234567890000:entities:9001';
export const SERVICE_ID = 'urn:etoegang:DV:00000001234567890000:services:1';
export const SERVICE_UUID = '4f2e1f63-8c1e-4b0e-9d77-2b7b3f4a2c01';
export const PUBLIC_URL = 'http://localhost:3000';
export const ACS = `${PUBLIC_URL}/saml/acs`;
export const T0 = Date.UTC(2026, 0, 15, 9, 0, 0);

/** The Mijn DUO service as the broker-face tests configure it. */
export function testService(extra: Partial<BrokerFaceConfig['service']> = {}): BrokerFaceConfig['service'] {
  return {
    oin: '00000001234567890000',
    entityId: SP_ENTITY,
    serviceId: SERVICE_ID,
    serviceUuid: SERVICE_UUID,
    serviceInstanceUuid: '9b7c2d11-0f6a-4a5e-8a43-6c1d2e3f4a02',
    attributeConsumingServiceIndex: 1,
    assertionConsumerServiceIndex: 0,
    minimumLevel: 'urn:etoegang:core:assurance-class:loa3',
    name: { nl: 'Mijn DUO voor zakelijke klanten', en: 'Mijn DUO for business customers' },
    description: { nl: 'Gegevensuitwisseling met DUO.', en: 'Data exchange with DUO.' },
    organisationName: { nl: 'Dienst Uitvoering Onderwijs', en: 'Education Executive Agency (DUO)' },
    contact: { name: 'Servicedesk Mijn DUO zakelijk', email: 'servicedesk@example.org', phone: '+31 50 000 0000' },
    ...extra,
  };
}

/** The SAML timing and back-channel limits of the broker-face tests. */
export function testSamlSettings(artifactResolve: Partial<BrokerFaceConfig['saml']['artifactResolve']> = {}): BrokerFaceConfig['saml'] {
  return {
    clockSkewSeconds: 60,
    maxAssertionAgeSeconds: 300,
    requestTtlSeconds: 900,
    artifactResolve: { connectTimeoutMs: 2000, totalTimeoutMs: 5000, maxResponseBytes: 500_000, ...artifactResolve },
  };
}

/**
 * A signed answer as brokers send it (ArtifactResponse and Assertion signed by the broker's
 * key, identifiers encrypted for our active key), for tests that work on the XML alone.
 */
export function goldenOptions(pki: TestPki, extra: Partial<GoldenOptions> = {}): GoldenOptions {
  return {
    brokerEntityId: BROKER,
    spEntityId: SP_ENTITY,
    acsUrl: ACS,
    requestId: '_req1',
    resolveId: '_res1',
    now: T0,
    serviceId: SERVICE_ID,
    serviceUuid: SERVICE_UUID,
    recipients: [{ cert: pki.spActive, entityId: SP_ENTITY }],
    signAssertion: { key: pki.brokerSigning },
    signArtifactResponse: { key: pki.brokerSigning },
    ...extra,
  };
}

export function makeArtifact(entityId = BROKER, type = 0x0004, index = 0): string {
  const b = Buffer.alloc(44);
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(index, 2);
  createHash('sha1').update(entityId).digest().copy(b, 4);
  randomBytes(20).copy(b, 24);
  return b.toString('base64');
}

export interface HarnessOptions {
  spPrevious?: boolean;
  rogueTls?: boolean;
  requestBinding?: 'POST' | 'Redirect';
  totalTimeoutMs?: number;
  maxResponseBytes?: number;
  minimumLevel?: 'urn:etoegang:core:assurance-class:loa3' | 'urn:etoegang:core:assurance-class:loa4';
  /** Serve metadata over http from this harness instead of a file. */
  metadataOverHttp?: boolean;
  metadataSigner?: 'right' | 'wrong';
  publicUrl?: string;
  soapContentType?: 'text/xml' | 'application/soap+xml';
  /** Replace the broker metadata file content (e.g. unsigned or expired). */
  metadata?: (h: Harness) => string;
}

export interface Started {
  requestId: string;
  relayState: string;
  cookie: string;
  samlRequestXml: string;
  html: string;
}

export interface Outcome {
  status: number;
  identity: EherkenningIdentity | null;
  loginKey: string | null;
  failure: BrokerFailure | null;
  /** Keys written to the store by the ACS call. */
  written: string[];
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export class Harness {
  readonly clock = new ManualClock(T0);
  readonly store: CountingStore;
  readonly logLines: string[] = [];
  readonly identities: Array<{ identity: EherkenningIdentity; loginKey: string }> = [];
  readonly failures: BrokerFailure[] = [];
  readonly app = express();
  face!: BrokerFace;
  server!: BrokerServer;
  config!: BrokerFaceConfig;
  dir = mkdtempSync(path.join(tmpdir(), 'broker-face-'));
  private metadataHttp: import('node:http').Server | null = null;

  constructor(
    readonly pki: TestPki,
    readonly opts: HarnessOptions = {},
  ) {
    this.store = new CountingStore(new MemoryKeyValueStore(this.clock, { sweepIntervalMs: 0 }));
  }

  static async create(opts: HarnessOptions = {}): Promise<Harness> {
    const h = new Harness(await testPki(), opts);
    await h.init();
    return h;
  }

  get publicUrl(): string {
    return this.opts.publicUrl ?? PUBLIC_URL;
  }
  get acsUrl(): string {
    return `${this.publicUrl}/saml/acs`;
  }

  metadataXml(overrides: Partial<Parameters<typeof buildBrokerMetadata>[0]> = {}): string {
    return buildBrokerMetadata({
      entityId: BROKER,
      signingCerts: [this.pki.brokerSigning],
      metadataSigner: this.opts.metadataSigner === 'wrong' ? this.pki.untrusted : this.pki.brokerMetadataSigning,
      arsUrl: this.server.url,
      ...overrides,
    });
  }

  private async init(): Promise<void> {
    const pki = this.pki;
    this.server = await new BrokerServer(pki, this.opts.rogueTls).start();
    const file = (name: string, content: string): string => {
      const p = path.join(this.dir, name);
      writeFileSync(p, content);
      return p;
    };
    const metadata = this.opts.metadata ? this.opts.metadata(this) : this.metadataXml();
    let metadataSource: { metadataFile: string } | { metadataUrl: string };
    if (this.opts.metadataOverHttp) {
      const http = await import('node:http');
      this.metadataHttp = http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
        res.end(metadata);
      });
      await new Promise<void>((r) => this.metadataHttp!.listen(0, '127.0.0.1', r));
      const port = (this.metadataHttp.address() as import('node:net').AddressInfo).port;
      metadataSource = { metadataUrl: `http://127.0.0.1:${port}/broker/metadata/1.13` };
    } else {
      metadataSource = { metadataFile: file('broker-metadata.xml', metadata) };
    }
    this.config = {
      env: 'test',
      publicUrl: this.publicUrl,
      service: testService(this.opts.minimumLevel ? { minimumLevel: this.opts.minimumLevel } : {}),
      brokers: [
        {
          entityId: BROKER,
          ...metadataSource,
          metadataSigningCertFile: file('broker-metadata-signing.crt', pki.brokerMetadataSigning.certPem),
          tlsCaFile: file('broker-tls-ca.crt', pki.tlsCa.certPem),
          soapContentType: this.opts.soapContentType ?? 'text/xml',
          requestBinding: this.opts.requestBinding ?? 'POST',
        },
      ],
      saml: testSamlSettings({
        ...(this.opts.totalTimeoutMs !== undefined ? { totalTimeoutMs: this.opts.totalTimeoutMs } : {}),
        ...(this.opts.maxResponseBytes !== undefined ? { maxResponseBytes: this.opts.maxResponseBytes } : {}),
      }),
    };
    const sink = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.logLines.push(chunk.toString('utf8'));
        cb();
      },
    });
    const sp = (id: Identity) => ({
      keyPem: id.keyPem,
      key: createPrivateKey(id.keyPem),
      certPem: id.certPem,
      sha256Fingerprint: id.sha256,
      sha1Fingerprint: id.sha1,
      notAfter: new Date(Date.UTC(2040, 0, 1)),
    });
    this.face = createBrokerFace({
      config: this.config,
      keys: {
        sp: sp(pki.spActive),
        spPrevious: this.opts.spPrevious ? sp(pki.spPrevious) : null,
        tlsClient: { keyPem: pki.tlsClient.keyPem, certPem: pki.tlsClient.certPem, notAfter: new Date(Date.UTC(2040, 0, 1)) },
      },
      kv: this.store,
      clock: this.clock,
      logger: createLogger({ level: 'debug', destination: sink }),
      handlers: {
        onIdentity: async (_req, res, identity, loginKey) => {
          this.identities.push({ identity, loginKey });
          res.status(200).json({ ok: true, loginKey });
        },
        onFailure: async (_req, res, failure) => {
          this.failures.push(failure);
          res.status(failure.httpStatus).json({ code: failure.code, correlationId: failure.correlationId });
        },
      },
    });
    this.app.use(this.face.router);
    this.app.get('/start', (req, res) => this.face.startLogin(req, res, { loginKey: String(req.query.k ?? 'login-1') }));
  }

  async close(): Promise<void> {
    await this.server.stop();
    if (this.metadataHttp) {
      this.metadataHttp.closeAllConnections();
      await new Promise<void>((r) => this.metadataHttp!.close(() => r()));
    }
  }

  /** Start a login like the interaction page would; returns what the browser got. */
  async begin(loginKey = 'login-1', cookie?: string): Promise<Started> {
    const req = request(this.app).get(`/start?k=${encodeURIComponent(loginKey)}`);
    if (cookie) req.set('Cookie', cookie);
    const res = await req;
    if (res.status !== 200) throw new Error(`start failed: ${res.status} ${res.text}`);
    const html = res.text;
    const samlRequest = /name="SAMLRequest" value="([^"]+)"/.exec(html)![1]!;
    const relayState = /name="RelayState" value="([^"]+)"/.exec(html)![1]!;
    const xml = Buffer.from(samlRequest, 'base64').toString('utf8');
    const requestId = parse(xml).documentElement.getAttribute('ID')!;
    const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    const c = setCookie.map((s) => s.split(';')[0]!).join('; ');
    return { requestId, relayState, cookie: cookie ?? c, samlRequestXml: xml, html };
  }

  /** The golden options for an answer to this login; tests override what they need. */
  golden(started: { requestId: string }, call: ResolveCall, o: Partial<GoldenOptions> = {}): Golden {
    return buildGolden({
      brokerEntityId: BROKER,
      spEntityId: SP_ENTITY,
      acsUrl: this.acsUrl,
      requestId: started.requestId,
      resolveId: call.resolveId,
      now: this.clock.now(),
      serviceId: SERVICE_ID,
      serviceUuid: SERVICE_UUID,
      recipients: [{ cert: this.pki.spActive, entityId: SP_ENTITY }],
      signAssertion: { key: this.pki.brokerSigning },
      signArtifactResponse: { key: this.pki.brokerSigning },
      ...o,
    });
  }

  /** Register what the broker answers for `artifact`. */
  answer(artifact: string, responder: (call: ResolveCall) => Answer): void {
    this.server.responders.set(artifact, responder);
  }

  /** Call the ACS as the browser would after the broker redirected it. */
  async acs(input: { artifact?: string; relayState?: string; cookie?: string; method?: 'GET' | 'POST'; extra?: Record<string, string> }): Promise<Outcome> {
    const before = this.store.written.length;
    const idBefore = this.identities.length;
    const failBefore = this.failures.length;
    const params: Record<string, string> = { ...(input.extra ?? {}) };
    if (input.artifact !== undefined) params.SAMLart = input.artifact;
    if (input.relayState !== undefined) params.RelayState = input.relayState;
    let req;
    if (input.method === 'POST') {
      req = request(this.app).post('/saml/acs').type('form').send(params);
    } else {
      req = request(this.app).get('/saml/acs').query(params);
    }
    if (input.cookie) req.set('Cookie', input.cookie);
    const res = await req;
    const identity = this.identities.length > idBefore ? this.identities[this.identities.length - 1]! : null;
    return {
      status: res.status,
      identity: identity?.identity ?? null,
      loginKey: identity?.loginKey ?? null,
      failure: this.failures.length > failBefore ? this.failures[this.failures.length - 1]! : null,
      written: this.store.written.slice(before),
      headers: res.headers,
      body: res.text,
    };
  }

  /** The whole exchange: start, broker answers with a (mutated) golden response, ACS. */
  async login(o: Partial<GoldenOptions> | ((s: Started, call: ResolveCall) => Answer) = {}, acsOpts: { method?: 'GET' | 'POST' } = {}): Promise<Outcome & { started: Started; artifact: string }> {
    const started = await this.begin();
    const artifact = makeArtifact();
    this.answer(artifact, (call) => (typeof o === 'function' ? o(started, call) : this.golden(started, call, o).xml));
    const out = await this.acs({ artifact, relayState: started.relayState, cookie: started.cookie, ...acsOpts });
    return { ...out, started, artifact };
  }

  /** Every log line as one string, to search for leaks. */
  get log(): string {
    return this.logLines.join('');
  }
}
