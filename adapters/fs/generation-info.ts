import { join } from 'node:path';
import type { GenerationInfo } from '../../src/adapter.js';
import { noop } from './context.js';
import { fsError, missing } from './durable.js';
import type { FileSystemLike } from './file-system.js';
import { HEADER_SIZE, decodeGenerationHeader, generationName, generationSeqs } from './layout.js';
import { isNotAFile } from './read-file.js';

/**
 * A generation's metadata from its file's header at `path`; `undefined` when
 * the file is gone. `valid` is false when its header is damaged (then
 * stand-in values are reported, so restore checks and quarantines it).
 *
 * @example
 * ```ts
 * const found = await readInfo(fs, join(dir, generationName(3)), 3, 'order-1');
 * ```
 */
export async function readInfo(
  fs: FileSystemLike,
  path: string,
  seq: number,
  key: string,
): Promise<{ info: GenerationInfo; valid: boolean } | undefined> {
  let handle;
  try {
    handle = await fs.open(path, 'r');
  } catch (error) {
    if (missing(error)) return undefined;
    throw fsError(error, key, 'open a generation', seq);
  }
  try {
    const header = new Uint8Array(HEADER_SIZE);
    // A folder or FIFO in a generation's place reads as no header: listed, so restore quarantines it.
    const { bytesRead } = await handle.read(header, 0, HEADER_SIZE, 0).catch((error: unknown) => {
      if (isNotAFile(error)) return { bytesRead: 0 };
      throw error;
    });
    const info = decodeGenerationHeader(header.subarray(0, bytesRead), seq);
    if (info) return { info, valid: true };
    // A damaged header must not hide the generation: list it, so restore checks and quarantines it.
    const { size } = await fs.stat(path);
    const stand: GenerationInfo = { seq, epoch: 0, byteLength: Math.max(0, size - HEADER_SIZE), createdAt: 0 };
    return { info: stand, valid: false };
  } catch (error) {
    throw fsError(error, key, 'read a generation header', seq);
  } finally {
    await handle.close().catch(noop);
  }
}

/**
 * The epoch of the newest generation in `names` whose header is intact; 0 when there is none.
 *
 * @example
 * ```ts
 * const epoch = await generationEpoch(fs, dir, 'order-1', await readNames(fs, dir, 'order-1'));
 * ```
 */
export async function generationEpoch(
  fs: FileSystemLike,
  dir: string,
  key: string,
  names: readonly string[],
): Promise<number> {
  for (const seq of generationSeqs(names)) {
    const found = await readInfo(fs, join(dir, generationName(seq)), seq, key);
    if (found?.valid) return found.info.epoch;
  }
  return 0;
}

/**
 * Generation `seq`'s metadata when its file is there with an intact header.
 *
 * @example
 * ```ts
 * const epoch = (await readHeader(fs, dir, 'order-1', 3))?.epoch;
 * ```
 */
export async function readHeader(
  fs: FileSystemLike,
  dir: string,
  key: string,
  seq: number,
): Promise<GenerationInfo | undefined> {
  const found = await readInfo(fs, join(dir, generationName(seq)), seq, key);
  return found?.valid ? found.info : undefined;
}
