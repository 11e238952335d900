import type { Client } from 'pg';
import type { GenerationNotice } from '../../src/adapter.js';
import { systemClock, type Clock, type TimerHandle } from '../../src/clock.js';
import { backoffDelay } from '../shared/backoff.js';
import { unrefTimer } from '../shared/clock.js';
import { noticeListeners, parseNotice, type NoticeHub } from '../shared/notice-listeners.js';

/** What {@link postgresNotices} needs from the adapter. */
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

const MAX_DELAY_MS = 5000;

/**
 * `subscribe` over `LISTEN`/`NOTIFY`: one dedicated connection per adapter
 * (a pooled one would be handed to other queries), opened with the first
 * listener and ended with the last one or `close()`. A lost connection is
 * reopened with backoff (an unref'd timer: notices alone never keep a process
 * alive); after each `LISTEN` the heads of the keys are read once, so a write
 * made while nothing listened is still announced.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { postgresNotices } from './notices.js';
 * const hub = postgresNotices({
 *   connect: async () => new pg.Client(),
 *   channelOf: (key) => `xsc_${key.length}`,
 *   heads: async () => [],
 * });
 * const stop = hub.subscribe('order-1', (notice) => console.log(notice.seq));
 * stop();
 * await hub.close();
 * ```
 */
export function postgresNotices(o: PostgresNoticesOptions): NoticeHub {
  const listeners = noticeListeners();
  let client: Client | undefined;
  let listened = new Set<string>();
  let opening: Promise<void> | undefined;
  const clock = o.clock ?? systemClock;
  let timer: TimerHandle;
  let failures = 0;
  let closed = false;
  let chain: Promise<void> = Promise.resolve();

  const catchUp = (keys: string[]) => {
    if (keys.length === 0) return;
    o.heads(keys).then(
      (heads) => heads.forEach((head) => listeners.emit(head)),
      // The follower's resync poll covers what this misses.
      () => undefined,
    );
  };

  const onNotification = (message: { payload?: string | undefined }) => {
    const notice = parseNotice(message.payload ?? '', true);
    if (notice?.key !== undefined) listeners.emit({ key: notice.key, seq: notice.seq, epoch: notice.epoch });
  };

  const end = (c: Client) => void c.end().catch(() => undefined);

  // LISTEN what is wanted, UNLISTEN what is not, one change at a time on the one connection.
  const sync = (): Promise<void> => {
    chain = chain.then(async () => {
      const c = client;
      if (!c) return;
      const wanted = new Map(listeners.keys().map((key) => [o.channelOf(key), key]));
      const added: string[] = [];
      try {
        for (const [channel, key] of wanted) {
          if (listened.has(channel)) continue;
          await c.query(`LISTEN "${channel}"`);
          listened.add(channel);
          added.push(key);
        }
        for (const channel of listened) {
          if (wanted.has(channel)) continue;
          await c.query(`UNLISTEN "${channel}"`);
          listened.delete(channel);
        }
      } catch {
        lost(c);
        return;
      }
      if (wanted.size === 0 && client === c) {
        client = undefined;
        listened = new Set();
        end(c);
      }
      catchUp(added.filter((key) => listeners.keys().includes(key)));
    });
    return chain;
  };

  const schedule = () => {
    if (closed || listeners.size === 0 || timer !== undefined || opening || client) return;
    timer = clock.setTimeout(
      () => {
        timer = undefined;
        open();
      },
      backoffDelay(failures, { minMs: 100, maxMs: MAX_DELAY_MS }),
    );
    unrefTimer(timer);
  };

  function lost(c: Client): void {
    if (client !== c) return;
    client = undefined;
    listened = new Set();
    end(c);
    schedule();
  }

  function open(): void {
    if (closed || opening || client || listeners.size === 0) return;
    opening = (async () => {
      let c: Client | undefined;
      try {
        c = await o.connect();
        const created = c;
        created.on('error', () => lost(created));
        created.on('end', () => lost(created));
        created.on('notification', onNotification);
        await created.connect();
        if (closed || listeners.size === 0) {
          end(created);
          return;
        }
        client = created;
        failures = 0;
      } catch {
        failures++;
        if (c) end(c);
      }
    })().finally(() => {
      opening = undefined;
      if (client) void sync();
      else schedule();
    });
  }

  return {
    subscribe(key, listener) {
      listeners.add(key, listener);
      if (client) void sync();
      else open();
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        listeners.delete(key, listener);
        if (client) void sync();
        if (listeners.size === 0 && timer !== undefined) {
          clock.clearTimeout(timer);
          timer = undefined;
        }
      };
    },
    async close() {
      closed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      await opening;
      await chain;
      const c = client;
      client = undefined;
      if (c) await c.end().catch(() => undefined);
    },
  };
}
