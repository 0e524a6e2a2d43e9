// Rule 5 across processes, on real Redis: two gateway processes (child processes running the
// real broker face, sharing one Redis key prefix as two replicas behind a load balancer would)
// get the same artifact three times at the same moment. Exactly one login results. The ARS
// holds its answers until all three resolves arrived, so all three responses are verified in
// parallel and only the atomic consume in Redis can pick the winner.
// Registered only when REDIS_URL is set: without Redis there is no second process to share with.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { BrokerFaceConfig } from '../../gateway/src/broker/index.ts';
import { PROJECT_ROOT } from '../../gateway/src/config.ts';
import { buildBrokerMetadata } from '../support/saml/brokerMetadata.ts';
import { buildGolden, newId, NS, parse, signElement } from '../support/saml/golden.ts';
import { BROKER, SERVICE_ID, SERVICE_UUID, SP_ENTITY, makeArtifact, testSamlSettings, testService } from '../support/saml/harness.ts';
import { testPki, type TestPki } from '../support/saml/pki.ts';
import { deleteRedisKeys, randomSuffix } from '../support/stores.ts';
import { BarrierArs, type BarrierCall } from './support/BarrierArs.ts';
import type { AcsProcessSettings } from './support/acsProcess.ts';

const PUBLIC_URL = 'http://127.0.0.1:3000'; // the public URL both replicas share
const ACS = `${PUBLIC_URL}/saml/acs`;
const ENTRY = path.join(import.meta.dirname, 'support', 'acsProcess.ts');

interface GatewayProcess {
  url: string;
  child: ChildProcess;
  stderr: string[];
}

interface AcsResult {
  via: string;
  status: number;
  body: { outcome: 'identity' | 'failure'; code?: string; loginKey?: string; assertionId?: string; pid: number };
  setCookie: string[];
}

async function startProcess(settingsFile: string): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, settingsFile], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr!.on('data', (c: Buffer) => stderr.push(c.toString('utf8')));
  const lines = createInterface({ input: child.stdout! });
  // The first stdout line is {"port":n}; if the process dies first, say why.
  const ready = once(lines, 'line').then(([line]) => JSON.parse(String(line)) as { port: number });
  const died = once(child, 'exit').then(([code]) => {
    throw new Error(`gateway process exited (${String(code)}) before listening:\n${stderr.join('')}`);
  });
  const { port } = await Promise.race([ready, died]);
  died.catch(() => undefined);
  return { url: `http://127.0.0.1:${port}`, child, stderr };
}

async function stopProcess(p: GatewayProcess | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null) return;
  const exited = once(p.child, 'exit');
  p.child.kill('SIGTERM');
  await exited;
}

/** The browser's first step: start a login at one process, keep RelayState and cookies. */
async function begin(p: GatewayProcess, loginKey: string, cookie?: string): Promise<{ requestId: string; relayState: string; cookie: string }> {
  const res = await fetch(`${p.url}/start?k=${encodeURIComponent(loginKey)}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const html = await res.text();
  assert.equal(res.status, 200, html);
  const samlRequest = /name="SAMLRequest" value="([^"]+)"/.exec(html)![1]!;
  const relayState = /name="RelayState" value="([^"]+)"/.exec(html)![1]!;
  const requestId = parse(Buffer.from(samlRequest, 'base64').toString('utf8')).documentElement.getAttribute('ID')!;
  const set = res.headers.getSetCookie().map((c) => c.split(';')[0]!).join('; ');
  return { requestId, relayState, cookie: cookie ?? set };
}

async function acs(p: GatewayProcess, artifact: string, relayState: string, cookie: string): Promise<AcsResult> {
  const url = `${p.url}/saml/acs?SAMLart=${encodeURIComponent(artifact)}&RelayState=${encodeURIComponent(relayState)}`;
  const res = await fetch(url, { headers: { cookie }, redirect: 'manual' });
  return { via: p.url, status: res.status, body: (await res.json()) as AcsResult['body'], setCookie: res.headers.getSetCookie() };
}

/**
 * One broker answer, built and signed once: the Response with its signed Assertion is the same
 * bytes for every resolve. Only the ArtifactResponse around it differs, as it must: it answers
 * each ArtifactResolve by its own ID, and is signed per resolve.
 */
function identicalAnswers(pki: TestPki, requestId: string, assertionId = newId()): (call: BarrierCall) => string {
  const placeholder = '_resolve-placeholder';
  const golden = buildGolden({
    brokerEntityId: BROKER,
    spEntityId: SP_ENTITY,
    acsUrl: ACS,
    requestId,
    resolveId: placeholder,
    now: Date.now(),
    serviceId: SERVICE_ID,
    serviceUuid: SERVICE_UUID,
    recipients: [{ cert: pki.spActive, entityId: SP_ENTITY }],
    assertionId,
    signAssertion: { key: pki.brokerSigning },
    signArtifactResponse: null,
  });
  const ar = /<soap:Body>([\s\S]*)<\/soap:Body>/.exec(golden.xml)![1]!;
  return (call) => {
    const signed = signElement(ar.replace(`InResponseTo="${placeholder}"`, `InResponseTo="${call.resolveId}"`), golden.artifactResponseId, {
      key: pki.brokerSigning,
    });
    return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${NS.soap}"><soap:Body>${signed}</soap:Body></soap:Envelope>`;
  };
}

async function counts(p: GatewayProcess): Promise<{ identities: number; failures: string[] }> {
  return (await (await fetch(`${p.url}/counts`)).json()) as { identities: number; failures: string[] };
}

const redisUrl = process.env.REDIS_URL;
if (redisUrl) {
  describe('broker face: single use across two gateway processes (needs REDIS_URL: real Redis)', function () {
    const keyPrefix = `mijnduo-test:${randomSuffix()}:`;
    let pki: TestPki;
    let ars: BarrierArs;
    let one: GatewayProcess | undefined;
    let two: GatewayProcess | undefined;

    before(async () => {
      pki = await testPki();
      ars = await new BarrierArs(pki).start();
      const dir = mkdtempSync(path.join(tmpdir(), 'cross-process-'));
      const file = (name: string, content: string): string => {
        const p = path.join(dir, name);
        writeFileSync(p, content);
        return p;
      };
      const config: BrokerFaceConfig = {
        env: 'test',
        publicUrl: PUBLIC_URL,
        service: testService(),
        brokers: [
          {
            entityId: BROKER,
            metadataFile: file(
              'broker-metadata.xml',
              buildBrokerMetadata({ entityId: BROKER, signingCerts: [pki.brokerSigning], metadataSigner: pki.brokerMetadataSigning, arsUrl: ars.url }),
            ),
            metadataSigningCertFile: file('broker-metadata-signing.crt', pki.brokerMetadataSigning.certPem),
            tlsCaFile: file('broker-tls-ca.crt', pki.tlsCa.certPem),
            soapContentType: 'text/xml',
            requestBinding: 'POST',
          },
        ],
        saml: testSamlSettings({ totalTimeoutMs: 10_000 }),
      };
      const settings: AcsProcessSettings = {
        redisUrl: redisUrl!,
        keyPrefix,
        config,
        sp: { keyPem: pki.spActive.keyPem, certPem: pki.spActive.certPem, sha256: pki.spActive.sha256, sha1: pki.spActive.sha1 },
        tlsClient: { keyPem: pki.tlsClient.keyPem, certPem: pki.tlsClient.certPem },
      };
      const settingsFile = file('settings.json', JSON.stringify(settings));
      // Keep whichever started, so after() stops it even when its sibling failed to start.
      const started = await Promise.allSettled([startProcess(settingsFile), startProcess(settingsFile)]);
      [one, two] = started.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
      for (const r of started) if (r.status === 'rejected') throw r.reason;
    });

    after(async () => {
      await Promise.all([stopProcess(one), stopProcess(two)]);
      await ars?.stop();
      await deleteRedisKeys(redisUrl!, keyPrefix);
    });

    it('three identical responses at the same moment, split over two processes, give exactly one login', async () => {
      const p1 = one!;
      const p2 = two!;
      const s = await begin(p1, 'login-race');
      const artifact = makeArtifact(BROKER);
      ars.calls.length = 0;
      ars.expected = 3;
      ars.respond = identicalAnswers(pki, s.requestId);
      // Should one request come back without resolving, nothing may wait for it any longer.
      const send = (p: GatewayProcess) => acs(p, artifact, s.relayState, s.cookie).finally(() => ars.release());
      const results = await Promise.all([send(p1), send(p2), send(p1)]);

      const detail = JSON.stringify(results.map((r) => ({ via: r.via, status: r.status, ...r.body })));
      assert.equal(ars.calls.length, 3, `all three resolved the artifact before any was decided: ${detail}`);
      const winners = results.filter((r) => r.body.outcome === 'identity');
      assert.equal(winners.length, 1, `exactly one login: ${detail}`);
      assert.equal(winners[0]!.status, 200);
      assert.equal(winners[0]!.body.loginKey, 'login-race');
      // All three got past every check to the one atomic step (GETDEL of the request record);
      // the two that lost it are refused there, before any replay cache is consulted.
      for (const loser of results.filter((r) => r.body.outcome === 'failure')) {
        assert.equal(loser.status, 400, detail);
        assert.equal(loser.body.code, 'request-already-used', detail);
        assert.deepEqual(loser.setCookie, [], 'no cookie on a refusal');
      }
      // Both processes took part, and what each process itself counted agrees.
      assert.equal(new Set(results.map((r) => r.body.pid)).size, 2);
      const [c1, c2] = await Promise.all([counts(p1), counts(p2)]);
      assert.equal(c1.identities + c2.identities, 1, JSON.stringify({ c1, c2 }));
      assert.equal(c1.failures.length + c2.failures.length, 2);
    });

    it('the used artifact, brought to the other process later, is refused without asking the broker', async () => {
      const s = await begin(one!, 'login-replay');
      const artifact = makeArtifact(BROKER);
      ars.expected = 1;
      ars.respond = identicalAnswers(pki, s.requestId);
      const first = await acs(one!, artifact, s.relayState, s.cookie);
      assert.equal(first.body.outcome, 'identity', JSON.stringify(first.body));
      const resolves = ars.calls.length;
      // A fresh request of the same browser at process two, completed with the old artifact.
      const s2 = await begin(two!, 'login-replay-2', s.cookie);
      const again = await acs(two!, artifact, s2.relayState, s2.cookie);
      assert.equal(again.body.outcome, 'failure');
      assert.equal(again.body.code, 'artifact-replayed');
      assert.equal(ars.calls.length, resolves, 'the broker was not asked again');
    });

    it('an assertion ID used at one process is refused in a new artifact at the other', async () => {
      const assertionId = newId();
      const s1 = await begin(one!, 'login-asn-1');
      ars.expected = 1;
      ars.respond = identicalAnswers(pki, s1.requestId, assertionId);
      assert.equal((await acs(one!, makeArtifact(BROKER), s1.relayState, s1.cookie)).body.outcome, 'identity');
      const s2 = await begin(two!, 'login-asn-2');
      ars.respond = identicalAnswers(pki, s2.requestId, assertionId);
      const replay = await acs(two!, makeArtifact(BROKER), s2.relayState, s2.cookie);
      assert.equal(replay.body.outcome, 'failure');
      assert.equal(replay.body.code, 'assertion-replayed');
    });
  });
}
