// `mijnduo org add|list`
import type { Organisation } from '../accounts/AccountsRegistry.ts';
import { actorOf, CliUserError, type CliContext } from './context.ts';

export interface AddOrganisationOptions {
  name: string;
  kvk: string;
  rsin?: string | null;
  sector: string;
}

export async function addOrganisation(ctx: CliContext, opts: AddOrganisationOptions): Promise<Organisation> {
  const name = opts.name?.trim();
  if (!name) throw new CliUserError('Geef een naam op (--name).', 'Give a name (--name).');
  const kvk = opts.kvk?.replace(/\s+/g, '');
  if (!/^\d{8}$/.test(kvk ?? '')) {
    throw new CliUserError('Een KvK-nummer heeft 8 cijfers (--kvk).', 'A KvK number has 8 digits (--kvk).');
  }
  const rsin = opts.rsin ? opts.rsin.replace(/\s+/g, '') : null;
  if (rsin !== null && !/^\d{9}$/.test(rsin)) {
    throw new CliUserError('Een RSIN heeft 9 cijfers (--rsin).', 'An RSIN has 9 digits (--rsin).');
  }
  const sectors = ctx.config.portal.sectors.map((s) => s.id);
  if (!sectors.includes(opts.sector)) {
    throw new CliUserError(
      `Onbekende sector "${opts.sector}"; kies uit: ${sectors.join(', ')}.`,
      `Unknown sector "${opts.sector}"; choose from: ${sectors.join(', ')}.`,
    );
  }
  if (await ctx.accounts.findOrganisationByKvk(kvk)) {
    throw new CliUserError(
      `Er is al een organisatie met KvK-nummer ${kvk}.`,
      `An organisation with KvK number ${kvk} already exists.`,
    );
  }
  const org = await ctx.accounts.createOrganisation({ name, kvk, rsin, sector: opts.sector });
  await ctx.accounts.appendAudit({
    at: ctx.clock.now(),
    action: 'organisation.created',
    outcome: 'success',
    actorType: 'cli',
    actorId: actorOf(ctx),
    details: { organisationId: org.id, kvk: org.kvk, sector: org.sector },
  });
  ctx.out(`Organisatie toegevoegd / organisation added: ${org.id}  ${org.name}  KvK ${org.kvk}  ${org.sector}`);
  return org;
}

export async function listOrganisations(ctx: CliContext): Promise<Organisation[]> {
  const orgs = await ctx.accounts.listOrganisations();
  if (orgs.length === 0) ctx.out('Geen organisaties / no organisations.');
  for (const o of orgs) {
    ctx.out(`${o.id}  KvK ${o.kvk}  RSIN ${o.rsin ?? '-'}  ${o.sector}  ${o.name}`);
  }
  return orgs;
}

/** An organisation by id or by KvK number. */
export async function resolveOrganisation(ctx: CliContext, idOrKvk: string): Promise<Organisation> {
  const key = idOrKvk.trim();
  const org = /^\d{8}$/.test(key)
    ? await ctx.accounts.findOrganisationByKvk(key)
    : await ctx.accounts.getOrganisation(key).catch(() => null);
  if (!org) {
    throw new CliUserError(
      `Geen organisatie gevonden met id of KvK-nummer "${key}".`,
      `No organisation found with id or KvK number "${key}".`,
    );
  }
  return org;
}
