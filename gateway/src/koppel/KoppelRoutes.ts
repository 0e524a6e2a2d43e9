// The koppel wizard (manual 1.2, stappen 2–5): Voordat u begint → Disclaimer →
// Gebruikersvoorwaarden → Koppelen met gebruikersnaam en activatiecode → Koppeling gelukt.
//
// A server-side step machine: the LoginState (keyed by the interaction uid, bound to this
// browser by oidc-provider's interaction cookie) holds the furthest step reached. A page after
// it can be neither seen nor posted: the request is sent back to the current step and nothing
// is stored. Earlier steps can be seen again (the back links). Every POST carries the
// synchronizer token and ends in a 303 to a GET (POST-redirect-GET), so refresh and the back
// button never re-submit; what a POST has to say travels in a one-time flash.
//
// The activation code check is bound to the subject hash held server-side in *this*
// interaction (anchors §0.3): nothing the browser sends can change whose means is linked.
import { Router, urlencoded, type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import type { AccountsRegistry, AuditEvent } from '../accounts/AccountsRegistry.ts';
import { normaliseGebruikersnaam } from '../accounts/gebruikersnaam.ts';
import { abortLogin } from '../apps/interactionResult.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import '../i18n/koppel.ts';
import type { Pages } from '../views/Pages.ts';
import type { LoginFlow } from '../interaction/LoginFlow.ts';
import { csrfMatches, stepIndex, type Flash, type LoginState, type LoginStateStore, type WizardStep } from '../interaction/LoginState.ts';
import { interactionRoute, loadInteraction } from '../interaction/routes.ts';
import { formView, langOf } from '../interaction/view.ts';
import { translator } from '../i18n/messages.ts';
import { hashActivationCode } from './ActivationCode.ts';
import type { IpThrottle } from './IpThrottle.ts';
import { Lockout } from './Lockout.ts';
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
  lockout: Lockout;
  ipThrottle: IpThrottle;
}

const form = urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });

/** Steps a person fills in; 'gelukt' is the end. Numbered for "Stap n van 4". */
const FORM_STEPS: readonly WizardStep[] = ['situatie', 'disclaimer', 'voorwaarden', 'koppelen'];

function field(body: unknown, name: string, max: number): string {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.slice(0, max) : '';
}

export function wizardPath(uid: string, step?: WizardStep | 'hulp' | 'annuleren'): string {
  return `/interaction/${encodeURIComponent(uid)}/koppel${step ? `/${step}` : ''}`;
}

/** Moving forward never moves back: posting an earlier step again keeps the progress made. */
function advance(state: LoginState, to: WizardStep): void {
  if (stepIndex(to) > stepIndex(state.wizard.step)) state.wizard.step = to;
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

  function audit(state: LoginState, e: Omit<AuditEvent, 'at' | 'actorType' | 'subjectRef' | 'correlationId'> & { actorType?: AuditEvent['actorType'] }): Promise<void> {
    return d.accounts.appendAudit({
      at: d.clock.now(),
      actorType: 'anonymous',
      subjectRef: subjectRef(state.subjectHash),
      correlationId: state.uid,
      ...e,
    });
  }

  function go(res: Response, state: LoginState, step: WizardStep | 'hulp'): void {
    res.redirect(303, wizardPath(state.uid, step));
  }

  async function flashAndGo(res: Response, state: LoginState, flash: Flash): Promise<void> {
    await d.states.setFlash(state.uid, flash);
    go(res, state, flash.page as WizardStep);
  }

  /** Where a request for `step` may not go: null when it may. */
  function outOfOrder(state: LoginState, step: WizardStep): WizardStep | null {
    const cur = state.wizard.step;
    if (cur === 'gelukt') return step === 'gelukt' ? null : 'gelukt';
    return stepIndex(step) > stepIndex(cur) ? cur : null;
  }

  /** What every step page shows: the token, "Stap n van 4", the link back to the step before. */
  function common(res: Response, state: LoginState, step: WizardStep) {
    const i = FORM_STEPS.indexOf(step);
    const back = i > 0 ? FORM_STEPS[i - 1]! : null;
    return {
      uid: state.uid,
      csrf: state.csrf,
      progress: i >= 0 ? { n: i + 1, total: FORM_STEPS.length } : null,
      backHref: back ? wizardPath(state.uid, back) : null,
      backText: back ? translate(res, `wizard.backTo.${back}`) : null,
    };
  }

  // ---- GET: show a step ----

  const VIEWS: Record<WizardStep, string> = {
    situatie: 'koppel-situatie',
    disclaimer: 'koppel-disclaimer',
    voorwaarden: 'koppel-voorwaarden',
    koppelen: 'koppel-form',
    gelukt: 'koppel-success',
  };

  async function show(req: Request, res: Response, step: WizardStep): Promise<void> {
    const state = await koppelState(req, res);
    if (!state) return;
    const redirectTo = outOfOrder(state, step);
    if (redirectTo) {
      go(res, state, redirectTo);
      return;
    }
    const flash = await d.states.takeFlash(state.uid, step);
    d.pages.render(res, VIEWS[step], {
      ...common(res, state, step),
      ...formView(res, d.clock.now(), flash, { situatie: 'situatie-wel' }),
      undoneNotice: state.undoneNotice,
      choice: stepIndex(state.wizard.step) > stepIndex('situatie') ? 'wel' : null,
      accepted:
        (step === 'disclaimer' && state.wizard.disclaimerAcceptedAt !== undefined) ||
        (step === 'voorwaarden' && state.wizard.termsAcceptedAt !== undefined),
      termsUrl: d.config.koppel.termsUrl,
    });
  }

  r.get(
    '/interaction/:uid/koppel',
    interactionRoute(d.pages, async (req, res) => {
      const state = await koppelState(req, res);
      if (state) go(res, state, state.wizard.step);
    }),
  );
  // The old single-form target: nothing is processed here any more.
  r.post(
    '/interaction/:uid/koppel',
    interactionRoute(d.pages, async (req, res) => {
      const state = await koppelState(req, res);
      if (state) go(res, state, state.wizard.step);
    }),
  );

  for (const step of Object.keys(VIEWS) as WizardStep[]) {
    r.get(
      `/interaction/:uid/koppel/${step}`,
      interactionRoute(d.pages, (req, res) => show(req, res, step)),
    );
  }

  r.get(
    '/interaction/:uid/koppel/hulp',
    interactionRoute(d.pages, async (req, res) => {
      const state = await koppelState(req, res);
      if (!state) return;
      if (state.wizard.step === 'gelukt') {
        go(res, state, 'gelukt');
        return;
      }
      d.pages.render(res, 'koppel-hulp', {
        uid: state.uid,
        csrf: state.csrf,
        errors: [],
        progress: null,
        backHref: wizardPath(state.uid, 'situatie'),
        backText: translate(res, 'wizard.backTo.situatie'),
      });
    }),
  );

  // ---- POST: one step each ----

  type PostHandler = (req: Request, res: Response, state: LoginState) => Promise<void>;

  function post(step: WizardStep | 'annuleren', handler: PostHandler) {
    r.post(
      `/interaction/:uid/koppel/${step}`,
      form,
      interactionRoute(d.pages, async (req, res) => {
        const state = await koppelState(req, res);
        if (!state) return;
        if (!csrfMatches(state.csrf, (req.body as Record<string, unknown> | undefined)?._csrf)) {
          await audit(state, { action: 'koppel.request-refused', outcome: 'refused', reason: 'csrf', details: { step } });
          d.pages.render(res, 'error', { code: 'csrf', correlationId: state.uid.slice(0, 8) }, 403);
          return;
        }
        // Cancelling is possible from every step, until the koppeling is made.
        const redirectTo = step === 'annuleren' ? (state.wizard.step === 'gelukt' ? 'gelukt' : null) : outOfOrder(state, step);
        if (redirectTo) {
          await audit(state, {
            action: 'koppel.request-refused',
            outcome: 'refused',
            reason: 'out-of-order',
            details: { step, current: state.wizard.step },
          });
          go(res, state, redirectTo);
          return;
        }
        await handler(req, res, state);
      }),
    );
  }

  post('situatie', async (req, res, state) => {
    const choice = field(req.body, 'situatie', 10);
    if (choice === 'wel') {
      await audit(state, { action: 'koppel.situatie', outcome: 'success', details: { choice } });
      advance(state, 'disclaimer');
      await d.states.save(state);
      go(res, state, 'disclaimer');
      return;
    }
    if (choice === 'geen') {
      await audit(state, { action: 'koppel.situatie', outcome: 'success', details: { choice } });
      go(res, state, 'hulp');
      return;
    }
    await audit(state, { action: 'koppel.situatie', outcome: 'refused', reason: 'no-choice' });
    await flashAndGo(res, state, { page: 'situatie', errors: [{ field: 'situatie', key: 'wizard.situatie.required' }] });
  });

  post('disclaimer', async (req, res, state) => {
    if (field(req.body, 'akkoord', 10) !== 'ja') {
      await audit(state, { action: 'koppel.disclaimer', outcome: 'refused', reason: 'not-accepted' });
      await flashAndGo(res, state, { page: 'disclaimer', errors: [{ field: 'akkoord', key: 'form.akkoord.required' }] });
      return;
    }
    const now = d.clock.now();
    state.wizard.disclaimerAcceptedAt = now;
    advance(state, 'voorwaarden');
    await d.states.save(state);
    await audit(state, { action: 'koppel.disclaimer', outcome: 'success', details: { version: d.config.koppel.disclaimerVersion } });
    go(res, state, 'voorwaarden');
  });

  post('voorwaarden', async (req, res, state) => {
    if (field(req.body, 'akkoord', 10) !== 'ja') {
      await audit(state, { action: 'koppel.terms', outcome: 'refused', reason: 'not-accepted' });
      await flashAndGo(res, state, { page: 'voorwaarden', errors: [{ field: 'akkoord', key: 'form.akkoord.required' }] });
      return;
    }
    state.wizard.termsAcceptedAt = d.clock.now();
    advance(state, 'koppelen');
    await d.states.save(state);
    await audit(state, { action: 'koppel.terms', outcome: 'success', details: { version: d.config.koppel.termsVersion } });
    go(res, state, 'koppelen');
  });

  post('koppelen', async (req, res, state) => {
    const { disclaimerAcceptedAt, termsAcceptedAt } = state.wizard;
    // The step machine already guarantees both; a state without them goes back to get them.
    if (disclaimerAcceptedAt === undefined || termsAcceptedAt === undefined) {
      go(res, state, disclaimerAcceptedAt === undefined ? 'disclaimer' : 'voorwaarden');
      return;
    }
    const gebruikersnaam = normaliseGebruikersnaam(field(req.body, 'gebruikersnaam', 64));
    const code = field(req.body, 'activatiecode', 128);
    const missing: NonNullable<Flash['errors']> = [];
    if (!gebruikersnaam) missing.push({ field: 'gebruikersnaam', key: 'wizard.koppelen.required.gebruikersnaam' });
    if (!code.trim()) missing.push({ field: 'activatiecode', key: 'wizard.koppelen.required.activatiecode' });
    if (missing.length > 0) {
      await audit(state, { action: 'koppel.refused', outcome: 'refused', reason: 'incomplete' });
      await flashAndGo(res, state, { page: 'koppelen', errors: missing, values: { gebruikersnaam } });
      return;
    }

    // Coarse first (per address), then the exact count per gebruikersnaam and per pseudonym.
    const ip = await d.ipThrottle.take(req.ip ?? '');
    if (!ip.ok) {
      await audit(state, { action: 'koppel.refused', outcome: 'refused', reason: 'ip-throttled' });
      await flashAndGo(res, state, { page: 'koppelen', errors: [{ field: '', key: 'wizard.throttled', until: ip.until }] });
      return;
    }
    const reservation = await d.lockout.reserve(Lockout.koppelTargets(gebruikersnaam, state.subjectHash));
    if (reservation.kind === 'blocked') {
      await audit(state, { action: 'koppel.refused', outcome: 'refused', reason: 'blocked' });
      await flashAndGo(res, state, { page: 'koppelen', errors: [{ field: '', key: 'wizard.blocked', until: reservation.until }] });
      return;
    }

    // Every reserved attempt does the same work, whatever is wrong with it: hash the code and
    // run the one registry transaction (no early answer for an unknown gebruikersnaam).
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
      acceptedAt: termsAcceptedAt,
      disclaimerAcceptedAt,
      correlationId: state.uid,
    });

    if (!result.ok) {
      const blocked = await d.lockout.failed(reservation, { accountId: result.accountId, correlationId: state.uid });
      await audit(state, {
        action: 'koppel.refused',
        outcome: 'refused',
        accountId: result.accountId,
        reason: result.reason,
        details: { attempt: Math.max(...reservation.entries.map((e) => e.count)), blocked: blocked !== null },
      });
      // One answer for every reason: no enumeration of gebruikersnamen, codes or their state.
      await flashAndGo(res, state, {
        page: 'koppelen',
        errors: [blocked ? { field: '', key: 'wizard.blocked', until: blocked.until } : { field: '', key: 'koppel.failed' }],
      });
      return;
    }

    await d.lockout.succeeded(reservation);
    const { account, koppeling, replaced } = result;
    await audit(state, {
      action: 'koppel.linked',
      outcome: 'success',
      actorType: 'account',
      actorId: account.id,
      accountId: account.id,
      details: {
        koppelingId: koppeling.id,
        disclaimerVersion: koppeling.disclaimerVersion,
        disclaimerAcceptedAt: new Date(disclaimerAcceptedAt).toISOString(),
        termsVersion: koppeling.termsVersion,
        termsAcceptedAt: new Date(termsAcceptedAt).toISOString(),
        replacedKoppelingId: replaced?.id ?? null,
        sector: state.sector ?? null,
      },
    });
    if (replaced) {
      await d.accounts.appendAudit({
        at: now,
        action: 'koppel.replaced',
        outcome: 'success',
        actorType: 'account',
        actorId: account.id,
        accountId: replaced.accountId,
        subjectRef: subjectRef(replaced.subjectHash),
        reason: 'replaced',
        correlationId: state.uid,
        details: { replacedKoppelingId: replaced.id, newKoppelingId: koppeling.id },
      });
    }
    state.wizard = { ...state.wizard, step: 'gelukt', linkedAccountId: account.id };
    await d.states.save(state);
    go(res, state, 'gelukt');
  });

  post('gelukt', async (req, res, state) => {
    const accountId = state.wizard.linkedAccountId;
    const account = accountId ? await d.accounts.getAccount(accountId) : null;
    if (!account) {
      go(res, state, state.wizard.step);
      return;
    }
    await d.flow.complete(req, res, state, account);
  });

  // "annuleer en log uit": the login ends for the app (access_denied) and nothing is kept.
  post('annuleren', async (req, res, state) => {
    await audit(state, { action: 'koppel.cancelled', outcome: 'refused', reason: 'cancelled-by-person', details: { step: state.wizard.step } });
    await d.states.delete(state.uid);
    await d.states.deletePreLogin(state.uid);
    await abortLogin(d.provider, req, res, 'access_denied', 'the person cancelled linking');
  });

  return r;
}

function translate(res: Response, key: string): string {
  return translator(langOf(res))(key);
}
