// `mijnduo account add|list|show`
import { z } from 'zod';
import type { Account, Koppeling, Organisation } from '../accounts/AccountsRegistry.ts';
import { isValidGebruikersnaam, normaliseGebruikersnaam } from '../accounts/gebruikersnaam.ts';
import { confirmationMail } from '../mail/templates.ts';
import { actorOf, CliUserError, type CliContext } from './context.ts';
import { resolveOrganisation } from './organisations.ts';

export interface AddAccountOptions {
  /** Organisation id or KvK number. */
  org: string;
  name: string;
  email: string;
  phone?: string | null;
  /** Chosen gebruikersnaam; the registry makes one (like `1234abcd`) when absent. */
  gebruikersnaam?: string;
  rollen?: string[];
  kenmerken?: string[];
  beheerder?: boolean;
  /** Send the confirmation mail (default true). */
  sendConfirmation?: boolean;
}

const emailSchema = z.string().email();

function cleanList(xs: string[] | undefined): string[] {
  return [...new Set((xs ?? []).map((x) => x.trim()).filter(Boolean))];
}

/** The URL people go to for logging in (mails and letters). */
export function loginUrl(ctx: Pick<CliContext, 'config'>): string {
  return ctx.config.publicUrl.replace(/\/+$/, '') + '/';
}

export async function findAccountOrFail(ctx: CliContext, gebruikersnaam: string): Promise<Account> {
  const name = normaliseGebruikersnaam(gebruikersnaam);
  const account = name ? await ctx.accounts.findAccountByGebruikersnaam(name) : null;
  if (!account) {
    throw new CliUserError(
      `Geen account met gebruikersnaam "${name}".`,
      `No account with user name (gebruikersnaam) "${name}".`,
    );
  }
  return account;
}

/** Registers a gebruiker and sends the confirmation mail (manual 1.1, step 2). */
export async function addAccount(ctx: CliContext, opts: AddAccountOptions): Promise<Account> {
  const org = await resolveOrganisation(ctx, opts.org);
  const name = opts.name?.trim();
  if (!name) throw new CliUserError('Geef een naam op (--name).', 'Give a name (--name).');
  const email = opts.email?.trim();
  if (!emailSchema.safeParse(email).success) {
    throw new CliUserError(`Ongeldig e-mailadres "${opts.email}".`, `Invalid e-mail address "${opts.email}".`);
  }
  const phone = opts.phone?.trim() || null;
  if (phone !== null && !/^\+?[0-9 ()-]{6,20}$/.test(phone)) {
    throw new CliUserError(`Ongeldig telefoonnummer "${phone}".`, `Invalid phone number "${phone}".`);
  }
  let gebruikersnaam: string | undefined;
  if (opts.gebruikersnaam !== undefined) {
    gebruikersnaam = normaliseGebruikersnaam(opts.gebruikersnaam);
    if (!isValidGebruikersnaam(gebruikersnaam)) {
      throw new CliUserError(
        'Een gebruikersnaam bestaat uit 3 tot 64 kleine letters, cijfers, punten, streepjes of liggende streepjes (zoals 1234abcd).',
        'A user name has 3 to 64 lower-case letters, digits, dots, dashes or underscores (like 1234abcd).',
      );
    }
    if (await ctx.accounts.findAccountByGebruikersnaam(gebruikersnaam)) {
      throw new CliUserError(
        `Gebruikersnaam "${gebruikersnaam}" is al in gebruik.`,
        `User name "${gebruikersnaam}" is already taken.`,
      );
    }
  }
  const rollen = cleanList(opts.rollen);
  const kenmerken = cleanList(opts.kenmerken);
  const account = await ctx.accounts.createAccount({
    organisationId: org.id,
    name,
    email: email!,
    phone,
    beheerder: Boolean(opts.beheerder),
    rollen,
    kenmerken,
    ...(gebruikersnaam ? { gebruikersnaam } : {}),
  });
  await ctx.accounts.appendAudit({
    at: ctx.clock.now(),
    action: 'account.created',
    outcome: 'success',
    actorType: 'cli',
    actorId: actorOf(ctx),
    accountId: account.id,
    details: { organisationId: org.id, beheerder: account.beheerder, rollen, kenmerken },
  });
  ctx.out(`Account toegevoegd / account added: gebruikersnaam ${account.gebruikersnaam}  (${account.name}, ${org.name})`);

  if (opts.sendConfirmation ?? true) {
    const mail = confirmationMail({
      name: account.name,
      organisation: org.name,
      beheerder: account.beheerder,
      rollen: account.rollen,
      kenmerken: account.kenmerken,
      loginUrl: loginUrl(ctx),
    });
    try {
      await ctx.mailer.send({ to: account.email, ...mail });
      await ctx.accounts.appendAudit({
        at: ctx.clock.now(),
        action: 'account.confirmation-mailed',
        outcome: 'success',
        actorType: 'cli',
        actorId: actorOf(ctx),
        accountId: account.id,
      });
      ctx.out(`Bevestigingsmail verstuurd naar / confirmation mail sent to ${account.email}`);
    } catch (err) {
      await ctx.accounts.appendAudit({
        at: ctx.clock.now(),
        action: 'account.confirmation-mailed',
        outcome: 'failure',
        actorType: 'cli',
        actorId: actorOf(ctx),
        accountId: account.id,
        reason: (err as Error).message,
      });
      ctx.out(
        `LET OP / WARNING: bevestigingsmail niet verstuurd / confirmation mail not sent: ${(err as Error).message}`,
      );
    }
  }
  ctx.out('Print de brief met: / print the letter with: mijnduo letter ' + account.gebruikersnaam + ' --out brief.pdf');
  return account;
}

export async function listAccounts(ctx: CliContext, opts: { org?: string } = {}): Promise<Account[]> {
  const org = opts.org ? await resolveOrganisation(ctx, opts.org) : null;
  const accounts = await ctx.accounts.listAccounts(org?.id);
  if (accounts.length === 0) ctx.out('Geen accounts / no accounts.');
  for (const a of accounts) {
    ctx.out(
      [a.gebruikersnaam, a.status, a.beheerder ? 'beheerder' : 'gebruiker', a.name, a.email].join('  '),
    );
  }
  return accounts;
}

export interface AccountDetails {
  account: Account;
  organisation: Organisation | null;
  koppeling: Koppeling | null;
}

export async function showAccount(ctx: CliContext, opts: { gebruikersnaam: string }): Promise<AccountDetails> {
  const account = await findAccountOrFail(ctx, opts.gebruikersnaam);
  const organisation = await ctx.accounts.getOrganisation(account.organisationId);
  const koppeling = await ctx.accounts.activeKoppelingOfAccount(account.id);
  const iso = (ms: number) => new Date(ms).toISOString();
  ctx.out(`Gebruikersnaam : ${account.gebruikersnaam}`);
  ctx.out(`Id (sub)       : ${account.id}`);
  ctx.out(`Naam           : ${account.name}`);
  ctx.out(`Organisatie    : ${organisation ? `${organisation.name} (KvK ${organisation.kvk})` : account.organisationId}`);
  ctx.out(`E-mail         : ${account.email}`);
  ctx.out(`Telefoon       : ${account.phone ?? '-'}`);
  ctx.out(`Beheerder      : ${account.beheerder ? 'ja / yes' : 'nee / no'}`);
  ctx.out(`Status         : ${account.status}`);
  ctx.out(`Rollen         : ${account.rollen.join(', ') || '-'}`);
  ctx.out(`Kenmerken      : ${account.kenmerken.join(', ') || '-'}`);
  ctx.out(`Token          : ${account.totpSecret ? 'toegewezen / assigned' : '-'}`);
  ctx.out(
    `Koppeling      : ${
      koppeling
        ? `actief sinds / active since ${iso(koppeling.linkedAt)}, laatst ingelogd / last login ${iso(koppeling.lastLoginAt)}, ${koppeling.legalSubjectType} ${koppeling.legalSubjectValue}`
        : 'geen / none'
    }`,
  );
  return { account, organisation, koppeling };
}
