// Builds the real CLI context from config: the SQL accounts registry (PostgreSQL or PGlite),
// the mailer (SMTP or the development outbox) and the key material.
import { createAccountsRegistry } from '../accounts/index.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { prepareKeys } from '../keys/KeyLoader.ts';
import { createMailer, type Mailer } from '../mail/Mailer.ts';
import type { CliContext } from './context.ts';

export interface CreateCliContextOptions {
  clock?: Clock;
  out?: (line: string) => void;
  mailer?: Mailer;
  actor?: string;
}

export async function createCliContext(
  cfg: Config,
  opts: CreateCliContextOptions = {},
): Promise<CliContext & { close(): Promise<void> }> {
  const clock = opts.clock ?? systemClock;
  const keys = await prepareKeys(cfg);
  // Comes back migrated.
  const accounts = await createAccountsRegistry(cfg, clock);
  const mailer = opts.mailer ?? createMailer(cfg, clock);
  return {
    config: cfg,
    accounts,
    mailer,
    keys,
    clock,
    out: opts.out ?? ((line) => process.stdout.write(line + '\n')),
    ...(opts.actor ? { actor: opts.actor } : {}),
    async close() {
      const m = mailer as Mailer & { close?: () => void };
      m.close?.();
      await accounts.close();
    },
  };
}
