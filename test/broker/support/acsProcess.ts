// One gateway process for the cross-process tests: the real broker face on Redis (the same key
// prefix as its sibling process), the system clock, and the SP and TLS client keys the parent
// test wrote to a file. Run as `node --import tsx acsProcess.ts <settings.json>`; prints one
// JSON line {"port":n} on stdout when it listens on 127.0.0.1.
//
// The handlers answer with JSON so the parent can count what happened in this process:
// onIdentity → 200 {outcome:"identity"}, onFailure → 4xx/5xx {outcome:"failure", code}.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { systemClock } from '../../../gateway/src/clock.ts';
import { createLogger } from '../../../gateway/src/logger.ts';
import { createBrokerFace, type BrokerFaceConfig } from '../../../gateway/src/broker/index.ts';
import { RedisKeyValueStore } from '../../../gateway/src/store/RedisKeyValueStore.ts';

export interface AcsProcessSettings {
  redisUrl: string;
  keyPrefix: string;
  config: BrokerFaceConfig;
  sp: { keyPem: string; certPem: string; sha256: string; sha1: string };
  tlsClient: { keyPem: string; certPem: string };
}

const settings = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as AcsProcessSettings;
const kv = await RedisKeyValueStore.connect({ url: settings.redisUrl, keyPrefix: settings.keyPrefix });
const notAfter = new Date(Date.UTC(2040, 0, 1));
const counts = { identities: 0, failures: [] as string[] };

const face = createBrokerFace({
  config: settings.config,
  keys: {
    sp: {
      keyPem: settings.sp.keyPem,
      key: createPrivateKey(settings.sp.keyPem),
      certPem: settings.sp.certPem,
      sha256Fingerprint: settings.sp.sha256,
      sha1Fingerprint: settings.sp.sha1,
      notAfter,
    },
    spPrevious: null,
    tlsClient: { ...settings.tlsClient, notAfter },
  },
  kv,
  clock: systemClock,
  // Logs to stderr: stdout carries the one "ready" line the parent waits for.
  logger: createLogger({ level: 'warn', destination: process.stderr }),
  handlers: {
    onIdentity: async (_req, res, identity, loginKey) => {
      counts.identities++;
      res.status(200).json({ outcome: 'identity', loginKey, assertionId: identity.assertionId, pid: process.pid });
    },
    onFailure: async (_req, res, failure) => {
      counts.failures.push(failure.code);
      res.status(failure.httpStatus).json({ outcome: 'failure', code: failure.code, pid: process.pid });
    },
  },
});

const app = express();
app.use(face.router);
app.get('/start', (req, res) => face.startLogin(req, res, { loginKey: String(req.query.k ?? 'login-1') }));
app.get('/counts', (_req, res) => res.json(counts));

const server = http.createServer(app);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});

process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => {
    kv.close().finally(() => process.exit(0));
  });
});
