// Rule 3 with two trusted brokers: an artifact is resolved at the broker its SourceID names,
// over that broker's TLS trust, and its answer is verified with that broker's certificates only.
// A request started at one broker cannot be completed by the other.
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { ManualClock } from '../../gateway/src/clock.ts';
import { createLogger } from '../../gateway/src/logger.ts';
import { createBrokerFace } from '../../gateway/src/broker/index.ts';
import { MemoryKeyValueStore } from '../../gateway/src/store/MemoryKeyValueStore.ts';
import { BROKER_A, BROKER_B, MultiBrokerRig, SSO_A, SSO_B, makeArtifact, type RigOutcome } from './support/multiBrokerRig.ts';

function assertRefusedWith(rig: MultiBrokerRig, out: RigOutcome, code: string): void {
  assert.equal(out.failure?.code, code, `expected ${code}, got ${out.failure?.code ?? 'an identity'}`);
  assert.equal(out.identity, null);
  assert.ok([400, 403].includes(out.status), `status ${out.status}`);
  assert.deepEqual(out.written, [], 'nothing written on a refusal');
  assert.equal(out.setCookie, undefined, 'no cookie on a refusal');
  assert.ok(rig.log.includes(`"reason":"${code}"`), 'the reason is logged');
}

describe('broker face: two trusted brokers', function () {
  let rig: MultiBrokerRig;
  before(async () => {
    rig = await MultiBrokerRig.create();
  });
  after(async () => rig?.close());

  it('starts at the first broker by default, and at the broker asked for', async () => {
    assert.equal((await rig.begin()).destination, SSO_A);
    assert.equal((await rig.begin(BROKER_A)).destination, SSO_A);
    assert.equal((await rig.begin(BROKER_B)).destination, SSO_B);
  });

  it('refuses to start at a broker that is not configured, and stores nothing', async () => {
    const written = rig.store.written.length;
    await assert.rejects(rig.begin('urn:etoegang:HM:00000003777777770000:entities:1'), /start failed: 400/);
    assert.equal(rig.store.written.length, written);
    assert.equal(rig.failures.at(-1)!.code, 'message-rejected');
  });

  it("resolves B's artifact at B's ARS (B's TLS CA) and accepts B's signature", async () => {
    const s = await rig.begin(BROKER_B);
    const artifact = makeArtifact(BROKER_B);
    rig.answer(artifact, (call) => rig.golden(s, call, BROKER_B, rig.bSigning).xml);
    const aCalls = rig.a.calls.length;
    const bCalls = rig.b.calls.length;
    const out = await rig.acs(s, artifact);
    assert.ok(out.identity, JSON.stringify(out.failure));
    assert.equal(out.identity.broker, BROKER_B);
    // Only B was asked. B's TLS certificate is from a CA that only B's entry trusts, so this
    // also proves the per-broker CA was used.
    assert.equal(rig.a.calls.length, aCalls, "A's ARS was not called");
    assert.equal(rig.b.calls.length, bCalls + 1, "B's ARS was called once");
    assert.equal(rig.b.calls.at(-1)!.artifact, artifact);
    assert.equal(rig.b.calls.at(-1)!.signatureValid, true);
  });

  it("refuses B's artifact whose answer is signed with A's key (A's certificates are not B's)", async () => {
    const s = await rig.begin(BROKER_B);
    const artifact = makeArtifact(BROKER_B);
    rig.answer(artifact, (call) => rig.golden(s, call, BROKER_B, rig.pki.brokerSigning).xml);
    const aCalls = rig.a.calls.length;
    const out = await rig.acs(s, artifact);
    assertRefusedWith(rig, out, 'signature-invalid');
    assert.equal(rig.a.calls.length, aCalls, "A's ARS was not called");
    // And the forged answer did not burn the person's request at B.
    const real = makeArtifact(BROKER_B);
    rig.answer(real, (call) => rig.golden(s, call, BROKER_B, rig.bSigning).xml);
    assert.ok((await rig.acs(s, real)).identity);
  });

  it("refuses B's artifact whose answer is A's own (A's Issuer, A's key)", async () => {
    const s = await rig.begin(BROKER_B);
    const artifact = makeArtifact(BROKER_B);
    rig.answer(artifact, (call) => rig.golden(s, call, BROKER_A, rig.pki.brokerSigning).xml);
    assertRefusedWith(rig, await rig.acs(s, artifact), 'signature-invalid');
  });

  it("refuses A's artifact signed with B's key, and an answer signed by B but claiming A as Issuer", async () => {
    const s = await rig.begin(BROKER_A);
    const signedByB = makeArtifact(BROKER_A);
    rig.answer(signedByB, (call) => rig.golden(s, call, BROKER_A, rig.bSigning).xml);
    assertRefusedWith(rig, await rig.acs(s, signedByB), 'signature-invalid');
    const s2 = await rig.begin(BROKER_B);
    const issuedAsA = makeArtifact(BROKER_B);
    rig.answer(issuedAsA, (call) => rig.golden(s2, call, BROKER_A, rig.bSigning).xml);
    assertRefusedWith(rig, await rig.acs(s2, issuedAsA), 'artifact-response-issuer-mismatch');
  });

  it('refuses an artifact from B for a request started at A (artifact-broker-mismatch) without asking either broker', async () => {
    const s = await rig.begin(BROKER_A);
    const artifact = makeArtifact(BROKER_B);
    rig.answer(artifact, (call) => rig.golden(s, call, BROKER_B, rig.bSigning).xml);
    const calls = rig.a.calls.length + rig.b.calls.length;
    const out = await rig.acs(s, artifact);
    assertRefusedWith(rig, out, 'artifact-broker-mismatch');
    assert.equal(rig.a.calls.length + rig.b.calls.length, calls, 'no broker was asked');
    // The request at A is still there for A's real answer.
    const real = makeArtifact(BROKER_A);
    rig.answer(real, (call) => rig.golden(s, call, BROKER_A, rig.pki.brokerSigning).xml);
    const ok = await rig.acs(s, real);
    assert.equal(ok.identity?.broker, BROKER_A, JSON.stringify(ok.failure));
  });

  it('refuses a configuration that names the same broker twice', () => {
    const clock = new ManualClock(0);
    const sp = rig.pki.spActive;
    assert.throws(
      () =>
        createBrokerFace({
          config: { ...rig.config, brokers: [rig.config.brokers[0]!, { ...rig.config.brokers[1]!, entityId: BROKER_A }] },
          keys: {
            sp: { keyPem: sp.keyPem, key: createPrivateKey(sp.keyPem), certPem: sp.certPem, sha256Fingerprint: sp.sha256, sha1Fingerprint: sp.sha1, notAfter: new Date(Date.UTC(2040, 0, 1)) },
            spPrevious: null,
            tlsClient: { keyPem: rig.pki.tlsClient.keyPem, certPem: rig.pki.tlsClient.certPem, notAfter: new Date(Date.UTC(2040, 0, 1)) },
          },
          kv: new MemoryKeyValueStore(clock, { sweepIntervalMs: 0 }),
          clock,
          logger: createLogger({ level: 'silent' }),
          handlers: { onIdentity: async () => undefined, onFailure: async () => undefined },
        }),
      /configured twice/,
    );
  });
});
