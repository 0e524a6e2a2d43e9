// `mijnduo koppeling undo <gebruikersnaam> --reason lost|stolen|defective`: the beheerder undoes
// the koppeling when the eHerkenningsmiddel is zoek, gestolen of defect (manual 1.5). The next
// login with that means goes through the wizard again, with a new activation code.
import type { Koppeling } from '../accounts/AccountsRegistry.ts';
import { MEANS_PROBLEMS, undoKoppelingOfAccount, type MeansProblem } from '../koppel/Lifecycle.ts';
import { findAccountOrFail } from './accounts.ts';
import { actorOf, CliUserError, type CliContext } from './context.ts';

export async function undoKoppelingCommand(ctx: CliContext, opts: { gebruikersnaam: string; reason: string }): Promise<Koppeling> {
  if (!(MEANS_PROBLEMS as readonly string[]).includes(opts.reason)) {
    throw new CliUserError(`Reden moet lost, stolen of defective zijn, niet "${opts.reason}".`, `Reason must be lost, stolen or defective, not "${opts.reason}".`);
  }
  const account = await findAccountOrFail(ctx, opts.gebruikersnaam);
  const undone = await undoKoppelingOfAccount(ctx, { accountId: account.id, problem: opts.reason as MeansProblem }, { type: 'cli', id: actorOf(ctx) });
  if (!undone) {
    throw new CliUserError(
      `Account ${account.gebruikersnaam} heeft geen actieve koppeling.`,
      `Account ${account.gebruikersnaam} has no active koppeling.`,
    );
  }
  ctx.out(`Koppeling van ${account.gebruikersnaam} ongedaan gemaakt / koppeling undone (${undone.undoneReason}).`);
  ctx.out('Geef een nieuwe activatiecode uit om opnieuw te koppelen: mijnduo code issue ' + account.gebruikersnaam);
  return undone;
}
