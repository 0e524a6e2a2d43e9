// `mijnduo`: the command line for beheer and security staff (npm run cli -- …, bin/mijnduo.js).
// Exit codes: 0 ok, 1 a user error (bad option, unknown gebruikersnaam, bad config) with a
// clear message in Dutch and English, 2 anything unexpected.
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { systemClock } from './clock.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { InvalidRegistryInputError, RegistryConflictError, RegistryNotFoundError } from './accounts/errors.ts';
import { KeyMaterialError } from './keys/KeyLoader.ts';
import { addAccount, listAccounts, showAccount } from './cli/accounts.ts';
import { issueActivationCode } from './cli/codes.ts';
import { CliUserError, type CliContext } from './cli/context.ts';
import { createCliContext } from './cli/createContext.ts';
import { generateDevKeys, showKeys } from './cli/keys.ts';
import { writeLetter } from './cli/letter.ts';
import { addOrganisation, listOrganisations } from './cli/organisations.ts';
import { assignToken } from './cli/token.ts';
import { undoKoppelingCommand } from './cli/koppeling.ts';
import { lockoutLift, lockoutList } from './cli/lockout.ts';
import { sweep } from './cli/sweep.ts';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Config to use instead of loading it (tests). */
  config?: Config;
}

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Build the commander program; each action runs against a context made on demand. */
export function buildProgram(io: CliIo): Command {
  let cfg: Config | undefined = io.config;
  const config = (): Config => (cfg ??= loadConfig());

  async function withContext(fn: (ctx: CliContext) => Promise<unknown>, opts: { withKeyValue?: boolean } = {}): Promise<void> {
    const ctx = await createCliContext(config(), { out: io.out, ...opts });
    try {
      await fn(ctx);
    } finally {
      await ctx.close();
    }
  }

  const program = new Command('mijnduo')
    .description('Mijn DUO eHerkenning gateway: organisaties, accounts, activatiecodes, sleutels')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();

  const org = program.command('org').description('organisaties / organisations');
  org
    .command('add')
    .description('organisatie toevoegen / add an organisation')
    .requiredOption('--name <name>', 'naam / name')
    .requiredOption('--kvk <kvk>', 'KvK-nummer (8 cijfers)')
    .option('--rsin <rsin>', 'RSIN (9 cijfers)')
    .requiredOption('--sector <sector>', 'sector id (config portal.sectors)')
    .action((o: { name: string; kvk: string; rsin?: string; sector: string }) =>
      withContext((ctx) => addOrganisation(ctx, o)),
    );
  org
    .command('list')
    .description('organisaties tonen / list organisations')
    .action(() => withContext((ctx) => listOrganisations(ctx)));

  const account = program.command('account').description('accounts (gebruikers)');
  account
    .command('add')
    .description('gebruiker aanmelden en bevestigingsmail sturen / register a user and send the confirmation mail')
    .requiredOption('--org <id|kvk>', 'organisatie (id of KvK-nummer)')
    .requiredOption('--name <name>', 'naam / name')
    .requiredOption('--email <email>', 'e-mailadres')
    .option('--phone <phone>', 'telefoonnummer')
    .option('--gebruikersnaam <gebruikersnaam>', 'eigen gebruikersnaam (anders gegenereerd)')
    .option('--rol <rol>', 'rol (herhaalbaar / repeatable)', collect, [])
    .option('--kenmerk <kenmerk>', 'kenmerk (herhaalbaar / repeatable)', collect, [])
    .option('--beheerder', 'ook beheerder / also an administrator', false)
    .option('--no-mail', 'geen bevestigingsmail sturen / do not send the confirmation mail')
    .action(
      (o: {
        org: string;
        name: string;
        email: string;
        phone?: string;
        gebruikersnaam?: string;
        rol: string[];
        kenmerk: string[];
        beheerder: boolean;
        mail: boolean;
      }) =>
        withContext((ctx) =>
          addAccount(ctx, {
            org: o.org,
            name: o.name,
            email: o.email,
            phone: o.phone ?? null,
            ...(o.gebruikersnaam !== undefined ? { gebruikersnaam: o.gebruikersnaam } : {}),
            rollen: o.rol,
            kenmerken: o.kenmerk,
            beheerder: o.beheerder,
            sendConfirmation: o.mail,
          }),
        ),
    );
  account
    .command('list')
    .description('accounts tonen / list accounts')
    .option('--org <id|kvk>', 'alleen deze organisatie / only this organisation')
    .action((o: { org?: string }) => withContext((ctx) => listAccounts(ctx, o.org ? { org: o.org } : {})));
  account
    .command('show')
    .description('één account tonen / show one account')
    .argument('<gebruikersnaam>')
    .action((gebruikersnaam: string) => withContext((ctx) => showAccount(ctx, { gebruikersnaam })));

  const code = program.command('code').description('activatiecodes / activation codes');
  code
    .command('issue')
    .description(
      'nieuwe activatiecode uitgeven (maakt eerdere ongeldig); wordt gemaild, of getoond met --print / ' +
        'issue a new activation code (voids earlier ones); mailed, or shown with --print',
    )
    .argument('<gebruikersnaam>')
    .option('--print', 'toon de code in plaats van hem te mailen / print the code instead of mailing it', false)
    .action((gebruikersnaam: string, o: { print: boolean }) =>
      withContext((ctx) => issueActivationCode(ctx, { gebruikersnaam, print: o.print })),
    );

  program
    .command('letter')
    .description('brief met gebruikersnaam (PDF) / letter with the user name (PDF)')
    .argument('<gebruikersnaam>')
    .requiredOption('--out <file.pdf>', 'uitvoerbestand / output file')
    .action((gebruikersnaam: string, o: { out: string }) =>
      withContext((ctx) => writeLetter(ctx, { gebruikersnaam, out: o.out })),
    );

  const token = program.command('token').description('token (TOTP) voor inloggen met token');
  token
    .command('assign')
    .description('nieuw token toewijzen; toont de otpauth:// URI één keer / assign a token; shows the URI once')
    .argument('<gebruikersnaam>')
    .action((gebruikersnaam: string) => withContext((ctx) => assignToken(ctx, { gebruikersnaam })));

  const koppeling = program.command('koppeling').description('koppelingen met eHerkenning / links to eHerkenning');
  koppeling
    .command('undo')
    .description('koppeling ongedaan maken (middel zoek, gestolen of defect) / undo the link (means lost, stolen or broken)')
    .argument('<gebruikersnaam>')
    .requiredOption('--reason <reason>', 'lost | stolen | defective')
    .action((gebruikersnaam: string, o: { reason: string }) => withContext((ctx) => undoKoppelingCommand(ctx, { gebruikersnaam, reason: o.reason })));

  program
    .command('sweep')
    .description('koppelingen ongedaan maken na 18 maanden zonder inloggen / undo links unused for 18 months')
    .action(() => withContext((ctx) => sweep(ctx)));

  const lockout = program.command('lockout').description('blokkades na verkeerde pogingen / lockouts after wrong attempts');
  lockout
    .command('list')
    .description('actuele blokkades tonen / show current lockouts')
    .action(() => withContext((ctx) => lockoutList(ctx), { withKeyValue: true }));
  lockout
    .command('lift')
    .description('blokkade opheffen / lift a lockout')
    .argument('[gebruikersnaam]')
    .option('--subject <ref>', 'pseudoniem-referentie uit `lockout list` / pseudonym reference from `lockout list`')
    .action((gebruikersnaam: string | undefined, o: { subject?: string }) =>
      withContext((ctx) => lockoutLift(ctx, { ...(gebruikersnaam ? { gebruikersnaam } : {}), ...(o.subject ? { subject: o.subject } : {}) }), { withKeyValue: true }),
    );

  const keys = program.command('keys').description('sleutels en certificaten / keys and certificates');
  keys
    .command('generate-dev')
    .description('ontbrekende ontwikkelsleutels maken in keys.dir / create missing development keys')
    .action(async () => {
      await generateDevKeys({ config: config(), out: io.out });
    });
  keys
    .command('show')
    .description('vingerafdrukken en geldigheid / fingerprints and expiry')
    .action(async () => {
      await showKeys({ config: config(), clock: systemClock, out: io.out });
    });

  return program;
}

/** Run the CLI; resolves to the exit code (never calls process.exit itself). */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const program = buildProgram(io);
  if (argv.length === 0) {
    program.outputHelp();
    return 1;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed the problem (or the help/version text).
      return err.exitCode === 0 ? 0 : 1;
    }
    if (err instanceof CliUserError) {
      io.err(`Fout: ${err.nl}`);
      io.err(`Error: ${err.en}`);
      return 1;
    }
    if (err instanceof ConfigError) {
      io.err('Fout in de configuratie / configuration error:');
      io.err(err.message);
      return 1;
    }
    if (err instanceof InvalidRegistryInputError || err instanceof RegistryConflictError || err instanceof RegistryNotFoundError) {
      io.err(`Fout / error: ${err.message}`);
      return 1;
    }
    if (err instanceof KeyMaterialError) {
      io.err(`Sleutel ontbreekt of is onleesbaar / key missing or unreadable: ${err.message}`);
      return 1;
    }
    io.err(`Onverwachte fout / unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 2;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`Onverwachte fout / unexpected error: ${String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
