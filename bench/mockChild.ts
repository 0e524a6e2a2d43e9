// The mock eHerkenning broker for the bench, in a process of its own: HTTP side (metadata, SSO)
// and the ArtifactResolutionService over mutual TLS, both on 127.0.0.1 with ephemeral ports.
// Every login is answered at once (a preset per login: no persona screen), round-robin over
// the bench personas. Its own logging is off: the bench measures the gateway, not the mock.
import { pino } from 'pino';
import { loadIdpMockConfig, optionsFromConfig } from '../idp-mock/src/config.ts';
import { createIdpMock } from '../idp-mock/src/idpMock.ts';
import { processStats, serveParent } from './lib/ipc.ts';
import { benchPersonas } from './lib/shared.ts';

async function main(): Promise<void> {
  const gatewayPort = Number(process.env.BENCH_GATEWAY_PORT);
  if (!gatewayPort) throw new Error('BENCH_GATEWAY_PORT is not set');
  const cfg = loadIdpMockConfig({ ...process.env, IDP_MOCK_DV_METADATA_URL: `http://127.0.0.1:${gatewayPort}/saml/metadata` });
  const personas = benchPersonas(Number(process.env.BENCH_PERSONAS ?? 32));
  const mock = createIdpMock({
    ...optionsFromConfig(cfg),
    publicUrl: undefined,
    arsUrl: undefined,
    personas,
    // Artifacts issued ahead of the ACS measurement must still be there when it runs.
    artifactTtlSeconds: 600,
    logger: pino({ level: 'silent' }),
    controlApi: false,
  });
  const running = await mock.start({ host: '127.0.0.1', httpPort: 0, arsPort: 0 });
  let next = 0;

  serveParent(
    {
      /** Queue `count` presets: the next `count` AuthnRequests are answered at once. */
      presets: (args) => {
        const count = Number(args.count ?? 0);
        for (let i = 0; i < count; i++) mock.nextLogin({ persona: personas[next++ % personas.length]!.id });
        return count;
      },
      clearPresets: () => {
        mock.clearNextLogins();
        return true;
      },
      /** The samlp:Response of the last login, to count what one login asks of the gateway. */
      lastResponseXml: () => mock.lastIssued()?.responseXml ?? null,
      stats: (args) => processStats(args.gc === true),
      stop: async () => {
        await running.close();
        setTimeout(() => process.exit(0), 50);
        return true;
      },
    },
    { entityId: mock.entityId, metadataUrl: running.metadataUrl, ssoUrl: running.ssoUrl, arsUrl: running.arsUrl },
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench mock broker failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
