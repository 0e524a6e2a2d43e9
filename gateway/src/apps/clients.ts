// DUO apps as oidc-provider clients, built from config. Secrets live in files outside the
// repository (client_secret_file) or inline in a config file that is itself kept secret.
import { readFileSync } from 'node:fs';
import type { ClientMetadata } from 'oidc-provider';
import { projectPath, type Config, type OidcClientConfig } from '../config.ts';

/** Client metadata property (ours, not a standard one) that marks a first-party DUO app. */
export const FIRST_PARTY = 'urn:mijnduo:first_party';

/** Extra client metadata oidc-provider must accept on statically configured clients. */
export const EXTRA_CLIENT_METADATA = [FIRST_PARTY];

/** Optional fields a client entry may carry once config.ts knows them; read when present. */
type ClientConfigInput = OidcClientConfig & {
  backchannel_logout_uri?: string;
  backchannel_logout_session_required?: boolean;
};

export class ClientConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClientConfigError';
  }
}

function readSecret(client: OidcClientConfig): string | undefined {
  if (client.client_secret) return client.client_secret;
  if (!client.client_secret_file) return undefined;
  const file = projectPath(client.client_secret_file);
  let secret: string;
  try {
    secret = readFileSync(file, 'utf8').trim();
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : 'the file cannot be read';
    throw new ClientConfigError(
      `OIDC client "${client.client_id}": client_secret_file ${file}: ${why}`,
      { cause: err },
    );
  }
  if (secret.length < 16) {
    throw new ClientConfigError(
      `OIDC client "${client.client_id}": client_secret_file ${file} holds a secret shorter than 16 characters`,
    );
  }
  return secret;
}

/** oidc-provider metadata for one configured client. */
export function clientMetadata(input: OidcClientConfig): ClientMetadata {
  const client = input as ClientConfigInput;
  const isPublic = client.token_endpoint_auth_method === 'none';
  const secret = isPublic ? undefined : readSecret(client);
  if (!isPublic && !secret) {
    throw new ClientConfigError(
      `OIDC client "${client.client_id}": needs client_secret or client_secret_file (or token_endpoint_auth_method: none)`,
    );
  }
  const metadata: ClientMetadata = {
    client_id: client.client_id,
    ...(secret ? { client_secret: secret } : {}),
    client_name: client.name ?? client.client_id,
    redirect_uris: [...client.redirect_uris],
    post_logout_redirect_uris: [...client.post_logout_redirect_uris],
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token'],
    application_type: 'web',
    id_token_signed_response_alg: 'RS256',
    [FIRST_PARTY]: client.first_party,
  };
  if (client.backchannel_logout_uri) {
    metadata.backchannel_logout_uri = client.backchannel_logout_uri;
    metadata.backchannel_logout_session_required = client.backchannel_logout_session_required ?? true;
  }
  return metadata;
}

/** Metadata of every configured client; throws one clear error for a missing secret. */
export function clientsFromConfig(config: Pick<Config, 'oidc'>): ClientMetadata[] {
  const seen = new Set<string>();
  return config.oidc.clients.map((c) => {
    if (seen.has(c.client_id)) throw new ClientConfigError(`OIDC client "${c.client_id}" is configured twice`);
    seen.add(c.client_id);
    return clientMetadata(c);
  });
}

/** True for a client marked first_party in config (skips the consent screen). */
export function isFirstParty(client: { [key: string]: unknown } | undefined | null): boolean {
  return client?.[FIRST_PARTY] === true;
}

/**
 * Origins the browser is sent to after a form on the gateway (login finished, logout
 * confirmed). A `form-action` CSP directive must allow them, or browsers block the redirect
 * that follows the form POST.
 */
export function clientOrigins(config: Pick<Config, 'oidc'>): string[] {
  const origins = new Set<string>();
  for (const c of config.oidc.clients) {
    for (const uri of [...c.redirect_uris, ...c.post_logout_redirect_uris]) origins.add(new URL(uri).origin);
  }
  return [...origins];
}
