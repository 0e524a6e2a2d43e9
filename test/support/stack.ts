// The whole system on loopback for end-to-end tests: the mock broker (HTTP + mTLS artifact
// resolution), the gateway with the stores chosen by the environment (real Redis/PostgreSQL
// when REDIS_URL/DATABASE_URL are set, embedded otherwise), and a test OIDC client.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { createGatewayApp, type Gateway, type GatewayDeps } from '../../gateway/src/app.ts';
import type { AccountsRegistry } from '../../gateway/src/accounts/AccountsRegistry.ts';
import { ManualClock, systemClock, type Clock } from '../../gateway/src/clock.ts';
import { loadConfig, mergeConfig, PROJECT_ROOT, type Config } from '../../gateway/src/config.ts';
import path from 'node:path';
import { prepareKeys } from '../../gateway/src/keys/KeyLoader.ts';
import { ensureDevKeys } from '../../gateway/src/keys/DevKeys.ts';
import type { KeyMaterial } from '../../gateway/src/keys/KeyMaterial.ts';
import { createLogger, type Logger } from '../../gateway/src/logger.ts';
import type { KeyValueStore } from '../../gateway/src/store/KeyValueStore.ts';
import type { Mailer } from '../../gateway/src/mail/Mailer.ts';
import { loadIdpMockConfig, optionsFromConfig } from '../../idp-mock/src/config.ts';
import { createIdpMock, type IdpMock, type IdpMockOptions, type RunningIdpMock } from '../../idp-mock/src/idpMock.ts';
import { createTestKeyValueStore, createTestRegistry } from './stores.ts';

export const TEST_CLIENT = {
  client_id: 'test-app',
  client_secret: randomBytes(24).toString('base64url'),
  redirect_uri: 'http://127.0.0.1:9/callback',
};

/** TEST_CLIENT as the gateway's oidc.clients configuration has it. */
export const TEST_CLIENT_ENTRY = {
  client_id: TEST_CLIENT.client_id,
  client_secret: TEST_CLIENT.client_secret,
  redirect_uris: [TEST_CLIENT.redirect_uri],
  post_logout_redirect_uris: ['http://127.0.0.1:9/'],
  first_party: true,
};

/** A running mock broker as one of the gateway's brokers (dev certificates). */
export function mockBrokerEntry(mock: IdpMock, running: RunningIdpMock): Record<string, string> {
  return {
    entityId: mock.entityId,
    metadataUrl: running.metadataUrl,
    metadataSigningCertFile: 'certs/idp-mock-signing.crt',
    tlsCaFile: 'certs/dev-ca.crt',
  };
}

export interface Stack {
  config: Config;
  clock: Clock;
  kv: KeyValueStore;
  accounts: AccountsRegistry;
  keys: KeyMaterial;
  gateway: Gateway;
  gatewayUrl: string;
  mock: IdpMock;
  mockRunning: RunningIdpMock;
  logger: Logger;
  close(): Promise<void>;
}

export interface StackOptions {
  clock?: Clock;
  /** Merged over the test configuration. */
  config?: Record<string, unknown>;
  /** Share stores between two gateways (scale-out tests). */
  kv?: KeyValueStore;
  accounts?: AccountsRegistry;
  /** Reuse a running mock broker (a second gateway behind the same broker). */
  mock?: { mock: IdpMock; running: RunningIdpMock };
  logDestination?: NodeJS.WritableStream;
  /** Mailer for the beheer screens (e.g. a MemoryMailer); default: the configured one. */
  mailer?: Mailer;
  /** Log level with logDestination (default info). */
  logLevel?: string;
  /** Extra options for the mock broker this stack starts (e.g. an arsUrl behind a proxy). */
  mockOptions?: Partial<IdpMockOptions>;
  /** Ports for the mock broker this stack starts (default ephemeral). */
  mockPorts?: { httpPort?: number; arsPort?: number };
  /** Koppel/token login tuning (e.g. the per-IP throttle). */
  koppel?: GatewayDeps['koppel'];
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const clock = opts.clock ?? systemClock;
  // The mock broker reads its keys from certs/ like the gateway does; make sure they exist.
  await ensureDevKeys(path.join(PROJECT_ROOT, 'certs'));
  // The gateway's public URL must be known before the app is built: listen first.
  const server = http.createServer();
  const port = await listen(server);
  const gatewayUrl = `http://127.0.0.1:${port}`;

  let mock: IdpMock;
  let mockRunning: RunningIdpMock;
  let ownMock = false;
  if (opts.mock) {
    ({ mock, running: mockRunning } = opts.mock);
  } else {
    const mockCfg = loadIdpMockConfig({ ...process.env, IDP_MOCK_DV_METADATA_URL: `${gatewayUrl}/saml/metadata` });
    const base = optionsFromConfig(mockCfg);
    mock = createIdpMock({
      ...base,
      publicUrl: undefined,
      arsUrl: undefined,
      clock,
      logger: pino({ level: 'silent' }),
      controlApi: true,
      ...opts.mockOptions,
    });
    mockRunning = await mock.start({ host: '127.0.0.1', httpPort: 0, arsPort: 0, ...opts.mockPorts });
    ownMock = true;
  }

  const config = loadConfig({
    env: { ...process.env, NODE_ENV: 'test' },
    overrides: mergeConfig(
      {
        publicUrl: gatewayUrl,
        listen: { host: '127.0.0.1', port },
        brokers: [mockBrokerEntry(mock, mockRunning)],
        oidc: { clients: [TEST_CLIENT_ENTRY] },
      },
      opts.config ?? {},
    ),
  });
  const logger = createLogger({ level: opts.logDestination ? (opts.logLevel ?? 'info') : 'silent', ...(opts.logDestination ? { destination: opts.logDestination } : {}) });
  const keys = await prepareKeys(config);
  const kv = opts.kv ?? (await createTestKeyValueStore(clock));
  const accounts = opts.accounts ?? (await createTestRegistry(clock));
  const gateway = createGatewayApp({
    config,
    clock,
    logger,
    kv,
    accounts,
    keys,
    ...(opts.mailer ? { mailer: opts.mailer } : {}),
    ...(opts.koppel ? { koppel: opts.koppel } : {}),
  });
  server.on('request', gateway.handler);
  server.keepAliveTimeout = 1000;

  return {
    config,
    clock,
    kv,
    accounts,
    keys,
    gateway,
    gatewayUrl,
    mock,
    mockRunning,
    logger,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (ownMock) await mockRunning.close();
      if (!opts.kv) await kv.close();
      if (!opts.accounts) await accounts.close();
    },
  };
}

/** A manual clock starting now, so certificates and the mock's own times stay valid. */
/**
 * A stack started before the tests of the calling `describe` and closed after them; read
 * `.stack` inside hooks and tests. The options are made when it starts.
 */
export function useStack(opts: () => StackOptions = () => ({})): { stack: Stack } {
  const holder = {} as { stack: Stack };
  before(async () => {
    holder.stack = await startStack(opts());
  });
  after(async () => {
    await holder.stack?.close();
  });
  return holder;
}

export function clockAtNow(): ManualClock {
  return new ManualClock(Date.now());
}

