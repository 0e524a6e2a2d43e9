// What the bench processes agree on: the OIDC client, the test personas (each one already
// linked to an account, so no login needs the koppel step), the scope, and the gateway's
// configuration overrides (the same for the gateway and for the bare provider).
import { randomBytes } from 'node:crypto';
import type { PersonaInput } from '../../idp-mock/src/personas.ts';

export const BENCH_CLIENT = {
  client_id: 'bench-app',
  // A fresh secret per run; the children get it through the environment.
  redirect_uri: 'http://127.0.0.1:9/callback',
};

export const LOGIN_SCOPE = 'openid profile email phone mijnduo';
/** The refresh tokens of the token-endpoint bench carry offline_access (not rotated: confidential client). */
export const REFRESH_SCOPE = `${LOGIN_SCOPE} offline_access`;

export function newClientSecret(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * `count` personas for the mock broker. Several of them so that concurrent logins do not all
 * touch one koppeling row (a real gateway sees different people at the same moment).
 */
export function benchPersonas(count: number): PersonaInput[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `bench-${i}`,
    name: `Bench Persoon ${i}`,
    organisation: `Bench School ${i}`,
    kvk: String(90_000_000 + i),
    level: 'loa3' as const,
    machtiging: true,
    seed: `bench-persona-${i}`,
  }));
}

/** Configuration overrides for a gateway (or bare provider) answering at `publicUrl`. */
export function gatewayOverrides(opts: {
  publicUrl: string;
  port: number;
  clientSecret: string;
  brokerEntityId?: string;
  brokerMetadataUrl?: string;
  logLevel: string;
}): Record<string, unknown> {
  return {
    publicUrl: opts.publicUrl,
    listen: { host: '127.0.0.1', port: opts.port },
    ...(opts.brokerEntityId && opts.brokerMetadataUrl
      ? {
          brokers: [
            {
              entityId: opts.brokerEntityId,
              metadataUrl: opts.brokerMetadataUrl,
              metadataSigningCertFile: 'certs/idp-mock-signing.crt',
              tlsCaFile: 'certs/dev-ca.crt',
            },
          ],
        }
      : {}),
    oidc: {
      clients: [
        {
          client_id: BENCH_CLIENT.client_id,
          client_secret: opts.clientSecret,
          redirect_uris: [BENCH_CLIENT.redirect_uri],
          post_logout_redirect_uris: ['http://127.0.0.1:9/'],
          first_party: true,
        },
      ],
    },
    log: { level: opts.logLevel },
  };
}

/** Which stores a child uses, from the environment (the same rule as the tests). */
export function storeNames(env: NodeJS.ProcessEnv = process.env): { kv: string; sql: string } {
  return {
    kv: env.REDIS_URL ? 'Redis' : 'in-memory (embedded)',
    sql: env.DATABASE_URL ? 'PostgreSQL' : 'PGlite in memory (embedded)',
  };
}
