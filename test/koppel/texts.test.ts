// The texts of the login page and the wizard: every key used by a template exists in Dutch and
// English, and times are shown in Dutch time whatever the server's zone.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../gateway/src/config.ts';
import { KOPPEL_MESSAGE_KEYS, KOPPEL_MESSAGE_KEYS_EN } from '../../gateway/src/i18n/koppel.ts';
import { hasMessage } from '../../gateway/src/i18n/messages.ts';
import { formatAmsterdamTime, roundUpToMinute } from '../../gateway/src/i18n/time.ts';

const TEMPLATES = path.join(PROJECT_ROOT, 'gateway', 'src', 'views', 'templates');
const OURS = /^(login|token|info-eherkenning|problemen|voorwaarden|koppel-.*|partial-.*)\.eta$/;

describe('koppel texts', () => {
  it('every Dutch text has an English one and the other way round', () => {
    assert.deepEqual([...KOPPEL_MESSAGE_KEYS].sort(), [...KOPPEL_MESSAGE_KEYS_EN].sort());
  });

  it('every key the login, token, information and wizard templates use exists in both languages', () => {
    const files = readdirSync(TEMPLATES).filter((f) => OURS.test(f));
    assert.ok(files.length >= 12, `templates found: ${files.join(', ')}`);
    const missing: string[] = [];
    for (const f of files) {
      const src = readFileSync(path.join(TEMPLATES, f), 'utf8');
      for (const m of src.matchAll(/it\.t\('([a-zA-Z0-9_.]+)'/g)) {
        for (const lang of ['nl', 'en'] as const) if (!hasMessage(lang, m[1]!)) missing.push(`${f}: ${lang} ${m[1]}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('shows moments in Europe/Amsterdam, winter and summer time, with the date when it is another day', () => {
    const winter = Date.UTC(2026, 0, 15, 13, 35);
    assert.equal(formatAmsterdamTime(winter, winter, 'nl'), '14:35');
    const summer = Date.UTC(2026, 6, 15, 13, 35);
    assert.equal(formatAmsterdamTime(summer, summer, 'nl'), '15:35');
    const nearMidnight = Date.UTC(2026, 0, 15, 22, 50);
    assert.equal(formatAmsterdamTime(nearMidnight + 15 * 60_000, nearMidnight, 'nl'), '16 januari 2026 00:05');
    assert.equal(formatAmsterdamTime(nearMidnight + 15 * 60_000, nearMidnight, 'en'), '16 January 2026 00:05');
  });

  it('rounds a lock\'s end up to the minute, never down', () => {
    assert.equal(roundUpToMinute(Date.UTC(2026, 0, 1, 10, 0, 0)), Date.UTC(2026, 0, 1, 10, 0, 0));
    assert.equal(roundUpToMinute(Date.UTC(2026, 0, 1, 10, 0, 1)), Date.UTC(2026, 0, 1, 10, 1, 0));
  });
});
