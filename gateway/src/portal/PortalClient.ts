// The Mijn DUO portal as a first-party OpenID Connect client of this very gateway.
//
// Why an OIDC client and not a shortcut into the login flow: a login that did not come from a
// DUO app still has to go broker → koppel → apps exactly like one that did, with the same
// rules, audit and session. Being a normal relying party keeps the portal on that one path and
// gives it the gateway session (SSO toward the DUO apps it links to) for free.
//
// Browser-facing URLs (authorize, end session) are the public ones. Server-to-server calls
// (token endpoint, JWKS) go through a fetch that maps the public base URL onto an internal one:
// behind a reverse proxy the public host is often not reachable from inside the container.
import { hkdfSync } from 'node:crypto';
import * as oidc from 'openid-client';
import type Provider from 'oidc-provider';
import type { Config, OidcClientConfig } from '../config.ts';
import type { GatewaySecrets } from '../keys/KeyMaterial.ts';
import { issuerFor } from '../apps/provider.ts';

/** Paths of the portal that the OIDC client registration refers to. */
export const CALLBACK_PATH = '/inloggen/callback';
export const LOGGED_OUT_PATH = '/uitgelogd';

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Public base URL of the gateway (origin plus any path prefix), without trailing slash. */
export function publicBase(config: Pick<Config, 'publicUrl'>): string {
  return trimSlash(config.publicUrl);
}

/**
 * The client secret, derived from the gateway's secrets (HKDF with a label of its own), so
 * every gateway process sharing secrets.json agrees on it without another file to manage,
 * and nothing else can be learned from it.
 */
export function portalClientSecret(secrets: Pick<GatewaySecrets, 'csrfSecret'>): string {
  const bytes = hkdfSync('sha256', secrets.csrfSecret, 'mijnduo-portal', 'oidc client secret', 32);
  return Buffer.from(bytes).toString('base64url');
}

/** The portal's entry among the OIDC clients: confidential, first-party, code flow. */
export function portalClientConfig(config: Pick<Config, 'publicUrl' | 'portal'>, secrets: Pick<GatewaySecrets, 'csrfSecret'>): OidcClientConfig {
  const base = publicBase(config);
  return {
    client_id: config.portal.clientId,
    client_secret: portalClientSecret(secrets),
    name: 'Mijn DUO zakelijk',
    redirect_uris: [`${base}${CALLBACK_PATH}`],
    post_logout_redirect_uris: [`${base}${LOGGED_OUT_PATH}`],
    token_endpoint_auth_method: 'client_secret_basic',
    first_party: true,
  };
}

/** The configuration the OIDC provider is built with: the configured apps plus the portal. */
export function withPortalClient(config: Config, secrets: Pick<GatewaySecrets, 'csrfSecret'>): Config {
  return { ...config, oidc: { ...config.oidc, clients: [...config.oidc.clients, portalClientConfig(config, secrets)] } };
}

/**
 * Where the portal reaches the gateway server-to-server: portal.internalUrl, else the listen
 * address (a wildcard listen address becomes loopback).
 */
export function internalBase(config: Pick<Config, 'portal' | 'listen'>): string {
  if (config.portal.internalUrl) return trimSlash(config.portal.internalUrl);
  let host = config.listen.host;
  if (host === '0.0.0.0' || host === '') host = '127.0.0.1';
  if (host === '::' || host === '[::]') host = '::1';
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  return `http://${host}:${config.listen.port}`;
}

/**
 * A fetch for openid-client that sends requests for the gateway's public base URL to the
 * internal base URL instead. Anything else is refused: the portal only ever talks to its own
 * gateway, so another URL would be a bug or an injected metadata value.
 */
export function internalFetch(publicBaseUrl: string, internalBaseUrl: string, fetchImpl: typeof fetch = fetch): oidc.CustomFetch {
  const from = trimSlash(publicBaseUrl);
  const to = trimSlash(internalBaseUrl);
  return (url, options) => {
    const within = url === from || url.startsWith(`${from}/`) || url.startsWith(`${from}?`);
    if (!within) return Promise.reject(new Error(`portal: refusing a server-to-server request outside the gateway (${new URL(url).origin})`));
    return fetchImpl(`${to}${url.slice(from.length)}`, options as RequestInit);
  };
}

export interface PortalLoginStart {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface PortalLoginResult {
  accountId: string;
  idToken: string;
  accessToken: string;
  /** Seconds since the epoch (OIDC auth_time). */
  authTime: number | undefined;
  acr: string | undefined;
}

export interface PortalClientOptions {
  config: Config;
  secrets: Pick<GatewaySecrets, 'csrfSecret'>;
  provider: Pick<Provider, 'pathFor'>;
  /** Tests replace the network. */
  fetchImpl?: typeof fetch;
}

export class PortalClient {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly postLogoutRedirectUri: string;
  private readonly oidcConfig: oidc.Configuration;

  constructor(opts: PortalClientOptions) {
    const { config, secrets, provider } = opts;
    const base = publicBase(config);
    const issuer = issuerFor(config.publicUrl);
    const registration = portalClientConfig(config, secrets);
    this.clientId = registration.client_id;
    this.redirectUri = registration.redirect_uris[0]!;
    this.postLogoutRedirectUri = registration.post_logout_redirect_uris[0]!;
    // Metadata from the provider's own routes instead of a discovery request: no start-up
    // dependency on the gateway answering itself, and discovery answered on the internal URL
    // would name internal endpoints.
    const endpoint = (name: string) => `${issuer}${provider.pathFor(name, { mountPath: '' })}`;
    const server: oidc.ServerMetadata = {
      issuer,
      authorization_endpoint: endpoint('authorization'),
      token_endpoint: endpoint('token'),
      jwks_uri: endpoint('jwks'),
      end_session_endpoint: endpoint('end_session'),
      userinfo_endpoint: endpoint('userinfo'),
    };
    this.oidcConfig = new oidc.Configuration(
      server,
      this.clientId,
      { id_token_signed_response_alg: 'RS256' },
      oidc.ClientSecretBasic(registration.client_secret!),
    );
    this.oidcConfig[oidc.customFetch] = internalFetch(base, internalBase(config), opts.fetchImpl);
    if (issuer.startsWith('http://')) oidc.allowInsecureRequests(this.oidcConfig);
    // The internal hop may be plain HTTP across a network: check the ID token's signature too.
    oidc.enableNonRepudiationChecks(this.oidcConfig);
  }

  /** A new authorization request (code flow, PKCE S256, state and nonce). */
  async startLogin(opts: { forceLogin?: boolean } = {}): Promise<PortalLoginStart> {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const params: Record<string, string> = {
      redirect_uri: this.redirectUri,
      // The portal reads the person from the registry itself: it needs the subject only.
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    if (opts.forceLogin) params.prompt = 'login';
    return { url: oidc.buildAuthorizationUrl(this.oidcConfig, params), state, nonce, codeVerifier };
  }

  /** Redeems the code from the callback URL (as the browser saw it) and checks the ID token. */
  async finishLogin(callbackUrl: URL, checks: { state: string; nonce: string; codeVerifier: string }): Promise<PortalLoginResult> {
    const tokens = await oidc.authorizationCodeGrant(this.oidcConfig, callbackUrl, {
      pkceCodeVerifier: checks.codeVerifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (!claims || !tokens.id_token) throw new Error('portal: no ID token in the token response');
    return {
      accountId: claims.sub,
      idToken: tokens.id_token,
      accessToken: tokens.access_token,
      authTime: typeof claims.auth_time === 'number' ? claims.auth_time : undefined,
      acr: typeof claims.acr === 'string' ? claims.acr : undefined,
    };
  }

  /** RP-initiated logout at the gateway, back to the portal's "uitgelogd" page. */
  endSessionUrl(idToken: string | undefined): URL {
    const params: Record<string, string> = { post_logout_redirect_uri: this.postLogoutRedirectUri, client_id: this.clientId };
    if (idToken) params.id_token_hint = idToken;
    return oidc.buildEndSessionUrl(this.oidcConfig, params);
  }
}
