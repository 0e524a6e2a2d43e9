// Test data through the same functions the `mijnduo` command uses.
import type { AccountsRegistry, Account, Organisation } from '../../gateway/src/accounts/AccountsRegistry.ts';
import { addAccount } from '../../gateway/src/cli/accounts.ts';
import { issueActivationCode } from '../../gateway/src/cli/codes.ts';
import { addOrganisation } from '../../gateway/src/cli/organisations.ts';
import type { CliContext } from '../../gateway/src/cli/context.ts';
import type { Clock } from '../../gateway/src/clock.ts';
import type { Config } from '../../gateway/src/config.ts';
import type { KeyMaterial } from '../../gateway/src/keys/KeyMaterial.ts';
import { MemoryMailer } from '../../gateway/src/mail/Mailer.ts';

export interface Seeded {
  ctx: CliContext;
  mailer: MemoryMailer;
  organisation: Organisation;
  account: Account;
  code: string;
}

export function cliContext(deps: { config: Config; accounts: AccountsRegistry; keys: KeyMaterial; clock: Clock }): { ctx: CliContext; mailer: MemoryMailer } {
  const mailer = new MemoryMailer();
  return { ctx: { ...deps, mailer, out: () => {} }, mailer };
}

/** An organisation matching the mock persona `jan` (KvK 12345678) with one account and a fresh code. */
export async function seedRegenboog(
  deps: { config: Config; accounts: AccountsRegistry; keys: KeyMaterial; clock: Clock },
  opts: { kvk?: string; gebruikersnaam?: string } = {},
): Promise<Seeded> {
  const { ctx, mailer } = cliContext(deps);
  const kvk = opts.kvk ?? '12345678';
  const organisation =
    (await deps.accounts.findOrganisationByKvk(kvk)) ??
    (await addOrganisation(ctx, { name: 'Basisschool De Regenboog', kvk, sector: 'po' }));
  const account = await addAccount(ctx, {
    org: organisation.id,
    name: 'Jan Jansen',
    email: 'jan.jansen@regenboog.example',
    phone: '+31 50 123 4567',
    ...(opts.gebruikersnaam ? { gebruikersnaam: opts.gebruikersnaam } : {}),
    rollen: ['Leerlingadministratie', 'Bekostiging'],
    kenmerken: ['BRIN:12AB', 'Bestuursnummer:41234'],
  });
  const issued = await issueActivationCode(ctx, { gebruikersnaam: account.gebruikersnaam, print: true });
  if (!issued.code) throw new Error('no code issued');
  return { ctx, mailer, organisation, account, code: issued.code };
}
