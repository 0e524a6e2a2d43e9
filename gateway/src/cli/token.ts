// `mijnduo token assign <gebruikersnaam>`: a TOTP token (RFC 6238) for the old token login,
// allowed only for accounts without a koppeling.
import * as OTPAuth from 'otpauth';
import { findAccountOrFail } from './accounts.ts';
import { actorOf, CliUserError, type CliContext } from './context.ts';

export const TOTP_ISSUER = 'Mijn DUO zakelijk';

/** The TOTP parameters the gateway's token login verifies against. */
export function totpFor(gebruikersnaam: string, base32Secret: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({
    issuer: TOTP_ISSUER,
    label: gebruikersnaam,
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    secret: OTPAuth.Secret.fromBase32(base32Secret),
  });
}

/** Assigns a new TOTP secret (replacing any earlier one) and returns the otpauth:// URI, shown once. */
export async function assignToken(ctx: CliContext, opts: { gebruikersnaam: string }): Promise<{ uri: string }> {
  const account = await findAccountOrFail(ctx, opts.gebruikersnaam);
  if (await ctx.accounts.activeKoppelingOfAccount(account.id)) {
    throw new CliUserError(
      `Account ${account.gebruikersnaam} is gekoppeld aan eHerkenning; inloggen met een token is dan niet meer toegestaan.`,
      `Account ${account.gebruikersnaam} is linked to eHerkenning; token login is no longer allowed.`,
    );
  }
  const secret = new OTPAuth.Secret({ size: 20 });
  await ctx.accounts.setTotpSecret(account.id, secret.base32);
  await ctx.accounts.appendAudit({
    at: ctx.clock.now(),
    action: 'token.assigned',
    outcome: 'success',
    actorType: 'cli',
    actorId: actorOf(ctx),
    accountId: account.id,
  });
  const uri = totpFor(account.gebruikersnaam, secret.base32).toString();
  ctx.out('Token toegewezen / token assigned. Deze URI wordt maar één keer getoond / this URI is shown once:');
  ctx.out(uri);
  return { uri };
}
