import type { Redis } from 'ioredis';
import { CheckpointError, isCheckpointError } from '../../src/errors.js';
import type { RedisIo } from './context.js';
import { codeOf, NAME } from './errors.js';

/**
 * Reads `appendonly` and `appendfsync` once per adapter: a server that can
 * lose acknowledged writes is refused with `invalid-option` under `strict`,
 * otherwise used after a warning. A refusal stays; a connection failure is
 * checked again on the next call.
 *
 * @example
 * ```ts
 * await checkDurability(io, client);
 * ```
 */
export function checkDurability(io: RedisIo, c: Redis): Promise<void> {
  io.checked ??= (async () => {
    let appendonly: string | undefined;
    let appendfsync: string | undefined;
    try {
      const [a, f] = await Promise.all([
        c.call('CONFIG', ['GET', 'appendonly']),
        c.call('CONFIG', ['GET', 'appendfsync']),
      ]);
      appendonly = (a as string[])[1];
      appendfsync = (f as string[])[1];
    } catch (error) {
      if (codeOf(error) === 'connection') throw error;
      // Managed services often disable CONFIG; then durability cannot be verified.
    }
    let problem: string | undefined;
    if (appendonly === undefined || appendfsync === undefined) {
      problem = 'its persistence settings cannot be read (CONFIG GET is not allowed)';
    } else if (appendonly !== 'yes') {
      problem = 'it runs with appendonly no: acknowledged checkpoints are lost when Redis restarts';
    } else if (appendfsync !== 'always') {
      problem = `it runs with appendfsync ${appendfsync}: the last acknowledged checkpoints can be lost in a crash`;
    }
    if (problem === undefined) return;
    const advice = 'Set appendonly yes and appendfsync always on the server';
    if (io.strict) {
      throw new CheckpointError('invalid-option', {
        adapter: NAME,
        detail: `strict: true refuses this Redis server: ${problem}. ${advice}, or drop strict to accept the risk`,
        data: { appendonly, appendfsync },
      });
    }
    io.warn(`xstate-checkpoint [redis]: ${problem}. ${advice}, or pass strict: true to refuse such servers.`);
  })().catch((error: unknown) => {
    // A refusal stays; a connection failure is checked again on the next call.
    if (!(isCheckpointError(error) && error.code === 'invalid-option')) io.checked = undefined;
    throw error;
  });
  return io.checked;
}
