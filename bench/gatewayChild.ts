// The gateway under test, in a process of its own (so its memory is its own and the load
// generator does not share its event loop), started by the production entry point
// startGateway (config, keys, ops, stores, createGatewayApp, one http.Server) with the stores
// chosen by the environment: Redis / PostgreSQL when REDIS_URL / DATABASE_URL are set (a fresh
// key prefix / schema of its own, removed at the end), the embedded stores otherwise. Seeds
// linked accounts, then answers the bench's questions over IPC.
import { systemClock } from '../gateway/src/clock.ts';
import type { AccountsRegistry } from '../gateway/src/accounts/AccountsRegistry.ts';
import { loadConfig } from '../gateway/src/config.ts';
import { createLogger } from '../gateway/src/logger.ts';
import { startGateway } from '../gateway/src/main.ts';
import type { KeyValueStore } from '../gateway/src/store/KeyValueStore.ts';
import { MemoryKeyValueStore } from '../gateway/src/store/MemoryKeyValueStore.ts';
import { createTestKeyValueStore, createTestRegistry } from '../test/support/stores.ts';
import { processStats, serveParent } from './lib/ipc.ts';
import { mintRefreshToken, seedLinkedAccounts } from './lib/seed.ts';
import { BENCH_CLIENT, benchPersonas, gatewayOverrides, REFRESH_SCOPE } from './lib/shared.ts';

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

async function main(): Promise<void> {
  const port = Number(need('BENCH_GATEWAY_PORT'));
  const publicUrl = `http://127.0.0.1:${port}`;
  const brokerEntityId = need('BENCH_BROKER_ENTITY_ID');
  const config = loadConfig({
    env: { ...process.env, NODE_ENV: 'test' },
    overrides: gatewayOverrides({
      publicUrl,
      port,
      clientSecret: need('BENCH_CLIENT_SECRET'),
      brokerEntityId,
      brokerMetadataUrl: need('BENCH_BROKER_METADATA_URL'),
      logLevel: process.env.BENCH_LOG_LEVEL ?? 'info',
    }),
  });
  const clock = systemClock;
  // Logs go to this process's stdout, which the bench sends to /dev/null: the cost of writing
  // them is measured, their content is not kept.
  const logger = createLogger({ level: config.log.level });
  // Real servers: an isolated space (random key prefix, fresh schema) that close() removes.
  // Embedded: startGateway makes them as in production (memory store sweeping every minute,
  // PGlite in memory under NODE_ENV=test).
  const kv: KeyValueStore | undefined = process.env.REDIS_URL ? await createTestKeyValueStore(clock) : undefined;
  const sql: AccountsRegistry | undefined = process.env.DATABASE_URL ? await createTestRegistry(clock) : undefined;
  const running = await startGateway(config, { clock, logger, ...(kv ? { kv } : {}), ...(sql ? { accounts: sql } : {}) });

  const personas = benchPersonas(Number(process.env.BENCH_PERSONAS ?? 32));
  const seeded = await seedLinkedAccounts({
    accounts: running.accounts,
    clock,
    personas,
    spEntityId: config.service.entityId,
    brokerEntityId,
    subjectHashKey: running.keys.secrets.subjectHashKey,
    activationCodeKey: running.keys.secrets.activationCodeKey,
  });

  serveParent(
    {
      stats: (args) => ({
        ...processStats(args.gc === true),
        kvEntries: running.kv instanceof MemoryKeyValueStore ? running.kv.size() : null,
      }),
      mintRefreshToken: async () => mintRefreshToken(running.gateway.provider, seeded[0]!.id, BENCH_CLIENT.client_id, REFRESH_SCOPE),
      stop: async () => {
        await running.close();
        // Let the reply go out, then end (a --cpu-prof profile is written on a normal exit).
        setTimeout(() => process.exit(0), 50);
        return true;
      },
    },
    { url: publicUrl, personas: personas.length, spEntityId: config.service.entityId, logLevel: config.log.level },
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench gateway failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
