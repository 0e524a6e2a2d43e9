// The checks in the middle: where broker face and apps face meet. An accepted eHerkenning
// identity becomes an account through its koppeling, or goes to the koppel wizard.
// broker/ never sees OIDC, apps/ never sees SAML; this module sees both seams.
import type { Request, Response } from 'express';
import type Provider from 'oidc-provider';
import type { AccountsRegistry, Account } from '../accounts/AccountsRegistry.ts';
import type { EherkenningIdentity } from '../broker/EherkenningIdentity.ts';
import type { BrokerFailure } from '../broker/BrokerFace.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Pages } from '../views/Pages.ts';
import { isStale, undoneNoticeFor } from '../koppel/Lifecycle.ts';
import { subjectHash, subjectRef } from '../koppel/SubjectHash.ts';
import { ACR_TOKEN, finishLogin } from '../apps/interactionResult.ts';
import { LoginStateStore, newCsrfToken, primaryLegalSubject, type LoginState } from './LoginState.ts';

export interface LoginFlowDeps {
  config: Config;
  provider: Provider;
  accounts: AccountsRegistry;
  states: LoginStateStore;
  clock: Clock;
  logger: Logger;
  pages: Pages;
  subjectHashKey: string;
}

export class LoginFlow {
  constructor(private readonly d: LoginFlowDeps) {}

  /** Broker face accepted an assertion for interaction `uid`. Keep only what we need, hashed. */
  async identityAccepted(_req: Request, res: Response, identity: EherkenningIdentity, uid: string): Promise<void> {
    const legal = primaryLegalSubject(identity.legalSubjects);
    const pre = await this.d.states.getPreLogin(uid);
    const state: LoginState = {
      uid,
      stage: 'identified',
      subjectHash: subjectHash(this.d.subjectHashKey, identity.pseudonym, legal),
      legalSubject: legal,
      level: identity.level,
      broker: identity.broker,
      authnInstant: identity.authnInstant,
      ...(identity.sessionNotOnOrAfter !== undefined ? { sessionNotOnOrAfter: identity.sessionNotOnOrAfter } : {}),
      ...(identity.vestigingsnummer !== undefined ? { vestigingsnummer: identity.vestigingsnummer } : {}),
      // A fresh token once someone is identified, not the one of the login page.
      csrf: newCsrfToken(),
      ...(pre?.sector ? { sector: pre.sector } : {}),
      wizard: { step: 'situatie' },
    };
    await this.d.states.save(state);
    // Continue on the interaction's own path so oidc-provider can check this browser's
    // interaction cookie before anything is decided.
    res.redirect(303, `/interaction/${encodeURIComponent(uid)}/eherkenning`);
  }

  /** Broker face refused; one page for every failure, a calm one for a cancel. */
  async brokerFailed(_req: Request, res: Response, failure: BrokerFailure): Promise<void> {
    await this.d.accounts
      .appendAudit({
        at: this.d.clock.now(),
        action: failure.cancelled ? 'login.cancelled' : 'login.refused',
        outcome: 'refused',
        actorType: 'anonymous',
        reason: failure.code,
        correlationId: failure.correlationId,
      })
      .catch((err: unknown) => this.d.logger.error({ err, correlationId: failure.correlationId }, 'audit write failed'));
    const retryUrl = failure.loginKey ? `/interaction/${encodeURIComponent(failure.loginKey)}` : null;
    if (failure.cancelled) {
      this.d.pages.render(res, 'cancelled', { correlationId: failure.correlationId, retryUrl }, 200);
      return;
    }
    if (failure.httpStatus === 503 || failure.httpStatus === 504) {
      this.d.pages.render(res, 'unavailable', { correlationId: failure.correlationId }, failure.httpStatus);
      return;
    }
    this.d.pages.render(res, 'error', { code: failure.code, correlationId: failure.correlationId, retryUrl }, failure.httpStatus);
  }

  /**
   * After the broker: a known, active koppeling logs in; an unknown, undone or stale one goes
   * to the wizard. The 18-month rule is checked here as well as by the sweep (one rule for
   * both: koppel/Lifecycle.isStale), so a login on the day it expires cannot slip through
   * before the sweep runs.
   */
  async resolveKoppeling(req: Request, res: Response, state: LoginState): Promise<void> {
    const now = this.d.clock.now();
    const found = await this.d.accounts.findActiveKoppeling(state.subjectHash);
    if (found) {
      if (isStale(found.koppeling.lastLoginAt, now, this.d.config.koppel.unlinkAfterMonths)) {
        await this.d.accounts.undoKoppeling(found.koppeling.id, 'inactive-18-months', now);
        await this.d.accounts.appendAudit({
          at: now,
          action: 'koppel.undone',
          outcome: 'success',
          actorType: 'system',
          accountId: found.account.id,
          subjectRef: subjectRef(state.subjectHash),
          reason: 'inactive-18-months',
          correlationId: state.uid,
          details: { koppelingId: found.koppeling.id, lastLoginAt: new Date(found.koppeling.lastLoginAt).toISOString(), via: 'login' },
        });
        state.undoneNotice = 'inactive';
      } else if (found.account.status === 'active') {
        await this.d.accounts.touchKoppeling(found.koppeling.id, now);
        await this.complete(req, res, state, found.account);
        return;
      } else {
        // Linked, but the beheerder blocked the account: no wizard (it would only invite
        // linking this means to another account), a clear page instead.
        await this.d.accounts.appendAudit({
          at: now,
          action: 'login.refused',
          outcome: 'refused',
          actorType: 'account',
          actorId: found.account.id,
          accountId: found.account.id,
          subjectRef: subjectRef(state.subjectHash),
          reason: 'account-disabled',
          correlationId: state.uid,
        });
        await this.d.states.delete(state.uid);
        this.d.pages.render(res, 'error', { titleKey: 'error.accountDisabled.title', bodyKey: 'error.accountDisabled.body', code: 'account-disabled', correlationId: state.uid.slice(0, 8) }, 403);
        return;
      }
    } else {
      const latest = await this.d.accounts.findLatestKoppeling(state.subjectHash);
      const notice = undoneNoticeFor(latest?.undoneReason ?? null);
      if (notice) state.undoneNotice = notice;
    }
    state.stage = 'koppel';
    await this.d.states.save(state);
    await this.d.accounts.appendAudit({
      at: now,
      action: 'koppel.started',
      outcome: 'success',
      actorType: 'anonymous',
      subjectRef: subjectRef(state.subjectHash),
      correlationId: state.uid,
      details: { notice: state.undoneNotice ?? null, level: state.level },
    });
    res.redirect(303, `/interaction/${encodeURIComponent(state.uid)}/koppel/${state.wizard.step}`);
  }

  /** Finish the OIDC interaction for `account`. */
  async complete(req: Request, res: Response, state: LoginState, account: Account): Promise<void> {
    await this.auditCompleted(this.d.clock.now(), account, state.uid, { method: 'eherkenning', level: state.level, broker: state.broker, sector: state.sector ?? null }, subjectRef(state.subjectHash));
    await this.d.states.delete(state.uid);
    await this.d.states.deletePreLogin(state.uid);
    await finishLogin(this.d.provider, req, res, {
      accountId: account.id,
      acr: state.level,
      amr: ['eherkenning'],
      authTime: Math.floor(state.authnInstant / 1000),
      ...(state.sessionNotOnOrAfter !== undefined ? { sessionNotOnOrAfter: state.sessionNotOnOrAfter } : {}),
    });
  }

  /**
   * Finish the interaction `uid` after a token login (the old way): acr ACR_TOKEN, amr otp.
   * The caller has checked the code, the account's status and that it has no koppeling.
   */
  async completeTokenLogin(req: Request, res: Response, uid: string, account: Account, sector: string | undefined): Promise<void> {
    const now = this.d.clock.now();
    // One moment for the audit line and the ID token's auth_time.
    await this.auditCompleted(now, account, uid, { method: 'token', sector: sector ?? null });
    await this.d.states.deletePreLogin(uid);
    await finishLogin(this.d.provider, req, res, {
      accountId: account.id,
      acr: ACR_TOKEN,
      amr: ['otp'],
      authTime: Math.floor(now / 1000),
    });
  }

  /** The audit line of every completed login, whatever the method. */
  private async auditCompleted(at: number, account: Account, correlationId: string, details: Record<string, unknown>, subject?: string): Promise<void> {
    await this.d.accounts.appendAudit({
      at,
      action: 'login.completed',
      outcome: 'success',
      actorType: 'account',
      actorId: account.id,
      accountId: account.id,
      ...(subject !== undefined ? { subjectRef: subject } : {}),
      correlationId,
      details,
    });
  }
}
