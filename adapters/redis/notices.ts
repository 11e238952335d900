import type { Redis } from 'ioredis';
import type { GenerationNotice } from '../../src/adapter.js';
import { noticeListeners, parseNotice } from '../shared/notice-listeners.js';
import type { NoticeHub } from '../shared/notice-listeners.js';

/** What {@link redisNotices} needs from the adapter. */
export interface RedisNoticesOptions {
  /** A new subscriber connection (the adapter's client duplicated, lazily connecting). */
  readonly connect: () => Promise<Redis>;
  /** The pub/sub channel the adapter's write script publishes `key`'s generations on. */
  readonly channelOf: (key: string) => string;
  /** The heads of `keys`, to catch up after (re)connecting. */
  readonly heads: (keys: string[]) => Promise<GenerationNotice[]>;
}

/**
 * `subscribe` over Redis pub/sub: one subscriber connection per adapter (a
 * subscribed connection cannot run other commands), opened with the first
 * listener and closed with the last one or `close()`. ioredis reconnects it;
 * on every `ready` the channels are subscribed again and the keys' heads read
 * once, so a generation published while the connection was down is announced.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { redisNotices } from './notices.js';
 * const hub = redisNotices({
 *   connect: async () => new Redis({ lazyConnect: true }),
 *   channelOf: (key) => `xsc:n:${key}`,
 *   heads: async () => [],
 * });
 * const stop = hub.subscribe('order-1', (notice) => console.log(notice.seq));
 * stop();
 * await hub.close();
 * ```
 */
export function redisNotices(o: RedisNoticesOptions): NoticeHub {
  const listeners = noticeListeners();
  const keyOf = new Map<string, string>();
  let subscriber: Promise<Redis> | undefined;
  let closed = false;

  const catchUp = (keys: string[]) => {
    if (keys.length === 0) return;
    o.heads(keys).then(
      (heads) => heads.forEach((head) => listeners.emit(head)),
      // The follower's resync poll covers what this misses.
      () => undefined,
    );
  };

  const open = (): Promise<Redis> =>
    (subscriber ??= o.connect().then((sub) => {
      // Trouble shows as reconnects; an unheard 'error' event would crash the process.
      sub.on('error', () => undefined);
      sub.on('message', (channel: string, message: string) => {
        const key = keyOf.get(channel);
        const notice = parseNotice(message, false);
        if (key !== undefined && notice) listeners.emit({ key, seq: notice.seq, epoch: notice.epoch });
      });
      sub.on('ready', () => {
        const channels = [...keyOf.keys()];
        if (channels.length === 0) return;
        sub.subscribe(...channels).then(
          () => catchUp(listeners.keys()),
          () => undefined,
        );
      });
      return sub;
    }));

  const stop = async () => {
    const pending = subscriber;
    subscriber = undefined;
    const sub = await pending?.catch(() => undefined);
    // disconnect, not quit: a subscriber has nothing to flush, and quit waits for a server that may be gone.
    sub?.disconnect();
  };

  return {
    subscribe(key, listener) {
      const channel = o.channelOf(key);
      const first = listeners.add(key, listener);
      if (first && !closed) {
        keyOf.set(channel, key);
        void open()
          .then((sub) => sub.subscribe(channel))
          .then(
            () => catchUp([key]),
            () => undefined,
          );
      }
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        if (!listeners.delete(key, listener)) return;
        keyOf.delete(channel);
        if (listeners.size === 0) void stop();
        else void subscriber?.then((sub) => sub.unsubscribe(channel)).catch(() => undefined);
      };
    },
    async close() {
      closed = true;
      keyOf.clear();
      await stop();
    },
  };
}
