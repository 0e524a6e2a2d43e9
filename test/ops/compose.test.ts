// docker-compose.yml cannot run here (no Docker engine), so its shape is checked instead: the
// services issue 5 asks for, their healthchecks and start order, two identical gateway
// replicas behind the proxy, Redis with AOF; config/compose.yaml passes the production rules;
// the proxy config and the certificate script fit; the docs name only metrics that exist.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { loadConfig, PROJECT_ROOT, type Config } from '../../gateway/src/config.ts';
import { Metrics } from '../../gateway/src/ops/Metrics.ts';
import { loadKeyFiles } from '../../idp-mock/src/keys.ts';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  expose?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
}

const file = (p: string): string => readFileSync(path.join(PROJECT_ROOT, p), 'utf8');
const compose = parse(file('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;

function seconds(d: string | undefined): number {
  const m = /^(\d+)s$/.exec(d ?? '');
  return m ? Number(m[1]) : NaN;
}

describe('ops: docker-compose.yml, config/compose.yaml, the proxy and the Dockerfile', () => {
  let config: Config;

  before(() => {
    const gw = services['gateway-1']!;
    config = loadConfig({
      env: { ...gw.environment, PGPASSWORD: 'unused', MIJNDUO_CONFIG: path.join(PROJECT_ROOT, 'config', 'compose.yaml') },
    });
  });

  it('has redis, postgres, two gateway replicas, the proxy and the mock broker (and its helpers)', () => {
    assert.deepEqual(Object.keys(services).sort(), ['gateway-1', 'gateway-2', 'idp-mock', 'init-certs', 'mailpit', 'postgres', 'proxy', 'redis']);
  });

  it('every dependency exists, there is no cycle, every named volume is declared', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string): void => {
      assert.ok(services[name], `depends on unknown service ${name}`);
      assert.ok(!visiting.has(name), `dependency cycle through ${name}`);
      if (done.has(name)) return;
      visiting.add(name);
      for (const dep of Object.keys(services[name]!.depends_on ?? {})) visit(dep);
      visiting.delete(name);
      done.add(name);
    };
    for (const name of Object.keys(services)) visit(name);
    for (const s of Object.values(services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (source.startsWith('.')) assert.ok(existsSync(path.join(PROJECT_ROOT, source)) || source === './certs', `bind mount ${source} exists`);
        else assert.ok(source in compose.volumes, `volume ${source} declared`);
      }
    }
  });

  it('Redis keeps its data with AOF, never evicts, and is healthchecked', () => {
    const r = services.redis!;
    const cmd = r.command!.join(' ');
    assert.match(cmd, /--appendonly yes/);
    assert.match(cmd, /--appendfsync (always|everysec)/);
    assert.match(cmd, /--maxmemory-policy noeviction/);
    assert.ok(r.volumes!.some((v) => v.endsWith(':/data')), 'AOF on a volume');
    assert.deepEqual(r.healthcheck!.test, ['CMD', 'redis-cli', 'ping']);
  });

  it('PostgreSQL keeps its data on a volume, its password from .env, and is healthchecked', () => {
    const p = services.postgres!;
    assert.ok(p.volumes!.some((v) => v.endsWith(':/var/lib/postgresql/data')));
    assert.match(p.environment!.POSTGRES_PASSWORD!, /^\$\{POSTGRES_PASSWORD:\?/);
    assert.equal(p.healthcheck!.test[1], 'pg_isready');
  });

  it('the two gateway replicas are identical, start after healthy stores and broker, and are checked on /health/ready', () => {
    const [a, b] = [services['gateway-1']!, services['gateway-2']!];
    assert.deepEqual(a, b);
    assert.equal(a.environment!.NODE_ENV, 'production');
    assert.equal(a.environment!.MIJNDUO_CONFIG, '/app/config/compose.yaml');
    assert.equal(new URL(a.environment!.REDIS_URL!).hostname, 'redis');
    const db = new URL(a.environment!.DATABASE_URL!);
    assert.equal(db.hostname, 'postgres');
    assert.equal(db.password, '', 'no password in the URL (PGPASSWORD from .env)');
    for (const dep of ['redis', 'postgres', 'idp-mock']) assert.equal(a.depends_on![dep]?.condition, 'service_healthy', dep);
    assert.match(a.healthcheck!.test.join(' '), new RegExp(`127\\.0\\.0\\.1:${config.listen.port}/health/ready`));
    assert.equal(a.ports, undefined, 'reachable only through the proxy');
    assert.deepEqual(a.expose, [String(config.listen.port), String(config.ops.listen!.port)]);
    assert.ok(seconds(a.stop_grace_period) * 1000 > config.ops.shutdownGraceMs, 'docker waits longer than the shutdown grace period');
  });

  it('config/compose.yaml passes the production rules: https behind a trusted TLS proxy, real stores, no generated keys', () => {
    assert.equal(config.env, 'production');
    assert.match(config.publicUrl, /^https:\/\//);
    assert.equal(config.trustProxy, true);
    assert.equal(config.keys.generateDevKeys, false);
    assert.equal(config.listen.host, '0.0.0.0');
    assert.equal(config.ops.listen?.host, '0.0.0.0');
    assert.equal(config.ops.metricsToken, undefined, 'metrics only on the internal port');
    const mock = services['idp-mock']!.environment!;
    assert.equal(new URL(config.brokers[0]!.metadataUrl!).origin, mock.IDP_MOCK_PUBLIC_URL, 'the gateways read the metadata where the browser meets the broker');
    assert.equal(new URL(mock.IDP_MOCK_ARS_URL!).hostname, 'idp-mock');
    assert.equal(new URL(mock.IDP_MOCK_DV_METADATA_URL!).hostname, 'gateway-1');
  });

  it('the proxy: TLS on the published port, both replicas upstream, forwarded headers, probes and metrics not exposed', () => {
    const p = services.proxy!;
    assert.equal(p.depends_on!['gateway-1']?.condition, 'service_healthy');
    assert.equal(p.depends_on!['gateway-2']?.condition, 'service_healthy');
    const port = new URL(config.publicUrl).port;
    assert.deepEqual(p.ports, [`${port}:${port}`]);
    const conf = file('deploy/compose/nginx.conf').replace(/#.*$/gm, '');
    assert.match(conf, new RegExp(`listen ${port} ssl;`));
    for (const g of ['gateway-1', 'gateway-2']) assert.match(conf, new RegExp(`server ${g}:${config.listen.port}\\b`));
    assert.match(conf, /proxy_set_header X-Forwarded-Proto https;/);
    assert.match(conf, /proxy_set_header X-Request-Id \$request_id;/);
    assert.match(conf, /location \/health\/ \{ return 404; \}/);
    assert.match(conf, /location = \/metrics \{ return 404; \}/);
    assert.match(conf, /proxy_next_upstream error;/);
    assert.doesNotMatch(conf, /ip_hash|sticky/, 'replicas are stateless: no sticky sessions');
  });

  it('the Dockerfile runs node itself (so SIGTERM reaches the gateway) and exposes both ports', () => {
    const df = file('Dockerfile');
    assert.match(df, /^CMD \["node", "--import", "tsx", "gateway\/src\/main\.ts"\]$/m);
    assert.match(df, /^EXPOSE 3000 9464$/m);
    assert.match(df, /^USER node$/m);
  });

  const haveOpenssl = (process.env.PATH ?? '').split(path.delimiter).some((d) => d && existsSync(path.join(d, 'openssl')));
  if (haveOpenssl) it('init-certs.sh issues TLS certificates the gateway accepts for idp-mock and browsers for localhost', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'mijnduo-init-certs-'));
    try {
      await promisify(execFile)('sh', [path.join(PROJECT_ROOT, 'deploy/compose/init-certs.sh')], {
        env: { ...process.env, CERTS: path.join(PROJECT_ROOT, 'certs'), MOCK_KEYS: path.join(out, 'mock'), PROXY_TLS: path.join(out, 'proxy'), MOCK_UID: String(process.getuid?.() ?? 0) },
      });
      const ca = new X509Certificate(readFileSync(path.join(PROJECT_ROOT, 'certs', 'dev-ca.crt')));
      const mockTls = new X509Certificate(readFileSync(path.join(out, 'mock', 'idp-mock-tls.crt')));
      assert.ok(mockTls.verify(ca.publicKey), 'issued by the development CA (the gateway trusts it via tlsCaFile)');
      assert.equal(mockTls.checkHost('idp-mock'), 'idp-mock');
      const proxyTls = new X509Certificate(readFileSync(path.join(out, 'proxy', 'proxy.crt')));
      assert.ok(proxyTls.verify(ca.publicKey));
      assert.equal(proxyTls.checkHost('localhost'), 'localhost');
      // The mock broker can read everything it needs from its keys volume.
      const dir = path.join(out, 'mock');
      loadKeyFiles({
        signingKey: path.join(dir, 'idp-mock-signing.key'),
        signingCert: path.join(dir, 'idp-mock-signing.crt'),
        tlsKey: path.join(dir, 'idp-mock-tls.key'),
        tlsCert: path.join(dir, 'idp-mock-tls.crt'),
        caCert: path.join(dir, 'dev-ca.crt'),
      });
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('docs/operations.md names only metrics the gateway exports', () => {
    const doc = file('docs/operations.md');
    const named = new Set([...doc.matchAll(/\bmijnduo_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')));
    assert.ok(named.size >= 8, 'the metrics are documented');
    const exported = new Set(new Metrics().registry.getMetricsAsArray().map((m) => m.name));
    for (const n of named) assert.ok(exported.has(n), `${n} is documented but not exported`);
    for (const n of exported) assert.ok(named.has(n), `${n} is exported but not documented`);
  });
});
