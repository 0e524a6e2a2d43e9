// The baseline of the token-endpoint bench: oidc-provider on its own, in a process of its own,
// built by the gateway's own createOidcProvider — so the configuration is the same by
// construction: same KeyValue adapter on the same kind of store (in-memory, or Redis), the same
// kind of accounts registry behind findAccount (PGlite, or PostgreSQL) with the same account,
// same JWKS and cookie keys (certs/), same client, claims, TTLs and features. What it does NOT
// have is everything the gateway puts around it: Express, the ops middleware (request id in
// AsyncLocalStorage, access log, metrics, instrumented stores), cookie-parser, the page
// middleware, helmet, the static and other routers. The ratio gateway/bare is the price of that.
//
// It can log people in as well, with the least possible interaction: /interaction/<uid> ends
// the interaction at once for the bench account, through the gateway's own finishLogin. The
// bench uses that to give the bare provider the same history as the gateway before the token
// rounds (as many authorization-code logins as the gateway has served), so that both sides'
// JIT and heap have seen the same oidc-provider code paths (docs/performance.md, sixth round).
import http from 'node:http';
import type { Request, Response } from 'express';
import type { AddressInfo } from 'node:net';
import { accountsRegistryFor } from '../gateway/src/accounts/index.ts';
import type { SqlAccountsRegistry } from '../gateway/src/accounts/SqlAccountsRegistry.ts';
import { createOidcProvider, finishLogin, OIDC_MOUNT_PATH } from '../gateway/src/apps/provider.ts';
import { systemClock } from '../gateway/src/clock.ts';
import { loadConfig, LOA_LEVELS } from '../gateway/src/config.ts';
import { prepareKeys } from '../gateway/src/keys/KeyLoader.ts';
import { createLogger } from '../gateway/src/logger.ts';
import type { KeyValueStore } from '../gateway/src/store/KeyValueStore.ts';
import { MemoryKeyValueStore } from '../gateway/src/store/MemoryKeyValueStore.ts';
import { createTestKeyValueStore, createTestRegistry } from '../test/support/stores.ts';
import { processStats, serveParent } from './lib/ipc.ts';
import { mintRefreshToken } from './lib/seed.ts';
import { BENCH_CLIENT, gatewayOverrides, REFRESH_SCOPE } from './lib/shared.ts';

const INTERACTION = /^\/interaction\/[A-Za-z0-9_-]+$/;

async function main(): Promise<void> {
  const secret = process.env.BENCH_CLIENT_SECRET;
  if (!secret) throw new Error('BENCH_CLIENT_SECRET is not set');
  let handler: http.RequestListener = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = http.createServer((req, res) => handler(req, res));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const publicUrl = `http://127.0.0.1:${port}`;

  const config = loadConfig({
    env: { ...process.env, NODE_ENV: 'test' },
    overrides: gatewayOverrides({ publicUrl, port, clientSecret: secret, logLevel: process.env.BENCH_LOG_LEVEL ?? 'info' }),
  });
  const clock = systemClock;
  const logger = createLogger({ level: config.log.level });
  const keys = await prepareKeys(config);
  const kv: KeyValueStore = process.env.REDIS_URL ? await createTestKeyValueStore(clock) : new MemoryKeyValueStore(clock);

  const accounts: SqlAccountsRegistry = process.env.DATABASE_URL
    ? await createTestRegistry(clock)
    : await accountsRegistryFor({ ...config.stores, pgliteDir: 'memory' }, clock);
  // The same account as the gateway's first bench persona (claims of the same size).
  const organisation = await accounts.createOrganisation({ name: 'Bench School 0', kvk: '90000000', sector: 'po' });
  const account = await accounts.createAccount({
    organisationId: organisation.id,
    name: 'Bench Persoon 0',
    email: 'bench-0@bench.example',
    phone: '+31 50 123 4567',
    rollen: ['Leerlingadministratie', 'Bekostiging'],
    kenmerken: ['BRIN:12AB'],
  });

  const provider = createOidcProvider({ config, keys, kv, accounts, clock, logger });
  const callback = provider.callback();
  // Mounted at /oidc like in the gateway (same issuer shape), with nothing in front of it.
  handler = (req, res) => {
    const url = req.url ?? '/';
    if (url === OIDC_MOUNT_PATH || url.startsWith(`${OIDC_MOUNT_PATH}/`) || url.startsWith(`${OIDC_MOUNT_PATH}?`)) {
      // What Express's app.use('/oidc') does: oidc-provider finds its mount path from these two.
      (req as http.IncomingMessage & { originalUrl?: string }).originalUrl = url;
      req.url = url.slice(OIDC_MOUNT_PATH.length) || '/';
      void callback(req, res);
      return;
    }
    if (req.method === 'GET' && INTERACTION.test(url)) {
      // What the gateway does at the end of a login, minus the broker and the koppel check.
      finishLogin(provider, req as unknown as Request, res as unknown as Response, { accountId: account.id, acr: LOA_LEVELS[0]!, authTime: Date.now() }).catch(
        (err: unknown) => {
          process.stderr.write(`bench bare provider: interaction failed: ${String(err)}\n`);
          if (!res.headersSent) res.statusCode = 500;
          res.end();
        },
      );
      return;
    }
    res.statusCode = 404;
    res.end();
  };

  serveParent(
    {
      stats: (args) => processStats(args.gc === true),
      mintRefreshToken: async () => mintRefreshToken(provider, account.id, BENCH_CLIENT.client_id, REFRESH_SCOPE),
      stop: async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await kv.close().catch(() => undefined);
        await accounts.close().catch(() => undefined);
        setTimeout(() => process.exit(0), 50);
        return true;
      },
    },
    { url: publicUrl },
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench bare provider failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
