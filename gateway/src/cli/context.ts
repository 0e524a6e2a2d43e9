// The context every CLI command function takes. The `mijnduo` command builds the real one
// (createCliContext); the dev starter and tests build their own and call the functions directly.
import type { AccountsRegistry } from '../accounts/AccountsRegistry.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { KeyMaterial } from '../keys/KeyMaterial.ts';
import type { Mailer } from '../mail/Mailer.ts';
import type { KeyValueStore } from '../store/KeyValueStore.ts';

export interface CliContext {
  config: Config;
  accounts: AccountsRegistry;
  mailer: Mailer;
  keys: KeyMaterial;
  clock: Clock;
  /** Where command output goes, one line at a time (stdout in the CLI). */
  out: (line: string) => void;
  /** Who runs the command, for the audit trail (default: the OS user). */
  actor?: string;
  /**
   * The gateway's KeyValue store (lockouts live there); only the commands that need it get
   * one. Without REDIS_URL it is an empty in-memory store that sees nothing of the gateway.
   */
  kv?: KeyValueStore;
}

/** A mistake of the person at the keyboard: exit code 1 and this message, in Dutch and English. */
export class CliUserError extends Error {
  constructor(
    readonly nl: string,
    readonly en: string,
  ) {
    super(`${nl}\n${en}`);
    this.name = 'CliUserError';
  }
}

export function actorOf(ctx: Pick<CliContext, 'actor'>): string {
  return ctx.actor ?? process.env.SUDO_USER ?? process.env.USER ?? 'cli';
}
