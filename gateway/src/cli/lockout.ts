// `mijnduo lockout list` and `mijnduo lockout lift <gebruikersnaam> | --subject <ref>`: the
// beheerder's view of the koppel/token lockouts (manual 1.3) and the way to lift one early.
import { formatAmsterdamTime } from '../i18n/time.ts';
import { liftLockout, listLockouts, type LiftResult, type LockoutEntry } from '../koppel/Lockout.ts';
import { actorOf, CliUserError, type CliContext } from './context.ts';

function deps(ctx: CliContext) {
  if (!ctx.kv) throw new Error('lockout commands need the KeyValue store (createCliContext withKeyValue)');
  return { kv: ctx.kv, accounts: ctx.accounts, clock: ctx.clock, config: ctx.config };
}

export async function lockoutList(ctx: CliContext): Promise<LockoutEntry[]> {
  const entries = await listLockouts(deps(ctx));
  const now = ctx.clock.now();
  if (entries.length === 0) {
    ctx.out('Geen blokkades / no lockouts.');
    return entries;
  }
  ctx.out('soort/kind\twie/who\tsinds/since\ttot/until (Europe/Amsterdam)');
  for (const e of entries) {
    const who = e.gebruikersnaam ?? `pseudoniem ${e.subjectRef ?? '?'}`;
    const since = e.startedAt === null ? '-' : formatAmsterdamTime(e.startedAt, now, 'nl');
    ctx.out(`${e.dimension}\t${who}\t${since}\t${formatAmsterdamTime(e.blockedUntil, now, 'nl')}`);
  }
  return entries;
}

export async function lockoutLift(ctx: CliContext, opts: { gebruikersnaam?: string; subject?: string }): Promise<LiftResult> {
  const name = opts.gebruikersnaam?.trim();
  const subject = opts.subject?.trim();
  if (Boolean(name) === Boolean(subject)) {
    throw new CliUserError(
      'Geef een gebruikersnaam óf --subject <referentie> (uit `mijnduo lockout list`).',
      'Give a gebruikersnaam or --subject <reference> (from `mijnduo lockout list`).',
    );
  }
  const actor = { type: 'cli' as const, id: actorOf(ctx) };
  const result = await liftLockout(deps(ctx), name ? { gebruikersnaam: name } : { subjectRef: subject! }, actor);
  ctx.out(
    result.lifted.length > 0
      ? `Blokkade opgeheven / lockout lifted (${result.lifted.join(', ')}).`
      : 'Er was geen blokkade; eventuele mislukte pogingen zijn vergeten / there was no lockout; failed attempts so far are forgotten.',
  );
  return result;
}
