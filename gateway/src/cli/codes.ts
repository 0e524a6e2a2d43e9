// `mijnduo code issue <gebruikersnaam> [--print]`
import { HOUR } from '../clock.ts';
import { generateActivationCode, hashActivationCode } from '../koppel/ActivationCode.ts';
import { activationCodeMail } from '../mail/templates.ts';
import { findAccountOrFail, loginUrl } from './accounts.ts';
import { actorOf, CliUserError, type CliContext } from './context.ts';

export interface IssueActivationCodeOptions {
  gebruikersnaam: string;
  /** Print the code instead of mailing it (the beheerder hands it over). */
  print?: boolean;
}

export interface IssuedActivationCode {
  /** Only when printed; a mailed code never leaves this function. */
  code?: string;
  /** ms since epoch. */
  expiresAt: number;
}

/**
 * Issues a new activation code (voiding earlier ones) valid koppel.activationCodeTtlHours.
 * Mailed to the account's address unless `print`; the audit event never holds the code.
 */
export async function issueActivationCode(ctx: CliContext, opts: IssueActivationCodeOptions): Promise<IssuedActivationCode> {
  const account = await findAccountOrFail(ctx, opts.gebruikersnaam);
  if (account.status !== 'active') {
    throw new CliUserError(
      `Account ${account.gebruikersnaam} is geblokkeerd (${account.status}); er wordt geen code uitgegeven.`,
      `Account ${account.gebruikersnaam} is ${account.status}; no code issued.`,
    );
  }
  const ttlHours = ctx.config.koppel.activationCodeTtlHours;
  const issuedAt = ctx.clock.now();
  const expiresAt = issuedAt + ttlHours * HOUR;
  const code = generateActivationCode();
  await ctx.accounts.issueActivationCode({
    accountId: account.id,
    codeHash: hashActivationCode(code, ctx.keys.secrets.activationCodeKey),
    issuedAt,
    expiresAt,
  });
  const delivery = opts.print ? 'print' : 'mail';
  const audit = (outcome: 'success' | 'failure', reason?: string) =>
    ctx.accounts.appendAudit({
      at: ctx.clock.now(),
      action: 'activation-code.issued',
      outcome,
      actorType: 'cli',
      actorId: actorOf(ctx),
      accountId: account.id,
      ...(reason ? { reason } : {}),
      details: { delivery, expiresAt: new Date(expiresAt).toISOString() },
    });
  const until = new Date(expiresAt).toISOString();

  if (opts.print) {
    await audit('success');
    ctx.out(`Activatiecode / activation code for ${account.gebruikersnaam}: ${code}`);
    ctx.out(`Geldig tot / valid until ${until}. Eerdere codes zijn ongeldig / earlier codes are void.`);
    return { code, expiresAt };
  }

  const mail = activationCodeMail({
    name: account.name,
    code,
    expiresAt,
    validHours: ttlHours,
    loginUrl: loginUrl(ctx),
    maxFailedAttempts: ctx.config.koppel.maxFailedAttempts,
    lockMinutes: ctx.config.koppel.lockMinutes,
  });
  try {
    await ctx.mailer.send({ to: account.email, ...mail });
  } catch (err) {
    await audit('failure', `mail: ${(err as Error).message}`);
    // Not the user's mistake: exit code 2. The stored code is useless without the mail; the
    // next issue voids it.
    throw new Error(
      `De activatiecode kon niet worden gemaild; geef opnieuw een code uit. / ` +
        `The activation code could not be mailed; issue a code again. (${(err as Error).message})`,
      { cause: err },
    );
  }
  await audit('success');
  ctx.out(`Activatiecode gemaild naar / activation code mailed to ${account.email}; geldig tot / valid until ${until}.`);
  return { expiresAt };
}
