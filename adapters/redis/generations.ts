import type { CheckpointAdapter, GenerationInfo } from '../../src/adapter.js';
import { liveClient, run } from './client.js';
import { openKey, type RedisIo } from './context.js';
import { checkDurability } from './durability.js';
import { closed, failure } from './errors.js';
import { parseMeta, text, toBytes } from './meta.js';
import { scripts } from './scripts.js';
import { writeGeneration } from './write.js';

/**
 * The adapter's live generations: `list`, `readNewest`, `read`, `keys`,
 * `write` ({@link writeGeneration}) and `remove`, each one script (so one
 * atomic view) but `keys`, one `SMEMBERS`.
 *
 * @example
 * ```ts
 * const { list, readNewest } = generationMethods(io);
 * const [newest] = await list('order-1');
 * ```
 */
export function generationMethods(
  io: RedisIo,
): Required<Pick<CheckpointAdapter, 'list' | 'readNewest' | 'read' | 'write' | 'remove' | 'keys'>> {
  const { k } = io;
  return {
    async list(key) {
      openKey(io, key);
      const reply = (await run(
        io,
        { key },
        scripts.list,
        [k.gens(key), k.meta(key), k.bytes(key)],
        [],
        true,
      )) as Buffer[];
      const out: GenerationInfo[] = [];
      for (let i = 0; i + 1 < reply.length; i += 2) out.push(parseMeta(Number(text(reply[i])), text(reply[i + 1])));
      return out;
    },

    async readNewest(key) {
      openKey(io, key);
      const reply = (await run(
        io,
        { key },
        scripts.readNewest,
        [k.gens(key), k.meta(key), k.bytes(key), k.quarantine(key)],
        [],
        true,
      )) as [number, number, Buffer, ...Buffer[]];
      const [quarantinedSeq, epoch, bytes, ...rest] = reply;
      const seqs = rest.map((seq) => Number(text(seq)));
      const newest = seqs[0] === undefined || bytes.length === 0 ? undefined : { seq: seqs[0], bytes: toBytes(bytes) };
      return { seqs, quarantinedSeq: Number(quarantinedSeq), epoch: Number(epoch), newest };
    },

    async read(key, seq) {
      openKey(io, key);
      const reply = await run(io, { key, seq }, scripts.read, [k.gens(key), k.bytes(key)], [seq], true);
      return Buffer.isBuffer(reply) ? toBytes(reply) : undefined;
    },

    write: (key, record) => writeGeneration(io, key, record),

    async remove(key, seq) {
      openKey(io, key);
      await run(io, { key, seq }, scripts.remove, [k.gens(key), k.meta(key), k.bytes(key), k.keys], [seq, key], true);
    },

    async keys() {
      if (io.disposed) throw closed();
      const c = await liveClient(io);
      try {
        await checkDurability(io, c);
        return await c.smembers(k.keys);
      } catch (error) {
        throw failure(error, {}, io.server);
      }
    },
  };
}
