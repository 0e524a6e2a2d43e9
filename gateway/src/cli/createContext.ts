// Builds the real CLI context from config: the SQL accounts registry (PostgreSQL or PGlite),
// the mailer (SMTP or the development outbox) and the key material.
import { createAccountsRegistry } from '../accounts/index.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { prepareKeys } from '../keys/KeyLoader.ts';
import { createMailer, type Mailer } from '../mail/Mailer.ts';
import { createKeyValueStore, type KeyValueStore } from '../store/index.ts';
import type { CliContext } from './context.ts';

export interface CreateCliContextOptions {
  clock?: Clock;
  out?: (line: string) => void;
  mailer?: Mailer;
  actor?: string;
  /** Also connect the KeyValue store (lockout commands). */
  withKeyValue?: boolean;
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
  const out = opts.out ?? ((line: string) => process.stdout.write(line + '\n'));
  let kv: KeyValueStore | undefined;
  try {
    kv = opts.withKeyValue ? await createKeyValueStore(cfg, clock, { onWarning: (w) => out(`Let op / warning: ${w}`) }) : undefined;
  } catch (err) {
    await accounts.close();
    throw err;
  }
  return {
    config: cfg,
    accounts,
    mailer,
    keys,
    clock,
    out,
    ...(opts.actor ? { actor: opts.actor } : {}),
    ...(kv ? { kv } : {}),
    async close() {
      const m = mailer as Mailer & { close?: () => void };
      m.close?.();
      await kv?.close();
      await accounts.close();
    },
  };
}
