// "Inloggen met token" (the old way, manual 1.4): gebruikersnaam + the 6-digit TOTP code
// (RFC 6238) of the token assigned with `mijnduo token assign`. Allowed only for accounts
// without an active koppeling: after koppelen the person logs in with eHerkenning and hands the
// token in. Same lockout rules as koppelen (5 wrong → 15 minutes, counted per gebruikersnaam
// on a counter of its own), the same per-IP throttle, and a code is accepted once.
//
// Enumeration: an unknown gebruikersnaam, an account without token, a wrong code and a replayed
// code give one answer and do the same work (a TOTP check runs against a throwaway secret when
// there is no real one). Only someone with a valid code learns that the account is linked.
import { Router, type Request, type Response } from 'express';
import * as OTPAuth from 'otpauth';
import type { Account, AccountsRegistry } from '../accounts/AccountsRegistry.ts';
import { normaliseGebruikersnaam } from '../accounts/gebruikersnaam.ts';
import { totpFor } from '../cli/token.ts';
import { Lockout } from '../koppel/Lockout.ts';
import { csrfMatches, type Flash } from './LoginState.ts';
import { form, interactionRoute, loadInteraction, type InteractionDeps } from './routes.ts';
import { formView } from './view.ts';

/** The interaction routes' dependencies, less the broker side the token login never touches. */
export type TokenLoginDeps = Omit<InteractionDeps, 'config' | 'brokerFace'>;

const PERIOD_MS = 30_000;
/** Codes of the previous and next period are accepted too (clock drift of the token). */
const WINDOW = 1;
/** Stand-in secret for names without a token, so every attempt does the same work. */
const THROWAWAY_SECRET = new OTPAuth.Secret({ size: 20 }).base32;

export type TokenCheck =
  | { ok: true; account: Account; timeStep: number }
  | { ok: false; reason: 'unknown-gebruikersnaam' | 'no-token' | 'wrong-code'; accountId: string | null };

/** Verify a typed code for a gebruikersnaam; spaces in the code are forgiven. */
export async function checkTokenCode(
  accounts: Pick<AccountsRegistry, 'findAccountByGebruikersnaam'>,
  gebruikersnaam: string,
  typed: string,
  now: number,
): Promise<TokenCheck> {
  const account = await accounts.findAccountByGebruikersnaam(gebruikersnaam);
  const secret = account?.totpSecret ?? THROWAWAY_SECRET;
  const code = typed.replace(/\s+/g, '');
  const delta = /^\d{6}$/.test(code) ? totpFor(gebruikersnaam, secret).validate({ token: code, timestamp: now, window: WINDOW }) : null;
  if (!account) return { ok: false, reason: 'unknown-gebruikersnaam', accountId: null };
  if (!account.totpSecret) return { ok: false, reason: 'no-token', accountId: account.id };
  if (delta === null) return { ok: false, reason: 'wrong-code', accountId: account.id };
  return { ok: true, account, timeStep: Math.floor(now / PERIOD_MS) + delta };
}

function field(body: unknown, name: string, max: number): string {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.slice(0, max) : '';
}

export function tokenLoginRoutes(d: TokenLoginDeps): Router {
  const r = Router();
  const path = (uid: string) => `/interaction/${encodeURIComponent(uid)}/token`;

  /** The interaction, when token login fits it: a login prompt not already in the wizard. */
  async function tokenInteraction(req: Request, res: Response): Promise<string | null> {
    const { uid, promptName, state } = await loadInteraction(d.provider, d.states, req, res);
    if (promptName !== 'login' || state?.stage === 'koppel') {
      res.redirect(303, `/interaction/${encodeURIComponent(uid)}`);
      return null;
    }
    return uid;
  }

  r.get(
    '/interaction/:uid/token',
    interactionRoute(d.pages, async (req, res) => {
      const uid = await tokenInteraction(req, res);
      if (!uid) return;
      const pre = await d.states.ensurePreLogin(uid);
      const flash = await d.states.takeFlash(uid, 'token');
      d.pages.render(res, 'token', {
        uid,
        csrf: pre.csrf,
        backHref: `/interaction/${encodeURIComponent(uid)}`,
        ...formView(res, d.clock.now(), flash),
      });
    }),
  );

  r.post(
    '/interaction/:uid/token',
    form,
    interactionRoute(d.pages, async (req, res) => {
      const uid = await tokenInteraction(req, res);
      if (!uid) return;
      const pre = await d.states.getPreLogin(uid);
      const audit = (outcome: 'success' | 'refused', reason: string, accountId: string | null = null, details?: Record<string, unknown>) =>
        d.accounts.appendAudit({
          at: d.clock.now(),
          action: 'token.login',
          outcome,
          actorType: 'anonymous',
          accountId,
          reason,
          correlationId: uid,
          ...(details ? { details } : {}),
        });
      const again = async (flash: Omit<Flash, 'page'>) => {
        await d.states.setFlash(uid, { page: 'token', ...flash });
        res.redirect(303, path(uid));
      };

      if (!pre || !csrfMatches(pre.csrf, (req.body as Record<string, unknown> | undefined)?._csrf)) {
        await audit('refused', 'csrf');
        d.pages.render(res, 'error', { code: 'csrf', correlationId: uid.slice(0, 8) }, 403);
        return;
      }
      const gebruikersnaam = normaliseGebruikersnaam(field(req.body, 'gebruikersnaam', 64));
      const code = field(req.body, 'tokencode', 32);
      const missing: NonNullable<Flash['errors']> = [];
      if (!gebruikersnaam) missing.push({ field: 'gebruikersnaam', key: 'token.required.gebruikersnaam' });
      if (!code.trim()) missing.push({ field: 'tokencode', key: 'token.required.code' });
      if (missing.length > 0) {
        await audit('refused', 'incomplete');
        await again({ errors: missing, values: { gebruikersnaam } });
        return;
      }

      const ip = await d.ipThrottle.take(req.ip ?? '');
      if (!ip.ok) {
        await audit('refused', 'ip-throttled');
        await again({ errors: [{ field: '', key: 'wizard.throttled', until: ip.until }] });
        return;
      }
      const reservation = await d.lockout.reserve(Lockout.tokenTargets(gebruikersnaam));
      if (reservation.kind === 'blocked') {
        await audit('refused', 'blocked');
        await again({ errors: [{ field: '', key: 'token.blocked', until: reservation.until }] });
        return;
      }

      const now = d.clock.now();
      const check = await checkTokenCode(d.accounts, gebruikersnaam, code, now);
      // A valid code is good once: the first use claims its period for this account.
      const replayed =
        check.ok &&
        !(await d.kv.setIfAbsent(`token:used:${check.account.id}:${check.timeStep}`, '1', (2 * WINDOW + 2) * PERIOD_MS));
      if (!check.ok || replayed) {
        const accountId = check.ok ? check.account.id : check.accountId;
        const blocked = await d.lockout.failed(reservation, { accountId, correlationId: uid });
        await audit('refused', check.ok ? 'replayed' : check.reason, accountId, { blocked: blocked !== null });
        await again({
          errors: [blocked ? { field: '', key: 'token.blocked', until: blocked.until } : { field: '', key: 'token.failed' }],
        });
        return;
      }

      // The code was right: whatever follows, the failures so far are forgotten.
      await d.lockout.succeeded(reservation);
      const { account } = check;
      if (account.status !== 'active') {
        await audit('refused', 'account-disabled', account.id);
        await again({ errors: [{ field: '', key: 'token.disabled' }] });
        return;
      }
      // The manual: after a successful koppeling a token no longer works — also when that
      // koppeling was undone later (lost means): the way back is a new koppeling.
      if (await d.accounts.everLinked(account.id)) {
        await audit('refused', 'linked', account.id);
        await again({ errors: [{ field: '', key: 'token.linked' }] });
        return;
      }
      await audit('success', 'ok', account.id);
      await d.flow.completeTokenLogin(req, res, uid, account, pre.sector);
    }),
  );

  return r;
}
