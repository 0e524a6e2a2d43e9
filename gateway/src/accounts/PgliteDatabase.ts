// SqlDatabase on PGlite: PostgreSQL compiled to WebAssembly, in this process, on disk or in
// memory. It has a single connection, so transactions run one after the other: PGlite makes
// every query outside a transaction wait until the running transaction ends. Row locks
// (FOR UPDATE) are therefore trivially held; the SQL stays the same as on a server.
import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { StoreUnavailableError } from '../store/KeyValueStore.ts';
import { assertSchemaName, type SqlDatabase, type SqlExecutor, type SqlParam } from './SqlDatabase.ts';

export interface PgliteDatabaseOptions {
  /** A directory for the data files, or 'memory' for a database that lives only in this process. */
  dataDir: string;
  /** Put this schema first in search_path (created when missing), as the pg driver can. */
  schema?: string;
}

type Runner = Pick<PGlite | Transaction, 'query' | 'exec'>;

function executor(r: Runner): SqlExecutor {
  return {
    async query<T>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
      const res = await r.query<T>(sql, params as unknown[]);
      return res.rows;
    },
    async exec(sql: string): Promise<void> {
      await r.exec(sql);
    },
  };
}

export class PgliteDatabase implements SqlDatabase {
  readonly driver = 'pglite' as const;
  private readonly direct: SqlExecutor;
  private closed = false;

  private constructor(private readonly pg: PGlite) {
    this.direct = executor(pg);
  }

  static async open(opts: PgliteDatabaseOptions): Promise<PgliteDatabase> {
    if (opts.schema !== undefined) assertSchemaName(opts.schema);
    let pg: PGlite;
    if (opts.dataDir === 'memory') {
      pg = await PGlite.create();
    } else {
      mkdirSync(opts.dataDir, { recursive: true });
      pg = await PGlite.create(opts.dataDir);
    }
    const db = new PgliteDatabase(pg);
    // One connection: setting search_path once holds for the whole session.
    if (opts.schema) await db.exec(`create schema if not exists ${opts.schema}; set search_path to ${opts.schema}`);
    return db;
  }

  async query<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    this.open();
    return this.direct.query<T>(sql, params);
  }

  async exec(sql: string): Promise<void> {
    this.open();
    return this.direct.exec(sql);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.open();
    return this.pg.transaction((tx) => fn(executor(tx)));
  }

  async ping(): Promise<void> {
    await this.query('select 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pg.close();
  }

  private open(): void {
    if (this.closed) throw new StoreUnavailableError('the embedded database is closed');
  }
}
