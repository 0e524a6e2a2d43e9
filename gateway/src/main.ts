// Start the gateway: config → keys → stores → app → listen, and a graceful stop.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createAccountsRegistry } from './accounts/index.ts';
import type { AccountsRegistry } from './accounts/AccountsRegistry.ts';
import type { KeyMaterial } from './keys/KeyMaterial.ts';
import type { KeyValueStore } from './store/KeyValueStore.ts';
import { createGatewayApp, type Gateway } from './app.ts';
import { systemClock, type Clock } from './clock.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { prepareKeys } from './keys/KeyLoader.ts';
import { createLogger, type Logger } from './logger.ts';
import { createKeyValueStore } from './store/index.ts';

export interface RunningGateway {
  gateway: Gateway;
  accounts: AccountsRegistry;
  kv: KeyValueStore;
  keys: KeyMaterial;
  server: http.Server;
  url: string;
  close(): Promise<void>;
}

export async function startGateway(config: Config, opts: { clock?: Clock; logger?: Logger } = {}): Promise<RunningGateway> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger({ level: config.log.level });
  const keys = await prepareKeys(config);
  if (!config.stores.redisUrl) logger.warn('REDIS_URL not set: in-memory KeyValue store, single process only');
  if (!config.stores.databaseUrl) logger.warn('DATABASE_URL not set: embedded PGlite database');
  const kv = await createKeyValueStore(config, clock);
  const accounts = await createAccountsRegistry(config, clock);
  const gateway = createGatewayApp({ config, clock, logger, kv, accounts, keys });
  const server = http.createServer(gateway.app);
  // Keep-alive sockets must not outlive a proxy's idle timeout, nor hold a shutdown forever.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
  logger.info({ url, publicUrl: config.publicUrl }, 'gateway listening');
  let closing: Promise<void> | null = null;
  return {
    gateway,
    accounts,
    kv,
    keys,
    server,
    url,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await kv.close();
        await accounts.close();
      })();
      return closing;
    },
  };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const running = await startGateway(config);
  const stop = (signal: string) => {
    process.stderr.write(`${signal}: stopping gateway\n`);
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
