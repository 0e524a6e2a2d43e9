// Form handling shared by the portal and beheer screens: body parsing, fields, validation.
// Error messages are message keys; the templates show them in an error summary at the top
// (linked to the fields) and next to each field.
import { urlencoded } from 'express';
import { z } from 'zod';

/** Small bodies only: these forms carry a few short fields. */
export const formBody = urlencoded({ extended: false, limit: '16kb', parameterLimit: 100 });

export type FieldErrors = Record<string, string>;

export function field(body: unknown, name: string, max = 500): string {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' ? s.slice(0, max).trim() : '';
}

export function fieldList(body: unknown, name: string, max = 100): string[] {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.filter((x): x is string => typeof x === 'string').map((x) => x.slice(0, max).trim()).filter(Boolean);
}

// The same rules as the `mijnduo account add` command applies (cli/accounts.ts); checked here
// first so every field gets its own message, and enforced there again.
const emailSchema = z.string().email();
const PHONE = /^\+?[0-9 ()-]{6,20}$/;

export function emailError(email: string): string | null {
  if (!email) return 'portal.error.email.required';
  if (email.length > 254 || !emailSchema.safeParse(email).success) return 'portal.error.email.invalid';
  return null;
}

export function phoneError(phone: string): string | null {
  if (!phone) return null;
  return PHONE.test(phone) ? null : 'portal.error.phone.invalid';
}

/** Kenmerken are typed one per line (commas also separate); duplicates dropped. */
export function parseKenmerken(text: string): { kenmerken: string[]; error: string | null } {
  const items = [...new Set(text.split(/[\r\n,]+/).map((x) => x.trim()).filter(Boolean))];
  if (items.length > 50) return { kenmerken: items, error: 'beheer.error.kenmerken.tooMany' };
  if (items.some((x) => x.length > 100)) return { kenmerken: items, error: 'beheer.error.kenmerken.tooLong' };
  return { kenmerken: items, error: null };
}
