import type { CheckpointAdapter, GenerationInfo, NewestRead } from './adapter.js';

/** What {@link readNewestOf} returns: the adapter's {@link NewestRead}, plus the listing when one was made. */
export interface NewestFound extends NewestRead {
  /** The key's generations, newest first, when they were listed to find the newest. */
  readonly generations?: GenerationInfo[] | undefined;
}

// What storage says is hostile: a sequence or epoch that is not a safe integer (a stray
// sorted-set member "abc", a bigint row above 2^53) would make the next write's seq or
// epoch NaN or unsafe, which every write then refuses. Such entries are no generation
// this kit wrote (nor one it can address by number), so they are left out.
const isSeq = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 1;
const orZero = (n: unknown): number => (Number.isSafeInteger(n) && (n as number) >= 0 ? (n as number) : 0);

function sound(found: NewestFound): NewestFound {
  const { seqs, quarantinedSeq, epoch, newest, generations } = found;
  if (seqs.every(isSeq) && orZero(quarantinedSeq) === quarantinedSeq && orZero(epoch) === epoch) return found;
  return {
    ...found,
    seqs: seqs.filter(isSeq),
    quarantinedSeq: orZero(quarantinedSeq),
    epoch: orZero(epoch),
    newest: newest && isSeq(newest.seq) ? newest : undefined,
    generations: generations?.filter((g) => isSeq(g.seq)),
  };
}

/**
 * The adapter's `readNewest`, or the same answer from `list`, `listQuarantine`
 * and `read` (the newest generation that can be read) when it has none.
 * Sequences that are not safe positive integers are left out, and a quarantined
 * sequence or epoch that is not a safe integer counts as 0: storage is hostile.
 *
 * @example
 * ```ts
 * import { readNewestOf } from 'xstate-checkpoint/adapter-kit';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * const { seqs, newest } = await readNewestOf(memoryAdapter(), 'order-1');
 * ```
 */
export async function readNewestOf(adapter: CheckpointAdapter, key: string): Promise<NewestFound> {
  return sound(await readNewestFrom(adapter, key));
}

async function readNewestFrom(adapter: CheckpointAdapter, key: string): Promise<NewestFound> {
  if (adapter.readNewest) return adapter.readNewest(key);
  const [listed, quarantined] = await Promise.all([adapter.list(key), adapter.listQuarantine(key).catch(() => [])]);
  const generations = listed.filter((g) => isSeq(g.seq));
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
