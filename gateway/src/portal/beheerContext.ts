// The beheer screens reuse the `mijnduo` command functions (addAccount, issueActivationCode)
// instead of repeating their rules. They run in a CliContext made for one beheerder and one
// request:
// - audit events the functions write as actorType 'cli' are written as 'beheerder' with the
//   beheerder's account id and the request's correlation id;
// - the registry is narrowed to the beheerder's own organisation (accounts and organisations
//   of other organisations are not found), a second fence behind the route checks;
// - the mailer reports whether a mail went out, so the screen can say so;
// - command output is dropped: it is written for a terminal.
import type { Account, AccountsRegistry, AuditEvent, Organisation } from '../accounts/AccountsRegistry.ts';
import type { CliContext } from '../cli/context.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { KeyMaterial } from '../keys/KeyMaterial.ts';
import type { MailMessage, Mailer } from '../mail/Mailer.ts';

export interface BeheerBase {
  config: Config;
  accounts: AccountsRegistry;
  keys: KeyMaterial;
  clock: Clock;
  mailer: Mailer;
}

export interface MailOutcome {
  sent: number;
  failed: number;
}

export function scopedRegistry(accounts: AccountsRegistry, beheerder: Account, correlationId: string): AccountsRegistry {
  const org = beheerder.organisationId;
  const overrides: Partial<AccountsRegistry> = {
    appendAudit: (event: AuditEvent) =>
      accounts.appendAudit(
        event.actorType === 'cli'
          ? { ...event, actorType: 'beheerder', actorId: beheerder.id, correlationId: event.correlationId ?? correlationId }
          : event,
      ),
    findAccountByGebruikersnaam: async (g: string) => {
      const a = await accounts.findAccountByGebruikersnaam(g);
      return a && a.organisationId === org ? a : null;
    },
    getAccount: async (id: string) => {
      const a = await accounts.getAccount(id);
      return a && a.organisationId === org ? a : null;
    },
    getOrganisation: async (id: string): Promise<Organisation | null> => (id === org ? accounts.getOrganisation(id) : null),
    findOrganisationByKvk: async (kvk: string) => {
      const o = await accounts.findOrganisationByKvk(kvk);
      return o && o.id === org ? o : null;
    },
    listAccounts: () => accounts.listAccounts(org),
  };
  return new Proxy(accounts, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && Object.hasOwn(overrides, prop)) return overrides[prop as keyof AccountsRegistry];
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** A CliContext acting for `beheerder`, plus what happened to the mails it sent. */
export function beheerCliContext(base: BeheerBase, beheerder: Account, correlationId: string): { ctx: CliContext; mail: MailOutcome } {
  const mail: MailOutcome = { sent: 0, failed: 0 };
  const mailer: Mailer = {
    async send(msg: MailMessage) {
      try {
        await base.mailer.send(msg);
        mail.sent++;
      } catch (err) {
        mail.failed++;
        throw err;
      }
    },
  };
  const ctx: CliContext = {
    config: base.config,
    accounts: scopedRegistry(base.accounts, beheerder, correlationId),
    mailer,
    keys: base.keys,
    clock: base.clock,
    out: () => {},
    actor: beheerder.id,
  };
  return { ctx, mail };
}
