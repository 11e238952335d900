import type { Client } from 'pg';
import type { GenerationNotice } from '../../src/adapter.js';
import type { Clock, TimerHandle } from '../../src/clock.js';
import { backoffDelay } from '../shared/backoff.js';
import { unrefTimer } from '../shared/clock.js';
import { parseNotice, type NoticeListeners } from '../shared/notice-listeners.js';

/**
 * What `postgresNotices` needs from the adapter.
 *
 * @example
 * ```ts
 * const options: PostgresNoticesOptions = { connect: async () => new pg.Client(), channelOf: (key) => key, heads: async () => [] };
 * ```
 */
export interface PostgresNoticesOptions {
  /** A new, unconnected client with the adapter's connection settings. */
  readonly connect: () => Promise<Client>;
  /** The NOTIFY channel the adapter's writes of `key` notify. */
  readonly channelOf: (key: string) => string;
  /** The heads of `keys` (highest published sequence and epoch), to catch up after (re)connecting. */
  readonly heads: (keys: string[]) => Promise<GenerationNotice[]>;
  /** The adapter's clock: it times the reconnects. @default systemClock */
  readonly clock?: Clock;
}

/**
 * The one `LISTEN` connection of an adapter's notices and what it listens to.
 *
 * @example
 * ```ts
 * const st: ListenState = { o, clock, listeners, client: undefined, listened: new Set(), opening: undefined,
 *   timer: undefined, failures: 0, closed: false, chain: Promise.resolve() };
 * ```
 */
export interface ListenState {
  readonly o: PostgresNoticesOptions;
  readonly clock: Clock;
  readonly listeners: NoticeListeners;
  /** The connected client, while there is one. */
  client: Client | undefined;
  /** Channels this client listens on. */
  listened: Set<string>;
  /** The connect in progress. */
  opening: Promise<void> | undefined;
  /** The reconnect waiting for its backoff. */
  timer: TimerHandle;
  /** Failed connects in a row: the backoff grows with them. */
  failures: number;
  /** Set by `close()`: nothing opens again. */
  closed: boolean;
  /** LISTEN and UNLISTEN changes, one after another on the one connection. */
  chain: Promise<void>;
}

const MAX_DELAY_MS = 5000;

const end = (c: Client) => void c.end().catch(() => undefined);

const catchUp = (st: ListenState, keys: string[]) => {
  if (keys.length === 0) return;
  st.o.heads(keys).then(
    (heads) => heads.forEach((head) => st.listeners.emit(head)),
    // The follower's resync poll covers what this misses.
    () => undefined,
  );
};

const onNotification = (st: ListenState, message: { payload?: string | undefined }) => {
  const notice = parseNotice(message.payload ?? '', true);
  if (notice?.key !== undefined) st.listeners.emit({ key: notice.key, seq: notice.seq, epoch: notice.epoch });
};

/**
 * LISTENs to what is wanted, UNLISTENs what is not, one change at a time on
 * the one connection; ends the connection once nothing is wanted, and reads
 * the heads of the keys it started listening to.
 *
 * @example
 * ```ts
 * if (st.client) void sync(st);
 * ```
 */
export function sync(st: ListenState): Promise<void> {
  st.chain = st.chain.then(async () => {
    const c = st.client;
    if (!c) return;
    const wanted = new Map(st.listeners.keys().map((key) => [st.o.channelOf(key), key]));
    const added: string[] = [];
    try {
      for (const [channel, key] of wanted) {
        if (st.listened.has(channel)) continue;
        await c.query(`LISTEN "${channel}"`);
        st.listened.add(channel);
        added.push(key);
      }
      for (const channel of st.listened) {
        if (wanted.has(channel)) continue;
        await c.query(`UNLISTEN "${channel}"`);
        st.listened.delete(channel);
      }
    } catch {
      lost(st, c);
      return;
    }
    if (wanted.size === 0 && st.client === c) {
      st.client = undefined;
      st.listened = new Set();
      end(c);
    }
    catchUp(
      st,
      added.filter((key) => st.listeners.keys().includes(key)),
    );
  });
  return st.chain;
}

/**
 * Reopens the connection after a backoff (an unref'd timer: notices alone
 * never keep a process alive), unless one is open, opening or waiting, or
 * nobody listens.
 *
 * @example
 * ```ts
 * schedule(st);
 * ```
 */
export function schedule(st: ListenState): void {
  if (st.closed || st.listeners.size === 0 || st.timer !== undefined || st.opening || st.client) return;
  st.timer = st.clock.setTimeout(
    () => {
      st.timer = undefined;
      open(st);
    },
    backoffDelay(st.failures, { minMs: 100, maxMs: MAX_DELAY_MS }),
  );
  unrefTimer(st.timer);
}

function lost(st: ListenState, c: Client): void {
  if (st.client !== c) return;
  st.client = undefined;
  st.listened = new Set();
  end(c);
  schedule(st);
}

/**
 * Opens the connection (when someone listens and none is open or opening),
 * then syncs what it listens to; a failed connect is tried again later ({@link schedule}).
 *
 * @example
 * ```ts
 * if (!st.client) open(st);
 * ```
 */
export function open(st: ListenState): void {
  if (st.closed || st.opening || st.client || st.listeners.size === 0) return;
  st.opening = (async () => {
    let c: Client | undefined;
    try {
      c = await st.o.connect();
      const created = c;
      created.on('error', () => lost(st, created));
      created.on('end', () => lost(st, created));
      created.on('notification', (message) => onNotification(st, message));
      await created.connect();
      if (st.closed || st.listeners.size === 0) {
        end(created);
        return;
      }
      st.client = created;
      st.failures = 0;
    } catch {
      st.failures++;
      if (c) end(c);
    }
  })().finally(() => {
    st.opening = undefined;
    if (st.client) void sync(st);
    else schedule(st);
  });
}
