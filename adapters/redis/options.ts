import type { Redis, RedisOptions } from 'ioredis';
import type { Clock } from '../../src/clock.js';

/** What the adapter takes from the `ioredis` module (`import('ioredis')` has it). */
export interface IoredisModule {
  readonly Redis: typeof Redis;
}

/** Options of {@link redisAdapter}. */
export interface RedisAdapterOptions {
  /** An ioredis client to run on. The adapter never closes a client it was given. @default a client for `url` */
  readonly client?: Redis;
  /** Server URL for the client the adapter creates (and closes on `dispose`). @default 'redis://127.0.0.1:6379' */
  readonly url?: string;
  /**
   * Extra ioredis options for the client the adapter creates. A connection
   * attempt gives up after `connectTimeout`; a command waits for at most
   * `maxRetriesPerRequest` reconnects, then fails with `connection`. The
   * client stops reconnecting after 6 failed attempts in a row (so a server
   * that is gone does not keep the process alive) and reconnects on the
   * adapter's next call.
   * @default { lazyConnect: true, maxRetriesPerRequest: 2, retryStrategy: 50, 100, 200, 400, 500, 500 ms, then give up } (and ioredis' connectTimeout: 10000)
   */
  readonly clientOptions?: RedisOptions;
  /**
   * Loads the `ioredis` driver (for bundlers that need a static import, or tests).
   * A driver that cannot be loaded fails with `driver-missing`.
   * @default () => import('ioredis')
   */
  readonly driver?: () => Promise<IoredisModule>;
  /** Prefix of every Redis key the adapter touches. @default 'xsc:' */
  readonly prefix?: string;
  /**
   * Refuse (`invalid-option`) a server that would lose acknowledged writes:
   * `appendonly no`, `appendfsync` other than `always`, or a server whose
   * configuration cannot be read. Without it such a server is used after a warning.
   * @default false
   */
  readonly strict?: boolean;
  /** Receives the durability warning. @default console.warn */
  readonly onWarning?: (message: string) => void;
  /** Lease lifetime when `acquire()` is called without `ttlMs`. @default 30000 */
  readonly leaseTtlMs?: number;
  /** Renew held leases in the background every third of their lifetime. @default true */
  readonly renewLeases?: boolean;
  /**
   * Time for the client side of leases (background renewal, the wait of
   * `acquire({ waitMs })`), retry pauses and reconnects; lease expiry itself is
   * by the server's clock.
   * @default systemClock
   */
  readonly clock?: Clock;
  /** Name this adapter writes into lease records (diagnostics). @default a random id */
  readonly owner?: string;
  /** Attempts in total for an operation that lost its connection (the first included). @default 3 */
  readonly attempts?: number;
}
