import type { CheckpointAdapter, GenerationInfo, NewestRead } from './adapter.js';

/** What {@link readNewestOf} returns: the adapter's {@link NewestRead}, plus the listing when one was made. */
export interface NewestFound extends NewestRead {
  /** The key's generations, newest first, when they were listed to find the newest. */
  readonly generations?: GenerationInfo[] | undefined;
}

/**
 * The adapter's `readNewest`, or the same answer from `list`, `listQuarantine`
 * and `read` (the newest generation that can be read) when it has none.
 *
 * @example
 * ```ts
 * import { readNewestOf } from 'xstate-checkpoint/adapter-kit';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * const { seqs, newest } = await readNewestOf(memoryAdapter(), 'order-1');
 * ```
 */
export async function readNewestOf(adapter: CheckpointAdapter, key: string): Promise<NewestFound> {
  if (adapter.readNewest) return adapter.readNewest(key);
  const [generations, quarantined] = await Promise.all([
    adapter.list(key),
    adapter.listQuarantine(key).catch(() => []),
  ]);
  const base = {
    seqs: generations.map((g) => g.seq),
    quarantinedSeq: Math.max(0, ...quarantined.map((q) => q.seq)),
    epoch: Math.max(0, ...generations.map((g) => g.epoch)),
    generations,
  };
  for (const { seq } of generations) {
    const bytes = await adapter.read(key, seq);
    if (bytes) return { ...base, newest: { seq, bytes } };
  }
  return base;
}
