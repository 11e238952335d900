import type { ServerResponse } from 'node:http';
import type { CheckpointAdapter } from '../src/adapter.js';
import type { Clock, TimerHandle } from '../src/clock.js';
import { watchGenerations } from '../src/follow.js';
import type { KeyIndex } from './keys.js';

/** Options of {@link openEventStream}. */
export interface LiveOptions {
  readonly adapter: CheckpointAdapter;
  readonly index: KeyIndex;
  readonly clock: Clock;
  /**
   * Polling for new generations of the open key when the adapter has no notices; with notices,
   * the check for missed ones runs every `max(10 s, pollMs)`. @default 1000
   */
  readonly pollMs?: number;
  /** How often the number of keys is checked. @default 3000 */
  readonly keysPollMs?: number;
}

/**
 * Serves one Server-Sent Events stream: `generation` events (`{ key, seq }`)
 * for the key the page has open, from the adapter's notices when it has them
 * (`watchGenerations`), else from polling; and `keys` events (`{ total }`)
 * when the number of keys changes. Returns the function that ends it.
 *
 * @example
 * ```ts
 * import type { ServerResponse } from 'node:http';
 * import { openEventStream, type LiveOptions } from './live.js';
 * declare const res: ServerResponse;
 * declare const options: LiveOptions;
 * const stop = await openEventStream(res, 'order-1', options);
 * ```
 */
export async function openEventStream(
  res: ServerResponse,
  key: string | undefined,
  options: LiveOptions,
): Promise<() => void> {
  const { adapter, index, clock } = options;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  let stopped = false;
  const stops: Array<() => void> = [];
  if (key !== undefined) {
    const [newest] = await adapter.list(key);
    stops.push(
      watchGenerations(
        adapter,
        key,
        newest?.seq ?? 0,
        async (seq) => {
          index.invalidate();
          send('generation', { key, seq });
        },
        {
          clock,
          pollMs: options.pollMs ?? 1000,
          resyncMs: Math.max(10_000, options.pollMs ?? 0),
          onError: () => undefined,
        },
      ),
    );
  }
  let total = await index.count();
  let timer: TimerHandle;
  const pollKeys = async () => {
    const started = performance.now();
    try {
      index.invalidate();
      const now = await index.count();
      if (!stopped && now !== total) send('keys', { total: (total = now) });
    } catch {
      // A failing listing shows on the page's next request; the stream stays open.
    }
    // A store whose listing takes long (10,000 key folders) is not walked more than 5% of the time.
    const next = Math.max(options.keysPollMs ?? 3000, 20 * (performance.now() - started));
    if (!stopped) timer = clock.setTimeout(() => void pollKeys(), next);
  };
  timer = clock.setTimeout(() => void pollKeys(), options.keysPollMs ?? 3000);
  send('ready', { key: key ?? null, total });
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clock.clearTimeout(timer);
    for (const s of stops) s();
    res.end();
  };
  res.on('close', stop);
  return stop;
}
