// Standalone configuration: config/idp-mock.yaml (or the file in IDP_MOCK_CONFIG), then
// environment overrides, validated with zod.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { catalogueServiceSchema } from './catalogue.ts';
import { FAILURE_MODE_NAMES, type FailureMode } from './failureModes.ts';
import { loadKeyFiles, type IdpMockKeys } from './keys.ts';
import { LEVELS, personaSchema } from './personas.ts';
import { DEFAULT_ENTITY_ID, type IdpMockOptions } from './idpMock.ts';

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');

const failureModeSchema = z.enum(FAILURE_MODE_NAMES as [FailureMode, ...FailureMode[]]);

export const idpMockConfigSchema = z.object({
  entityId: z.string().regex(/^urn:etoegang:HM:\d{20}:entities:\d{1,4}$/).default(DEFAULT_ENTITY_ID),
  /** Base URL of the HTTP side as browsers and the gateway see it. */
  publicUrl: z.string().url(),
  /** Full URL of the ArtifactResolutionService. */
  arsUrl: z.string().url(),
  listen: z.object({
    host: z.string().default('127.0.0.1'),
    httpPort: z.number().int().min(0).max(65535).default(3100),
    arsPort: z.number().int().min(0).max(65535).default(3101),
  }),
  keys: z.object({
    dir: z.string().default('certs'),
    signingKey: z.string().default('idp-mock-signing.key'),
    signingCert: z.string().default('idp-mock-signing.crt'),
    tlsKey: z.string().default('idp-mock-tls.key'),
    tlsCert: z.string().default('idp-mock-tls.crt'),
    caCert: z.string().default('dev-ca.crt'),
  }),
  dv: z
    .object({
      metadataUrl: z.string().url().optional(),
      metadataFile: z.string().optional(),
      entityId: z.string().optional(),
      metadataSigningCertFile: z.string().optional(),
      refreshSeconds: z.number().int().min(1).max(86400).default(300),
    })
    .refine((d) => Boolean(d.metadataUrl) !== Boolean(d.metadataFile), { message: 'give exactly one of metadataUrl and metadataFile' }),
  services: z.array(catalogueServiceSchema).default([]),
  defaultServiceLevel: z.enum(LEVELS).default('loa3'),
  personas: z.array(personaSchema).min(1),
  artifact: z.object({
    ttlSeconds: z.number().int().min(1).max(3600).default(60),
    delivery: z.enum(['redirect', 'post']).default('redirect'),
    unresolvable: z.enum(['empty', 'error']).default('empty'),
  }),
  ars: z.object({
    contentTypes: z.array(z.string()).min(1).default(['text/xml']),
    requireClientCert: z.boolean().default(true),
    requireDestination: z.boolean().default(true),
  }),
  sso: z.object({
    maxRequestAgeSeconds: z.number().int().min(10).max(86400).default(300),
    clockSkewSeconds: z.number().int().min(0).max(600).default(60),
    maxRelayStateBytes: z.number().int().min(0).max(10000).default(80),
    allowSha1FromDv: z.boolean().default(false),
  }),
  assertion: z.object({
    conditionsSeconds: z.number().int().min(1).default(240),
    subjectConfirmationSeconds: z.number().int().min(1).default(120),
    sessionSeconds: z.number().int().min(60).default(7200),
  }),
  noMachtigingStatus: z.enum(['RequestDenied', 'AuthnFailed']).default('RequestDenied'),
  defaultFailures: z.array(failureModeSchema).default([]),
  controlApi: z.boolean().default(true),
  metadataCacheDuration: z.string().default('PT1H'),
  log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }),
});

export type IdpMockConfig = z.infer<typeof idpMockConfigSchema>;

function setPath(obj: Record<string, unknown>, keys: string[], value: unknown): void {
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]!] = value;
}

/** Environment variables that override single fields. */
export const ENV_OVERRIDES: Array<[string, string[], (v: string) => unknown]> = [
  ['IDP_MOCK_PUBLIC_URL', ['publicUrl'], String],
  ['IDP_MOCK_ARS_URL', ['arsUrl'], String],
  ['IDP_MOCK_HOST', ['listen', 'host'], String],
  ['IDP_MOCK_HTTP_PORT', ['listen', 'httpPort'], Number],
  ['IDP_MOCK_ARS_PORT', ['listen', 'arsPort'], Number],
  ['IDP_MOCK_KEYS_DIR', ['keys', 'dir'], String],
  ['IDP_MOCK_DV_METADATA_URL', ['dv', 'metadataUrl'], String],
  ['IDP_MOCK_DV_METADATA_FILE', ['dv', 'metadataFile'], String],
  ['IDP_MOCK_FAILURES', ['defaultFailures'], (v) => v.split(',').map((s) => s.trim()).filter(Boolean)],
  ['IDP_MOCK_ARTIFACT_DELIVERY', ['artifact', 'delivery'], String],
  ['IDP_MOCK_NO_MACHTIGING_STATUS', ['noMachtigingStatus'], String],
  ['LOG_LEVEL', ['log', 'level'], String],
];

export function loadIdpMockConfig(env: NodeJS.ProcessEnv = process.env): IdpMockConfig {
  const file = env.IDP_MOCK_CONFIG ?? path.join(PROJECT_ROOT, 'config', 'idp-mock.yaml');
  const raw = (parseYaml(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
  for (const [name, keys, convert] of ENV_OVERRIDES) {
    const v = env[name];
    if (v !== undefined && v !== '') {
      setPath(raw, keys, convert(v));
      // A URL override replaces a file and the other way round.
      if (name === 'IDP_MOCK_DV_METADATA_URL') setPath(raw, ['dv', 'metadataFile'], undefined);
      if (name === 'IDP_MOCK_DV_METADATA_FILE') setPath(raw, ['dv', 'metadataUrl'], undefined);
    }
  }
  const result = idpMockConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new Error(
      `Invalid idp-mock configuration (${file}):\n` +
        result.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n'),
    );
  }
  return result.data;
}

function resolveFrom(dir: string, file: string): string {
  return path.isAbsolute(file) ? file : path.join(dir, file);
}

/** Turn the file configuration into createIdpMock options (reads the key files). */
export function optionsFromConfig(cfg: IdpMockConfig): Omit<IdpMockOptions, 'logger'> & { keys: IdpMockKeys } {
  const keyDir = resolveFrom(PROJECT_ROOT, cfg.keys.dir);
  const keys = loadKeyFiles({
    signingKey: resolveFrom(keyDir, cfg.keys.signingKey),
    signingCert: resolveFrom(keyDir, cfg.keys.signingCert),
    tlsKey: resolveFrom(keyDir, cfg.keys.tlsKey),
    tlsCert: resolveFrom(keyDir, cfg.keys.tlsCert),
    caCert: resolveFrom(keyDir, cfg.keys.caCert),
  });
  const dvSigningCert = cfg.dv.metadataSigningCertFile
    ? readFileSync(resolveFrom(PROJECT_ROOT, cfg.dv.metadataSigningCertFile), 'utf8')
    : undefined;
  return {
    entityId: cfg.entityId,
    publicUrl: cfg.publicUrl,
    arsUrl: cfg.arsUrl,
    keys,
    dv: {
      ...(cfg.dv.metadataUrl ? { url: cfg.dv.metadataUrl } : {}),
      ...(cfg.dv.metadataFile ? { file: resolveFrom(PROJECT_ROOT, cfg.dv.metadataFile) } : {}),
      ...(cfg.dv.entityId ? { entityId: cfg.dv.entityId } : {}),
      ...(dvSigningCert ? { signingCert: dvSigningCert } : {}),
      refreshSeconds: cfg.dv.refreshSeconds,
    },
    services: cfg.services,
    defaultServiceLevel: cfg.defaultServiceLevel,
    personas: cfg.personas,
    artifactTtlSeconds: cfg.artifact.ttlSeconds,
    artifactDelivery: cfg.artifact.delivery,
    unresolvableArtifact: cfg.artifact.unresolvable,
    soapContentTypes: cfg.ars.contentTypes,
    requireClientCert: cfg.ars.requireClientCert,
    requireResolveDestination: cfg.ars.requireDestination,
    noMachtigingStatus: cfg.noMachtigingStatus,
    maxRequestAgeSeconds: cfg.sso.maxRequestAgeSeconds,
    clockSkewSeconds: cfg.sso.clockSkewSeconds,
    maxRelayStateBytes: cfg.sso.maxRelayStateBytes,
    allowSha1FromDv: cfg.sso.allowSha1FromDv,
    conditionsSeconds: cfg.assertion.conditionsSeconds,
    subjectConfirmationSeconds: cfg.assertion.subjectConfirmationSeconds,
    sessionSeconds: cfg.assertion.sessionSeconds,
    defaultFailures: cfg.defaultFailures,
    controlApi: cfg.controlApi,
    metadataCacheDuration: cfg.metadataCacheDuration,
  };
}
