// `npm start`: the whole system on this machine with embedded defaults — the mock
// eHerkenning broker, the gateway, a demo DUO app — plus a demo account, and prints where to
// go and what to type. Set REDIS_URL / DATABASE_URL to use real servers instead.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { addAccount } from '../gateway/src/cli/accounts.ts';
import { issueActivationCode } from '../gateway/src/cli/codes.ts';
import { addOrganisation } from '../gateway/src/cli/organisations.ts';
import { systemClock } from '../gateway/src/clock.ts';
import { ConfigError, keyPath, loadConfig } from '../gateway/src/config.ts';
import { ensureDevKeys } from '../gateway/src/keys/DevKeys.ts';
import { createMailer } from '../gateway/src/mail/Mailer.ts';
import { startGateway } from '../gateway/src/main.ts';
import { loadIdpMockConfig, optionsFromConfig } from '../idp-mock/src/config.ts';
import { createIdpMock } from '../idp-mock/src/idpMock.ts';
import { startDemoApp } from '../demo-app/src/app.ts';

const DEMO = {
  kvk: '12345678',
  organisation: 'Basisschool De Regenboog',
  gebruikersnaam: '1234abcd',
  name: 'Jan Jansen',
  email: 'jan.jansen@regenboog.example',
  persona: 'Jan Jansen (jan)',
};

async function main(): Promise<void> {
  const config = loadConfig();
  const clock = systemClock;
  if (config.env === 'production') throw new Error('npm start is for development; run gateway/src/main.ts in production');
  await ensureDevKeys(keyPath(config, '.'));

  const mockCfg = loadIdpMockConfig();
  const mock = createIdpMock({ ...optionsFromConfig(mockCfg), logger: pino({ name: 'idp-mock', level: 'warn' }) });
  const mockRunning = await mock.start({ host: mockCfg.listen.host, httpPort: mockCfg.listen.httpPort, arsPort: mockCfg.listen.arsPort });

  const gateway = await startGateway(config, { clock });

  // Demo data through the same functions as the `mijnduo` command.
  const ctx = { config, accounts: gateway.accounts, mailer: createMailer(config, clock), keys: gateway.keys, clock, out: () => {} };
  const organisation =
    (await gateway.accounts.findOrganisationByKvk(DEMO.kvk)) ??
    (await addOrganisation(ctx, { name: DEMO.organisation, kvk: DEMO.kvk, sector: 'po' }));
  const account =
    (await gateway.accounts.findAccountByGebruikersnaam(DEMO.gebruikersnaam)) ??
    (await addAccount(ctx, {
      org: organisation.id,
      name: DEMO.name,
      email: DEMO.email,
      gebruikersnaam: DEMO.gebruikersnaam,
      rollen: ['Leerlingadministratie', 'Bekostiging'],
      kenmerken: ['BRIN:12AB'],
      beheerder: true,
    }));
  const linked = await gateway.accounts.activeKoppelingOfAccount(account.id);
  const code = linked ? null : (await issueActivationCode(ctx, { gebruikersnaam: account.gebruikersnaam, print: true })).code;

  const demoPort = Number(process.env.DEMO_PORT ?? 3200);
  const demoBase = `http://localhost:${demoPort}`;
  const demo = await startDemoApp({
    issuer: `${config.publicUrl}/oidc`,
    clientId: 'demo-app',
    clientSecret: readFileSync(keyPath(config, 'demo-app.secret'), 'utf8').trim(),
    redirectUri: `${demoBase}/callback`,
    baseUrl: demoBase,
    host: '127.0.0.1',
    port: demoPort,
  });

  const lines = [
    '',
    'Mijn DUO eHerkenning gateway — development',
    '',
    `  Open the demo DUO app:   ${demoBase}`,
    `  Gateway:                 ${config.publicUrl}  (metadata: ${config.publicUrl}/saml/metadata)`,
    `  Mock eHerkenning broker: ${mockRunning.httpUrl}  (artifact resolution: ${mockRunning.arsUrl})`,
    '',
    `  Demo account (${DEMO.organisation}, KvK ${DEMO.kvk}); choose persona ${DEMO.persona} at the broker.`,
    `    gebruikersnaam: ${account.gebruikersnaam}`,
    code
      ? `    activatiecode:  ${code}   (valid ${config.koppel.activationCodeTtlHours} hours; a new one at every start)`
      : '    already linked: log in with eHerkenning, no code needed',
    '',
    `  Stores: ${config.stores.redisUrl ? 'Redis' : 'in-memory KeyValue'} + ${config.stores.databaseUrl ? 'PostgreSQL' : `PGlite (${config.stores.pgliteDir})`}; mails in ${config.mail.smtpUrl ? 'SMTP' : config.mail.outboxDir}`,
    '  Stop with Ctrl+C.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void Promise.allSettled([demo.close(), gateway.close(), mockRunning.close()]).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else if ((err as NodeJS.ErrnoException)?.code === 'EADDRINUSE') {
    process.stderr.write(`A port is already in use (${(err as Error).message}). Stop the other process or set PORT / DEMO_PORT.\n`);
  } else process.stderr.write(`start failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

