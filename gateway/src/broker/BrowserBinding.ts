// Binds an AuthnRequest to the browser that started it: a random cookie (HttpOnly, SameSite=Lax,
// Secure on https, Path=/saml). The request record keeps only its SHA-256. When the gateway is
// on https a SameSite=None twin is set too, so a broker that returns the artifact with a
// cross-site POST (where Lax cookies are withheld) still finds the binding.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

export const BINDING_COOKIE = 'mijnduo_saml';
export const BINDING_COOKIE_CROSS_SITE = 'mijnduo_saml_x';
const VALUE = /^[A-Za-z0-9_-]{43}$/;

export function hashBinding(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Read our cookies from the raw header (the app may or may not run cookie-parser). */
export function readBindingCookies(req: Request): string[] {
  const header = req.headers.cookie;
  if (typeof header !== 'string' || header.length > 8192) return [];
  const out: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if ((name === BINDING_COOKIE || name === BINDING_COOKIE_CROSS_SITE) && VALUE.test(value)) out.push(value);
  }
  return out;
}

/** This browser's binding value: reused (several tabs may log in at once) or new. */
export function browserBindingValue(req: Request): string {
  return readBindingCookies(req)[0] ?? randomBytes(32).toString('base64url');
}

/** Set the binding cookie(s); called only once the request record is stored. */
export function setBindingCookies(res: Response, value: string, opts: { secure: boolean; maxAgeSeconds: number }): void {
  const common = `Path=/saml; Max-Age=${opts.maxAgeSeconds}; HttpOnly`;
  const cookies = [`${BINDING_COOKIE}=${value}; ${common}; SameSite=Lax${opts.secure ? '; Secure' : ''}`];
  if (opts.secure) cookies.push(`${BINDING_COOKIE_CROSS_SITE}=${value}; ${common}; SameSite=None; Secure`);
  const existing = res.getHeader('Set-Cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
  res.setHeader('Set-Cookie', [...list, ...cookies]);
}

/** Does this browser carry the binding the request record remembers? (Constant time.) */
export function browserMatches(req: Request, expectedHash: string): boolean {
  const expected = Buffer.from(expectedHash, 'hex');
  return readBindingCookies(req).some((v) => {
    const got = Buffer.from(hashBinding(v), 'hex');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
