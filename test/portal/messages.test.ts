// Every text the portal and beheer screens ask for exists in Dutch and in English: a missing
// key would show up on screen as the key itself.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { hasMessage } from '../../gateway/src/i18n/messages.ts';
import '../../gateway/src/portal/messages.ts';
import { MEANS_PROBLEMS } from '../../gateway/src/portal/koppelBeheer.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..', 'gateway', 'src');

function keysIn(text: string): string[] {
  // it.t('key' …), and message keys handed to the templates as values ('portal.x.y'); not the
  // audit actions, which share the prefix.
  return [...text.matchAll(/(?<!action: )['"`]((?:portal|beheer)\.[a-zA-Z.-]+[a-zA-Z])['"`]/g)].map((m) => m[1]!);
}

describe('portal: texts', () => {
  it('has every key used by the portal templates and code in nl and en', () => {
    const templates = readdirSync(path.join(ROOT, 'views', 'templates')).filter((f) => /^(portal|beheer)-.*\.eta$/.test(f));
    assert.ok(templates.length >= 10);
    const sources = [
      ...templates.map((f) => path.join(ROOT, 'views', 'templates', f)),
      ...readdirSync(path.join(ROOT, 'portal')).filter((f) => f.endsWith('.ts') && f !== 'messages.ts').map((f) => path.join(ROOT, 'portal', f)),
    ];
    const used = new Set(sources.flatMap((f) => keysIn(readFileSync(f, 'utf8'))));
    // Keys built at run time.
    for (const r of MEANS_PROBLEMS) used.add(`beheer.undo.reason.${r}`);
    for (const kind of ['denied', 'csrf']) used.add(`portal.${kind}.title`).add(`portal.${kind}.body`);
    used.delete('portal.css');
    assert.ok(used.size > 50, `found ${used.size} keys`);
    const missing = [...used].flatMap((k) => (['nl', 'en'] as const).filter((l) => !hasMessage(l, k)).map((l) => `${l}: ${k}`));
    assert.deepEqual(missing, []);
  });
});
