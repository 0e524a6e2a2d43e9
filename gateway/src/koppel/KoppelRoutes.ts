// Koppel step, first version: gebruikersnaam + activatiecode links the (pseudonym, legal
// subject) of this login to an account. The full wizard (situatie, disclaimer, voorwaarden)
// and the lockout slot in here: the state already carries the step and the acceptances.
import { Router, urlencoded, type Request, type Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { AccountsRegistry } from '../accounts/AccountsRegistry.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Pages } from '../views/Pages.ts';
import type { LoginFlow } from '../interaction/LoginFlow.ts';
import type { LoginState, LoginStateStore } from '../interaction/LoginState.ts';
import { interactionRoute, loadInteraction } from '../interaction/routes.ts';
import { hashActivationCode, normaliseActivationCode } from './ActivationCode.ts';
import { subjectRef } from './SubjectHash.ts';

export interface KoppelDeps {
  config: Config;
  provider: Provider;
  accounts: AccountsRegistry;
  states: LoginStateStore;
  flow: LoginFlow;
  pages: Pages;
  clock: Clock;
  activationCodeKey: string;
}

const form = urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });

function csrfOk(state: LoginState, sent: unknown): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(state.csrf);
  const b = Buffer.from(sent);
  return a.length === b.length && timingSafeEqual(a, b);
}

function field(body: unknown, name: string, max: number): string {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.slice(0, max) : '';
}

export function koppelRoutes(d: KoppelDeps): Router {
  const r = Router();

  async function koppelState(req: Request, res: Response): Promise<LoginState | null> {
    const { state } = await loadInteraction(d.provider, d.states, req, res);
    if (!state || state.stage !== 'koppel') {
      d.pages.render(res, 'error', { titleKey: 'error.sessionLost.title', bodyKey: 'error.sessionLost.body' }, 400);
      return null;
    }
    return state;
  }

  r.get(
    '/interaction/:uid/koppel',
    interactionRoute(d.pages, async (req, res) => {
      const state = await koppelState(req, res);
      if (!state) return;
      d.pages.render(res, 'koppel-form', { uid: state.uid, csrf: state.csrf, undoneNotice: state.undoneNotice, gebruikersnaam: '' });
    }),
  );

  r.post(
    '/interaction/:uid/koppel',
    form,
    interactionRoute(d.pages, async (req, res) => {
      const state = await koppelState(req, res);
      if (!state) return;
      if (!csrfOk(state, (req.body as Record<string, unknown> | undefined)?._csrf)) {
        d.pages.render(res, 'error', { code: 'csrf', correlationId: state.uid.slice(0, 8) }, 403);
        return;
      }
      const gebruikersnaam = field(req.body, 'gebruikersnaam', 64).trim().toLowerCase();
      const code = normaliseActivationCode(field(req.body, 'activatiecode', 64));
      if (!gebruikersnaam || !code) {
        d.pages.render(res, 'koppel-form', { uid: state.uid, csrf: state.csrf, gebruikersnaam, errorKey: 'koppel.required' }, 400);
        return;
      }
      const now = d.clock.now();
      const result = await d.accounts.linkWithActivationCode({
        gebruikersnaam,
        codeHash: hashActivationCode(code, d.activationCodeKey),
        now,
        subjectHash: state.subjectHash,
        broker: state.broker,
        legalSubjectType: state.legalSubject.type,
        legalSubjectValue: state.legalSubject.value,
        disclaimerVersion: d.config.koppel.disclaimerVersion,
        termsVersion: d.config.koppel.termsVersion,
        acceptedAt: state.wizard.termsAcceptedAt ?? now,
        correlationId: state.uid,
      });
      if (!result.ok) {
        await d.accounts.appendAudit({
          at: now,
          action: 'koppel.refused',
          outcome: 'refused',
          actorType: 'anonymous',
          accountId: result.accountId,
          subjectRef: subjectRef(state.subjectHash),
          reason: result.reason,
          correlationId: state.uid,
        });
        // One answer for every reason: no enumeration of gebruikersnamen.
        d.pages.render(res, 'koppel-form', { uid: state.uid, csrf: state.csrf, gebruikersnaam, errorKey: 'koppel.failed' }, 400);
        return;
      }
      await d.accounts.appendAudit({
        at: now,
        action: 'koppel.linked',
        outcome: 'success',
        actorType: 'account',
        actorId: result.account.id,
        accountId: result.account.id,
        subjectRef: subjectRef(state.subjectHash),
        correlationId: state.uid,
        details: { replaced: result.replaced !== null },
      });
      state.wizard = { ...state.wizard, step: 'gelukt', linkedAccountId: result.account.id };
      await d.states.save(state);
      res.redirect(303, `/interaction/${encodeURIComponent(state.uid)}/koppel/gelukt`);
    }),
  );

  r.get(
    '/interaction/:uid/koppel/gelukt',
    interactionRoute(d.pages, async (req, res) => {
      const state = await koppelState(req, res);
      if (!state) return;
      if (state.wizard.step !== 'gelukt' || !state.wizard.linkedAccountId) {
        res.redirect(303, `/interaction/${encodeURIComponent(state.uid)}/koppel`);
        return;
      }
      d.pages.render(res, 'koppel-success', { uid: state.uid, csrf: state.csrf });
    }),
  );

  r.post(
    '/interaction/:uid/koppel/gelukt',
    form,
    interactionRoute(d.pages, async (req, res) => {
      const state = await koppelState(req, res);
      if (!state) return;
      if (!csrfOk(state, (req.body as Record<string, unknown> | undefined)?._csrf)) {
        d.pages.render(res, 'error', { code: 'csrf', correlationId: state.uid.slice(0, 8) }, 403);
        return;
      }
      const accountId = state.wizard.linkedAccountId;
      const account = accountId ? await d.accounts.getAccount(accountId) : null;
      if (state.wizard.step !== 'gelukt' || !account) {
        res.redirect(303, `/interaction/${encodeURIComponent(state.uid)}/koppel`);
        return;
      }
      await d.flow.complete(req, res, state, account);
    }),
  );

  return r;
}
