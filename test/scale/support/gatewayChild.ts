// Entry of a gateway child process for the scale-out tests: the real startGateway on the
// configuration the parent hands over (MIJNDUO_CHILD_SPEC, JSON), in an accounts schema of the
// test's own. It reports where it listens over the IPC channel and answers a few test commands
// there (the lockout, which has no HTTP route of its own yet). SIGTERM runs the graceful stop.
import { accountsRegistryFor } from '../../../gateway/src/accounts/index.ts';
import { systemClock } from '../../../gateway/src/clock.ts';
import { loadConfig } from '../../../gateway/src/config.ts';
import { Lockout, lockIdForName } from '../../../gateway/src/koppel/Lockout.ts';
import { createLogger } from '../../../gateway/src/logger.ts';
import { startGateway } from '../../../gateway/src/main.ts';

export interface ChildSpec {
  /** Merged over config/test.yaml. */
  overrides: Record<string, unknown>;
  /** PostgreSQL schema for the accounts registry (shared by the processes of one test). */
  schema?: string;
  logLevel?: string;
}

export type ChildCommand =
  | { id: number; op: 'koppel-attempt-failed'; gebruikersnaam: string; subjectHash: string }
  | { id: number; op: 'blocked-until'; gebruikersnaam: string };

const send = (msg: unknown): void => {
  process.send?.(msg);
};

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.MIJNDUO_CHILD_SPEC ?? '{}') as ChildSpec;
  const config = loadConfig({ env: { ...process.env, NODE_ENV: 'test' }, overrides: spec.overrides });
  const clock = systemClock;
  const accounts = spec.schema ? await accountsRegistryFor(config.stores, clock, { schema: spec.schema }) : undefined;
  const logger = createLogger({ level: spec.logLevel ?? 'silent', destination: process.stderr });
  const running = await startGateway(config, { clock, logger, ...(accounts ? { accounts } : {}) });
  const lockout = new Lockout({ kv: running.kv, accounts: running.accounts, clock, config });

  process.on('message', (raw) => {
    const cmd = raw as ChildCommand;
    const answer = async (): Promise<unknown> => {
      switch (cmd.op) {
        case 'koppel-attempt-failed': {
          // What the koppel step does with a wrong code: reserve the attempt, then report it failed.
          const r = await lockout.reserve(Lockout.koppelTargets(cmd.gebruikersnaam, cmd.subjectHash));
          if (r.kind === 'blocked') return { blocked: true, until: r.until };
          const b = await lockout.failed(r, {});
          return { blocked: b !== null, until: b?.until ?? null, count: Math.max(...r.entries.map((e) => e.count)) };
        }
        case 'blocked-until':
          return { until: await lockout.blockedUntil({ dimension: 'gebruikersnaam', id: lockIdForName(cmd.gebruikersnaam) }) };
      }
    };
    answer().then(
      (result) => send({ id: cmd.id, ok: true, result }),
      (err: unknown) => send({ id: cmd.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  // The parent went away: do not linger.
  process.on('disconnect', stop);
  send({ type: 'listening', url: running.url, opsUrl: running.opsUrl, pid: process.pid });
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
