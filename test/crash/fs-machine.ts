import { assign, setup } from 'xstate';

/** The key every crash-test child saves under. */
export const CRASH_KEY = 'crash-key';

/**
 * The context string of state `n`: its length (512 bytes to about 48 KB) and
 * every character follow from `n`, so a check after a crash compares the
 * exact content of what was restored, not only its checksum.
 *
 * @example
 * ```ts
 * import { blobFor } from './fs-machine.js';
 * blobFor(7).length; // 512 + (7 * 7919) % 48_000
 * ```
 */
export function blobFor(n: number): string {
  const chars: string[] = [];
  const length = 512 + ((n * 7919) % 48_000);
  for (let i = 0; i < length; i++) chars.push(String.fromCharCode(97 + ((i * 31 + n * 17) % 26)));
  return chars.join('');
}

/**
 * The machine the crash-loop children run through `persistActor`: `SET n`
 * makes state `n` (written by `by`), so every acknowledged save is a number
 * a later restore must reach.
 */
export const crashMachine = setup({
  types: {
    context: {} as { n: number; by: string; blob: string },
    events: {} as { type: 'SET'; n: number; by: string },
  },
}).createMachine({
  id: 'crash-test',
  context: { n: 0, by: '', blob: '' },
  on: { SET: { actions: assign(({ event }) => ({ n: event.n, by: event.by, blob: blobFor(event.n) })) } },
});
