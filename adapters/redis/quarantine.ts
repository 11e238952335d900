import type { CheckpointAdapter, QuarantineInfo } from '../../src/adapter.js';
import { CheckpointError } from '../../src/errors.js';
import { liveClient, run } from './client.js';
import { openKey, type RedisIo } from './context.js';
import { checkDurability } from './durability.js';
import { closed, failure, NAME } from './errors.js';
import { parseQuarantine, text, toBytes } from './meta.js';
import { scripts } from './scripts.js';
import { newestQuarantinedFirst } from '../shared/quarantine.js';

/**
 * The adapter's quarantine: a quarantined generation's metadata moves into
 * the key's quarantine hash with the reason and the server's time, its bytes
 * stay, and its seq is its id. `quarantine` is not retried after a lost
 * connection and is `not-found` when the generation is not live.
 *
 * @example
 * ```ts
 * const { quarantine, listQuarantine } = quarantineMethods(io);
 * await quarantine('order-1', 3, 'corrupt');
 * ```
 */
export function quarantineMethods(
  io: RedisIo,
): Pick<CheckpointAdapter, 'quarantine' | 'listQuarantine' | 'readQuarantined' | 'deleteQuarantined'> {
  const { k } = io;
  return {
    async quarantine(key, seq, reason) {
      openKey(io, key);
      const reply = await run(
        io,
        { key, seq },
        scripts.quarantine,
        [k.gens(key), k.meta(key), k.quarantine(key), k.keys, k.qkeys],
        [seq, reason, key],
        false,
      );
      if (reply === null) throw new CheckpointError('not-found', { key, seq, adapter: NAME });
      return parseQuarantine(key, seq, `${text(reply)}\n${reason}`);
    },

    async listQuarantine(key) {
      if (key !== undefined) openKey(io, key);
      else if (io.disposed) throw closed();
      const c = await liveClient(io);
      try {
        await checkDurability(io, c);
        const keys = key === undefined ? await c.smembers(k.qkeys) : [key];
        const out: QuarantineInfo[] = [];
        for (const one of keys) {
          const entries = await c.hgetall(k.quarantine(one));
          for (const [seq, value] of Object.entries(entries)) out.push(parseQuarantine(one, Number(seq), value));
        }
        return out.sort(newestQuarantinedFirst);
      } catch (error) {
        throw failure(error, key === undefined ? {} : { key }, io.server);
      }
    },

    async readQuarantined(key, id) {
      openKey(io, key);
      if (!/^[1-9][0-9]{0,15}$/.test(id)) return undefined;
      const reply = await run(io, { key }, scripts.readQuarantined, [k.quarantine(key), k.bytes(key)], [id], true);
      return Buffer.isBuffer(reply) ? toBytes(reply) : undefined;
    },

    async deleteQuarantined(key, id) {
      openKey(io, key);
      if (!/^[1-9][0-9]{0,15}$/.test(id)) return;
      await run(io, { key }, scripts.deleteQuarantined, [k.quarantine(key), k.bytes(key), k.qkeys], [id, key], true);
    },
  };
}
