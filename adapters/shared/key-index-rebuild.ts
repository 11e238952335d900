// Rebuilding a key index (key-index.ts) that failed its check, from the generations whose
// bytes are stored: only for damaged storage, so browser adapters load it on demand.
import type { KeyIndex } from './key-index.js';

/**
 * An index rebuilt from the generations whose bytes are stored (`[seq,
 * byteLength]` pairs): every one listed as a live generation, newest first
 * (epoch and time unknown, so 0), `top` their highest sequence, so that no
 * later write reuses one. Restore verifies each; what still fails is
 * quarantined again.
 */
export function rebuiltKeyIndex(stored: ReadonlyArray<readonly [seq: number, byteLength: number]>): KeyIndex {
  const gens = [...stored]
    .sort((a, b) => b[0] - a[0])
    .map(([seq, byteLength]) => ({ seq, epoch: 0, byteLength, createdAt: 0 }));
  return { top: gens[0]?.seq ?? 0, epoch: 0, gens, quarantine: [] };
}

/**
 * Reports a rebuilt index once per key: every call on a damaged key rebuilds
 * it again until the next write stores a whole one, and one warning says it.
 */
export function rebuildReporter(
  adapter: string,
  warn: (message: string) => void,
): (key: string, count: number) => void {
  const told = new Set<string>();
  return (key, count) => {
    if (told.has(key)) return;
    told.add(key);
    warn(
      `xstate-checkpoint [${adapter}]: the index of "${key}" is damaged; rebuilt from its ${count} stored generation(s); restore checks each again`,
    );
  };
}
