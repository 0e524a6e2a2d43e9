// Start the mock eHerkenning broker on its own: `npm run idp-mock`.
// Configuration: config/idp-mock.yaml (or IDP_MOCK_CONFIG) plus env overrides, see README.
import { pino } from 'pino';
import { loadIdpMockConfig, optionsFromConfig } from './config.ts';
import { createIdpMock } from './idpMock.ts';

async function main(): Promise<void> {
  const cfg = loadIdpMockConfig();
  const logger = pino({ name: 'idp-mock', level: cfg.log.level });
  const mock = createIdpMock({ ...optionsFromConfig(cfg), logger });
  const running = await mock.start({ host: cfg.listen.host, httpPort: cfg.listen.httpPort, arsPort: cfg.listen.arsPort });
  logger.info(
    { personas: mock.personas.map((p) => p.id), dvMetadata: cfg.dv.metadataUrl ?? cfg.dv.metadataFile },
    `idp-mock ready: ${running.metadataUrl}`,
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'idp-mock stopping');
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
