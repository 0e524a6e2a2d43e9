// What every form page needs from a flash: the error summary (with links to the fields), the
// message per field and the values to show again. Texts are resolved here, so a template only
// prints them.
import type { Response } from 'express';
import { isLang, translator, type Lang } from '../i18n/messages.ts';
import { formatAmsterdamTime, roundUpToMinute } from '../i18n/time.ts';
import type { Flash } from './LoginState.ts';

export interface FormView {
  errors: { href?: string; text: string }[];
  errorFor: (field: string) => string | undefined;
  values: Record<string, string>;
}

export function langOf(res: Response): Lang {
  return isLang(res.locals.lang) ? res.locals.lang : 'nl';
}

/**
 * `anchors` maps a field to the element the summary links to when that is not the field's
 * own id (a radio group links to its first option).
 */
export function formView(res: Response, now: number, flash: Flash | null, anchors: Record<string, string> = {}): FormView {
  const lang = langOf(res);
  const t = translator(lang);
  const byField = new Map<string, string>();
  const errors: FormView['errors'] = [];
  for (const e of flash?.errors ?? []) {
    const text = t(e.key, e.until !== undefined ? { time: formatAmsterdamTime(roundUpToMinute(e.until), now, lang) } : undefined);
    if (e.field) {
      byField.set(e.field, text);
      errors.push({ href: anchors[e.field] ?? e.field, text });
    } else {
      errors.push({ text });
    }
  }
  return { errors, errorFor: (field) => byField.get(field), values: flash?.values ?? {} };
}
