import { systemClock } from '../../src/clock.js';
import { noticeListeners, type NoticeHub } from '../shared/notice-listeners.js';
import { open, sync, type ListenState, type PostgresNoticesOptions } from './listen.js';

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
  const st: ListenState = {
    o,
    clock: o.clock ?? systemClock,
    listeners: noticeListeners(),
    client: undefined,
    listened: new Set(),
    opening: undefined,
    timer: undefined,
    failures: 0,
    closed: false,
    chain: Promise.resolve(),
  };
  const { listeners, clock } = st;
  return {
    subscribe(key, listener) {
      listeners.add(key, listener);
      if (st.client) void sync(st);
      else open(st);
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        listeners.delete(key, listener);
        if (st.client) void sync(st);
        if (listeners.size === 0 && st.timer !== undefined) {
          clock.clearTimeout(st.timer);
          st.timer = undefined;
        }
      };
    },
    async close() {
      st.closed = true;
      if (st.timer !== undefined) clock.clearTimeout(st.timer);
      st.timer = undefined;
      await st.opening;
      await st.chain;
      const c = st.client;
      st.client = undefined;
      if (c) await c.end().catch(() => undefined);
    },
  };
}
