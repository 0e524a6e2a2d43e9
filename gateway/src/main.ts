// Start the gateway: config → keys → stores → app → listen, and a graceful stop.
//
// Stop (SIGTERM/SIGINT, or close()): readiness turns 503 at once, the listener stops accepting
// connections, requests in flight may finish until ops.shutdownGraceMs (then their connections
// are cut), and only then are the stores closed, so no request loses its store halfway.
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
import { createOps, type Ops } from './ops/index.ts';
import { createKeyValueStore } from './store/index.ts';

export interface RunningGateway {
  gateway: Gateway;
  accounts: AccountsRegistry;
  kv: KeyValueStore;
  keys: KeyMaterial;
  ops: Ops;
  server: http.Server;
  url: string;
  /** The internal listener for /metrics and health (ops.listen), when configured. */
  opsServer: http.Server | null;
  opsUrl: string | null;
  /** Graceful stop; the same promise however often it is called. */
  close(): Promise<void>;
}

export interface StartGatewayOptions {
  clock?: Clock;
  logger?: Logger;
  /** Stores made by the caller (e.g. a test's own schema); close() closes them like our own. */
  kv?: KeyValueStore;
  accounts?: AccountsRegistry;
}

function listen(server: http.Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      resolve(`http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`);
    });
  });
}

export async function startGateway(config: Config, opts: StartGatewayOptions = {}): Promise<RunningGateway> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger({ level: config.log.level });
  const keys = await prepareKeys(config);
  const ops = createOps({ config, clock, logger, keys, processMetrics: true });
  if (!config.stores.databaseUrl && !opts.accounts) logger.warn('DATABASE_URL not set: embedded PGlite database');
  // The stores report their own outages and recoveries to ops (login gate, readiness, metrics).
  const kv = opts.kv ?? (await createKeyValueStore(config, clock, ops.status.hooks('redis')));
  let accounts: AccountsRegistry;
  try {
    accounts = opts.accounts ?? (await createAccountsRegistry(config, clock, { hooks: ops.status.hooks('database') }));
  } catch (err) {
    await kv.close().catch(() => undefined);
    throw err;
  }
  const gateway = createGatewayApp({ config, clock, logger, kv, accounts, keys, ops });
  const server = http.createServer(gateway.handler);
  // Keep-alive sockets must not outlive a proxy's idle timeout, nor hold a shutdown forever.
  server.keepAliveTimeout = 5_000;
  let opsServer: http.Server | null = null;
  let url: string;
  let opsUrl: string | null = null;
  try {
    url = await listen(server, config.listen.port, config.listen.host);
    if (config.ops.listen) {
      opsServer = http.createServer(ops.opsApp());
      opsUrl = await listen(opsServer, config.ops.listen.port, config.ops.listen.host);
    }
  } catch (err) {
    server.close();
    ops.stop();
    await kv.close().catch(() => undefined);
    await accounts.close().catch(() => undefined);
    throw err;
  }
  ops.start();
  logger.info({ url, opsUrl, publicUrl: config.publicUrl }, 'gateway listening');

  let closing: Promise<void> | null = null;
  const stop = async (): Promise<void> => {
    const graceMs = config.ops.shutdownGraceMs;
    logger.info({ inFlight: ops.inFlightCount, graceMs }, 'shutting down: readiness 503, no new connections, finishing requests in flight');
    // Each request that ends now leaves an idle keep-alive socket behind: close it at once.
    ops.beginShutdown({ onRequestDone: () => server.closeIdleConnections() });
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    let cut = 0;
    const deadline = setTimeout(() => {
      cut = ops.inFlightCount;
      logger.warn({ cut, graceMs }, 'shutdown grace period over: cutting the requests still in flight');
      server.closeAllConnections();
    }, graceMs);
    await drained;
    clearTimeout(deadline);
    if (opsServer) {
      const s = opsServer;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    }
    ops.stop();
    const results = await Promise.allSettled([kv.close(), accounts.close()]);
    for (const r of results) if (r.status === 'rejected') logger.error({ err: r.reason }, 'closing a store failed');
    logger.info({ cut }, 'gateway stopped');
  };

  return {
    gateway,
    accounts,
    kv,
    keys,
    ops,
    server,
    url,
    opsServer,
    opsUrl,
    close() {
      closing ??= stop();
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
  const logger = createLogger({ level: config.log.level });
  const running = await startGateway(config, { logger });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      // A second signal: the operator does not want to wait for the grace period.
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stop requested');
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'graceful stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
