// A broker face with TWO trusted brokers, each fully its own: broker A (the harness broker:
// its signing key, its metadata, a TLS server under the test TLS CA) and broker B (another
// EntityID, a signing key of its own, its own metadata, and an ARS whose TLS certificate comes
// from a different CA). Same building blocks as test/support/saml/harness.ts, which has room
// for one broker only.
import 'reflect-metadata';
import { createHash, createPrivateKey, webcrypto } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import * as x509 from '@peculiar/x509';
import express from 'express';
import request from 'supertest';
import { ManualClock } from '../../../gateway/src/clock.ts';
import { createLogger } from '../../../gateway/src/logger.ts';
import { MemoryKeyValueStore } from '../../../gateway/src/store/MemoryKeyValueStore.ts';
import type { BrokerFace, BrokerFailure } from '../../../gateway/src/broker/BrokerFace.ts';
import type { EherkenningIdentity } from '../../../gateway/src/broker/EherkenningIdentity.ts';
import { createBrokerFace, type BrokerFaceConfig } from '../../../gateway/src/broker/index.ts';
import { buildBrokerMetadata } from '../../support/saml/brokerMetadata.ts';
import { BrokerServer, type Answer, type ResolveCall } from '../../support/saml/brokerServer.ts';
import { CountingStore } from '../../support/saml/CountingStore.ts';
import { buildGolden, parse, type Golden, type GoldenOptions } from '../../support/saml/golden.ts';
import { BROKER, OTHER_BROKER, SERVICE_ID, SERVICE_UUID, SP_ENTITY, T0, makeArtifact, testSamlSettings, testService } from '../../support/saml/harness.ts';
import { testPki, type Identity, type TestPki } from '../../support/saml/pki.ts';

export const BROKER_A = BROKER;
export const BROKER_B = OTHER_BROKER;
export const SSO_A = 'https://broker-a.test/sso';
export const SSO_B = 'https://broker-b.test/sso';
const PUBLIC_URL = 'http://127.0.0.1:3000'; // only a name in the messages; nothing listens there

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** A fresh self-signed signing identity (the PKI of the harness has one broker key only). */
export async function signingIdentity(cn: string): Promise<Identity> {
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const kp = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${cn}`,
    keys: kp,
    notBefore: new Date(Date.UTC(2020, 0, 1)),
    notAfter: new Date(Date.UTC(2040, 0, 1)),
    signingAlgorithm: alg,
  });
  const der = Buffer.from(cert.rawData);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', kp.privateKey)).toString('base64');
  return {
    keyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`,
    certPem: cert.toString('pem'),
    sha256: createHash('sha256').update(der).digest('hex'),
    sha1: createHash('sha1').update(der).digest('hex'),
  };
}

export interface RigStarted {
  requestId: string;
  relayState: string;
  cookie: string;
  /** Where the AuthnRequest was sent (the chosen broker's SSO endpoint). */
  destination: string;
}

export interface RigOutcome {
  status: number;
  identity: EherkenningIdentity | null;
  failure: BrokerFailure | null;
  written: string[];
  setCookie: string | string[] | undefined;
}

export class MultiBrokerRig {
  readonly clock = new ManualClock(T0);
  readonly store = new CountingStore(new MemoryKeyValueStore(this.clock, { sweepIntervalMs: 0 }));
  readonly identities: EherkenningIdentity[] = [];
  readonly failures: BrokerFailure[] = [];
  readonly logLines: string[] = [];
  readonly app = express();
  readonly dir = mkdtempSync(path.join(tmpdir(), 'multi-broker-'));
  face!: BrokerFace;
  config!: BrokerFaceConfig;

  private constructor(
    readonly pki: TestPki,
    /** Broker B's SAML signing key (A signs with pki.brokerSigning). */
    readonly bSigning: Identity,
    /** A's ARS: TLS certificate from pki.tlsCa. */
    readonly a: BrokerServer,
    /** B's ARS: TLS certificate from pki.rogueCa, which only B's configuration trusts. */
    readonly b: BrokerServer,
  ) {}

  static async create(): Promise<MultiBrokerRig> {
    const pki = await testPki();
    const [bSigning, a, b] = await Promise.all([
      signingIdentity('Test Broker B Signing'),
      new BrokerServer(pki).start(),
      new BrokerServer(pki, true).start(),
    ]);
    const rig = new MultiBrokerRig(pki, bSigning, a, b);
    rig.init();
    return rig;
  }

  private file(name: string, content: string): string {
    const p = path.join(this.dir, name);
    writeFileSync(p, content);
    return p;
  }

  private init(): void {
    const { pki } = this;
    const metadataA = buildBrokerMetadata({
      entityId: BROKER_A,
      signingCerts: [pki.brokerSigning],
      metadataSigner: pki.brokerMetadataSigning,
      arsUrl: this.a.url,
      ssoPost: SSO_A,
    });
    // B's metadata is signed by B's own metadata key (here: B's signing key), not A's.
    const metadataB = buildBrokerMetadata({
      entityId: BROKER_B,
      signingCerts: [this.bSigning],
      metadataSigner: this.bSigning,
      arsUrl: this.b.url,
      ssoPost: SSO_B,
    });
    this.config = {
      env: 'test',
      publicUrl: PUBLIC_URL,
      service: testService(),
      brokers: [
        {
          entityId: BROKER_A,
          metadataFile: this.file('a-metadata.xml', metadataA),
          metadataSigningCertFile: this.file('a-metadata-signing.crt', pki.brokerMetadataSigning.certPem),
          tlsCaFile: this.file('a-tls-ca.crt', pki.tlsCa.certPem),
          soapContentType: 'text/xml',
          requestBinding: 'POST',
        },
        {
          entityId: BROKER_B,
          metadataFile: this.file('b-metadata.xml', metadataB),
          metadataSigningCertFile: this.file('b-metadata-signing.crt', this.bSigning.certPem),
          tlsCaFile: this.file('b-tls-ca.crt', pki.rogueCa.certPem),
          soapContentType: 'text/xml',
          requestBinding: 'POST',
        },
      ],
      saml: testSamlSettings(),
    };
    const sink = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.logLines.push(chunk.toString('utf8'));
        cb();
      },
    });
    const sp = pki.spActive;
    this.face = createBrokerFace({
      config: this.config,
      keys: {
        sp: {
          keyPem: sp.keyPem,
          key: createPrivateKey(sp.keyPem),
          certPem: sp.certPem,
          sha256Fingerprint: sp.sha256,
          sha1Fingerprint: sp.sha1,
          notAfter: new Date(Date.UTC(2040, 0, 1)),
        },
        spPrevious: null,
        tlsClient: { keyPem: pki.tlsClient.keyPem, certPem: pki.tlsClient.certPem, notAfter: new Date(Date.UTC(2040, 0, 1)) },
      },
      kv: this.store,
      clock: this.clock,
      logger: createLogger({ level: 'debug', destination: sink }),
      handlers: {
        onIdentity: async (_req, res, identity, loginKey) => {
          this.identities.push(identity);
          res.status(200).json({ ok: true, loginKey });
        },
        onFailure: async (_req, res, failure) => {
          this.failures.push(failure);
          res.status(failure.httpStatus).json({ code: failure.code, correlationId: failure.correlationId });
        },
      },
    });
    this.app.use(this.face.router);
    this.app.get('/start', (req, res) => {
      const broker = typeof req.query.broker === 'string' ? req.query.broker : undefined;
      return this.face.startLogin(req, res, { loginKey: 'login-multi', ...(broker ? { broker } : {}) });
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.a.stop(), this.b.stop()]);
  }

  get log(): string {
    return this.logLines.join('');
  }

  /** Start a login at `broker` (default: none given, so the first configured one). */
  async begin(broker?: string): Promise<RigStarted> {
    const res = await request(this.app).get(broker ? `/start?broker=${encodeURIComponent(broker)}` : '/start');
    if (res.status !== 200) throw new Error(`start failed: ${res.status} ${res.text}`);
    const samlRequest = /name="SAMLRequest" value="([^"]+)"/.exec(res.text)![1]!;
    const relayState = /name="RelayState" value="([^"]+)"/.exec(res.text)![1]!;
    const destination = /<form[^>]*action="([^"]+)"/.exec(res.text)![1]!;
    const requestId = parse(Buffer.from(samlRequest, 'base64').toString('utf8')).documentElement.getAttribute('ID')!;
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).map((s) => s.split(';')[0]!).join('; ');
    return { requestId, relayState, cookie, destination };
  }

  /** A golden answer as `issuer` would send it (signed with `signer`). */
  golden(started: RigStarted, call: ResolveCall, issuer: string, signer: Identity, o: Partial<GoldenOptions> = {}): Golden {
    return buildGolden({
      brokerEntityId: issuer,
      spEntityId: SP_ENTITY,
      acsUrl: `${PUBLIC_URL}/saml/acs`,
      requestId: started.requestId,
      resolveId: call.resolveId,
      now: this.clock.now(),
      serviceId: SERVICE_ID,
      serviceUuid: SERVICE_UUID,
      recipients: [{ cert: this.pki.spActive, entityId: SP_ENTITY }],
      signAssertion: { key: signer },
      signArtifactResponse: { key: signer },
      ...o,
    });
  }

  /** Register an answer at both ARSs (a test then proves which one was asked). */
  answer(artifact: string, responder: (call: ResolveCall) => Answer): void {
    this.a.responders.set(artifact, responder);
    this.b.responders.set(artifact, responder);
  }

  async acs(started: RigStarted, artifact: string): Promise<RigOutcome> {
    const before = this.store.written.length;
    const ids = this.identities.length;
    const fails = this.failures.length;
    const res = await request(this.app).get('/saml/acs').query({ SAMLart: artifact, RelayState: started.relayState }).set('Cookie', started.cookie);
    return {
      status: res.status,
      identity: this.identities.length > ids ? this.identities.at(-1)! : null,
      failure: this.failures.length > fails ? this.failures.at(-1)! : null,
      written: this.store.written.slice(before),
      setCookie: res.headers['set-cookie'],
    };
  }
}

export { makeArtifact };
