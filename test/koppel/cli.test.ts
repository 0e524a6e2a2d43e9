// The beheer commands of this issue: `mijnduo lockout list|lift`, `mijnduo sweep`,
// `mijnduo koppeling undo`, through runCli (parsing, exit codes) and as functions.
import assert from 'node:assert/strict';
import { runCli, type CliIo } from '../../gateway/src/cli.ts';
import { ManualClock } from '../../gateway/src/clock.ts';
import type { Config } from '../../gateway/src/config.ts';
import { lockoutLift, lockoutList } from '../../gateway/src/cli/lockout.ts';
import type { CliContext } from '../../gateway/src/cli/context.ts';
import { CliUserError } from '../../gateway/src/cli/context.ts';
import { Lockout } from '../../gateway/src/koppel/Lockout.ts';
import type { SqlAccountsRegistry } from '../../gateway/src/accounts/SqlAccountsRegistry.ts';
import { MemoryKeyValueStore } from '../../gateway/src/store/MemoryKeyValueStore.ts';
import { MemoryMailer } from '../../gateway/src/mail/Mailer.ts';
import { prepareKeys } from '../../gateway/src/keys/KeyLoader.ts';
import { createTestRegistry } from '../support/stores.ts';
import { cliTestConfig, type CliConfig } from '../support/cliConfig.ts';

async function run(argv: string[], config: Config): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), config };
  const code = await runCli(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('mijnduo lockout / sweep / koppeling commands', function () {
  this.timeout(120_000);
  const cli = cliTestConfig('mijnduo-cli-koppel-');
  let { cfg } = {} as CliConfig;
  before(() => ({ cfg } = cli));

  it('are registered and answer: sweep, lockout list, and user errors exit 1', async () => {
    const swept = await run(['sweep'], cfg);
    assert.equal(swept.code, 0, swept.err);
    assert.match(swept.out, /0 koppeling\(en\) ongedaan gemaakt na 18 maanden/);
    const listed = await run(['lockout', 'list'], cfg);
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, /Geen blokkades/);
    assert.match(listed.out, /in-memory KeyValue store/, 'warns that without Redis it cannot see the gateway');
    const liftNothing = await run(['lockout', 'lift'], cfg);
    assert.equal(liftNothing.code, 1);
    assert.match(liftNothing.err, /Geef een gebruikersnaam óf --subject/);
    const badReason = await run(['koppeling', 'undo', 'nobody', '--reason', 'forgotten'], cfg);
    assert.equal(badReason.code, 1);
    assert.match(badReason.err, /lost, stolen of defective/);
    const noReason = await run(['koppeling', 'undo', 'nobody'], cfg);
    assert.equal(noReason.code, 1);
  });

  describe('lockout list and lift as functions, on the gateway\'s store', () => {
    let registry: SqlAccountsRegistry;
    let ctx: CliContext;
    let lines: string[];
    let clock: ManualClock;

    before(async () => {
      clock = new ManualClock(Date.UTC(2026, 5, 1, 10, 0, 0)); // 12:00 in Amsterdam (summer time)
      registry = await createTestRegistry(clock);
      lines = [];
      ctx = {
        config: cfg,
        accounts: registry,
        mailer: new MemoryMailer(),
        keys: await prepareKeys(cfg),
        clock,
        out: (l) => lines.push(l),
        actor: 'beheer-cli',
        kv: new MemoryKeyValueStore(clock, { sweepIntervalMs: 0 }),
      };
    });
    after(async () => {
      await ctx?.kv?.close();
      await registry?.close();
    });

    it('lists a lock with its end in Dutch time and lifts it (audited)', async () => {
      const lockout = new Lockout({ kv: ctx.kv!, accounts: registry, clock, config: cfg });
      for (let i = 0; i < 5; i++) {
        const r = await lockout.reserve(Lockout.koppelTargets('4321dcba', String(i).repeat(64)));
        if (r.kind === 'reserved') await lockout.failed(r, { accountId: null });
      }
      const entries = await lockoutList(ctx);
      assert.equal(entries.length, 1);
      assert.match(lines.join('\n'), /gebruikersnaam\t4321dcba\t12:00\t12:15/);
      lines.length = 0;
      const lifted = await lockoutLift(ctx, { gebruikersnaam: '4321dcba' });
      assert.deepEqual(lifted.lifted, ['gebruikersnaam']);
      assert.match(lines.join('\n'), /Blokkade opgeheven/);
      assert.equal((await lockoutList(ctx)).length, 0);
      const [audit] = await registry.listAudit({ action: 'lockout.lifted' });
      assert.deepEqual([audit?.actorType, audit?.actorId], ['cli', 'beheer-cli']);
      await assert.rejects(lockoutLift(ctx, { gebruikersnaam: 'x', subject: 'y' }), CliUserError);
    });
  });
});
