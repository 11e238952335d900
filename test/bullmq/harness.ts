// A queue, a store and worker processes of examples/bullmq-worker for one test, with every line kept.
import { Queue } from 'bullmq';
import { startWorker, type WorkerLine, type WorkerProcess } from '../../examples/bullmq-worker/cluster.js';
import type { OrderJob } from '../../examples/bullmq-worker/order.js';
import { bullConnection, pgConfig } from '../../examples/bullmq-worker/servers.js';
import { openOrderStore, type OrderStore } from '../../examples/bullmq-worker/store.js';
import type { WorkerConfig } from '../../examples/bullmq-worker/worker.js';
import { randomSuffix } from '../server/support.js';

/** One test's cluster: spawn workers, wait for lines, clean up. */
export interface Cluster {
  readonly config: WorkerConfig;
  readonly queue: Queue<OrderJob>;
  readonly store: OrderStore;
  readonly lines: WorkerLine[];
  readonly workers: WorkerProcess[];
  spawn(): WorkerProcess;
  /** Calls `listener` with every line from now on. */
  onLine(listener: (line: WorkerLine) => void): void;
  /** Resolves with the first line (already seen or to come) that `match` accepts; rejects after `timeoutMs`. */
  waitFor(match: (line: WorkerLine) => boolean, timeoutMs: number, what: string): Promise<WorkerLine>;
  close(): Promise<void>;
}

/**
 * A cluster over the PostgreSQL `schema` (the test's own) and a queue of its own.
 *
 * @example
 * ```ts
 * const cluster = await openCluster(env.schema, { lockDuration: 1500, stalledInterval: 500, concurrency: 1 });
 * await cluster.spawn().ready;
 * await cluster.close();
 * ```
 */
export async function openCluster(
  schema: string,
  timing: Pick<WorkerConfig, 'lockDuration' | 'stalledInterval' | 'concurrency'>,
): Promise<Cluster> {
  const config: WorkerConfig = { queue: `orders-${randomSuffix()}`, prefix: 'xsc-test-bullmq', schema, ...timing };
  const store = await openOrderStore(pgConfig(), schema);
  const queue = new Queue<OrderJob>(config.queue, { connection: bullConnection(), prefix: config.prefix });
  const lines: WorkerLine[] = [];
  const listeners = new Set<(line: WorkerLine) => void>();
  const workers: WorkerProcess[] = [];
  const cluster: Cluster = {
    config,
    queue,
    store,
    lines,
    workers,
    spawn() {
      const w = startWorker(`W${workers.length + 1}`, config, (line) => {
        lines.push(line);
        for (const listener of listeners) listener(line);
      });
      workers.push(w);
      return w;
    },
    onLine: (listener) => listeners.add(listener),
    waitFor: (match, timeoutMs, what) =>
      new Promise((resolve, reject) => {
        const seen = lines.find(match);
        if (seen) return resolve(seen);
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        const listener = (line: WorkerLine) => {
          if (!match(line)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(line);
        };
        listeners.add(listener);
      }),
    async close() {
      for (const w of workers) {
        w.signal('SIGCONT');
        w.signal('SIGTERM');
      }
      const forced = setTimeout(() => workers.forEach((w) => w.signal('SIGKILL')), 5000);
      await Promise.all(workers.map((w) => w.exited));
      clearTimeout(forced);
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await store.close();
    },
  };
  return cluster;
}
