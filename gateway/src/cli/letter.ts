// `mijnduo letter <gebruikersnaam> --out brief.pdf`
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { renderGebruikersnaamLetter } from '../letters/GebruikersnaamLetter.ts';
import { findAccountOrFail, loginUrl } from './accounts.ts';
import { actorOf, CliUserError, type CliContext } from './context.ts';

export interface WriteLetterOptions {
  gebruikersnaam: string;
  /** Output file (PDF). */
  out: string;
}

/** Renders the letter with the gebruikersnaam for the beheerder to print and hand over. */
export async function writeLetter(ctx: CliContext, opts: WriteLetterOptions): Promise<{ file: string; bytes: number }> {
  if (!opts.out) throw new CliUserError('Geef een uitvoerbestand op (--out brief.pdf).', 'Give an output file (--out letter.pdf).');
  const account = await findAccountOrFail(ctx, opts.gebruikersnaam);
  const org = await ctx.accounts.getOrganisation(account.organisationId);
  const pdf = await renderGebruikersnaamLetter({
    gebruikersnaam: account.gebruikersnaam,
    name: account.name,
    organisation: org?.name ?? '',
    loginUrl: loginUrl(ctx),
    date: ctx.clock.now(),
    activationCodeTtlHours: ctx.config.koppel.activationCodeTtlHours,
    maxFailedAttempts: ctx.config.koppel.maxFailedAttempts,
    lockMinutes: ctx.config.koppel.lockMinutes,
  });
  const file = path.resolve(opts.out);
  try {
    await fs.writeFile(file, pdf, { mode: 0o600 });
  } catch (err) {
    throw new CliUserError(
      `Kan ${file} niet schrijven: ${(err as Error).message}`,
      `Cannot write ${file}: ${(err as Error).message}`,
    );
  }
  await ctx.accounts.appendAudit({
    at: ctx.clock.now(),
    action: 'letter.created',
    outcome: 'success',
    actorType: 'cli',
    actorId: actorOf(ctx),
    accountId: account.id,
  });
  ctx.out(`Brief geschreven / letter written: ${file}`);
  return { file, bytes: pdf.length };
}
