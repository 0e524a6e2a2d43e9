// Chooses the database from config (PostgreSQL when a URL is configured, else embedded PGlite),
// brings its schema up to date and hands back the registry.
import type { Clock } from '../clock.ts';
import { projectPath, type Config } from '../config.ts';
import type { StoreHooks } from '../store/StoreHooks.ts';
import { PgDatabase } from './PgDatabase.ts';
import { PgliteDatabase } from './PgliteDatabase.ts';
import { SqlAccountsRegistry } from './SqlAccountsRegistry.ts';
import type { SqlDatabase } from './SqlDatabase.ts';

export type * from './AccountsRegistry.ts';
export { InvalidRegistryInputError, RegistryConflictError, RegistryNotFoundError } from './errors.ts';
export { SqlAccountsRegistry } from './SqlAccountsRegistry.ts';
export { generateGebruikersnaam, normaliseGebruikersnaam } from './gebruikersnaam.ts';

export interface CreateAccountsRegistryOptions {
  /** Work in this schema (created when missing); tests use a fresh one per run. */
  schema?: string;
  hooks?: StoreHooks;
}

export type StoresConfig = Config['stores'];

export async function openSqlDatabase(stores: StoresConfig, opts: CreateAccountsRegistryOptions = {}): Promise<SqlDatabase> {
  if (stores.databaseUrl) {
    return PgDatabase.connect({ connectionString: stores.databaseUrl, schema: opts.schema, hooks: opts.hooks });
  }
  const dir = stores.pgliteDir === 'memory' ? 'memory' : projectPath(stores.pgliteDir);
  return PgliteDatabase.open({ dataDir: dir, schema: opts.schema });
}

/**
 * The registry, migrated. Its type is the SQL implementation, which also offers the
 * mededelingen methods (MededelingenRegistry).
 */
export async function createAccountsRegistry(cfg: Config, clock: Clock, opts: CreateAccountsRegistryOptions = {}): Promise<SqlAccountsRegistry> {
  return accountsRegistryFor(cfg.stores, clock, opts);
}

/** The same, from the stores section alone (tests and tools that have no full Config). */
export async function accountsRegistryFor(stores: StoresConfig, clock: Clock, opts: CreateAccountsRegistryOptions = {}): Promise<SqlAccountsRegistry> {
  const db = await openSqlDatabase(stores, opts);
  const registry = new SqlAccountsRegistry(db, clock);
  try {
    await registry.migrate();
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return registry;
}
