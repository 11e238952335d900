import type { PoolClient, QueryResultRow } from 'pg';
import type { CheckpointErrorDetails } from '../../src/errors.js';
import { backoffDelay } from '../shared/backoff.js';
import { pause } from '../shared/clock.js';
import type { PostgresIo } from './context.js';
import { closed, failure } from './errors.js';
import { ensureSchema, getPool, ignore } from './pool.js';
import { preparedQuery } from './prepared.js';

/**
 * Runs one statement on `c`: as a named prepared statement (parsed and planned
 * once per connection) unless `preparedStatements` is off.
 *
 * @example
 * ```ts
 * const result = await query<{ payload: Buffer }>(io, client, io.sql.read, ['order-1', 3]);
 * ```
 */
export function query<R extends QueryResultRow = QueryResultRow>(
  io: PostgresIo,
  c: PoolClient,
  text: string,
  values?: unknown[],
) {
  return preparedQuery<R>(io.statements, c, text, values);
}

const backoff = (io: PostgresIo, attempt: number) =>
  pause(io.clock, backoffDelay(attempt, { minMs: io.minDelay, maxMs: io.maxDelay, jitter: true }));

/**
 * Runs `fn` on a pooled client. Connection failures before anything was sent
 * are always retried; after sending only when `retrySent` (the statement is
 * idempotent, or `onSentFailure` makes its retry safe). Refused with `closed`
 * once `dispose()` started (a retry too), which waits for the calls running.
 *
 * @example
 * ```ts
 * const result = await run(io, { key }, true, (c) => query(io, c, io.sql.list, [key]));
 * ```
 */
export function run<R>(
  io: PostgresIo,
  details: CheckpointErrorDetails,
  retrySent: boolean,
  fn: (client: PoolClient) => Promise<R>,
  onSentFailure?: () => void,
): Promise<R> {
  const running = attempts(io, { details, retrySent, fn, onSentFailure });
  io.running.add(running);
  const done = () => void io.running.delete(running);
  running.then(done, done);
  return running;
}

/** One call of {@link run}: its arguments after `io`. */
interface Call<R> {
  readonly details: CheckpointErrorDetails;
  readonly retrySent: boolean;
  readonly fn: (client: PoolClient) => Promise<R>;
  readonly onSentFailure: (() => void) | undefined;
}

async function attempts<R>(io: PostgresIo, { details, retrySent, fn, onSentFailure }: Call<R>): Promise<R> {
  for (let attempt = 0; ; attempt++) {
    // Also between retries: dispose() waits for running calls, not for a backoff loop against a server that is down.
    if (io.disposed || io.closing) throw closed(details.key);
    const last = attempt + 1 >= io.attempts;
    let client: PoolClient;
    try {
      const p = await getPool(io);
      if (io.createTable) await ensureSchema(io, p);
      client = await p.connect();
    } catch (error) {
      const mapped = failure(error, details, io.server);
      if (mapped.code === 'connection' && !last) {
        await backoff(io, attempt);
        continue;
      }
      throw mapped;
    }
    // A checked-out client re-emits a lost connection as an 'error' event after
    // failing its query; unheard, that event would crash the process.
    client.on('error', ignore);
    try {
      const result = await fn(client);
      client.off('error', ignore);
      client.release();
      return result;
    } catch (error) {
      const mapped = failure(error, details, io.server);
      client.off('error', ignore);
      // A client whose connection failed must not go back into the pool.
      client.release(mapped.code === 'connection' ? (error as Error) : undefined);
      if (mapped.code === 'connection') {
        onSentFailure?.();
        if (retrySent && !last) {
          await backoff(io, attempt);
          continue;
        }
      }
      throw mapped;
    }
  }
}
