// Rule 5: single use, atomically; browser binding; unsolicited answers; a forged answer does
// not burn the real user's request.
import assert from 'node:assert/strict';
import request from 'supertest';
import { Harness, makeArtifact } from '../support/saml/harness.ts';
import { assertRefused } from '../support/saml/expect.ts';
import { newId } from '../support/saml/golden.ts';

describe('broker face: single use, binding and unsolicited answers', function () {
  let h: Harness;
  before(async () => {
    h = await Harness.create();
  });
  after(async () => h?.close());

  it('refuses a replayed artifact', async () => {
    const first = await h.login();
    assert.ok(first.identity);
    const again = await h.acs({ artifact: first.artifact, relayState: first.started.relayState, cookie: first.started.cookie });
    assertRefused(h, again, 'artifact-replayed');
  });

  it('refuses a replayed artifact even with a fresh request of the same browser', async () => {
    const first = await h.login();
    const s = await h.begin('login-9', first.started.cookie);
    const again = await h.acs({ artifact: first.artifact, relayState: s.relayState, cookie: s.cookie });
    assertRefused(h, again, 'artifact-replayed');
  });

  it('refuses a replayed assertion ID inside a new, properly signed answer', async () => {
    const assertionId = newId();
    const first = await h.login({ assertionId });
    assert.ok(first.identity);
    const second = await h.login({ assertionId });
    assertRefused(h, second, 'assertion-replayed');
  });

  it('three identical answers at the same moment give exactly one login', async () => {
    const s = await h.begin('login-race');
    const artifact = makeArtifact();
    const assertionId = newId();
    h.answer(artifact, (call) => h.golden(s, call, { assertionId }).xml);
    const identities = h.identities.length;
    const failures = h.failures.length;
    const outs = await Promise.all([1, 2, 3].map(() => h.acs({ artifact, relayState: s.relayState, cookie: s.cookie })));
    // (Outcome.identity is not per-request under concurrency; count what the handlers saw.)
    assert.equal(h.identities.length - identities, 1);
    assert.deepEqual(outs.map((o) => o.status).sort(), [200, 400, 400]);
    const codes = h.failures.slice(failures).map((f) => f.code);
    assert.equal(codes.length, 2);
    for (const c of codes) assert.ok(['request-already-used', 'artifact-replayed', 'assertion-replayed', 'request-unknown'].includes(c), c);
  });

  it('refuses an answer without RelayState as unsolicited (IdP-initiated)', async () => {
    const s = await h.begin();
    const out = await h.acs({ artifact: makeArtifact(), cookie: s.cookie });
    assertRefused(h, out, 'unsolicited-response');
    assert.equal(h.server.calls.filter((c) => c.artifact === 'never').length, 0);
  });

  it('refuses a RelayState that is not ours (a URL)', async () => {
    const s = await h.begin();
    const out = await h.acs({ artifact: makeArtifact(), relayState: 'https://evil.example/', cookie: s.cookie });
    assertRefused(h, out, 'unsolicited-response');
  });

  it('refuses an unknown RelayState without calling the broker', async () => {
    const s = await h.begin();
    const calls = h.server.calls.length;
    const out = await h.acs({ artifact: makeArtifact(), relayState: 'A'.repeat(32), cookie: s.cookie });
    assertRefused(h, out, 'request-unknown');
    assert.equal(h.server.calls.length, calls);
  });

  it('refuses an expired request', async () => {
    const s = await h.begin();
    h.clock.advance(901_000);
    try {
      const out = await h.acs({ artifact: makeArtifact(), relayState: s.relayState, cookie: s.cookie });
      assertRefused(h, out, 'request-unknown');
    } finally {
      h.clock.advance(-901_000);
    }
  });

  it('refuses another browser (no or another binding cookie), and does not burn the request', async () => {
    const s = await h.begin();
    const artifact = makeArtifact();
    h.answer(artifact, (call) => h.golden(s, call).xml);
    const stranger = await h.acs({ artifact, relayState: s.relayState });
    assertRefused(h, stranger, 'browser-binding-mismatch', { status: 403 });
    assert.equal(stranger.failure!.loginKey, null);
    const other = await h.acs({ artifact, relayState: s.relayState, cookie: `mijnduo_saml=${'x'.repeat(43)}` });
    assertRefused(h, other, 'browser-binding-mismatch');
    const real = await h.acs({ artifact, relayState: s.relayState, cookie: s.cookie });
    assert.ok(real.identity, JSON.stringify(real.failure));
  });

  it('a forged answer (untrusted signature) does not burn the real user\'s request', async () => {
    const s = await h.begin('login-forged');
    const forged = makeArtifact();
    h.answer(forged, (call) =>
      h.golden(s, call, { signAssertion: { key: h.pki.untrusted }, signArtifactResponse: { key: h.pki.untrusted, keyInfo: 'x509' } }).xml,
    );
    const bad = await h.acs({ artifact: forged, relayState: s.relayState, cookie: s.cookie });
    assertRefused(h, bad, 'signature-invalid');
    assert.equal(h.store.removed.length > 0 && h.store.removed.at(-1)!.includes(s.relayState), false);
    const real = makeArtifact();
    h.answer(real, (call) => h.golden(s, call).xml);
    const good = await h.acs({ artifact: real, relayState: s.relayState, cookie: s.cookie });
    assert.ok(good.identity, JSON.stringify(good.failure));
    assert.equal(good.loginKey, 'login-forged');
  });

  it('an answer for another request of the same browser does not burn this one', async () => {
    const a = await h.begin('login-a');
    const b = await h.begin('login-b', a.cookie);
    const art = makeArtifact();
    h.answer(art, (call) => h.golden(a, call).xml); // answers request A …
    const crossed = await h.acs({ artifact: art, relayState: b.relayState, cookie: a.cookie }); // … delivered with B's RelayState
    assertRefused(h, crossed, 'response-in-response-to-mismatch');
    const art2 = makeArtifact();
    h.answer(art2, (call) => h.golden(b, call).xml);
    const ok = await h.acs({ artifact: art2, relayState: b.relayState, cookie: a.cookie });
    assert.equal(ok.loginKey, 'login-b');
  });

  describe('what the browser brings', () => {
    it('refuses a malformed artifact (not base64, wrong length, wrong type)', async () => {
      const s = await h.begin();
      for (const artifact of ['%%%', Buffer.alloc(40).toString('base64'), makeArtifact(undefined, 0x0005)]) {
        assertRefused(h, await h.acs({ artifact, relayState: s.relayState, cookie: s.cookie }), 'artifact-malformed');
      }
    });
    it('refuses a POSTed SAMLResponse (only the artifact binding)', async () => {
      const s = await h.begin();
      const out = await h.acs({ method: 'POST', relayState: s.relayState, cookie: s.cookie, extra: { SAMLResponse: 'PHg+' } });
      assertRefused(h, out, 'acs-bad-request');
    });
    it('refuses a repeated SAMLart', async () => {
      const s = await h.begin();
      const res = await request(h.app)
        .get(`/saml/acs?SAMLart=${encodeURIComponent(makeArtifact())}&SAMLart=${encodeURIComponent(makeArtifact())}&RelayState=${s.relayState}`)
        .set('Cookie', s.cookie);
      assert.equal(res.status, 400);
      assert.equal(h.failures.at(-1)!.code, 'acs-bad-request');
    });
    it('refuses an oversized POST body', async () => {
      const res = await request(h.app).post('/saml/acs').type('form').send(`SAMLart=${'A'.repeat(20_000)}`);
      assert.equal(res.status, 400);
      assert.equal(h.failures.at(-1)!.code, 'acs-bad-request');
    });
    it('accepts an artifact whose + signs a broker forgot to URL-encode', async () => {
      const s = await h.begin();
      let artifact = makeArtifact();
      while (!artifact.includes('+')) artifact = makeArtifact();
      h.answer(artifact, (call) => h.golden(s, call).xml);
      const res = await request(h.app).get(`/saml/acs?SAMLart=${artifact.replace(/=/g, '%3D')}&RelayState=${s.relayState}`).set('Cookie', s.cookie);
      assert.equal(res.status, 200, res.text);
    });
  });

  it('a store outage is a 503, not a login', async () => {
    const s = await h.begin();
    h.store.down = true;
    try {
      const out = await h.acs({ artifact: makeArtifact(), relayState: s.relayState, cookie: s.cookie });
      assertRefused(h, out, 'store-unavailable', { status: 503 });
    } finally {
      h.store.down = false;
    }
  });
});
