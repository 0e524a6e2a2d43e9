// Moments shown to people: always in Dutch time (Europe/Amsterdam), whatever the server's zone.
import type { Lang } from './messages.ts';

const ZONE = 'Europe/Amsterdam';

function locale(lang: Lang): string {
  return lang === 'en' ? 'en-GB' : 'nl-NL';
}

function dayOf(ms: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
}

/** "14:35", or "23 november 2026 14:35" when `ms` falls on another day than `now`. */
export function formatAmsterdamTime(ms: number, now: number, lang: Lang): string {
  const time = new Intl.DateTimeFormat(locale(lang), { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
  if (dayOf(ms) === dayOf(now)) return time;
  const date = new Intl.DateTimeFormat(locale(lang), { timeZone: ZONE, day: 'numeric', month: 'long', year: 'numeric' }).format(ms);
  return `${date} ${time}`;
}

/**
 * A lock ending at 14:35:20 is shown as 14:36: "try again after 14:35" must not send someone
 * back while the lock still holds.
 */
export function roundUpToMinute(ms: number): number {
  return Math.ceil(ms / 60_000) * 60_000;
}
