import type { GenerationNotice } from '../../src/adapter.js';
import type { ChannelLike } from './options.js';
import type { IdbContext } from './store.js';

/** How the adapter tells other tabs of its writes and hears theirs, see {@link idbNotices}. */
export interface IdbNotices {
  /** Tells other tabs (and other adapters on the same database) of a published generation. */
  post(notice: GenerationNotice): void;
  subscribe(key: string, listener: (notice: GenerationNotice) => void): () => void;
  /** Drops every listener and closes the channel; later posts (of writes that commit meanwhile) go nowhere. */
  close(): void;
}

/**
 * The `BroadcastChannel` of one adapter's store (`options.broadcastChannel`,
 * else the global one), opened on the first write or `subscribe`, never after
 * `dispose()`, and the listeners it calls, by key.
 *
 * @example
 * ```ts
 * const notices = idbNotices(cx);
 * const stop = notices.subscribe('cart', ({ seq }) => console.log('another tab saved', seq));
 * ```
 */
export function idbNotices(cx: IdbContext): IdbNotices {
  const listeners = new Map<string, Set<(notice: GenerationNotice) => void>>();
  let channel: ChannelLike | undefined;
  const getChannel = (): ChannelLike | undefined => {
    const { broadcastChannel } = cx.options;
    if (channel || broadcastChannel === false || cx.disposed) return channel;
    const Ctor = (globalThis as { BroadcastChannel?: new (n: string) => ChannelLike }).BroadcastChannel;
    channel = broadcastChannel ? broadcastChannel(cx.channelName) : Ctor && new Ctor(cx.channelName);
    if (channel) {
      channel.onmessage = (event) => {
        const notice = event.data as GenerationNotice;
        for (const fn of listeners.get(notice.key) ?? []) fn(notice);
      };
      // Node keeps the process alive for an open channel; browsers have no unref.
      (channel as { unref?: () => void }).unref?.();
    }
    return channel;
  };
  return {
    post: (notice) => getChannel()?.postMessage(notice),
    subscribe(key, listener) {
      let set = listeners.get(key);
      if (!set) listeners.set(key, (set = new Set()));
      set.add(listener);
      getChannel();
      return () => {
        set.delete(listener);
      };
    },
    close() {
      listeners.clear();
      channel?.close();
      // Forgotten: a write committed while dispose() ran would post to the closed channel, whose
      // InvalidStateError failed that write (it landed); after dispose nothing is posted.
      channel = undefined;
    },
  };
}
