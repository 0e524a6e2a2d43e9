import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { loadConfig, type Config } from '../../gateway/src/config.ts';
import { DEV_KEY_FILES, DEV_OIN, ensureDevKeys, jwkThumbprint } from '../../gateway/src/keys/DevKeys.ts';
import { certInfo, KeyMaterialError, loadKeyMaterial, prepareKeys } from '../../gateway/src/keys/KeyLoader.ts';

const ALL_FILES = Object.values(DEV_KEY_FILES).sort();
const PRIVATE_FILES = [
  'dev-ca.key',
  'sp-saml.key',
  'sp-tls-client.key',
  'idp-mock-signing.key',
  'idp-mock-tls.key',
  'oidc-jwks.json',
  'secrets.json',
  'demo-app.secret',
];

function configFor(dir: string, extra: Record<string, unknown> = {}): Config {
  return loadConfig({ env: { NODE_ENV: 'test' }, overrides: { keys: { dir, ...extra } } });
}

async function x509(dir: string, file: string): Promise<crypto.X509Certificate> {
  return new crypto.X509Certificate(await fs.readFile(path.join(dir, file)));
}

describe('development keys', function () {
  this.timeout(60_000);
  let dir: string;
  let firstRun: { created: string[] };

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mijnduo-devkeys-'));
    firstRun = await ensureDevKeys(dir);
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('creates every file on the first run', async () => {
    assert.deepEqual([...firstRun.created].sort(), ALL_FILES);
    const present = (await fs.readdir(dir)).sort();
    assert.deepEqual(present, ALL_FILES, 'no temporary or lock files are left behind');
  });

  it('keeps private files readable by the owner only', async () => {
    for (const f of PRIVATE_FILES) {
      const st = await fs.stat(path.join(dir, f));
      assert.equal(st.mode & 0o777, 0o600, f);
    }
  });

  it('writes PKCS#8 keys of RSA 2048', async () => {
    for (const f of PRIVATE_FILES.filter((f) => f.endsWith('.key'))) {
      const pem = await fs.readFile(path.join(dir, f), 'utf8');
      assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/, f);
      const key = crypto.createPrivateKey(pem);
      assert.equal(key.asymmetricKeyType, 'rsa');
      assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
    }
  });

  it('makes a CA valid 5 years that is a CA', async () => {
    const ca = await x509(dir, 'dev-ca.crt');
    assert.equal(ca.ca, true);
    assert.ok(ca.verify(ca.publicKey), 'self-signed');
    const years = (Date.parse(ca.validTo) - Date.parse(ca.validFrom)) / (365 * 24 * 3600 * 1000);
    assert.ok(years > 4.99 && years < 5.01, `about 5 years, got ${years}`);
  });

  it('makes a self-signed SP SAML certificate for the OIN, 2 years, matching its key', async () => {
    const cert = await x509(dir, 'sp-saml.crt');
    assert.ok(cert.verify(cert.publicKey), 'self-signed');
    assert.equal(cert.ca, false);
    assert.match(cert.subject, /O=DUO dev/);
    assert.match(cert.subject, new RegExp(`serialNumber=${DEV_OIN}`));
    assert.ok(cert.checkPrivateKey(crypto.createPrivateKey(await fs.readFile(path.join(dir, 'sp-saml.key')))));
    const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / (24 * 3600 * 1000);
    assert.ok(days > 729 && days < 732, `about 2 years, got ${days} days`);
    assert.ok(Date.parse(cert.validFrom) <= Date.now(), 'valid already');
  });

  it('issues the TLS client certificate from the CA, for clientAuth', async () => {
    const ca = await x509(dir, 'dev-ca.crt');
    const client = await x509(dir, 'sp-tls-client.crt');
    assert.ok(client.checkIssued(ca), 'issued by the dev CA');
    assert.ok(client.verify(ca.publicKey), 'signature verifies with the CA key');
    assert.ok(client.keyUsage?.includes('1.3.6.1.5.5.7.3.2'), 'extendedKeyUsage clientAuth');
    assert.ok(!client.keyUsage?.includes('1.3.6.1.5.5.7.3.1'), 'not serverAuth');
  });

  it('issues the mock broker TLS certificate from the CA, serverAuth, for localhost and loopback', async () => {
    const ca = await x509(dir, 'dev-ca.crt');
    const server = await x509(dir, 'idp-mock-tls.crt');
    assert.ok(server.verify(ca.publicKey));
    assert.ok(server.keyUsage?.includes('1.3.6.1.5.5.7.3.1'), 'serverAuth');
    assert.equal(server.checkHost('localhost'), 'localhost');
    assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
    assert.ok(server.checkIP('::1'), 'IPv6 loopback');
    const signing = await x509(dir, 'idp-mock-signing.crt');
    assert.ok(signing.verify(signing.publicKey), 'broker signing cert is self-signed');
  });

  it('a real mutual-TLS handshake works with these certificates', async () => {
    const tls = await import('node:tls');
    const read = (f: string) => fs.readFile(path.join(dir, f));
    const server = tls.createServer({
      key: await read('idp-mock-tls.key'),
      cert: await read('idp-mock-tls.crt'),
      ca: await read('dev-ca.crt'),
      requestCert: true,
      rejectUnauthorized: true,
    });
    let peerCn = '';
    server.on('secureConnection', (s) => {
      peerCn = String(s.getPeerCertificate().subject?.CN ?? '');
      s.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const [key, cert, ca] = await Promise.all([read('sp-tls-client.key'), read('sp-tls-client.crt'), read('dev-ca.crt')]);
      const reply = await new Promise<string>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', key, cert, ca });
        let data = '';
        s.on('data', (d) => (data += d));
        s.on('end', () => resolve(data));
        s.on('error', reject);
      });
      assert.equal(reply, 'ok');
      assert.match(peerCn, /mijnduo-gateway/);
    } finally {
      server.close();
    }
  });

  it('writes an OIDC JWKS with an RS256 and an ES256 private key', async () => {
    const jwks = JSON.parse(await fs.readFile(path.join(dir, 'oidc-jwks.json'), 'utf8')) as {
      keys: Array<Record<string, string>>;
    };
    assert.deepEqual(
      jwks.keys.map((k) => [k.kty, k.alg, k.use]),
      [
        ['RSA', 'RS256', 'sig'],
        ['EC', 'ES256', 'sig'],
      ],
    );
    for (const k of jwks.keys) {
      assert.ok(k.d, 'private');
      assert.equal(k.kid, jwkThumbprint(k as never), 'kid is the RFC 7638 thumbprint');
      // usable for signing
      const key = crypto.createPrivateKey({ key: k as never, format: 'jwk' });
      const sig = crypto.sign(k.kty === 'RSA' ? 'sha256' : 'sha256', Buffer.from('x'), key);
      assert.ok(crypto.verify('sha256', Buffer.from('x'), crypto.createPublicKey(key), sig));
    }
    assert.equal(jwks.keys[0]!.crv, undefined);
    assert.equal(jwks.keys[1]!.crv, 'P-256');
  });

  it('writes secrets and the demo app secret as random base64url', async () => {
    const secrets = JSON.parse(await fs.readFile(path.join(dir, 'secrets.json'), 'utf8')) as Record<string, unknown>;
    const b64u32 = /^[A-Za-z0-9_-]{43}$/;
    assert.equal((secrets.cookieKeys as string[]).length, 2);
    for (const v of [...(secrets.cookieKeys as string[]), secrets.subjectHashKey, secrets.activationCodeKey, secrets.csrfSecret]) {
      assert.match(String(v), b64u32);
    }
    assert.equal(new Set([...(secrets.cookieKeys as string[]), secrets.subjectHashKey, secrets.activationCodeKey]).size, 4);
    const demo = await fs.readFile(path.join(dir, 'demo-app.secret'), 'utf8');
    assert.match(demo, b64u32, 'no trailing newline');
  });

  it('creates nothing on a second run and leaves files untouched', async () => {
    const before = await fs.readFile(path.join(dir, 'sp-saml.crt'), 'utf8');
    const again = await ensureDevKeys(dir);
    assert.deepEqual(again.created, []);
    assert.equal(await fs.readFile(path.join(dir, 'sp-saml.crt'), 'utf8'), before);
  });

  it('replaces only what is missing; a new CA re-issues the certificates it signs', async () => {
    const d2 = await fs.mkdtemp(path.join(os.tmpdir(), 'mijnduo-devkeys-'));
    try {
      for (const f of ALL_FILES) await fs.copyFile(path.join(dir, f), path.join(d2, f));
      await fs.rm(path.join(d2, 'sp-saml.crt'));
      assert.deepEqual((await ensureDevKeys(d2)).created, ['sp-saml.crt']);
      const cert = new crypto.X509Certificate(await fs.readFile(path.join(d2, 'sp-saml.crt')));
      assert.ok(cert.checkPrivateKey(crypto.createPrivateKey(await fs.readFile(path.join(d2, 'sp-saml.key')))), 'new cert for the kept key');

      await fs.rm(path.join(d2, 'dev-ca.key'));
      const r = await ensureDevKeys(d2);
      assert.deepEqual(r.created.sort(), ['dev-ca.crt', 'dev-ca.key', 'idp-mock-tls.crt', 'sp-tls-client.crt']);
      const ca = new crypto.X509Certificate(await fs.readFile(path.join(d2, 'dev-ca.crt')));
      const client = new crypto.X509Certificate(await fs.readFile(path.join(d2, 'sp-tls-client.crt')));
      assert.ok(client.verify(ca.publicKey));
    } finally {
      await fs.rm(d2, { recursive: true, force: true });
    }
  });

  it('two processes starting at once produce one consistent set', async function () {
    this.timeout(120_000);
    const d3 = await fs.mkdtemp(path.join(os.tmpdir(), 'mijnduo-devkeys-'));
    const script = `import('${path.resolve('gateway/src/keys/DevKeys.ts')}').then(async (m) => { const r = await m.ensureDevKeys(${JSON.stringify(d3)}); process.stdout.write(JSON.stringify(r.created)); })`;
    const run = () =>
      new Promise<string[]>((resolve, reject) => {
        const p = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(`exit ${code}`))));
      });
    try {
      const [a, b] = await Promise.all([run(), run()]);
      assert.deepEqual([...a, ...b].sort(), ALL_FILES, 'each file created exactly once');
      const material = await loadKeyMaterial(configFor(d3));
      assert.ok(material.sp.key);
      const ca = new crypto.X509Certificate(await fs.readFile(path.join(d3, 'dev-ca.crt')));
      const client = new crypto.X509Certificate(await fs.readFile(path.join(d3, 'sp-tls-client.crt')));
      assert.ok(client.verify(ca.publicKey));
      assert.deepEqual((await fs.readdir(d3)).sort(), ALL_FILES);
    } finally {
      await fs.rm(d3, { recursive: true, force: true });
    }
  });

  describe('loadKeyMaterial', () => {
    it('loads the configured files with fingerprints and expiry', async () => {
      const km = await loadKeyMaterial(configFor(dir));
      const der = new crypto.X509Certificate(km.sp.certPem).raw;
      assert.equal(km.sp.sha256Fingerprint, crypto.createHash('sha256').update(der).digest('hex'));
      assert.equal(km.sp.sha1Fingerprint, crypto.createHash('sha1').update(der).digest('hex'));
      assert.match(km.sp.sha256Fingerprint, /^[0-9a-f]{64}$/);
      assert.match(km.sp.sha1Fingerprint, /^[0-9a-f]{40}$/);
      assert.equal(km.sp.notAfter.getTime(), Date.parse(new crypto.X509Certificate(km.sp.certPem).validTo));
      assert.equal(km.sp.key.asymmetricKeyType, 'rsa');
      assert.equal(km.spPrevious, null);
      assert.match(km.tlsClient.certPem, /BEGIN CERTIFICATE/);
      assert.equal(km.oidcJwks.keys.length, 2);
      assert.equal(km.secrets.cookieKeys.length, 2);
      assert.equal(certInfo(km.sp.certPem).sha256Fingerprint, km.sp.sha256Fingerprint);
    });

    it('names the missing file and the config field', async () => {
      const d4 = await fs.mkdtemp(path.join(os.tmpdir(), 'mijnduo-devkeys-'));
      try {
        for (const f of ALL_FILES) await fs.copyFile(path.join(dir, f), path.join(d4, f));
        await fs.rm(path.join(d4, 'sp-tls-client.crt'));
        await assert.rejects(loadKeyMaterial(configFor(d4)), (err: unknown) => {
          assert.ok(err instanceof KeyMaterialError);
          assert.equal(err.field, 'keys.tlsClientCert');
          assert.equal(err.file, path.join(d4, 'sp-tls-client.crt'));
          assert.match(err.message, /keys\.tlsClientCert .*sp-tls-client\.crt.*not found/);
          return true;
        });
        await fs.writeFile(path.join(d4, 'secrets.json'), '{"cookieKeys": []}');
        await fs.copyFile(path.join(dir, 'sp-tls-client.crt'), path.join(d4, 'sp-tls-client.crt'));
        await assert.rejects(loadKeyMaterial(configFor(d4)), /keys\.secrets .*secrets\.json.*cookieKeys/);
        await fs.copyFile(path.join(dir, 'idp-mock-tls.crt'), path.join(d4, 'sp-saml.crt'));
        await assert.rejects(loadKeyMaterial(configFor(d4)), /keys\.spCert .*does not match the private key/);
      } finally {
        await fs.rm(d4, { recursive: true, force: true });
      }
    });

    it('loads a previous SP key with the certificate next to it', async () => {
      const km = await loadKeyMaterial(configFor(dir, { spPreviousKey: 'idp-mock-signing.key' }));
      assert.ok(km.spPrevious);
      assert.notEqual(km.spPrevious.sha256Fingerprint, km.sp.sha256Fingerprint);
    });

    it('prepareKeys generates first when generateDevKeys is set, and only then', async () => {
      const d5 = await fs.mkdtemp(path.join(os.tmpdir(), 'mijnduo-devkeys-'));
      try {
        await assert.rejects(prepareKeys(configFor(d5, { generateDevKeys: false })), KeyMaterialError);
        const km = await prepareKeys(configFor(d5, { generateDevKeys: true }));
        assert.match(km.sp.sha256Fingerprint, /^[0-9a-f]{64}$/);
      } finally {
        await fs.rm(d5, { recursive: true, force: true });
      }
    });
  });
});
