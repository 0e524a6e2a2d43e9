// `mijnduo keys generate-dev|show`
import type { Clock } from '../clock.ts';
import { keyPath, type Config } from '../config.ts';
import { ensureDevKeys } from '../keys/DevKeys.ts';
import { certInfo, daysLeft, keysDir, loadKeyMaterial, KeyMaterialError } from '../keys/KeyLoader.ts';
import type { KeyMaterial } from '../keys/KeyMaterial.ts';
import { CliUserError } from './context.ts';

type KeysContext = { config: Config; clock: Clock; out: (line: string) => void; keys?: KeyMaterial };

/** Warn when a certificate has fewer days left than this. */
export const EXPIRY_WARNING_DAYS = 30;

export async function generateDevKeys(ctx: Pick<KeysContext, 'config' | 'out'>): Promise<{ dir: string; created: string[] }> {
  if (ctx.config.env === 'production') {
    throw new CliUserError(
      'Ontwikkelsleutels worden nooit in productie gemaakt.',
      'Development keys are never generated in production.',
    );
  }
  const dir = keysDir(ctx.config);
  const { created } = await ensureDevKeys(dir, { oin: ctx.config.service.oin });
  ctx.out(
    created.length
      ? `Aangemaakt in / created in ${dir}: ${created.join(', ')}`
      : `Alles was er al / nothing missing in ${dir}`,
  );
  return { dir, created };
}

export interface CertRow {
  name: string;
  file: string;
  subject: string;
  sha256Fingerprint: string;
  sha1Fingerprint: string;
  notAfter: Date;
  daysLeft: number;
}

export interface KeysReport {
  certificates: CertRow[];
  jwks: Array<{ kid: string; kty: string; alg: string | undefined }>;
}

export async function showKeys(ctx: KeysContext): Promise<KeysReport> {
  let km: KeyMaterial;
  try {
    km = ctx.keys ?? (await loadKeyMaterial(ctx.config));
  } catch (err) {
    if (err instanceof KeyMaterialError) {
      throw new CliUserError(
        `Sleutel ontbreekt of is onleesbaar: ${err.message}. Ontwikkeling: mijnduo keys generate-dev`,
        `Key missing or unreadable: ${err.message}. Development: mijnduo keys generate-dev`,
      );
    }
    throw err;
  }
  const cfg = ctx.config;
  const now = ctx.clock.now();
  const entries: Array<[string, string, string]> = [
    ['SAML SP (signing + encryption)', keyPath(cfg, cfg.keys.spCert), km.sp.certPem],
    ['TLS client (artifact resolution)', keyPath(cfg, cfg.keys.tlsClientCert), km.tlsClient.certPem],
  ];
  if (km.spPrevious && cfg.keys.spPreviousKey) {
    entries.splice(1, 0, ['SAML SP previous (decrypt only)', keyPath(cfg, cfg.keys.spPreviousKey), km.spPrevious.certPem]);
  }
  const certificates: CertRow[] = entries.map(([name, file, pem]) => {
    const info = certInfo(pem);
    return {
      name,
      file,
      subject: info.subject,
      sha256Fingerprint: info.sha256Fingerprint,
      sha1Fingerprint: info.sha1Fingerprint,
      notAfter: info.notAfter,
      daysLeft: daysLeft(info.notAfter, now),
    };
  });
  for (const c of certificates) {
    ctx.out(c.name);
    ctx.out(`  file      ${c.file}`);
    ctx.out(`  subject   ${c.subject}`);
    ctx.out(`  sha256    ${c.sha256Fingerprint}`);
    ctx.out(`  sha1      ${c.sha1Fingerprint}`);
    const warn =
      c.daysLeft < 0
        ? '  VERLOPEN / EXPIRED'
        : c.daysLeft < EXPIRY_WARNING_DAYS
          ? '  LET OP: verloopt binnenkort / WARNING: expires soon'
          : '';
    ctx.out(`  notAfter  ${c.notAfter.toISOString()}  (${c.daysLeft} dagen / days left)${warn}`);
  }
  const jwks = km.oidcJwks.keys.map((k) => ({
    kid: String(k.kid ?? ''),
    kty: k.kty,
    alg: typeof k.alg === 'string' ? k.alg : undefined,
  }));
  ctx.out('OIDC signing keys (JWKS, first signs)');
  for (const k of jwks) ctx.out(`  ${k.alg ?? '?'}  ${k.kty}  kid ${k.kid}`);
  return { certificates, jwks };
}
