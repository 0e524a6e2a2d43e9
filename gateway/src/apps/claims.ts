// What DUO apps learn about a person: claims built from the account registry plus the facts of
// the login (level, method, time). Nothing from the SAML exchange reaches this file except the
// level URN, which the interaction glue passes as `acr`.
import type { Account, Organisation } from '../accounts/AccountsRegistry.ts';

/** `amr` for every login through this gateway. */
export const AMR_EHERKENNING = ['eherkenning'] as const;

export const SCOPES = ['openid', 'profile', 'email', 'phone', 'mijnduo', 'offline_access'] as const;

/**
 * Scope → claims, in oidc-provider's `claims` format. `acr`, `amr` and `auth_time` ride along
 * with `openid`, so every ID token (and userinfo answer) carries the level of assurance and
 * the moment of authentication without the app having to ask for them with the claims
 * parameter. `sid` and `iss` are available when requested.
 */
export const CLAIMS_BY_SCOPE = {
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  profile: ['name'],
  email: ['email'],
  phone: ['phone_number'],
  mijnduo: ['organisation', 'rollen', 'kenmerken'],
  sid: null,
  iss: null,
} as const;

/** Facts of the login, as stored on the session and the tokens. */
export interface LoginFacts {
  /** Level URN, e.g. urn:etoegang:core:assurance-class:loa3. */
  acr?: string | undefined;
  amr?: readonly string[] | undefined;
  /** Seconds since the epoch. */
  authTime?: number | undefined;
}

export interface OrganisationClaim {
  name: string;
  kvk: string;
  sector: string;
}

export interface MijnDuoClaims {
  sub: string;
  name: string;
  email: string;
  phone_number?: string;
  organisation?: OrganisationClaim;
  rollen: string[];
  kenmerken: string[];
  acr?: string;
  amr?: string[];
  auth_time?: number;
  [claim: string]: unknown;
}

/**
 * Every claim the gateway can give about this account. oidc-provider masks the result by the
 * granted scopes and the claims parameter; this function does not filter.
 */
export function buildClaims(account: Account, organisation: Organisation | null, login: LoginFacts = {}): MijnDuoClaims {
  const claims: MijnDuoClaims = {
    sub: account.id,
    name: account.name,
    email: account.email,
    rollen: [...account.rollen],
    kenmerken: [...account.kenmerken],
  };
  if (account.phone) claims.phone_number = account.phone;
  if (organisation) {
    claims.organisation = { name: organisation.name, kvk: organisation.kvk, sector: organisation.sector };
  }
  if (login.acr) claims.acr = login.acr;
  if (login.amr?.length) claims.amr = [...login.amr];
  if (typeof login.authTime === 'number') claims.auth_time = login.authTime;
  return claims;
}
