// The KeyValue port on Redis (node-redis). Two gateway processes on one Redis behave as one
// because every compound step is a single atomic Redis operation (GETDEL, SET NX, MULTI).
//
// Outages: the offline queue is disabled, so while Redis is away calls fail at once with
// StoreUnavailableError (the gateway answers 503) instead of piling up; and every call has its
// own time limit (run()), because node-redis's command timeout stops counting once a command is
// written and a hung server would otherwise keep the caller waiting forever. node-redis's own
// timeout (5 s unless told otherwise) is switched off: it adds nothing to ours, and it costs an
// AbortSignal.timeout() per command whose timer fires seconds later for nothing (13-15 % of a
// token refresh's CPU, docs/performance.md). The client keeps reconnecting in the background,
// so the gateway recovers by itself.
// Needs Redis ≥ 7.0 (PEXPIRE NX/GT).
import { createClient, ErrorReply, type RedisClientType } from 'redis';
import { StoreUnavailableError, type KeyValueStore } from './KeyValueStore.ts';
import type { StoreHooks } from './StoreHooks.ts';
import { assertTtl } from './ttl.ts';

export interface RedisKeyValueStoreOptions {
  /** redis://host:port/db */
  url: string;
  /** Prepended to every key, so a shared server keeps our keys apart. */
  keyPrefix: string;
  /** A command without an answer after this long fails (server hung or network lost). */
  commandTimeoutMs?: number;
  /** One TCP connect attempt gives up after this long. */
  connectTimeoutMs?: number;
  /** How long connect() waits for the first connection before it reports the store unavailable. */
  startupTimeoutMs?: number;
  /** Upper bound of the pause between reconnect attempts. */
  maxReconnectDelayMs?: number;
  hooks?: StoreHooks;
}

export class RedisKeyValueStore implements KeyValueStore {
  private constructor(
    private readonly client: RedisClientType,
    private readonly prefix: string,
    private readonly commandTimeoutMs: number,
  ) {}

  /**
   * Connects and waits for the first answer. Throws StoreUnavailableError when Redis does not
   * answer within startupTimeoutMs; the half-made client is then torn down.
   */
  static async connect(opts: RedisKeyValueStoreOptions): Promise<RedisKeyValueStore> {
    const maxDelay = opts.maxReconnectDelayMs ?? 1000;
    const commandTimeoutMs = opts.commandTimeoutMs ?? 2000;
    const client: RedisClientType = createClient({
      url: opts.url,
      // Fail fast while disconnected rather than queueing work that may never run.
      disableOfflineQueue: true,
      // 0: none (see the top of this file; run() keeps the time limit).
      commandOptions: { timeout: 0 },
      socket: {
        connectTimeout: opts.connectTimeoutMs ?? 2000,
        // Never give up: the gateway must come back by itself when Redis returns.
        reconnectStrategy: (retries) => Math.min(50 * 2 ** Math.min(retries, 10), maxDelay),
      },
    });
    watchConnection(client, opts.hooks);

    const connecting = client.connect();
    // connect() keeps retrying until Redis answers; it may settle after we gave up below.
    connecting.catch(() => undefined);
    const startupTimeoutMs = opts.startupTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), startupTimeoutMs);
    });
    try {
      const outcome = await Promise.race([connecting.then(() => 'ready' as const), gaveUp]);
      if (outcome === 'timeout') {
        client.destroy();
        throw new StoreUnavailableError(`Redis did not answer within ${startupTimeoutMs} ms`);
      }
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      client.destroy();
      throw new StoreUnavailableError('Redis connection failed', { cause: err });
    } finally {
      clearTimeout(timer);
    }
    return new RedisKeyValueStore(client, opts.keyPrefix, commandTimeoutMs);
  }

  async get(key: string): Promise<string | null> {
    return this.run('GET', () => this.client.get(this.k(key)));
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    assertTtl(ttlMs);
    await this.run('SET', () => this.client.set(this.k(key), value, { expiration: { type: 'PX', value: ttlMs } }));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    const reply = await this.run('SET NX', () =>
      this.client.set(this.k(key), value, { expiration: { type: 'PX', value: ttlMs }, condition: 'NX' }),
    );
    return reply === 'OK';
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    assertTtl(ttlMs);
    const k = this.k(key);
    // MULTI makes both one step; NX gives the TTL only to a key without one, i.e. a new counter.
    const [count] = await this.run('INCR', () => this.client.multi().incr(k).pExpire(k, ttlMs, 'NX').exec());
    return Number(count);
  }

  async ttl(key: string): Promise<number | null> {
    const ms = Number(await this.run('PTTL', () => this.client.pTTL(this.k(key))));
    if (ms === -2) return null;
    // -1: the key exists without expiry, which this port never creates.
    return ms === -1 ? Number.POSITIVE_INFINITY : ms;
  }

  async delete(key: string): Promise<boolean> {
    return (await this.run('DEL', () => this.client.del(this.k(key)))) > 0;
  }

  async consume(key: string): Promise<string | null> {
    return this.run('GETDEL', () => this.client.getDel(this.k(key)));
  }

  async addToSet(key: string, member: string, ttlMs: number): Promise<void> {
    assertTtl(ttlMs);
    const k = this.k(key);
    // NX sets the TTL of a new set; GT only ever lengthens it, so the index outlives its
    // longest-lived member.
    await this.run('SADD', () =>
      this.client.multi().sAdd(k, member).pExpire(k, ttlMs, 'NX').pExpire(k, ttlMs, 'GT').exec(),
    );
  }

  async members(key: string): Promise<string[]> {
    return this.run('SMEMBERS', () => this.client.sMembers(this.k(key)));
  }

  async ping(): Promise<void> {
    await this.run('PING', () => this.client.ping());
  }

  async close(): Promise<void> {
    if (!this.client.isOpen) return;
    // close() waits for commands in flight; when Redis is away there is nothing to wait for.
    if (this.client.isReady) await this.client.close();
    else this.client.destroy();
  }

  private k(key: string): string {
    return this.prefix + key;
  }

  /**
   * Runs one command within the time limit; anything but an answer from Redis itself means
   * "unavailable". A late answer is still read off the connection in order, then dropped.
   */
  private async run<T>(command: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreUnavailableError(`Redis did not answer ${command} within ${this.commandTimeoutMs} ms`)),
        this.commandTimeoutMs,
      );
    });
    const pending = Promise.resolve().then(fn);
    pending.catch(() => undefined); // settles after the limit when the server was hung
    try {
      return await Promise.race([pending, limit]);
    } catch (err) {
      // A Redis error reply (WRONGTYPE, …) is a bug in the caller, not an outage.
      if (err instanceof ErrorReply || err instanceof StoreUnavailableError) throw err;
      throw new StoreUnavailableError(`Redis unavailable (${command})`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Reports each outage once and each recovery once, not every reconnect attempt. */
function watchConnection(client: RedisClientType, hooks: StoreHooks | undefined): void {
  let state: 'starting' | 'up' | 'down' = 'starting';
  // Without an 'error' listener node-redis would crash the process on a socket error.
  client.on('error', (err: unknown) => {
    if (state === 'down') return;
    state = 'down';
    hooks?.onConnectionChange?.('down', err);
  });
  client.on('ready', () => {
    if (state === 'up') return;
    state = 'up';
    hooks?.onConnectionChange?.('up');
  });
}
