// Graceful shutdown (issue 5), on the real entry point: gateway/src/main.ts in a child process,
// stopped with SIGTERM while two requests are in flight. The test holds them open itself (each
// body is sent only in part), so the order of events is the test's: readiness must be 503 at
// once, new connections refused, a request whose body then completes answered in full, the
// one that never completes cut when ops.shutdownGraceMs is over, then the stores closed and
// the process gone with exit code 0.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { PROJECT_ROOT } from '../../gateway/src/config.ts';
import { loadIdpMockConfig, optionsFromConfig } from '../../idp-mock/src/config.ts';
import { createIdpMock } from '../../idp-mock/src/idpMock.ts';
import { TEST_CLIENT } from '../support/stack.ts';
import { until } from '../faults/support/wait.ts';

interface Running {
  child: ChildProcess;
  url: URL;
  opsUrl: string;
  lines: Record<string, unknown>[];
  exit: Promise<number | null>;
  /** Resolves with the first log line whose msg matches. */
  line(msg: string): Promise<Record<string, unknown>>;
}

let dir: string;

/** Signed broker metadata in a file, so the gateway is ready without a broker to fetch from. */
async function brokerMetadataFile(): Promise<string> {
  const cfg = loadIdpMockConfig();
  const mock = createIdpMock({
    ...optionsFromConfig(cfg),
    publicUrl: 'http://127.0.0.1:1',
    arsUrl: 'https://127.0.0.1:2/broker/ars/1.13',
    logger: pino({ level: 'silent' }),
  });
  await mock.ready();
  const file = path.join(dir, 'broker-metadata.xml');
  await writeFile(file, mock.metadataXml());
  return file;
}

async function startMain(graceMs: number, metadataFile: string): Promise<Running> {
  const configFile = path.join(dir, `gateway-${graceMs}.yaml`);
  await writeFile(
    configFile,
    stringify({
      publicUrl: 'http://127.0.0.1:1',
      listen: { host: '127.0.0.1', port: 0 },
      brokers: [
        { entityId: 'urn:etoegang:HM:00000003999999990000:entities:9632', metadataFile, metadataSigningCertFile: 'certs/idp-mock-signing.crt', tlsCaFile: 'certs/dev-ca.crt' },
      ],
      oidc: { clients: [{ client_id: TEST_CLIENT.client_id, client_secret: TEST_CLIENT.client_secret, redirect_uris: [TEST_CLIENT.redirect_uri] }] },
      ops: { listen: { host: '127.0.0.1', port: 0 }, shutdownGraceMs: graceMs },
    }),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/main.ts'], {
    cwd: PROJECT_ROOT,
    // Embedded stores: this test is about the process, not the servers.
    env: { ...process.env, NODE_ENV: 'test', MIJNDUO_CONFIG: configFile, LOG_LEVEL: 'info', REDIS_URL: '', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: { msg: string; resolve: (l: Record<string, unknown>) => void }[] = [];
  let buf = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const raw = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let l: Record<string, unknown>;
      try {
        l = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        continue;
      }
      lines.push(l);
      for (const w of waiters.filter((x) => x.msg === l.msg)) w.resolve(l);
    }
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const line = (msg: string): Promise<Record<string, unknown>> => {
    const seen = lines.find((l) => l.msg === msg);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      waiters.push({ msg, resolve });
      void exit.then((code) => reject(new Error(`gateway exited (${code}) before "${msg}"\n${stderr}`)));
    });
  };
  const listening = await line('gateway listening');
  return { child, url: new URL(String(listening.url)), opsUrl: String(listening.opsUrl), lines, exit, line };
}

/** A POST /saml/acs whose body is held back: the request stays in flight until `finish`. */
async function heldRequest(url: URL): Promise<{ socket: net.Socket; response: Promise<string>; closed: Promise<void>; finish(): void }> {
  const body = 'SAMLart=AAQAAA&RelayState=x';
  const head = `POST /saml/acs HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`;
  const socket = net.connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  socket.on('data', (d) => (received += d.toString('utf8')));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(head + body.slice(0, 10));
  return { socket, response: closed.then(() => received), closed, finish: () => socket.write(body.slice(10)) };
}

async function metric(opsUrl: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

function refused(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(Number(url.port), url.hostname);
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

describe('ops: graceful shutdown of the gateway process (gateway/src/main.ts)', function () {
  this.timeout(60_000);
  let metadataFile: string;
  const started: Running[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mijnduo-shutdown-'));
    metadataFile = await brokerMetadataFile();
  });
  after(async () => {
    for (const r of started) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('SIGTERM: readiness 503 at once, no new connections, requests in flight answered until the grace period ends, the rest cut, exit 0', async () => {
    // One process for both cases (a process starts slowly): request A completes during the
    // grace period and is answered; request B never completes and is cut when it is over.
    const graceMs = 4_000;
    const gw = await startMain(graceMs, metadataFile);
    started.push(gw);
    assert.equal((await fetch(`${gw.opsUrl}/health/ready`)).status, 200);
    const a = await heldRequest(gw.url);
    const b = await heldRequest(gw.url);
    // The gateway has both requests (their headers) before we stop it.
    await until('the requests to be in flight', async () => (await metric(gw.opsUrl, 'mijnduo_http_requests_in_flight')) === 2);

    gw.child.kill('SIGTERM');
    const shutting = await gw.line('shutting down: readiness 503, no new connections, finishing requests in flight');
    const t0 = performance.now();
    assert.equal(shutting.inFlight, 2);
    const ready = await fetch(`${gw.opsUrl}/health/ready`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { status: 'shutting-down' });
    assert.equal(await refused(gw.url), true, 'the main port accepts no new connection');
    assert.equal(gw.child.exitCode, null, 'still running while requests are in flight');

    a.finish();
    const answer = await a.response;
    assert.ok(performance.now() - t0 < graceMs, 'A was answered within the grace period (else this test proves nothing)');
    assert.match(answer, /^HTTP\/1\.1 400 /, 'the request in flight got its whole answer');
    assert.match(answer, /\r\nconnection: close\r\n/i, 'and was told to close its connection');

    await b.closed;
    assert.equal(await b.response, '', 'B was cut without an answer');
    assert.equal(await gw.exit, 0);
    assert.equal(gw.lines.find((l) => l.msg === 'shutdown grace period over: cutting the requests still in flight')?.cut, 1);
    const stopped = gw.lines.find((l) => l.msg === 'gateway stopped');
    assert.ok(stopped, 'the stores were closed after the requests');
    assert.equal(stopped.cut, 1);
    const order = gw.lines.map((l) => l.msg);
    assert.ok(order.indexOf('gateway stopped') > order.lastIndexOf('request'), 'no request was handled after the stores closed');
  });
});
