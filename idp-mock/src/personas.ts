// Test personas: who logs in, for which organisation, with which means and machtiging.
import { createHash } from 'node:crypto';
import { z } from 'zod';

export const LEVELS = ['loa2', 'loa2plus', 'loa3', 'loa4'] as const;
export type Level = (typeof LEVELS)[number];
export const LEVEL_ORDER: Record<Level, number> = { loa2: 2, loa2plus: 2.5, loa3: 3, loa4: 4 };

export function levelUrn(level: Level): string {
  return `urn:etoegang:core:assurance-class:${level}`;
}

export function levelFromUrn(urn: string): Level | undefined {
  const m = /^urn:etoegang:core:assurance-class:(loa2|loa2plus|loa3|loa4)$/.exec(urn.trim());
  return m ? (m[1] as Level) : undefined;
}

export const personaSchema = z.object({
  /** Stable id, used in forms, presets and logs. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lowercase letters, digits and dashes'),
  /** The acting person. */
  name: z.string().min(1).max(100),
  /** The represented organisation (belanghebbende). */
  organisation: z.string().min(1).max(100),
  kvk: z.string().regex(/^\d{8}$/, 'a KvK number has 8 digits'),
  rsin: z.string().regex(/^\d{9}$/, 'an RSIN has 9 digits').optional(),
  /** 12-digit vestigingsnummer of the establishment this persona works for. */
  vestigingsnummer: z.string().regex(/^\d{12}$/, 'a vestigingsnummer has 12 digits').optional(),
  /** The machtiging is limited to that vestiging: the assertion carries the restriction. */
  restrictedToVestiging: z.boolean().default(false),
  /** The level of the person's eHerkenning means. */
  level: z.enum(LEVELS).default('loa3'),
  /** Holds a machtiging for the requested service. */
  machtiging: z.boolean().default(true),
  /** Seed of the pseudonym; change it to simulate a new person or a rotated pseudonym. */
  seed: z.string().min(1).max(200),
  /** Acts for an organisation (pseudonym gets '@' + 32 hex). */
  representation: z.boolean().default(true),
  /** Ketenmachtiging: the intermediary organisation acting on behalf of `organisation`. */
  intermediary: z
    .object({ name: z.string().min(1).max(100), kvk: z.string().regex(/^\d{8}$/, 'a KvK number has 8 digits') })
    .optional(),
  /** Free text shown on the persona screen. */
  note: z.string().max(300).optional(),
});

export type Persona = z.infer<typeof personaSchema>;
export type PersonaInput = z.input<typeof personaSchema>;

export function parsePersonas(input: unknown): Persona[] {
  const list = z.array(personaSchema).min(1, 'at least one persona').parse(input);
  const seen = new Set<string>();
  for (const p of list) {
    if (seen.has(p.id)) throw new Error(`persona id ${p.id} appears twice`);
    seen.add(p.id);
  }
  return list;
}

function sha256HexUpper(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex').toUpperCase();
}

/**
 * The ActingSubjectID pseudonym: 64 hex = SHA-256(seed | DV EntityID); when acting for an
 * organisation, '@' + 32 hex derived from the seed, the organisation, the intermediary and
 * the DV. Stable for the same inputs, different for every DV.
 */
export function pseudonymFor(persona: Persona, dvEntityId: string, opts: { rotated?: boolean } = {}): string {
  const seed = opts.rotated ? `${persona.seed}#rotated` : persona.seed;
  const person = sha256HexUpper(`${seed}|${dvEntityId}`);
  if (!persona.representation) return person;
  const org = sha256HexUpper(`${seed}|${persona.kvk}|${persona.intermediary?.kvk ?? ''}|${dvEntityId}`).slice(0, 32);
  return `${person}@${org}`;
}
