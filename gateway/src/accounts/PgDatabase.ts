// SqlDatabase on a PostgreSQL server through a pg Pool.
// Outages: connecting and every query have time limits, and connection-level failures become
// StoreUnavailableError (the gateway answers 503). The pool opens fresh connections on demand,
// so the gateway recovers by itself when PostgreSQL returns.
import pg from 'pg';
import { StoreUnavailableError } from '../store/KeyValueStore.ts';
import type { StoreHooks } from '../store/StoreHooks.ts';
import { assertSchemaName, sqlState, UNIQUE_VIOLATION, type SqlDatabase, type SqlExecutor, type SqlParam } from './SqlDatabase.ts';

export interface PgDatabaseOptions {
  connectionString: string;
  /**
   * Put this schema first in search_path on every connection (tests isolate a run in a fresh
   * schema this way). Created when missing.
   */
  schema?: string;
  maxConnections?: number;
  connectTimeoutMs?: number;
  /** Client-side limit per query, for a server that stops answering. */
  queryTimeoutMs?: number;
  hooks?: StoreHooks;
}

const DUPLICATE_SCHEMA = '42P06';
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// 57P01-03: server shutting down or starting; 53300: no connection slot free.
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connection error|Cannot use a pool after calling end/i;

/** Whether a pg error means "the server cannot be reached" rather than "this SQL failed". */
export function isConnectionFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  const state = sqlState(err);
  if (state && (state.startsWith('08') || UNAVAILABLE_STATES.has(state))) return true;
  return err instanceof Error && UNAVAILABLE_MESSAGES.test(err.message);
}

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;
type Translate = (err: unknown) => unknown;

function executor(q: Queryable, translate: Translate): SqlExecutor {
  return {
    async query<T>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
      try {
        const res = await q.query(sql, params as unknown[]);
        return res.rows as T[];
      } catch (err) {
        throw translate(err);
      }
    },
    async exec(sql: string): Promise<void> {
      try {
        // Without parameters pg uses the simple protocol, which runs several statements.
        await q.query(sql);
      } catch (err) {
        throw translate(err);
      }
    },
  };
}

export class PgDatabase implements SqlDatabase {
  readonly driver = 'pg' as const;
  private readonly direct: SqlExecutor;
  private readonly translate: Translate;

  private constructor(
    private readonly pool: pg.Pool,
    hooks: StoreHooks | undefined,
  ) {
    const state = watchPool(pool, hooks);
    this.translate = (err) => {
      if (!isConnectionFailure(err)) return err;
      state.down(err);
      return new StoreUnavailableError('PostgreSQL unavailable', { cause: err });
    };
    this.direct = executor(pool, this.translate);
  }

  static async connect(opts: PgDatabaseOptions): Promise<PgDatabase> {
    if (opts.schema !== undefined) assertSchemaName(opts.schema);
    const pool = new pg.Pool({
      connectionString: opts.connectionString,
      max: opts.maxConnections ?? 10,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 3000,
      query_timeout: opts.queryTimeoutMs ?? 10_000,
      idleTimeoutMillis: 30_000,
      application_name: 'mijnduo-gateway',
      // A startup parameter, so it holds for every connection the pool ever opens.
      ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
    });
    const db = new PgDatabase(pool, opts.hooks);
    try {
      if (opts.schema) await createSchema(db, opts.schema);
      else await db.ping();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    return db;
  }

  query<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    return this.direct.query<T>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.direct.exec(sql);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.translate(err);
    }
    // A connection that failed mid-transaction must not go back into the pool.
    let broken: Error | undefined;
    try {
      const tx = executor(client, this.translate);
      await tx.exec('begin');
      const result = await fn(tx);
      await tx.exec('commit');
      return result;
    } catch (err) {
      try {
        await client.query('rollback');
      } catch (rollbackErr) {
        broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
      }
      throw this.translate(err);
    } finally {
      client.release(broken);
    }
  }

  async ping(): Promise<void> {
    await this.direct.query('select 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** "if not exists" still races between two sessions; losing that race is fine. */
async function createSchema(db: PgDatabase, schema: string): Promise<void> {
  try {
    await db.exec(`create schema if not exists ${schema}`);
  } catch (err) {
    const state = sqlState(err);
    if (state !== UNIQUE_VIOLATION && state !== DUPLICATE_SCHEMA) throw err;
  }
}

/** Reports each outage once and each recovery once. */
function watchPool(pool: pg.Pool, hooks: StoreHooks | undefined): { down(err: unknown): void } {
  let isDown = false;
  const down = (err: unknown): void => {
    if (isDown) return;
    isDown = true;
    hooks?.onConnectionChange?.('down', err);
  };
  // An idle connection that dies (server restart) is reported here; without a listener the
  // process would crash. The pool drops that connection and opens a new one when needed.
  pool.on('error', down);
  pool.on('connect', () => {
    if (!isDown) return;
    isDown = false;
    hooks?.onConnectionChange?.('up');
  });
  return { down };
}
