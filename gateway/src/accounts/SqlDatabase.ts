// The small SQL port under the accounts registry. Two drivers implement it (pg for a real
// PostgreSQL server, PGlite embedded) and the registry sends both the same SQL: `$1` parameters,
// timestamptz values as Date, jsonb written from text (`$n::text::jsonb`).

export type SqlParam = string | number | boolean | Date | null | readonly string[];

export interface SqlExecutor {
  /** One statement with `$n` parameters; the rows it returns. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  /** A script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlDatabase extends SqlExecutor {
  readonly driver: 'pg' | 'pglite';
  /**
   * Runs `fn` in one transaction (READ COMMITTED): commits when it resolves, rolls back when it
   * throws. Inside, use only `tx`; the database itself may wait for this transaction to end.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Answers when the database is reachable; throws StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The SQLSTATE of a database error, when it carries one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The constraint a database error names, when it names one. */
export function sqlConstraint(err: unknown): string | undefined {
  const c = (err as { constraint?: unknown } | null)?.constraint;
  return typeof c === 'string' ? c : undefined;
}

export const UNIQUE_VIOLATION = '23505';
export const SERIALIZATION_FAILURE = '40001';
export const DEADLOCK_DETECTED = '40P01';

/** A schema name we put in search_path and SQL text: plain lower-case identifiers only. */
export function assertSchemaName(schema: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new RangeError(`invalid schema name: ${schema}`);
}
