// What the beheer screens do to a gebruiker's koppeling and lockout. The rules live in
// gateway/src/koppel (Lifecycle: undo a koppeling, manual 1.5; Lockout: 5 wrong → 15 minutes,
// manual 1.3); this file only adapts them to one beheerder acting within their organisation.
import type { Account, AccountsRegistry } from '../accounts/AccountsRegistry.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { MEANS_PROBLEMS, undoKoppelingOfAccount, type MeansProblem } from '../koppel/Lifecycle.ts';
import { liftLockout, listLockouts } from '../koppel/Lockout.ts';
import type { KeyValueStore } from '../store/KeyValueStore.ts';

export { MEANS_PROBLEMS, type MeansProblem };

export function isMeansProblem(v: unknown): v is MeansProblem {
  return typeof v === 'string' && (MEANS_PROBLEMS as readonly string[]).includes(v);
}

export interface KoppelBeheerDeps {
  kv: KeyValueStore;
  accounts: AccountsRegistry;
  clock: Clock;
  config: Config;
}

export class KoppelBeheer {
  constructor(private readonly d: KoppelBeheerDeps) {}

  /**
   * Undoes the active koppeling of `account` (audited by Lifecycle as actorType 'beheerder').
   * The next login with any means goes through the koppel wizard again. False when there was
   * nothing to undo.
   */
  async undo(account: Account, problem: MeansProblem, beheerderId: string): Promise<boolean> {
    const undone = await undoKoppelingOfAccount(this.d, { accountId: account.id, problem }, { type: 'beheerder', id: beheerderId });
    return undone !== null;
  }

  /**
   * Current lock end (ms) per gebruikersnaam, for the koppel and token locks of these accounts.
   * Pseudonym locks belong to no account and are not shown to a beheerder.
   */
  async lockedUntil(accounts: readonly Account[]): Promise<Map<string, number>> {
    const names = new Set(accounts.map((a) => a.gebruikersnaam));
    const out = new Map<string, number>();
    for (const e of await listLockouts(this.d)) {
      if (!e.gebruikersnaam || !names.has(e.gebruikersnaam)) continue;
      out.set(e.gebruikersnaam, Math.max(out.get(e.gebruikersnaam) ?? 0, e.blockedUntil));
    }
    return out;
  }

  /** Lifts the koppel and token locks of `account` (audited by Lockout). True when one held. */
  async lift(account: Account, beheerderId: string): Promise<boolean> {
    const result = await liftLockout(this.d, { gebruikersnaam: account.gebruikersnaam }, { type: 'beheerder', id: beheerderId });
    return result.lifted.length > 0;
  }
}
