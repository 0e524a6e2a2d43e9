// The life of a koppeling after it was made (manual 1.5): undone after 18 months without a
// login (checked at login and by `mijnduo sweep`), undone by the beheerder when the means is
// lost, stolen or defective. Either way the next login with that pseudonym goes through the
// wizard again and the first screen says why.
import type { AccountsRegistry, Koppeling, UndoReason } from '../accounts/AccountsRegistry.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { subjectRef } from './SubjectHash.ts';

/** Why an earlier koppeling of this pseudonym is gone, as shown on the first wizard screen. */
export type UndoneNotice = 'inactive' | 'beheerder' | 'replaced';

export function undoneNoticeFor(reason: UndoReason | null): UndoneNotice | undefined {
  if (reason === null) return undefined;
  if (reason === 'inactive-18-months') return 'inactive';
  if (reason === 'replaced') return 'replaced';
  return 'beheerder';
}

/**
 * The same calendar moment `months` earlier; a day that does not exist there becomes the last
 * day of that month (31 August − 18 months → 28/29 February), never a day in the next month.
 */
export function monthsBefore(ms: number, months: number): number {
  const d = new Date(ms);
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  return Date.UTC(
    target.getUTCFullYear(),
    target.getUTCMonth(),
    Math.min(d.getUTCDate(), lastDay),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  );
}

/**
 * Stale: the last login was `months` or more ago, i.e. at or before the same moment `months`
 * earlier. One rule for the login check and the sweep, so they never disagree about a day.
 */
export function isStale(lastLoginAt: number, now: number, months: number): boolean {
  return lastLoginAt <= monthsBefore(now, months);
}

export interface LifecycleDeps {
  accounts: Pick<AccountsRegistry, 'undoKoppelingenNotUsedSince' | 'activeKoppelingOfAccount' | 'undoKoppeling' | 'appendAudit'>;
  clock: Clock;
  config: Pick<Config, 'koppel'>;
}

export interface Actor {
  type: 'beheerder' | 'cli' | 'system';
  id: string;
}

/** Undo every koppeling not used to log in for koppel.unlinkAfterMonths; one audit event each. */
export async function sweepStaleKoppelingen(d: LifecycleDeps, actor: Actor): Promise<Koppeling[]> {
  const now = d.clock.now();
  // The registry undoes lastLoginAt < cutoff; stale is lastLoginAt <= monthsBefore(now).
  const cutoff = monthsBefore(now, d.config.koppel.unlinkAfterMonths) + 1;
  const undone = await d.accounts.undoKoppelingenNotUsedSince(cutoff, now);
  for (const k of undone) {
    await d.accounts.appendAudit({
      at: now,
      action: 'koppel.undone',
      outcome: 'success',
      actorType: actor.type,
      actorId: actor.id,
      accountId: k.accountId,
      subjectRef: subjectRef(k.subjectHash),
      reason: 'inactive-18-months',
      details: { koppelingId: k.id, lastLoginAt: new Date(k.lastLoginAt).toISOString(), via: 'sweep' },
    });
  }
  return undone;
}

/** What a beheerder gives as the reason (manual 1.5: defect, gestolen of zoek). */
export type MeansProblem = 'lost' | 'stolen' | 'defective';
export const MEANS_PROBLEMS: readonly MeansProblem[] = ['lost', 'stolen', 'defective'];

const UNDO_REASON: Record<MeansProblem, UndoReason> = { lost: 'means-lost', stolen: 'means-stolen', defective: 'means-defective' };

/**
 * The beheerder undoes the active koppeling of an account. Returns the koppeling undone, or null
 * when the account had none. The caller has checked that the actor may act on this account.
 */
export async function undoKoppelingOfAccount(
  d: LifecycleDeps,
  input: { accountId: string; problem: MeansProblem },
  actor: Actor,
): Promise<Koppeling | null> {
  if (!MEANS_PROBLEMS.includes(input.problem)) throw new TypeError(`unknown reason ${String(input.problem)}`);
  const now = d.clock.now();
  const active = await d.accounts.activeKoppelingOfAccount(input.accountId);
  const reason = UNDO_REASON[input.problem];
  const done = active ? await d.accounts.undoKoppeling(active.id, reason, now) : false;
  await d.accounts.appendAudit({
    at: now,
    action: 'koppel.undone',
    outcome: done ? 'success' : 'refused',
    actorType: actor.type,
    actorId: actor.id,
    accountId: input.accountId,
    subjectRef: active ? subjectRef(active.subjectHash) : null,
    reason: done ? reason : 'no-active-koppeling',
    details: active ? { koppelingId: active.id } : {},
  });
  return done && active ? { ...active, undoneAt: now, undoneReason: reason } : null;
}
