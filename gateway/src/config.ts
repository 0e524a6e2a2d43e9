// Configuration: config/default.yaml, then config/<NODE_ENV>.yaml, then the file named by
// MIJNDUO_CONFIG, then environment overrides. Validated once at start-up; every bad field is
// reported on its own line so an operator can fix them all in one go.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');

const oin = z.string().regex(/^\d{20}$/, 'an OIN has exactly 20 digits');
const entityIdDv = z
  .string()
  .regex(/^urn:etoegang:DV:\d{20}:entities:\d{1,4}$/, 'must look like urn:etoegang:DV:<OIN>:entities:<index>');
const serviceIdDv = z
  .string()
  .regex(/^urn:etoegang:DV:\d{20}:services:\d+$/, 'must look like urn:etoegang:DV:<OIN>:services:<index>');
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID');
const httpUrl = z.string().url().refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL');

export const LOA_LEVELS = [
  'urn:etoegang:core:assurance-class:loa3',
  'urn:etoegang:core:assurance-class:loa4',
] as const;

const brokerSchema = z
  .object({
    /** Broker EntityID (urn:etoegang:HM:…). */
    entityId: z.string().min(1),
    /** Signed broker metadata, from a file or a URL (one of the two). */
    metadataFile: z.string().optional(),
    metadataUrl: httpUrl.optional(),
    /** Certificate (PEM) that must have signed the broker metadata. */
    metadataSigningCertFile: z.string(),
    /** CA (PEM) that issued the broker's TLS server certificate on the back channel. */
    tlsCaFile: z.string(),
    /** Brokers disagree on the SOAP content type; OneWelcome and Signicat want text/xml. */
    soapContentType: z.enum(['text/xml', 'application/soap+xml']).default('text/xml'),
    /** Which binding to send the AuthnRequest with. */
    requestBinding: z.enum(['POST', 'Redirect']).default('POST'),
  })
  .refine((b) => Boolean(b.metadataFile) !== Boolean(b.metadataUrl), {
    message: 'give exactly one of metadataFile and metadataUrl',
  });

const oidcClientSchema = z.object({
  client_id: z.string().min(1),
  /** Secret for confidential clients; read from clientSecretFile or env when not inline. */
  client_secret: z.string().min(16).optional(),
  client_secret_file: z.string().optional(),
  redirect_uris: z.array(httpUrl).min(1),
  post_logout_redirect_uris: z.array(httpUrl).default([]),
  token_endpoint_auth_method: z
    .enum(['client_secret_basic', 'client_secret_post', 'none'])
    .default('client_secret_basic'),
  /** First-party DUO apps skip the consent screen. */
  first_party: z.boolean().default(true),
  name: z.string().optional(),
});

export const configSchema = z
  .object({
    env: z.enum(['development', 'test', 'production']).default('development'),
    /** Public base URL of the gateway, as browsers and brokers see it. */
    publicUrl: httpUrl,
    listen: z.object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535),
    }),
    /** Trust X-Forwarded-* from a reverse proxy in front of the gateway. */
    trustProxy: z.boolean().default(false),
    service: z.object({
      oin,
      entityId: entityIdDv,
      serviceId: serviceIdDv,
      serviceUuid: uuid,
      /** ServiceInstance UUID in the dienstcatalogus. */
      serviceInstanceUuid: uuid,
      attributeConsumingServiceIndex: z.number().int().min(0),
      assertionConsumerServiceIndex: z.number().int().min(0).default(0),
      minimumLevel: z.enum(LOA_LEVELS).default('urn:etoegang:core:assurance-class:loa3'),
      name: z.object({ nl: z.string().max(64), en: z.string().max(64) }),
      description: z.object({ nl: z.string().max(1024), en: z.string().max(1024) }),
      organisationName: z.object({ nl: z.string().max(64), en: z.string().max(64) }),
      contact: z.object({
        email: z.string().email(),
        phone: z.string().min(1),
        name: z.string().min(1),
      }),
    }),
    brokers: z.array(brokerSchema).min(1, 'at least one trusted broker is needed'),
    saml: z.object({
      /** Allowed clock difference with the broker. Negative or huge values are refused. */
      clockSkewSeconds: z.number().int().min(0).max(300),
      /** Oldest AuthnInstant/IssueInstant we accept. */
      maxAssertionAgeSeconds: z.number().int().min(30).max(3600),
      /** How long an AuthnRequest may stay open in the browser. */
      requestTtlSeconds: z.number().int().min(60).max(3600),
      artifactResolve: z.object({
        connectTimeoutMs: z.number().int().min(100).max(30000),
        totalTimeoutMs: z.number().int().min(100).max(60000),
        maxResponseBytes: z.number().int().min(1024).max(10_000_000),
      }),
    }),
    stores: z.object({
      /** Unset → embedded in-memory KeyValue store (single process only). */
      redisUrl: z.string().url().optional(),
      /** Unset → embedded PGlite. */
      databaseUrl: z.string().url().optional(),
      /** PGlite data directory; "memory" keeps it in memory (tests). */
      pgliteDir: z.string().default('data/pglite'),
      /** Prefix for every Redis key, so a shared server keeps our keys apart. */
      keyPrefix: z.string().min(1).default('mijnduo:'),
    }),
    keys: z.object({
      /** Directory for generated development keys; relative to the project root. */
      dir: z.string().default('certs'),
      /** Generate missing development keys at start-up (never in production). */
      generateDevKeys: z.boolean().default(false),
      spKey: z.string().default('sp-saml.key'),
      spCert: z.string().default('sp-saml.crt'),
      /** Previous SP key, still tried for decryption during a rollover. */
      spPreviousKey: z.string().optional(),
      tlsClientKey: z.string().default('sp-tls-client.key'),
      tlsClientCert: z.string().default('sp-tls-client.crt'),
      oidcJwks: z.string().default('oidc-jwks.json'),
      /** Cookie signing keys and keyed-hash secrets (JSON). */
      secrets: z.string().default('secrets.json'),
    }),
    oidc: z.object({
      clients: z.array(oidcClientSchema).min(1),
      ttl: z.object({
        accessTokenSeconds: z.number().int().min(60).max(86400).default(600),
        idTokenSeconds: z.number().int().min(60).max(86400).default(600),
        refreshTokenSeconds: z.number().int().min(300).max(30 * 86400).default(8 * 3600),
        sessionSeconds: z.number().int().min(300).max(86400).default(8 * 3600),
        interactionSeconds: z.number().int().min(300).max(7200).default(3600),
      }),
    }),
    koppel: z.object({
      activationCodeTtlHours: z.number().int().min(1).max(24 * 14).default(24),
      maxFailedAttempts: z.number().int().min(1).max(20).default(5),
      lockMinutes: z.number().int().min(1).max(24 * 60).default(15),
      unlinkAfterMonths: z.number().int().min(1).max(120).default(18),
      termsUrl: z.string().default('/voorwaarden'),
      termsVersion: z.string().default('2021-10'),
      disclaimerVersion: z.string().default('2021-10'),
    }),
    portal: z.object({
      sectors: z
        .array(z.object({ id: z.string().regex(/^[a-z0-9-]+$/), nl: z.string(), en: z.string() }))
        .min(1),
      // The Mijn DUO portal is a first-party OIDC client of this gateway (gateway/src/portal).
      /** Its client id; added to the OIDC clients automatically, secret derived from keys.secrets. */
      clientId: z.string().regex(/^[a-z0-9-]{3,64}$/, 'lower-case letters, digits and dashes (3 to 64)').default('mijnduo-portal'),
      /**
       * Base URL the portal uses to reach this gateway's own token endpoint server-to-server
       * (behind a proxy the public URL may not be reachable from inside). Unset → the listen address.
       */
      internalUrl: httpUrl.optional(),
      session: z
        .object({
          /** Portal session ends after this many minutes without a request. */
          idleMinutes: z.number().int().min(1).max(240).default(15),
          /** Hard limit after login; unset → the gateway session (oidc.ttl.sessionSeconds). Never longer. */
          absoluteMinutes: z.number().int().min(5).max(1440).optional(),
        })
        .prefault({}),
      /** Tasks (Onderwerpen) in Mijn DUO: id → titles and where the task lives. */
      onderwerpen: z
        .record(
          z.string().regex(/^[a-z0-9-]+$/, 'onderwerp ids are lower-case letters, digits and dashes'),
          z.object({
            nl: z.string().min(1).max(100),
            en: z.string().min(1).max(100),
            url: z
              .string()
              .refine((u) => /^https?:\/\/[^\s]+$/.test(u) || /^\/(?![/\\])[^\s]*$/.test(u), 'must be an http(s) URL or a path starting with /'),
          }),
        )
        .default({}),
      /** Rol → the onderwerpen that rol gives access to (ids from portal.onderwerpen). */
      rollen: z.record(z.string().min(1).max(100), z.array(z.string())).default({}),
      /** Onderwerp ids for the tile Snel naar, in this order (only those the rollen allow are shown). */
      snelNaar: z.array(z.string()).default([]),
    }),
    mail: z.object({
      /** SMTP URL; unset → mails are written to the log directory (development). */
      smtpUrl: z.string().optional(),
      from: z.string().default('Mijn DUO zakelijk <noreply@duo.nl>'),
      outboxDir: z.string().default('data/outbox'),
    }),
    log: z.object({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    }),
    /** Operations: health, metrics, store probes, shutdown (docs/operations.md). */
    ops: z
      .object({
        /** Separate listener for /metrics and a copy of /health/*; unset → none. Keep it internal. */
        listen: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535) }).optional(),
        /** Also serve /metrics on the main port, only with `Authorization: Bearer <token>`. Unset → never there. */
        metricsToken: z.string().min(32).optional(),
        /** Readiness: each dependency must answer within this. */
        readyTimeoutMs: z.number().int().min(50).max(10_000).default(1000),
        /** While a store is down, it is pinged this often so the gateway recovers by itself. */
        storeProbeIntervalMs: z.number().int().min(50).max(60_000).default(1000),
        /** Shutdown: how long requests in flight may take before their connections are cut. */
        shutdownGraceMs: z.number().int().min(0).max(120_000).default(10_000),
        /**
         * Load shedding: while the event-loop delay (worst lateness of a timer over windowMs) is above
         * maxEventLoopDelayMs, new logins get the 503 page at once; logins under way go on.
         * 0 turns it off. Keep it well below saml.artifactResolve.totalTimeoutMs.
         */
        overload: z
          .object({
            maxEventLoopDelayMs: z.number().int().min(0).max(60_000).default(1000),
            windowMs: z.number().int().min(100).max(60_000).default(1000),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .superRefine((cfg, ctx) => {
    // The ServiceID must belong to our own OIN: a ServiceID is bound to the DV that registered it.
    if (!cfg.service.serviceId.startsWith(`urn:etoegang:DV:${cfg.service.oin}:`)) {
      ctx.addIssue({ code: 'custom', path: ['service', 'serviceId'], message: 'must carry service.oin' });
    }
    if (!cfg.service.entityId.startsWith(`urn:etoegang:DV:${cfg.service.oin}:`)) {
      ctx.addIssue({ code: 'custom', path: ['service', 'entityId'], message: 'must carry service.oin' });
    }
    // The portal's onderwerpen, rollen and session must fit together and with the OIDC side.
    const onderwerpIds = Object.keys(cfg.portal.onderwerpen);
    for (const [rol, ids] of Object.entries(cfg.portal.rollen)) {
      ids.forEach((id, i) => {
        if (!onderwerpIds.includes(id)) {
          ctx.addIssue({ code: 'custom', path: ['portal', 'rollen', rol, i], message: `unknown onderwerp "${id}"; known: ${onderwerpIds.join(', ') || '(none)'}` });
        }
      });
    }
    cfg.portal.snelNaar.forEach((id, i) => {
      if (!onderwerpIds.includes(id)) {
        ctx.addIssue({ code: 'custom', path: ['portal', 'snelNaar', i], message: `unknown onderwerp "${id}"; known: ${onderwerpIds.join(', ') || '(none)'}` });
      }
    });
    if (cfg.oidc.clients.some((c) => c.client_id === cfg.portal.clientId)) {
      ctx.addIssue({ code: 'custom', path: ['portal', 'clientId'], message: `"${cfg.portal.clientId}" is also configured in oidc.clients; the portal client is added automatically` });
    }
    const absolute = cfg.portal.session.absoluteMinutes;
    if (absolute !== undefined && absolute * 60 > cfg.oidc.ttl.sessionSeconds) {
      ctx.addIssue({ code: 'custom', path: ['portal', 'session', 'absoluteMinutes'], message: `must not exceed the gateway session (oidc.ttl.sessionSeconds = ${cfg.oidc.ttl.sessionSeconds} s)` });
    }
    if (cfg.portal.session.idleMinutes * 60 > (absolute !== undefined ? absolute * 60 : cfg.oidc.ttl.sessionSeconds)) {
      ctx.addIssue({ code: 'custom', path: ['portal', 'session', 'idleMinutes'], message: 'must not exceed the absolute session length' });
    }
    if (cfg.env === 'production') {
      if (!cfg.stores.redisUrl) ctx.addIssue({ code: 'custom', path: ['stores', 'redisUrl'], message: 'required in production' });
      if (!cfg.stores.databaseUrl) ctx.addIssue({ code: 'custom', path: ['stores', 'databaseUrl'], message: 'required in production' });
      if (cfg.keys.generateDevKeys) ctx.addIssue({ code: 'custom', path: ['keys', 'generateDevKeys'], message: 'must be false in production' });
      if (!cfg.publicUrl.startsWith('https://')) ctx.addIssue({ code: 'custom', path: ['publicUrl'], message: 'must be https in production' });
    }
  });

export type Config = z.infer<typeof configSchema>;
export type BrokerConfig = Config['brokers'][number];
export type OidcClientConfig = Config['oidc']['clients'][number];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge where arrays and scalars of `over` replace those of `base`. */
export function mergeConfig(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    const cur = out[k];
    out[k] = isPlain(cur) && isPlain(v) ? mergeConfig(cur, v) : v;
  }
  return out;
}

function readYaml(file: string): Plain {
  const parsed: unknown = parseYaml(readFileSync(file, 'utf8'));
  if (parsed == null) return {};
  if (!isPlain(parsed)) throw new ConfigError([`${file}: the top level must be a mapping`]);
  return parsed;
}

/** Environment variables that override single fields, for twelve-factor deployments. */
const ENV_OVERRIDES: Array<[string, string[], (v: string) => unknown]> = [
  ['PUBLIC_URL', ['publicUrl'], String],
  ['PORT', ['listen', 'port'], Number],
  ['HOST', ['listen', 'host'], String],
  ['REDIS_URL', ['stores', 'redisUrl'], String],
  ['DATABASE_URL', ['stores', 'databaseUrl'], String],
  ['MIJNDUO_KEY_PREFIX', ['stores', 'keyPrefix'], String],
  ['MIJNDUO_KEYS_DIR', ['keys', 'dir'], String],
  ['SMTP_URL', ['mail', 'smtpUrl'], String],
  ['LOG_LEVEL', ['log', 'level'], String],
  ['OPS_HOST', ['ops', 'listen', 'host'], String],
  ['OPS_PORT', ['ops', 'listen', 'port'], Number],
  ['METRICS_TOKEN', ['ops', 'metricsToken'], String],
];

function setPath(obj: Plain, keys: string[], value: unknown): void {
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (!isPlain(cur[k])) cur[k] = {};
    cur = cur[k] as Plain;
  }
  cur[keys[keys.length - 1]!] = value;
}

export interface LoadConfigOptions {
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Directory holding default.yaml and friends. */
  configDir?: string;
  /** Extra values merged last (tests, the dev starter). */
  overrides?: Plain;
}

export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const dir = opts.configDir ?? path.join(PROJECT_ROOT, 'config');
  const name = env.NODE_ENV === 'production' || env.NODE_ENV === 'test' ? env.NODE_ENV : 'development';
  let raw = readYaml(path.join(dir, 'default.yaml'));
  const envFile = path.join(dir, `${name}.yaml`);
  if (existsSync(envFile)) raw = mergeConfig(raw, readYaml(envFile));
  if (env.MIJNDUO_CONFIG) {
    if (!existsSync(env.MIJNDUO_CONFIG)) throw new ConfigError([`MIJNDUO_CONFIG: no such file ${env.MIJNDUO_CONFIG}`]);
    raw = mergeConfig(raw, readYaml(env.MIJNDUO_CONFIG));
  }
  raw.env = name;
  for (const [variable, keys, convert] of ENV_OVERRIDES) {
    const v = env[variable];
    if (v !== undefined && v !== '') setPath(raw, keys, convert(v));
  }
  if (opts.overrides) raw = mergeConfig(raw, opts.overrides);
  return parseConfig(raw);
}

export function parseConfig(raw: unknown): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
    );
  }
  return result.data;
}

/** Resolve a key file name against the configured key directory. */
export function keyPath(cfg: Config, file: string): string {
  const dir = path.isAbsolute(cfg.keys.dir) ? cfg.keys.dir : path.join(PROJECT_ROOT, cfg.keys.dir);
  return path.isAbsolute(file) ? file : path.join(dir, file);
}

/** Resolve a path from config against the project root. */
export function projectPath(p: string): string {
  return path.isAbsolute(p) ? p : path.join(PROJECT_ROOT, p);
}
