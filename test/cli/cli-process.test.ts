// The `mijnduo` command as a whole: parsing, exit codes (0 ok, 1 user error, 2 unexpected) and
// the bin launcher. Uses an on-disk PGlite in a temp dir so several invocations share data.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, type CliIo } from '../../gateway/src/cli.ts';
import { PROJECT_ROOT, type Config } from '../../gateway/src/config.ts';
import { readOutbox } from '../../gateway/src/mail/Mailer.ts';
import { cliTestConfig, type CliConfig } from '../support/cliConfig.ts';

interface Captured {
  code: number;
  out: string;
  err: string;
}

async function run(argv: string[], config?: Config): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), ...(config ? { config } : {}) };
  const code = await runCli(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function bin(args: string[], env: Record<string, string>): Promise<Captured> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'mijnduo.js'), ...args], {
      cwd: os.tmpdir(), // the launcher must work from any directory
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

describe('mijnduo command', function () {
  this.timeout(120_000);
  const cli = cliTestConfig('mijnduo-cli-proc-');
  let { tmp, cfg } = {} as CliConfig;
  before(() => ({ tmp, cfg } = cli));

  it('--help exits 0; no arguments, an unknown command or a missing option exit 1', async () => {
    const help = await run(['--help'], cfg);
    assert.equal(help.code, 0);
    assert.match(help.out, /Usage: mijnduo/);
    for (const cmd of ['org', 'account', 'code', 'letter', 'token', 'keys']) assert.match(help.out, new RegExp(`\\b${cmd}\\b`));
    assert.equal((await run([], cfg)).code, 1);
    const unknown = await run(['frobnicate'], cfg);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /unknown command/);
    const missing = await run(['org', 'add', '--name', 'X'], cfg);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /required option/);
  });

  it('keys show names the missing file (exit 1); keys generate-dev then keys show (exit 0)', async () => {
    const missing = await run(['keys', 'show'], cfg);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /keys\.spKey/);
    assert.match(missing.err, /sp-saml\.key/);

    const gen = await run(['keys', 'generate-dev'], cfg);
    assert.equal(gen.code, 0, gen.err);
    assert.match(gen.out, /sp-saml\.crt/);
    const again = await run(['keys', 'generate-dev'], cfg);
    assert.match(again.out, /nothing missing/);

    const show = await run(['keys', 'show'], cfg);
    assert.equal(show.code, 0, show.err);
    assert.match(show.out, /sha256 {4}[0-9a-f]{64}/);
    assert.match(show.out, /sha1 {6}[0-9a-f]{40}/);
    assert.match(show.out, /notAfter .*\((729|730) dagen \/ days left\)/);
    assert.match(show.out, /RS256 {2}RSA {2}kid /);
  });

  it('runs a beheer session: org add, account add, code issue (mail and --print), letter, token', async () => {
    const org = await run(['org', 'add', '--name', 'Gemeente Voorbeeld', '--kvk', '12345678', '--sector', 'gemeenten'], cfg);
    assert.equal(org.code, 0, org.err);
    const dup = await run(['org', 'add', '--name', 'Nog eens', '--kvk', '12345678', '--sector', 'gemeenten'], cfg);
    assert.equal(dup.code, 1);
    assert.match(dup.err, /^Fout: .*\nError: .*already exists/);

    const acc = await run(
      ['account', 'add', '--org', '12345678', '--name', 'Jan de Vries', '--email', 'jan@example.org',
        '--gebruikersnaam', '1234abcd', '--rol', 'leerplicht', '--rol', 'rmc', '--kenmerk', 'gemeente-0363', '--beheerder'],
      cfg,
    );
    assert.equal(acc.code, 0, acc.err);
    assert.match(acc.out, /gebruikersnaam 1234abcd/);

    const mailed = await run(['code', 'issue', '1234abcd'], cfg);
    assert.equal(mailed.code, 0, mailed.err);
    assert.doesNotMatch(mailed.out, /\b[A-Z]{16}\b/, 'a mailed code is not printed');
    const outbox = await readOutbox(path.join(tmp, 'outbox'));
    assert.equal(outbox.length, 2, 'confirmation + activation code');
    assert.ok(outbox.some((m) => /\n {4}[A-Z]{16}\n/.test(m.text)));

    const printed = await run(['code', 'issue', '1234abcd', '--print'], cfg);
    assert.equal(printed.code, 0, printed.err);
    assert.match(printed.out, /1234abcd: [A-Z]{16}/);
    assert.equal((await readOutbox(path.join(tmp, 'outbox'))).length, 2, 'nothing mailed with --print');

    const pdf = path.join(tmp, 'brief.pdf');
    const letter = await run(['letter', '1234abcd', '--out', pdf], cfg);
    assert.equal(letter.code, 0, letter.err);
    assert.equal((await fs.readFile(pdf)).subarray(0, 5).toString(), '%PDF-');

    const token = await run(['token', 'assign', '1234abcd'], cfg);
    assert.equal(token.code, 0, token.err);
    assert.match(token.out, /^otpauth:\/\/totp\/.*secret=[A-Z2-7]+/m);

    const show = await run(['account', 'show', '1234abcd'], cfg);
    assert.equal(show.code, 0, show.err);
    assert.match(show.out, /Rollen\s+: leerplicht, rmc/);
    assert.match(show.out, /Beheerder\s+: ja/);

    const nobody = await run(['code', 'issue', 'nobody', '--print'], cfg);
    assert.equal(nobody.code, 1);
    assert.match(nobody.err, /Geen account/);
  });

  it('an unexpected failure exits 2', async () => {
    const broken: Config = { ...cfg, stores: { ...cfg.stores, databaseUrl: 'postgres://mijnduo@127.0.0.1:1/none' } };
    const r = await run(['org', 'list'], broken);
    assert.equal(r.code, 2);
    assert.match(r.err, /unexpected error/);
  });

  it('bin/mijnduo.js runs the CLI from any directory and passes the exit code', async () => {
    const env = { NODE_ENV: 'test', MIJNDUO_KEYS_DIR: path.join(tmp, 'certs') };
    const ok = await bin(['keys', 'show'], env);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /sha256 {4}[0-9a-f]{64}/);
    const bad = await bin(['account', 'add', '--name', 'X'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /required option/);
  });
});
