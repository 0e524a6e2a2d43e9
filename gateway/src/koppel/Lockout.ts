// Lockout: after koppel.maxFailedAttempts wrong gebruikersnaam/activatiecode combinations (or
// wrong token codes) further attempts are refused for koppel.lockMinutes (manual 1.3: 5 wrong →
// 15 minutes). Counted per gebruikersnaam and per pseudonym (subject hash); either reaching the
// limit blocks. One job: counting, blocking, listing and lifting; the routes decide what to show.
//
// Increment-then-decide: every attempt first reserves its number with an atomic `increment`
// (INCR on Redis) and only attempts numbered 1…max are checked at all. Two gateway processes on
// one Redis can therefore never check a 6th attempt, whatever the interleaving (anchors §0.4,
// §2.3). No read-decide-write anywhere.
//
// Time: whether a lock holds is decided by the injected clock against the `blockedUntil` stored
// in the lock record, never by a TTL expiring (Redis keeps its own time; tests move a clock).
// TTLs only clean up. When a lock starts, the record names a fresh counting epoch, so the
// counter that reached the limit is simply abandoned: after the lock ends, counting starts at
// zero without anyone having to reset it.
import { randomBytes } from 'node:crypto';
import type { AccountsRegistry } from '../accounts/AccountsRegistry.ts';
import { normaliseGebruikersnaam } from '../accounts/gebruikersnaam.ts';
import type { Clock } from '../clock.ts';
import { HOUR, MINUTE } from '../clock.ts';
import type { Config } from '../config.ts';
import type { KeyValueStore } from '../store/KeyValueStore.ts';
import { subjectRef } from './SubjectHash.ts';

/**
 * What is counted. 'gebruikersnaam' and 'pseudonym' count koppel attempts; 'token' counts token
 * logins per gebruikersnaam on its own, so that anonymous token guesses (no eHerkenning needed)
 * cannot lock a letter-holder out of koppelen.
 */
export type LockDimension = 'gebruikersnaam' | 'pseudonym' | 'token';

export interface LockTarget {
  dimension: LockDimension;
  /** Normalised gebruikersnaam, or the subject hash (hex) for 'pseudonym'. */
  id: string;
}

interface LockRecord {
  /** Names the counter now in use. */
  epoch: string;
  blockedUntil: number | null;
  startedAt?: number;
  accountId?: string | null;
}

export interface Reservation {
  kind: 'reserved';
  entries: { target: LockTarget; epoch: string; count: number }[];
}

export interface Blocked {
  kind: 'blocked';
  /** Milliseconds since the epoch: the earliest moment a new attempt is counted again. */
  until: number;
}

export interface LockoutEntry {
  dimension: LockDimension;
  /** For 'gebruikersnaam' and 'token'. */
  gebruikersnaam?: string;
  /** For 'pseudonym': the short reference, never the hash itself. */
  subjectRef?: string;
  accountId: string | null;
  startedAt: number | null;
  blockedUntil: number;
}

export interface LockoutActor {
  type: 'beheerder' | 'cli' | 'system';
  id: string;
}

export interface LockoutDeps {
  kv: KeyValueStore;
  accounts: Pick<AccountsRegistry, 'appendAudit'>;
  clock: Clock;
  config: Pick<Config, 'koppel'>;
}

const INDEX_KEY = 'lockout:index';
const MAX_NAME_LENGTH = 64;

/** The form a typed gebruikersnaam is counted under: normalised, bounded, key-safe. */
export function lockIdForName(input: string): string {
  return encodeURIComponent(normaliseGebruikersnaam(input).slice(0, MAX_NAME_LENGTH));
}

function newEpoch(now: number): string {
  return `${now.toString(36)}.${randomBytes(6).toString('hex')}`;
}

export class Lockout {
  private readonly max: number;
  private readonly lockMs: number;
  /** Failures are remembered this long after the first one of a series. */
  private readonly windowMs: number;
  /** Cleanup only: long enough to outlive a lock and the counter it abandoned. */
  private readonly recordTtlMs: number;

  constructor(private readonly d: LockoutDeps) {
    this.max = d.config.koppel.maxFailedAttempts;
    this.lockMs = d.config.koppel.lockMinutes * MINUTE;
    this.windowMs = this.lockMs;
    this.recordTtlMs = this.lockMs + this.windowMs + HOUR;
  }

  /** Targets for a koppel attempt: the typed gebruikersnaam and this login's subject hash. */
  static koppelTargets(gebruikersnaam: string, subjectHash: string): LockTarget[] {
    return [
      { dimension: 'gebruikersnaam', id: lockIdForName(gebruikersnaam) },
      { dimension: 'pseudonym', id: subjectHash },
    ];
  }

  static tokenTargets(gebruikersnaam: string): LockTarget[] {
    return [{ dimension: 'token', id: lockIdForName(gebruikersnaam) }];
  }

  /**
   * Reserve one attempt on every target. Blocked when a lock holds, or when this attempt's
   * number is above the limit on any target (then it must not be checked).
   */
  async reserve(targets: LockTarget[]): Promise<Reservation | Blocked> {
    const now = this.d.clock.now();
    const records = await Promise.all(targets.map((t) => this.record(t)));
    const holding = records.filter((r) => r.blockedUntil !== null && r.blockedUntil > now);
    if (holding.length > 0) return { kind: 'blocked', until: Math.max(...holding.map((r) => r.blockedUntil!)) };
    const counts = await Promise.all(targets.map((t, i) => this.d.kv.increment(this.counterKey(t, records[i]!.epoch), this.windowMs)));
    if (counts.some((n) => n > this.max)) {
      // Over the limit while no lock is recorded yet: the attempt that reached it is still
      // being checked (or its process died). Refuse; show the lock it will most likely start.
      return { kind: 'blocked', until: await this.untilFor(targets, now) };
    }
    return { kind: 'reserved', entries: targets.map((target, i) => ({ target, epoch: records[i]!.epoch, count: counts[i]! })) };
  }

  /**
   * The reserved attempt was wrong. Starts a lock on every target whose count reached the
   * limit (exactly once per epoch, audited) and answers whether this person is now blocked.
   */
  async failed(r: Reservation, info: { accountId?: string | null; correlationId?: string }): Promise<Blocked | null> {
    const now = this.d.clock.now();
    const reached = r.entries.filter((e) => e.count >= this.max);
    if (reached.length === 0) return null;
    for (const e of reached) {
      // One process wins the right to start this epoch's lock; the others only report it.
      const won = await this.d.kv.setIfAbsent(this.electionKey(e.target, e.epoch), '1', this.recordTtlMs);
      if (!won) continue;
      const until = now + this.lockMs;
      const accountId = e.target.dimension === 'pseudonym' ? null : (info.accountId ?? null);
      const rec: LockRecord = { epoch: newEpoch(now), blockedUntil: until, startedAt: now, accountId };
      await this.d.kv.set(this.recordKey(e.target), JSON.stringify(rec), this.recordTtlMs);
      await this.d.kv.addToSet(INDEX_KEY, this.member(e.target), this.recordTtlMs);
      await this.d.accounts.appendAudit({
        at: now,
        action: 'lockout.started',
        outcome: 'success',
        actorType: 'system',
        accountId,
        reason: e.target.dimension,
        ...this.who(e.target),
        correlationId: info.correlationId ?? null,
        details: { ...this.named(e.target), attempts: e.count, until: new Date(until).toISOString() },
      });
    }
    return { kind: 'blocked', until: await this.untilFor(reached.map((e) => e.target), now) };
  }

  /** The reserved attempt was right: the failures so far are forgotten. */
  async succeeded(r: Reservation): Promise<void> {
    await Promise.all(r.entries.map((e) => this.d.kv.delete(this.counterKey(e.target, e.epoch))));
  }

  /** Current lock of one target, or null. */
  async blockedUntil(target: LockTarget): Promise<number | null> {
    const rec = await this.record(target);
    return rec.blockedUntil !== null && rec.blockedUntil > this.d.clock.now() ? rec.blockedUntil : null;
  }

  /** Failures counted so far in the current series (for the beheerder's view). */
  async failures(target: LockTarget): Promise<number> {
    const rec = await this.record(target);
    const raw = await this.d.kv.get(this.counterKey(target, rec.epoch));
    return raw === null ? 0 : Number(raw);
  }

  /** Every lock that holds now, soonest end first. */
  async list(): Promise<LockoutEntry[]> {
    const now = this.d.clock.now();
    const out: LockoutEntry[] = [];
    for (const m of await this.d.kv.members(INDEX_KEY)) {
      const target = parseMember(m);
      if (!target) continue;
      const rec = await this.record(target);
      if (rec.blockedUntil === null || rec.blockedUntil <= now) continue;
      out.push({
        dimension: target.dimension,
        ...(target.dimension === 'pseudonym' ? { subjectRef: subjectRef(target.id) } : { gebruikersnaam: decodeURIComponent(target.id) }),
        accountId: rec.accountId ?? null,
        startedAt: rec.startedAt ?? null,
        blockedUntil: rec.blockedUntil,
      });
    }
    return out.sort((a, b) => a.blockedUntil - b.blockedUntil);
  }

  /**
   * Lift the lock (and forget the failures) of one target. Returns whether a lock held.
   * Audited either way: the beheerder acted.
   */
  async lift(target: LockTarget, actor: LockoutActor): Promise<boolean> {
    const now = this.d.clock.now();
    const rec = await this.record(target);
    const held = rec.blockedUntil !== null && rec.blockedUntil > now;
    const fresh: LockRecord = { epoch: newEpoch(now), blockedUntil: null, accountId: rec.accountId ?? null };
    await this.d.kv.set(this.recordKey(target), JSON.stringify(fresh), this.recordTtlMs);
    await this.d.accounts.appendAudit({
      at: now,
      action: 'lockout.lifted',
      outcome: 'success',
      actorType: actor.type,
      actorId: actor.id,
      accountId: rec.accountId ?? null,
      reason: target.dimension,
      ...this.who(target),
      details: { ...this.named(target), wasBlocked: held },
    });
    return held;
  }

  /** Subject hashes of pseudonym locks whose reference starts with `ref` (for lifting by ref). */
  async pseudonymTargetsByRef(ref: string): Promise<LockTarget[]> {
    const wanted = ref.trim().toLowerCase();
    if (wanted.length < 6) return [];
    return (await this.d.kv.members(INDEX_KEY))
      .map(parseMember)
      .filter((t): t is LockTarget => t !== null && t.dimension === 'pseudonym' && t.id.startsWith(wanted));
  }

  // ---- keys and records ----

  private recordKey(t: LockTarget): string {
    return `lockout:rec:${t.dimension}:${t.id}`;
  }

  private counterKey(t: LockTarget, epoch: string): string {
    return `lockout:cnt:${t.dimension}:${t.id}:${epoch}`;
  }

  private electionKey(t: LockTarget, epoch: string): string {
    return `lockout:start:${t.dimension}:${t.id}:${epoch}`;
  }

  private member(t: LockTarget): string {
    return `${t.dimension}:${t.id}`;
  }

  private async record(t: LockTarget): Promise<LockRecord> {
    const raw = await this.d.kv.get(this.recordKey(t));
    if (!raw) return { epoch: '0', blockedUntil: null };
    try {
      const r = JSON.parse(raw) as LockRecord;
      return typeof r.epoch === 'string' ? r : { epoch: '0', blockedUntil: null };
    } catch {
      return { epoch: '0', blockedUntil: null };
    }
  }

  /** The latest lock end among the targets, or a full lock from now when none is recorded. */
  private async untilFor(targets: LockTarget[], now: number): Promise<number> {
    const ends = (await Promise.all(targets.map((t) => this.record(t))))
      .map((r) => r.blockedUntil)
      .filter((u): u is number => u !== null && u > now);
    return ends.length > 0 ? Math.max(...ends) : now + this.lockMs;
  }

  /** The subject hash goes into the audit trail only as its short reference. */
  private who(t: LockTarget): { subjectRef?: string } {
    return t.dimension === 'pseudonym' ? { subjectRef: subjectRef(t.id) } : {};
  }

  /** The typed gebruikersnaam is not secret and tells the beheerder whose lock it is. */
  private named(t: LockTarget): { gebruikersnaam?: string } {
    return t.dimension === 'pseudonym' ? {} : { gebruikersnaam: decodeURIComponent(t.id) };
  }
}

function parseMember(m: string): LockTarget | null {
  const i = m.indexOf(':');
  if (i < 0) return null;
  const dimension = m.slice(0, i);
  if (dimension !== 'gebruikersnaam' && dimension !== 'pseudonym' && dimension !== 'token') return null;
  return { dimension, id: m.slice(i + 1) };
}

// ---- For the beheer screens and the CLI ----

/** Every lock that holds now (gebruikersnaam, token and pseudonym locks), soonest end first. */
export async function listLockouts(deps: LockoutDeps): Promise<LockoutEntry[]> {
  return new Lockout(deps).list();
}

export interface LiftResult {
  /** The targets that were blocked and are not any more. */
  lifted: LockoutEntry['dimension'][];
}

/**
 * Lift the locks of a gebruikersnaam (koppel and token), or of a pseudonym by its subject
 * reference (as shown by listLockouts). The failures counted so far are forgotten too. The
 * caller has checked that the actor may do this (a beheerder: only for their own organisation).
 */
export async function liftLockout(
  deps: LockoutDeps,
  who: { gebruikersnaam: string } | { subjectRef: string },
  actor: LockoutActor,
): Promise<LiftResult> {
  const lockout = new Lockout(deps);
  const targets: LockTarget[] =
    'gebruikersnaam' in who
      ? [
          { dimension: 'gebruikersnaam', id: lockIdForName(who.gebruikersnaam) },
          { dimension: 'token', id: lockIdForName(who.gebruikersnaam) },
        ]
      : await lockout.pseudonymTargetsByRef(who.subjectRef);
  const lifted: LockDimension[] = [];
  for (const t of targets) if (await lockout.lift(t, actor)) lifted.push(t.dimension);
  return { lifted };
}
