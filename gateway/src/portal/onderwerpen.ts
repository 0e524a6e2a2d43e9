// Onderwerpen (manual 1.6): the tasks a gebruiker's rollen allow, from config portal.rollen
// (rol → onderwerp ids) and portal.onderwerpen (titles and URLs).
import type { Config } from '../config.ts';
import type { Lang } from '../i18n/messages.ts';

export interface OnderwerpView {
  id: string;
  title: string;
  url: string;
  allowed: boolean;
}

export interface OverviewOnderwerpen {
  /** Allowed by the rollen, in catalogue order. */
  allowed: OnderwerpView[];
  /** Everything in Mijn DUO, marked allowed or not. */
  all: OnderwerpView[];
  /** portal.snelNaar, limited to the allowed ones. */
  snelNaar: OnderwerpView[];
}

/**
 * Rollen are matched without regard to case or surrounding spaces: they are typed by people
 * (CLI, older registrations) as well as chosen from the list on the beheer screens.
 */
export function rolKey(rol: string): string {
  return rol.trim().toLocaleLowerCase('nl-NL');
}

export function onderwerpenFor(portal: Config['portal'], rollen: readonly string[], lang: Lang): OverviewOnderwerpen {
  const have = new Set(rollen.map(rolKey));
  const allowedIds = new Set<string>();
  for (const [rol, ids] of Object.entries(portal.rollen)) {
    if (have.has(rolKey(rol))) for (const id of ids) allowedIds.add(id);
  }
  const all = Object.entries(portal.onderwerpen).map(([id, o]) => ({
    id,
    title: lang === 'en' ? o.en : o.nl,
    url: o.url,
    allowed: allowedIds.has(id),
  }));
  const byId = new Map(all.map((o) => [o.id, o]));
  return {
    allowed: all.filter((o) => o.allowed),
    all,
    snelNaar: portal.snelNaar.map((id) => byId.get(id)).filter((o): o is OnderwerpView => Boolean(o?.allowed)),
  };
}

/** Rollen a beheerder can give: the configured ones, plus any the gebruiker already has. */
export function rolOptions(portal: Config['portal'], current: readonly string[] = []): string[] {
  const options = Object.keys(portal.rollen);
  const known = new Set(options.map(rolKey));
  for (const r of current) if (!known.has(rolKey(r))) options.push(r);
  return options;
}
