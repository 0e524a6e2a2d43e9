// `mijnduo sweep`: undo every koppeling not used to log in for koppel.unlinkAfterMonths
// (manual 1.5: 18 months). Meant for a daily timer; the login checks the same rule itself, so
// a late sweep never lets a stale koppeling through.
import type { Koppeling } from '../accounts/AccountsRegistry.ts';
import { sweepStaleKoppelingen } from '../koppel/Lifecycle.ts';
import { actorOf, type CliContext } from './context.ts';

export async function sweep(ctx: CliContext): Promise<Koppeling[]> {
  const undone = await sweepStaleKoppelingen(ctx, { type: 'cli', id: actorOf(ctx) });
  ctx.out(`${undone.length} koppeling(en) ongedaan gemaakt na ${ctx.config.koppel.unlinkAfterMonths} maanden zonder inloggen / undone after ${ctx.config.koppel.unlinkAfterMonths} months without login.`);
  return undone;
}
