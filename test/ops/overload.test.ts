// Load shedding (issue 5, "Overload" in docs/performance.md): while the event loop is
// saturated, a new login is refused at once with the 503 page — before an interaction is made
// or anyone is sent to the broker — and the logins already under way, and the apps' back
// channel, go on. The guard's decision is driven directly here; its measurement by a real
// blocked event loop.
import assert from 'node:assert/strict';
import { OverloadGuard } from '../../gateway/src/ops/OverloadGuard.ts';
import { useStack, type Stack } from '../support/stack.ts';
import { discover, newBrowser, startAppLogin, toBroker } from './support/appLogin.ts';

describe('ops: overload guard', () => {
  describe('the decision', () => {
    it('turns on above the limit, and off only below half of it', () => {
      const changes: boolean[] = [];
      const g = new OverloadGuard({ maxDelayMs: 1000, windowMs: 1000, onChange: (on) => changes.push(on) });
      g.observe(999);
      assert.equal(g.overloaded, false);
      g.observe(1001);
      assert.equal(g.overloaded, true);
      g.observe(700); // still above half: stays on
      assert.equal(g.overloaded, true);
      g.observe(499);
      assert.equal(g.overloaded, false);
      assert.deepEqual(changes, [true, false]);
    });

    it('0 turns it off', () => {
      const g = new OverloadGuard({ maxDelayMs: 0, windowMs: 1000 });
      g.observe(60_000);
      assert.equal(g.overloaded, false);
    });

    it('measures a real event loop: a 400 ms block with a 100 ms limit turns it on', async () => {
      let resolveOn: () => void;
      const on = new Promise<void>((r) => (resolveOn = r));
      const g = new OverloadGuard({ maxDelayMs: 100, windowMs: 100, onChange: (o) => o && resolveOn() });
      g.start();
      try {
        // Block the loop (no timer can fire meanwhile), the way a saturated gateway does.
        const until = performance.now() + 400;
        while (performance.now() < until) {
          // busy
        }
        await on;
        assert.equal(g.overloaded, true);
        assert.ok(g.delayMs > 100, `measured ${g.delayMs} ms`);
      } finally {
        g.stop();
      }
    });
  });

  describe('through the gateway', function () {
    this.timeout(60_000);
    const started = useStack();
    let stack = {} as Stack;
    before(() => ({ stack } = started));
    afterEach(() => stack.gateway.ops.overload.observe(0));

    it('refuses a new login with the 503 page and Retry-After, making no interaction; counts it', async () => {
      const oidc = await discover(stack.gatewayUrl);
      const login = await startAppLogin(oidc);
      stack.gateway.ops.overload.observe(5_000);
      const res = await fetch(login.url, { redirect: 'manual' });
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '5');
      assert.equal(res.headers.get('set-cookie'), null, 'no interaction cookie');
      assert.equal(res.headers.get('location'), null);
      assert.match(await res.text(), /tijdelijk niet beschikbaar/i);
      assert.match(await stack.gateway.ops.metrics.render(), /^mijnduo_logins_failed_total\{reason="overloaded"\} 1$/m);
    });

    it('keeps answering the back channel, and takes new logins again once the loop has caught up', async () => {
      stack.gateway.ops.overload.observe(5_000);
      const jwks = await fetch(`${stack.gatewayUrl}/oidc/jwks`);
      assert.equal(jwks.status, 200);
      stack.gateway.ops.overload.observe(10);
      const oidc = await discover(stack.gatewayUrl);
      const page = await toBroker(newBrowser(), await startAppLogin(oidc));
      assert.equal(page.status, 200);
      assert.ok(page.$('input[name=persona]').length > 0, 'on to the broker');
    });

    it('a login already under way finishes while new ones are refused', async () => {
      const oidc = await discover(stack.gatewayUrl);
      const browser = newBrowser();
      const login = await startAppLogin(oidc);
      const atBroker = await toBroker(browser, login);
      assert.ok(atBroker.$('input[name=persona]').length > 0);
      stack.gateway.ops.overload.observe(5_000);
      // Back from the broker: the ACS is not behind the login gate.
      const back = await browser.settle(await browser.submit(atBroker, { persona: 'jan', action: 'login' }));
      assert.notEqual(back.status, 503, `${back.status} ${back.url}`);
      assert.doesNotMatch(back.body, /tijdelijk niet beschikbaar/i);
    });
  });
});
