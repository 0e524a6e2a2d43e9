// Applies the numbered .sql files in migrations/ once each, in order, and records them in
// schema_migrations. Everything runs in one transaction under an advisory lock, so two
// processes starting at once do not both migrate: the second waits, then finds nothing to do.
// An applied file that was edited afterwards stops the start-up: migrations are history.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SqlDatabase } from './SqlDatabase.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

export interface Migration {
  /** The leading number, e.g. '001'. */
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((file) => {
      const m = /^(\d+)_([a-z0-9_-]+)\.sql$/.exec(file);
      if (!m) throw new Error(`migration file name must look like 001_name.sql: ${file}`);
      const sql = readFileSync(`${dir}/${file}`, 'utf8');
      return { version: m[1]!, name: m[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/** Applies what is missing; returns the versions applied by this call. */
export async function migrate(db: SqlDatabase, migrations: Migration[] = loadMigrations()): Promise<string[]> {
  return db.transaction(async (tx) => {
    // Keyed by schema, so test runs in separate schemas do not wait for each other.
    await tx.query(`select pg_advisory_xact_lock(hashtext('mijnduo:migrate:' || coalesce(current_schema(), '')))`);
    await tx.exec(`create table if not exists schema_migrations (
      version     text primary key,
      name        text not null,
      checksum    text not null,
      applied_at  timestamptz not null default now()
    )`);
    const rows = await tx.query<{ version: string; checksum: string }>('select version, checksum from schema_migrations');
    const applied = new Map(rows.map((r) => [r.version, r.checksum]));
    const done: string[] = [];
    for (const m of migrations) {
      const checksum = applied.get(m.version);
      if (checksum !== undefined) {
        if (checksum !== m.checksum) throw new Error(`migration ${m.version}_${m.name} was changed after it was applied`);
        continue;
      }
      await tx.exec(m.sql);
      await tx.query('insert into schema_migrations (version, name, checksum) values ($1, $2, $3)', [m.version, m.name, m.checksum]);
      done.push(m.version);
    }
    return done;
  });
}
