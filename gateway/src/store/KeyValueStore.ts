// The KeyValue port: all ephemeral state (oidc-provider models, SAML request ids, replay
// cache, lockout counters, wizard state) goes through this, so Redis and the embedded
// in-memory store are interchangeable and pass one contract suite.
//
// Keys given to the port are logical; implementations add the configured prefix.
// Every value has a TTL: nothing ephemeral lives forever.
export interface KeyValueStore {
  /** Value or null when absent/expired. */
  get(key: string): Promise<string | null>;
  /** Set with a TTL in milliseconds (> 0). */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * Set only when the key does not exist (SET NX PX). Returns true when this call set it.
   * The building block of every replay cache.
   */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * Atomically increment a counter and return the new value. The TTL is applied only when
   * the counter is created (so a window starts at the first failure and is not extended).
   */
  increment(key: string, ttlMs: number): Promise<number>;
  /** Remaining TTL in ms, or null when the key does not exist. */
  ttl(key: string): Promise<number | null>;
  /** Delete; true when something was deleted. */
  delete(key: string): Promise<boolean>;
  /**
   * Get and delete in one atomic step (GETDEL). Exactly one of any number of concurrent
   * callers gets the value; the rest get null. Used for single-use ids and codes.
   */
  consume(key: string): Promise<string | null>;
  /** Set members, for oidc-provider's grant → token index. */
  addToSet(key: string, member: string, ttlMs: number): Promise<void>;
  members(key: string): Promise<string[]>;
  /** Answers when the backing server is reachable (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by implementations when the backing server cannot be reached. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
