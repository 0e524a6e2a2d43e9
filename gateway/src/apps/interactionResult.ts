// How the interaction glue ends an oidc-provider interaction: with a login, with consent, or
// with an error for the app. The interaction routes themselves live in gateway/src/interaction.
//
// oidc-provider keeps the interaction id in a cookie scoped to /interaction/<uid>, so these
// helpers work only from routes under that path. Each throws errors.SessionNotFound when the
// interaction is gone, expired, or belongs to another browser: the caller shows its
// "inlogpoging verlopen" page then.
import type { Request, Response } from 'express';
import { errors, type InteractionResults, type Provider } from 'oidc-provider';
import { LOA_LEVELS } from '../config.ts';
import { AMR_EHERKENNING } from './claims.ts';
import { isFirstParty } from './clients.ts';

/**
 * `acr` of a login with a TOTP token (the old way, for accounts without a koppeling). Not an
 * eHerkenning level: an app that needs loa3 asks for it with acr_values / an essential claim.
 */
export const ACR_TOKEN = 'urn:mijnduo:token';

/** Every `acr` a login through this gateway can carry. */
export const ACR_VALUES: readonly string[] = [...LOA_LEVELS, ACR_TOKEN];

/** Key in the interaction result where finishLogin leaves facts oidc-provider has no field for. */
export const RESULT_KEY = 'mijnduo';

export interface MijnDuoResult {
  /** Seconds since the epoch: the login session must not outlive this (SessionNotOnOrAfter). */
  sessionNotOnOrAfter?: number;
}

export interface LoginOutcome {
  /** Account id (the `sub`). The caller has checked that the account is active. */
  accountId: string;
  /** Level URN from the verified assertion (loa3 or loa4), or ACR_TOKEN for a token login. */
  acr: string;
  /** Defaults to ['eherkenning']. */
  amr?: string[];
  /**
   * Moment of authentication at the broker (AuthnInstant): seconds since the epoch, as OIDC's
   * auth_time. A value in milliseconds is recognised (anything above 1e11) and converted.
   */
  authTime: number;
  /**
   * SAML SessionNotOnOrAfter, milliseconds since the epoch as in EherkenningIdentity (a value in
   * seconds is recognised the same way). The login session ends no later than this.
   */
  sessionNotOnOrAfter?: number;
}

/** Epoch seconds from a value in seconds or milliseconds (1e11 s is the year 5138). */
function toEpochSeconds(value: number, what: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`finishLogin: ${what} must be a positive epoch time`);
  return Math.floor(value > 1e11 ? value / 1000 : value);
}

function checkUid(req: Request, uid: string): void {
  const fromPath = (req.params as Record<string, string | undefined> | undefined)?.uid;
  if (fromPath !== undefined && fromPath !== uid) {
    throw new errors.SessionNotFound('the interaction in the URL is not the one of this browser');
  }
}

/**
 * Ends the interaction with a successful login; answers 303 back into oidc-provider.
 *
 * Session semantics: the gateway session cookie is a browser-session cookie (remember: false),
 * because Mijn DUO zakelijk is used on shared office computers; closing the browser ends the
 * single sign-on. Server side the session lives at most oidc.ttl.sessionSeconds after
 * authTime and never past sessionNotOnOrAfter (provider.ts, ttl.Session), and is not
 * extended by later requests. Access tokens without offline_access end with it.
 */
export async function finishLogin(provider: Provider, req: Request, res: Response, outcome: LoginOutcome): Promise<void> {
  if (!ACR_VALUES.includes(outcome.acr)) {
    throw new TypeError(`finishLogin: acr must be one of ${ACR_VALUES.join(', ')}`);
  }
  if (typeof outcome.accountId !== 'string' || !outcome.accountId) throw new TypeError('finishLogin: accountId is required');
  const ts = toEpochSeconds(outcome.authTime, 'authTime');

  const details = await provider.interactionDetails(req, res);
  checkUid(req, details.uid);

  const result: InteractionResults = {
    login: {
      accountId: outcome.accountId,
      acr: outcome.acr,
      amr: outcome.amr?.length ? [...outcome.amr] : [...AMR_EHERKENNING],
      ts,
      remember: false,
    },
  };
  if (outcome.sessionNotOnOrAfter !== undefined) {
    const extra: MijnDuoResult = { sessionNotOnOrAfter: toEpochSeconds(outcome.sessionNotOnOrAfter, 'sessionNotOnOrAfter') };
    result[RESULT_KEY] = extra;
  }
  // A first-party app that sent prompt=consent is answered without a screen (the grant itself
  // comes from loadExistingGrant).
  const clientId = details.params.client_id;
  const prompts = String(details.params.prompt ?? '').split(' ');
  if (typeof clientId === 'string' && prompts.includes('consent')) {
    const client = await provider.Client.find(clientId);
    if (client && isFirstParty(client.metadata())) result.consent = {};
  }
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

/**
 * Ends an interaction whose open prompt is consent, granting what the prompt found missing.
 * For a first-party app the glue may call this at once (this prompt only shows up there when
 * the app itself sent prompt=consent while already logged in); for any other app only after
 * the person agreed on a consent screen (not built).
 */
export async function finishConsent(provider: Provider, req: Request, res: Response): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  checkUid(req, details.uid);
  if (details.prompt.name !== 'consent') throw new errors.InvalidRequest('this interaction does not ask for consent');
  const accountId = details.session?.accountId;
  const clientId = details.params.client_id;
  if (!accountId || typeof clientId !== 'string') throw new errors.SessionNotFound('no logged-in session for this interaction');

  let grant = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  if (!grant) grant = new provider.Grant({ accountId, clientId });
  const missing = details.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope?.length) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims?.length) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

/** True when the interaction's client is marked first_party in config. */
export async function interactionIsFirstParty(provider: Provider, req: Request, res: Response): Promise<boolean> {
  const details = await provider.interactionDetails(req, res);
  const clientId = details.params.client_id;
  if (typeof clientId !== 'string') return false;
  const client = await provider.Client.find(clientId);
  return Boolean(client && isFirstParty(client.metadata()));
}

/**
 * Ends the interaction without a login: the app gets `error` (default access_denied) at its
 * redirect_uri. `description` goes to the app: keep it free of personal or internal details.
 */
export async function abortLogin(
  provider: Provider,
  req: Request,
  res: Response,
  error: string = 'access_denied',
  description?: string,
): Promise<void> {
  if (!/^[a-z_]{1,64}$/.test(error)) throw new TypeError('abortLogin: error must be an OAuth error code');
  const details = await provider.interactionDetails(req, res);
  checkUid(req, details.uid);
  const result: InteractionResults = { error };
  if (description) result.error_description = description;
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}
