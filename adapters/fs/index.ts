import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type {
  AcquireOptions,
  CheckpointAdapter,
  CheckpointRecord,
  GenerationInfo,
  Lease,
  QuarantineInfo,
} from '../../src/adapter.js';
import { CheckpointError, isCheckpointError, toCheckpointError } from '../../src/errors.js';
import { checkKey } from '../../src/keys.js';
import { errnoOf, except, fsError, isAbandonedTemp, publishFile, syncDir, type PublishState } from './durable.js';
import {
  HEADER_SIZE,
  KEY_FILE,
  QUARANTINE_DIR,
  QUARANTINE_ID,
  decodeGenerationHeader,
  envelopeBytesOf,
  fixedWidth,
  generationHeader,
  generationName,
  generationSeqs,
  keyFolderName,
  keyFromFolderName,
} from './layout.js';
import { acquireFileLock, confirmNotFenced, isFencedLeftover, lockEpoch, readFenceRule } from './lock.js';
import { readWholeFile } from './read-file.js';
import { readManyInSlices, readNewestCommon, type SyncFs } from './read-many.js';

import type { FileSystemLike } from './file-system.js';
import type { Clock } from '../../src/clock.js';
import { adapterClock } from '../shared/clock.js';

export { keyFolderName } from './layout.js';
export type { FileHandleLike, FileSystemLike } from './file-system.js';

/** Options of {@link fileAdapter}. */
export interface FileAdapterOptions {
  /** Root folder of the store; created (with its parents) on the first write. Reading never creates it. */
  readonly dir: string;
  /** The file system. @default `node:fs/promises` (files read through `node:fs` callbacks), imported on first use */
  readonly fs?: FileSystemLike;
  /**
   * Time for lock leases and waits, quarantine timestamps (the core's `Clock`, as every adapter takes it).
   * @default systemClock
   */
  readonly clock?: Clock;
  /**
   * @deprecated Pass `clock` instead; `now` alone still sets the clock's `now()`.
   * @default Date.now
   */
  readonly now?: () => number;
}

const NAME = 'fs';

/** The default file system's faster way to read a generation file (not part of {@link FileSystemLike}). */
const readGenerationFile = Symbol('readGenerationFile');
/** The default file system's synchronous calls, for `readNewestMany` (an injected one has none). */
const syncCalls = Symbol('syncCalls');
type DefaultFileSystem = FileSystemLike & {
  [readGenerationFile]?: (path: string, seq: number) => Promise<Uint8Array>;
  [syncCalls]?: SyncFs;
};

/**
 * The default file system: `node:fs/promises`, with `readFile` from the
 * callback API (for small files about 3x faster on Node 20: the promise
 * version runs open, fstat, read and close as separate steps through a
 * `FileHandle`), and generation files read without asking their size
 * ({@link readWholeFile}: their header states it).
 */
async function nodeFileSystem(): Promise<DefaultFileSystem> {
  const [promises, callbacks] = await Promise.all([import('node:fs/promises'), import('node:fs')]);
  const readFile = (path: string) =>
    new Promise<Uint8Array>((resolve, reject) => {
      callbacks.readFile(path, (error, data) => (error ? reject(error) : resolve(data)));
    });
  // The header states the file's length once it is in and intact (seq included).
  const readGen = (path: string, seq: number) =>
    readWholeFile(callbacks, path, (head) => {
      const header = decodeGenerationHeader(head, seq);
      return header && HEADER_SIZE + header.byteLength;
    });
  return { ...promises, readFile, [readGenerationFile]: readGen, [syncCalls]: callbacks };
}

/** Reads generation `seq`'s file: the default file system's own way, or an injected one's `readFile`. */
const readGeneration = (fs: DefaultFileSystem, dir: string, seq: number): Promise<Uint8Array> => {
  const path = join(dir, generationName(seq));
  return fs[readGenerationFile]?.(path, seq) ?? fs.readFile(path);
};
const noop = () => undefined;
const decoder = new TextDecoder();
const missing = (error: unknown) => errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR';

/**
 * Stores checkpoints as files: the embedded default for Node services and
 * Electron's main process. `write()` resolves only once the generation
 * survives a crash or power loss; several processes can share a folder
 * (compare-and-set on the sequence, fencing on the epoch, file locks).
 *
 * Layout under `dir`: a folder per key ({@link keyFolderName}) holding `key`
 * (the original key), one `<seq>.gen` file per generation (the adapter's
 * 40-byte header, then the envelope bytes unchanged), `lock-<epoch>` files and
 * a `quarantine/` folder.
 *
 * Write protocol: temp file in the key folder, every byte written, fsync,
 * publish with `link()` (`EEXIST` is a `conflict`; a checked `rename()` where
 * hard links are unsupported), temp removed, folder fsynced. A failed fsync is
 * never retried on the same file: the bytes are rewritten once from memory
 * into a new temp file, or the write rejects. ENOSPC maps to `storage-full`,
 * EACCES/EPERM to `permission`, EROFS to `read-only`, the rest to `io`; the
 * previous generation is never touched and no temp file stays behind.
 * Everything that only reads works on a read-only folder. `record.bytes` is
 * written as given, not copied first: do not change it until `write()` settles.
 *
 * Fencing: a write whose epoch is below the key's epoch (the highest of the
 * newest generation's epoch and every epoch handed out by `acquire`) is
 * refused with `fenced`. It is checked before publishing and again after: a
 * writer paused in between (SIGSTOP, a long GC) while another process took the
 * lock rejects with `fenced` although its file was published. Such a
 * leftover (a lower epoch, above the newest generation when the lock changed
 * hands, which the lock file records) is never listed nor restored, and
 * goes to quarantine (reason `fenced`, kept like any quarantined generation)
 * when it is in the lock holder's way, or at the next hand-over of the lock.
 * A holder's write that meets one rejects with `conflict` carrying
 * `data.nextSeq`, the sequence to write past it with (`persistActor` does so
 * at once). Exact among writers that hold the lock
 * (`persistActor({ lock: true })`).
 *
 * @example
 * ```ts
 * import { persistActor } from 'xstate-checkpoint';
 * import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
 * import { createMachine } from 'xstate';
 *
 * const adapter = fileAdapter({ dir: './.checkpoints' });
 * const persisted = await persistActor(createMachine({ id: 'order' }), { key: 'order-1', adapter, lock: true });
 * ```
 */
export function fileAdapter(options: FileAdapterOptions): CheckpointAdapter {
  if (typeof options?.dir !== 'string' || options.dir.length === 0) {
    throw new CheckpointError('invalid-option', { adapter: NAME, detail: '`dir` must be a non-empty folder path' });
  }
  const root = options.dir;
  const clock = adapterClock(options);
  const owner = randomBytes(8).toString('hex');
  const publishState: PublishState = { linkUnsupported: false };
  const prepared = new Map<string, Promise<void>>();
  const leases = new Set<Lease>();
  let fsModule: Promise<DefaultFileSystem> | undefined;
  let rootReady: Promise<void> | undefined;
  let disposed = false;

  const use = async (key?: string): Promise<DefaultFileSystem> => {
    if (disposed) throw new CheckpointError('closed', { key, adapter: NAME });
    if (key !== undefined) checkKey(key, NAME);
    fsModule ??= options.fs ? Promise.resolve(options.fs) : nodeFileSystem();
    return fsModule;
  };
  const keyDir = (key: string) => join(root, keyFolderName(key));
  const readNames = async (fs: FileSystemLike, dir: string, key: string | undefined): Promise<string[]> => {
    try {
      return await fs.readdir(dir);
    } catch (error) {
      if (missing(error)) return [];
      throw fsError(error, key, 'list a folder');
    }
  };

  const prepareRoot = async (fs: FileSystemLike) => {
    let first: unknown;
    try {
      first = await fs.mkdir(root, { recursive: true });
    } catch (error) {
      throw fsError(error, undefined, `create the folder ${root}`);
    }
    // Make each newly created folder's own entry durable, up to the first one mkdir created.
    if (typeof first === 'string') {
      for (let d = root; ; d = dirname(d)) {
        await syncDir(fs, dirname(d)).catch(noop);
        if (d === first || dirname(d) === d) break;
      }
    }
  };
  /** Creates the key folder with its `key` file, both durably, and removes temps of dead writers. Once per key. */
  const prepareKey = async (fs: FileSystemLike, key: string, dir: string) => {
    rootReady ??= prepareRoot(fs).catch((error: unknown) => {
      rootReady = undefined;
      throw error;
    });
    // The root is shared by all keys; its errors get this key attached.
    await rootReady.catch((error: unknown) => Promise.reject(toCheckpointError(error, 'io', { key, adapter: NAME })));
    await fs.mkdir(dir).catch((error: unknown) => {
      if (errnoOf(error) !== 'EEXIST') throw fsError(error, key, 'create the key folder');
    });
    const names = await readNames(fs, dir, key);
    if (!names.includes(KEY_FILE)) await publishFile(fs, publishState, dir, join(dir, KEY_FILE), utf8(key), key);
    else if (keyFolderName(key).startsWith('h-')) {
      const stored = await fs.readFile(join(dir, KEY_FILE)).then(
        (bytes) => decoder.decode(bytes),
        (error: unknown) => Promise.reject(fsError(error, key, 'read the stored key')),
      );
      if (stored !== key) {
        throw new CheckpointError('io', { key, adapter: NAME, detail: `hash collision with stored key "${stored}"` });
      }
    }
    for (const name of names) if (isAbandonedTemp(name)) await fs.unlink(join(dir, name)).catch(noop);
    // Always, not only when this process created the folder: another one may have
    // created it and not yet fsynced the root, and nothing is acknowledged before this.
    await syncDir(fs, root).catch((error: unknown) => Promise.reject(fsError(error, key, 'fsync the store folder')));
  };
  const ensureKeyDir = async (fs: FileSystemLike, key: string): Promise<string> => {
    const dir = keyDir(key);
    let pending = prepared.get(dir);
    if (!pending) {
      pending = prepareKey(fs, key, dir);
      prepared.set(dir, pending);
      pending.catch(() => prepared.delete(dir));
    }
    await pending;
    return dir;
  };

  /** A generation's metadata; `valid` is false when its header is damaged (then stand-in values are reported). */
  const readInfo = async (fs: FileSystemLike, path: string, seq: number, key: string) => {
    let handle;
    try {
      handle = await fs.open(path, 'r');
    } catch (error) {
      if (missing(error)) return undefined;
      throw fsError(error, key, 'open a generation', seq);
    }
    try {
      const header = new Uint8Array(HEADER_SIZE);
      const { bytesRead } = await handle.read(header, 0, HEADER_SIZE, 0);
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
  };
  const generationEpoch = async (fs: FileSystemLike, dir: string, key: string, names: readonly string[]) => {
    for (const seq of generationSeqs(names)) {
      const found = await readInfo(fs, join(dir, generationName(seq)), seq, key);
      if (found?.valid) return found.info.epoch;
    }
    return 0;
  };
  const quarantined = async (fs: FileSystemLike, dir: string, key: string) =>
    (await readNames(fs, join(dir, QUARANTINE_DIR), key)).flatMap((name) => {
      const match = name.endsWith('.gen') ? QUARANTINE_ID.exec(name.slice(0, -4)) : null;
      return match ? [{ id: match[0], seq: Number(match[1]), at: Number.parseInt(match[2]!, 36) }] : [];
    });
  /** Every key folder: one readdir of the root, one per key, one small read per hashed key. */
  const keyFolders = async (fs: FileSystemLike) => {
    const names = (await readNames(fs, root, undefined)).filter((n) => n.startsWith('k-') || n.startsWith('h-'));
    const out: Array<{ key: string; dir: string; names: string[] }> = [];
    for (let i = 0; i < names.length; i += 64) {
      const batch = await Promise.all(
        names.slice(i, i + 64).map(async (name) => {
          const dir = join(root, name);
          const entries = await readNames(fs, dir, undefined);
          let key = keyFromFolderName(name);
          if (name.startsWith('h-') && entries.includes(KEY_FILE)) {
            key = await fs.readFile(join(dir, KEY_FILE)).then((b) => decoder.decode(b), noop);
          }
          return key === undefined ? undefined : { key, dir, names: entries };
        }),
      );
      for (const entry of batch) if (entry) out.push(entry);
    }
    return out;
  };
  const fenceRule = (fs: FileSystemLike, dir: string, key: string, names: readonly string[]) =>
    lockEpoch(names) > 0 ? readFenceRule({ fs, dir, key }, names) : Promise.resolve(undefined);
  /**
   * The `conflict` for a write at `record.seq`. When everything at or above it
   * is the leftover of a writer fenced by this writer's own lock, the
   * leftovers go to quarantine first and the error names the sequence to
   * write past them with (`data.nextSeq`); any other generation there is a
   * real conflict.
   */
  const conflictAt = async (fs: FileSystemLike, dir: string, key: string, record: CheckpointRecord, detail: string) => {
    const { seq, epoch } = record;
    const names = await readNames(fs, dir, key);
    const lock = lockEpoch(names);
    if (lock > epoch) {
      // Fenced while publishing: what is in the way is the new owner's, or set aside by it.
      detail = `the lock changed hands (epoch ${epoch} to ${lock}) while this write was being published`;
      return new CheckpointError('fenced', { key, adapter: NAME, seq, detail });
    }
    const rule = await fenceRule(fs, dir, key, names);
    const above = generationSeqs(names).filter((s) => s >= seq);
    const infos = rule?.epoch === epoch ? await Promise.all(above.map((s) => readHeader(fs, dir, key, s))) : [];
    const leftovers = infos.flatMap((info) => (info && isFencedLeftover(rule, info.seq, info.epoch) ? [info] : []));
    if (above.length === 0 || leftovers.length !== above.length) {
      return new CheckpointError('conflict', { key, adapter: NAME, seq, detail });
    }
    for (const info of leftovers) await setAside(fs, key, info.seq, info.epoch, rule!.epoch);
    const nextSeq = Math.max(...above) + 1;
    return new CheckpointError('conflict', {
      key,
      adapter: NAME,
      seq,
      detail: `generations ${above.join(', ')} of a fenced writer were set aside (quarantine); write again with seq ${nextSeq}`,
      data: { nextSeq, setAside: above },
    });
  };
  const setAside = (fs: FileSystemLike, key: string, seq: number, epoch: number, lockEpoch: number) =>
    moveToQuarantine(fs, key, seq, `fenced: written with epoch ${epoch} after epoch ${lockEpoch} took the lock`).then(
      noop,
      (error: unknown) => {
        // Already moved by another reader of the same leftover.
        if (!isCheckpointError(error) || error.code !== 'not-found') throw error;
      },
    );
  const readHeader = async (fs: FileSystemLike, dir: string, key: string, seq: number) => {
    const found = await readInfo(fs, join(dir, generationName(seq)), seq, key);
    return found?.valid ? found.info : undefined;
  };
  const moveToQuarantine = async (fs: FileSystemLike, key: string, seq: number, reason: string) => {
    const dir = keyDir(key);
    const source = join(dir, generationName(seq));
    const info = Number.isSafeInteger(seq) && seq > 0 ? (await readInfo(fs, source, seq, key))?.info : undefined;
    if (!info) throw new CheckpointError('not-found', { key, adapter: NAME, seq });
    const quarantinedAt = clock.now();
    const id = `${fixedWidth(seq)}-${quarantinedAt.toString(36)}-${randomBytes(4).toString('hex')}`;
    const qdir = join(dir, QUARANTINE_DIR);
    try {
      await fs.mkdir(qdir).catch(except('EEXIST'));
      await publishFile(fs, publishState, qdir, join(qdir, `${id}.json`), utf8(JSON.stringify({ key, reason })), key);
      await fs.rename(source, join(qdir, `${id}.gen`));
      await syncDir(fs, dir);
    } catch (error) {
      await fs.unlink(join(qdir, `${id}.json`)).catch(noop);
      if (errnoOf(error) === 'ENOENT') throw new CheckpointError('not-found', { key, adapter: NAME, seq });
      throw fsError(error, key, 'quarantine a generation', seq);
    }
    return { ...info, id, key, reason, quarantinedAt };
  };
  const checkRecordNumbers = (key: string, seq: number, epoch: number) => {
    if (Number.isSafeInteger(seq) && seq > 0 && Number.isSafeInteger(epoch) && epoch >= 0) return;
    throw new CheckpointError('invalid-option', {
      key,
      adapter: NAME,
      detail: `seq must be a positive integer and epoch a non-negative integer (got ${seq} and ${epoch})`,
    });
  };

  const adapter: CheckpointAdapter = {
    name: NAME,
    capabilities: { durable: true, crossProcess: true, locks: true },
    async list(key) {
      const fs = await use(key);
      const dir = keyDir(key);
      const names = await readNames(fs, dir, key);
      const seqs = generationSeqs(names);
      const [rule, found] = await Promise.all([
        fenceRule(fs, dir, key, names),
        Promise.all(seqs.map((seq) => readInfo(fs, join(dir, generationName(seq)), seq, key))),
      ]);
      return found.flatMap((f) =>
        f && !(f.valid && isFencedLeftover(rule, f.info.seq, f.info.epoch)) ? [f.info] : [],
      );
    },
    async readNewest(key) {
      const fs = await use(key);
      const dir = keyDir(key);
      const names = await readNames(fs, dir, key);
      let seqs = generationSeqs(names);
      const qseqs = names.includes(QUARANTINE_DIR) ? (await quarantined(fs, dir, key)).map((q) => q.seq) : [];
      const rule = await fenceRule(fs, dir, key, names);
      for (const seq of seqs) {
        let file: Uint8Array;
        try {
          file = await readGeneration(fs, dir, seq);
        } catch (error) {
          if (missing(error)) continue; // removed since the folder was read
          throw fsError(error, key, 'read a generation', seq);
        }
        const header = decodeGenerationHeader(file.subarray(0, HEADER_SIZE), seq);
        if (header && isFencedLeftover(rule, seq, header.epoch)) {
          // Set aside, never restored; its sequence stays taken like a quarantined one.
          qseqs.push(seq);
          seqs = seqs.filter((s) => s !== seq);
          continue;
        }
        const epoch = header ? header.epoch : await generationEpoch(fs, dir, key, names);
        return { seqs, quarantinedSeq: Math.max(0, ...qseqs), epoch, newest: { seq, bytes: envelopeBytesOf(file) } };
      }
      return { seqs: [], quarantinedSeq: Math.max(0, ...qseqs), epoch: 0 };
    },
    async readNewestMany(keys) {
      const fs = await use();
      const sync = fs[syncCalls];
      const common =
        sync &&
        ((key: string) => {
          const dir = keyDir(key);
          return readNewestCommon(sync, { dir, generationPath: (seq) => join(dir, generationName(seq)) });
        });
      return readManyInSlices({ clock, name: NAME, common, readNewest: (key) => adapter.readNewest!(key) }, keys);
    },
    async read(key, seq) {
      const fs = await use(key);
      if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
      try {
        return envelopeBytesOf(await readGeneration(fs, keyDir(key), seq));
      } catch (error) {
        if (missing(error)) return undefined;
        throw fsError(error, key, 'read a generation', seq);
      }
    },
    async write(key, record) {
      const fs = await use(key);
      const { seq, epoch } = record;
      checkRecordNumbers(key, seq, epoch);
      const dir = await ensureKeyDir(fs, key);
      const names = await readNames(fs, dir, key);
      let newest = generationSeqs(names)[0] ?? 0;
      // Quarantined sequences stay taken, so a new generation never shadows one under inspection.
      if (names.includes(QUARANTINE_DIR))
        for (const q of await quarantined(fs, dir, key)) newest = Math.max(newest, q.seq);
      if (seq <= newest) throw await conflictAt(fs, dir, key, record, `generation ${newest} already exists`);
      const current = Math.max(lockEpoch(names), await generationEpoch(fs, dir, key, names));
      if (epoch < current) {
        const detail = `epoch ${epoch} is older than the key's epoch ${current}`;
        throw new CheckpointError('fenced', { key, adapter: NAME, seq, detail });
      }
      const target = join(dir, generationName(seq));
      if (!(await publishFile(fs, publishState, dir, target, [generationHeader(record), record.bytes], key, seq))) {
        throw await conflictAt(fs, dir, key, record, `another writer published generation ${seq} first`);
      }
      await confirmNotFenced({ fs, dir, key }, epoch, seq);
    },
    async remove(key, seq) {
      const fs = await use(key);
      if (!Number.isSafeInteger(seq) || seq < 1) return;
      await fs.unlink(join(keyDir(key), generationName(seq))).catch((error: unknown) => {
        if (!missing(error)) throw fsError(error, key, 'remove a generation', seq);
      });
    },
    async keys() {
      const fs = await use();
      return (await keyFolders(fs)).filter((f) => generationSeqs(f.names).length > 0).map((f) => f.key);
    },
    async quarantine(key, seq, reason) {
      return moveToQuarantine(await use(key), key, seq, reason);
    },
    async listQuarantine(key) {
      const fs = await use(key);
      const folders =
        key === undefined
          ? (await keyFolders(fs)).filter((f) => f.names.includes(QUARANTINE_DIR))
          : [{ key, dir: keyDir(key) }];
      const out: QuarantineInfo[] = [];
      for (const folder of folders) {
        const qdir = join(folder.dir, QUARANTINE_DIR);
        for (const q of await quarantined(fs, folder.dir, folder.key)) {
          const info = (await readInfo(fs, join(qdir, `${q.id}.gen`), q.seq, folder.key))?.info;
          if (!info) continue;
          // The reason is informative only; a missing or damaged note must not hide the bytes.
          const note = await fs.readFile(join(qdir, `${q.id}.json`)).then((b) => JSON.parse(decoder.decode(b)), noop);
          const reason = typeof note?.reason === 'string' ? (note.reason as string) : 'unknown';
          out.push({ ...info, id: q.id, key: folder.key, reason, quarantinedAt: q.at });
        }
      }
      return out.sort((a, b) => b.quarantinedAt - a.quarantinedAt || b.seq - a.seq);
    },
    async readQuarantined(key, id) {
      const fs = await use(key);
      if (!QUARANTINE_ID.test(id)) return undefined;
      try {
        return envelopeBytesOf(await fs.readFile(join(keyDir(key), QUARANTINE_DIR, `${id}.gen`)));
      } catch (error) {
        if (missing(error)) return undefined;
        throw fsError(error, key, 'read a quarantined generation');
      }
    },
    async deleteQuarantined(key, id) {
      const fs = await use(key);
      if (!QUARANTINE_ID.test(id)) return;
      for (const file of [`${id}.gen`, `${id}.json`]) {
        await fs.unlink(join(keyDir(key), QUARANTINE_DIR, file)).catch((error: unknown) => {
          if (!missing(error)) throw fsError(error, key, 'delete a quarantined generation');
        });
      }
    },
    async acquire(key, acquireOptions?: AcquireOptions) {
      const fs = await use(key);
      const dir = await ensureKeyDir(fs, key);
      const generationEpochOf = (names: readonly string[]) => generationEpoch(fs, dir, key, names);
      const headerEpoch = async (seq: number) => (await readHeader(fs, dir, key, seq))?.epoch;
      const setAsideOf = (seq: number, epoch: number, lockEpoch: number) => setAside(fs, key, seq, epoch, lockEpoch);
      const lease = await acquireFileLock(
        { fs, dir, key, owner, clock, generationEpoch: generationEpochOf, headerEpoch, setAside: setAsideOf },
        acquireOptions,
      );
      leases.add(lease);
      return {
        epoch: lease.epoch,
        release: async () => {
          leases.delete(lease);
          await lease.release();
        },
      };
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await Promise.all([...leases].map((lease) => lease.release().catch(noop)));
      leases.clear();
    },
  };
  return adapter;
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
