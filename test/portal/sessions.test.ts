// The portal session store on its own, with a clock that only moves when told: idle and
// absolute limits, the cap by the gateway session, the tombstone after an idle timeout, the
// cookie, and the single-use, browser-bound pending login.
import assert from 'node:assert/strict';
import type { Request, Response } from 'express';
import { HOUR, ManualClock, MINUTE } from '../../gateway/src/clock.ts';
import { PendingLogins, PortalSessions, safeReturnPath } from '../../gateway/src/portal/PortalSessions.ts';
import type { KeyValueStore } from '../../gateway/src/store/KeyValueStore.ts';
import { createTestKeyValueStore } from '../support/stores.ts';

/** Just enough of Express's request and response for cookies. */
class CookieJarFake {
  cookies: Record<string, string> = {};
  set: Array<{ name: string; value: string; opts: Record<string, unknown> }> = [];
  req(): Request {
    return { cookies: { ...this.cookies } } as unknown as Request;
  }
  res(): Response {
    const fake = {
      cookie: (name: string, value: string, opts: Record<string, unknown>) => {
        this.set.push({ name, value, opts });
        this.cookies[name] = value;
        return fake;
      },
      clearCookie: (name: string) => {
        delete this.cookies[name];
        return fake;
      },
    };
    return fake as unknown as Response;
  }
}

describe('portal: session store', () => {
  let clock: ManualClock;
  let kv: KeyValueStore;
  const idleMs = 15 * MINUTE;
  const gatewaySessionMs = 8 * HOUR;

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 0, 15, 9, 0, 0));
    kv = await createTestKeyValueStore(clock);
  });
  afterEach(async () => {
    await kv.close();
  });

  const input = (authTime?: number) => ({ accountId: 'acc-1', grantId: 'g-1', idToken: 'id.token.here', acr: null, authTime });

  it('sets an HttpOnly, SameSite=Lax session cookie, __Host- and Secure on https, and keeps only its hash', async () => {
    for (const secure of [false, true]) {
      const sessions = new PortalSessions(kv, clock, { idleMs, absoluteMs: gatewaySessionMs, gatewaySessionMs, secure });
      const jar = new CookieJarFake();
      await sessions.create(jar.res(), input());
      const [c] = jar.set;
      assert.equal(c!.name, secure ? '__Host-mijnduo_portal' : 'mijnduo_portal');
      assert.equal(c!.opts.maxAge, undefined, 'a browser-session cookie');
      assert.deepEqual(c!.opts, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
      assert.equal(await kv.get(`portal:session:${c!.value}`), null);
      const found = await sessions.load(jar.req());
      assert.equal(found.status, 'active');
    }
  });

  it('slides the idle window with activity and ends the session after idle time; then remembers it timed out', async () => {
    const sessions = new PortalSessions(kv, clock, { idleMs, absoluteMs: gatewaySessionMs, gatewaySessionMs, secure: false });
    const jar = new CookieJarFake();
    await sessions.create(jar.res(), input());
    for (let i = 0; i < 4; i++) {
      clock.advance(idleMs - MINUTE);
      const found = await sessions.load(jar.req());
      assert.equal(found.status, 'active', `still active after ${i + 1} active periods`);
      if (found.status === 'active') await sessions.touch(found.id, found.session);
    }
    clock.advance(idleMs);
    assert.equal((await sessions.load(jar.req())).status, 'expired');
    // Stays "expired" (so the next login asks for eHerkenning again) ...
    clock.advance(HOUR);
    assert.equal((await sessions.load(jar.req())).status, 'expired');
    // ... but not beyond the moment the session would have ended anyway.
    clock.advance(8 * HOUR);
    assert.equal((await sessions.load(jar.req())).status, 'none');
  });

  it('never outlives the absolute limit, however active, nor the gateway session (auth_time + its length)', async () => {
    const sessions = new PortalSessions(kv, clock, { idleMs, absoluteMs: 2 * HOUR, gatewaySessionMs, secure: false });
    const jar = new CookieJarFake();
    const s = await sessions.create(jar.res(), input());
    assert.equal(s.absoluteExpiresAt, clock.now() + 2 * HOUR);
    let ended = 0;
    for (let t = 0; t < 3 * HOUR; t += 10 * MINUTE) {
      clock.advance(10 * MINUTE);
      const found = await sessions.load(jar.req());
      if (found.status !== 'active') {
        ended = t + 10 * MINUTE;
        break;
      }
      await sessions.touch(found.id, found.session);
    }
    assert.equal(ended, 2 * HOUR);

    // A gateway login 7.5 hours ago leaves the portal half an hour, not two hours.
    const authTime = Math.floor((clock.now() - 7.5 * HOUR) / 1000);
    const capped = await sessions.create(new CookieJarFake().res(), input(authTime));
    assert.equal(capped.absoluteExpiresAt, authTime * 1000 + gatewaySessionMs);
    // And a gateway session that is over already starts nothing.
    await assert.rejects(sessions.create(new CookieJarFake().res(), input(Math.floor((clock.now() - 9 * HOUR) / 1000))), /already ended/);
  });

  it('destroy removes the record and the cookie; a forged or unknown cookie is no session', async () => {
    const sessions = new PortalSessions(kv, clock, { idleMs, absoluteMs: gatewaySessionMs, gatewaySessionMs, secure: false });
    const jar = new CookieJarFake();
    await sessions.create(jar.res(), input());
    const copy = { ...jar.cookies };
    await sessions.destroy(jar.req(), jar.res());
    assert.deepEqual(jar.cookies, {});
    const replay = new CookieJarFake();
    replay.cookies = copy;
    assert.equal((await sessions.load(replay.req())).status, 'none', 'the old cookie is worthless');
    replay.cookies = { mijnduo_portal: 'x'.repeat(43) };
    assert.equal((await sessions.load(replay.req())).status, 'none');
    replay.cookies = { mijnduo_portal: '../../etc' };
    assert.equal((await sessions.load(replay.req())).status, 'none');
  });

  it('a pending login is single use and only for the browser that started it', async () => {
    const logins = new PendingLogins(kv, 10 * MINUTE, false);
    const mine = new CookieJarFake();
    await logins.start(mine.res(), { state: 'state-aaaaaaaaaaaaaaaa', nonce: 'n', codeVerifier: 'v', returnTo: '/' });
    const other = new CookieJarFake();
    assert.equal(await logins.take(other.req(), other.res(), 'state-aaaaaaaaaaaaaaaa'), null, 'another browser');
    assert.equal(await logins.take(mine.req(), mine.res(), 'state-bbbbbbbbbbbbbbbb'), null, 'another state');
    await logins.start(mine.res(), { state: 'state-cccccccccccccccc', nonce: 'n2', codeVerifier: 'v2', returnTo: '/mijn-gegevens' });
    const jarBefore = { ...mine.cookies };
    const taken = await logins.take(mine.req(), mine.res(), 'state-cccccccccccccccc');
    assert.equal(taken?.returnTo, '/mijn-gegevens');
    mine.cookies = jarBefore;
    assert.equal(await logins.take(mine.req(), mine.res(), 'state-cccccccccccccccc'), null, 'used once');
  });

  it('returns only to our own paths after login', () => {
    assert.equal(safeReturnPath('/mijn-gegevens'), '/mijn-gegevens');
    assert.equal(safeReturnPath('/beheer/gebruikers/1234abcd'), '/beheer/gebruikers/1234abcd');
    for (const bad of ['https://evil.example/', '//evil.example/', '/\\evil.example', 'javascript:alert(1)', '/inloggen/callback?code=x', '', undefined, ['/a']]) {
      assert.equal(safeReturnPath(bad), '/', String(bad));
    }
  });
});
