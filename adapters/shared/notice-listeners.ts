import type { GenerationNotice } from '../../src/adapter.js';

/** A server adapter's `subscribe`, plus closing its connection. */
export interface NoticeHub {
  subscribe(key: string, listener: (notice: GenerationNotice) => void): () => void;
  /** Ends the listening connection and any reconnect; later notices are not delivered. */
  close(): Promise<void>;
}

/** Listeners of one adapter's `subscribe`, by key. */
export interface NoticeListeners {
  /** Adds a listener; `true` when it is the key's first (the transport must start listening). */
  add(key: string, listener: (notice: GenerationNotice) => void): boolean;
  /** Removes a listener; `true` when it was the key's last (the transport may stop listening). */
  delete(key: string, listener: (notice: GenerationNotice) => void): boolean;
  /** Keys with at least one listener. */
  keys(): string[];
  /** Calls the key's listeners. One that throws is reported on a later tick, never to the transport. */
  emit(notice: GenerationNotice): void;
  readonly size: number;
}

/**
 * The bookkeeping every server adapter's `subscribe` shares: listeners by key,
 * and a notice parser that refuses anything but the adapter's own format.
 *
 * @example
 * ```ts
 * import { noticeListeners } from './notice-listeners.js';
 * const listeners = noticeListeners();
 * listeners.add('order-1', (notice) => console.log(notice.seq));
 * listeners.emit({ key: 'order-1', seq: 2, epoch: 0 });
 * ```
 */
export function noticeListeners(): NoticeListeners {
  const byKey = new Map<string, Set<(notice: GenerationNotice) => void>>();
  return {
    add(key, listener) {
      let set = byKey.get(key);
      const first = set === undefined;
      if (!set) byKey.set(key, (set = new Set()));
      set.add(listener);
      return first;
    },
    delete(key, listener) {
      const set = byKey.get(key);
      if (!set?.delete(listener) || set.size > 0) return false;
      byKey.delete(key);
      return true;
    },
    keys: () => [...byKey.keys()],
    emit(notice) {
      for (const listener of [...(byKey.get(notice.key) ?? [])]) {
        try {
          listener(notice);
        } catch (error) {
          // A listener's bug must not stop the connection that serves every other listener.
          setTimeout(() => {
            throw error;
          }, 0);
        }
      }
    },
    get size() {
      return byKey.size;
    },
  };
}

/**
 * Reads `"<seq> <epoch>"` (and, when `withKey`, `" <key>"` after it) from a
 * notice payload; `undefined` for anything else (a notice is a hint, so a
 * malformed one is dropped, and the follower's resync poll still runs).
 *
 * @example
 * ```ts
 * import { parseNotice } from './notice-listeners.js';
 * parseNotice('3 1 order-1', true); // { seq: 3, epoch: 1, key: 'order-1' }
 * ```
 */
export function parseNotice(
  payload: string,
  withKey: boolean,
): { seq: number; epoch: number; key: string | undefined } | undefined {
  const first = payload.indexOf(' ');
  const second = withKey ? payload.indexOf(' ', first + 1) : payload.length;
  if (first <= 0 || second <= first) return undefined;
  const seq = Number(payload.slice(0, first));
  const epoch = Number(payload.slice(first + 1, second));
  if (!Number.isSafeInteger(seq) || seq < 1 || !Number.isSafeInteger(epoch) || epoch < 0) return undefined;
  return { seq, epoch, key: withKey ? payload.slice(second + 1) : undefined };
}
