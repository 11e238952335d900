// A checkpoint adapter over an object store with conditional writes (the model of
// S3, GCS and Azure Blob: objects by name, "create only if absent" and "replace
// only if unchanged since version v"). docs/adapters.md walks through it.
import { CheckpointError, checkKey, toCheckpointError } from 'xstate-checkpoint/adapter-kit';
import type { CheckpointAdapter, GenerationInfo, QuarantineInfo } from 'xstate-checkpoint/adapter-kit';

/** What the adapter needs from the store. S3: GetObject, PutObject with IfNoneMatch / IfMatch, DeleteObject, ListObjectsV2. */
export interface ObjectStore {
  get(name: string): Promise<{ body: Uint8Array; version: string } | undefined>;
  /** `ifVersion: null`: create only; a version: replace only that version. Resolves false when the condition fails. */
  put(name: string, body: Uint8Array, condition?: { ifVersion: string | null }): Promise<boolean>;
  delete(name: string): Promise<void>;
  /** Names starting with `prefix`. */
  list(prefix: string): Promise<string[]>;
}

/** Options of {@link objectStoreAdapter}. */
export interface ObjectStoreAdapterOptions {
  readonly store: ObjectStore;
  /** Prefix of every object name. @default 'checkpoints/' */
  readonly prefix?: string;
  /** @default Date.now */
  readonly now?: () => number;
}

const NAME = 'object-store';
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
const pad = (n: number) => String(n).padStart(16, '0');

/**
 * Layout, per key (the key URI-encoded, so any character is safe in a name):
 * - `<prefix>head/<key>`: `{ "seq": highest ever written, "epoch": highest ever seen }`,
 *   replaced with compare-and-set on its version: this is where writers race.
 * - `<prefix>gen/<key>/<seq>-<epoch>-<createdAt>`: one generation's envelope bytes;
 *   `list()` reads the metadata from the names alone.
 * - `<prefix>quarantine/<key>/<seq>-<epoch>-<createdAt>-<quarantinedAt>`: moved generations,
 *   with a `.reason` object next to each.
 *
 * @example
 * ```ts
 * import { objectStoreAdapter, type ObjectStore } from './object-store-adapter.js';
 * declare const store: ObjectStore;
 * const adapter = objectStoreAdapter({ store });
 * ```
 */
export function objectStoreAdapter(options: ObjectStoreAdapterOptions): CheckpointAdapter {
  const { store } = options;
  const prefix = options.prefix ?? 'checkpoints/';
  const now = options.now ?? Date.now;
  let disposed = false;

  // Every failure is a CheckpointError with the key and the adapter's name.
  const guard = async <T>(key: string | undefined, run: () => Promise<T>): Promise<T> => {
    if (disposed) throw new CheckpointError('closed', { key, adapter: NAME });
    if (key !== undefined) checkKey(key, NAME);
    try {
      return await run();
    } catch (error) {
      throw toCheckpointError(error, 'io', { key, adapter: NAME });
    }
  };
  const enc = (key: string) => encodeURIComponent(key);
  const headName = (key: string) => `${prefix}head/${enc(key)}`;
  const genPrefix = (key: string) => `${prefix}gen/${enc(key)}/`;
  const qPrefix = (key: string) => `${prefix}quarantine/${enc(key)}/`;

  const readHead = async (key: string) => {
    const found = await store.get(headName(key));
    const head = found ? (JSON.parse(fromUtf8.decode(found.body)) as { seq: number; epoch: number }) : undefined;
    return { seq: head?.seq ?? 0, epoch: head?.epoch ?? 0, version: found?.version ?? null };
  };
  /** Metadata from an object's name (`<seq>-<epoch>-<createdAt>[-<quarantinedAt>]`). */
  const parse = (name: string) => {
    const [seq, epoch, createdAt, quarantinedAt] = name
      .slice(name.lastIndexOf('/') + 1)
      .split('-')
      .map(Number);
    const info: GenerationInfo = { seq: seq!, epoch: epoch!, createdAt: createdAt!, byteLength: 0 };
    return { info, quarantinedAt: quarantinedAt ?? 0 };
  };
  const generations = async (key: string) => {
    const names = await store.list(genPrefix(key));
    return names.map((name) => ({ name, info: parse(name).info })).sort((a, b) => b.info.seq - a.info.seq);
  };
  const withLength = async (name: string, info: GenerationInfo): Promise<GenerationInfo> => ({
    ...info,
    // A real store returns the size with the listing (S3: Size); this one reads the object.
    byteLength: (await store.get(name))?.body.length ?? 0,
  });

  return {
    name: NAME,
    capabilities: { durable: true, crossProcess: true, locks: false },

    list: (key) =>
      guard(key, async () => Promise.all((await generations(key)).map(({ name, info }) => withLength(name, info)))),

    read: (key, seq) =>
      guard(key, async () => {
        const found = (await generations(key)).find((g) => g.info.seq === seq);
        const object = found && (await store.get(found.name));
        // A copy: callers must not be able to change what is stored.
        return object?.body.slice();
      }),

    write: (key, record) =>
      guard(key, async () => {
        // Claim the sequence on the head with compare-and-set; re-check after every lost race.
        for (;;) {
          const head = await readHead(key);
          if (record.seq <= head.seq) {
            throw new CheckpointError('conflict', {
              key,
              adapter: NAME,
              seq: record.seq,
              detail: `generation ${head.seq} exists`,
            });
          }
          if (record.epoch < head.epoch) {
            throw new CheckpointError('fenced', {
              key,
              adapter: NAME,
              seq: record.seq,
              detail: `epoch ${record.epoch} is older than the key's epoch ${head.epoch}`,
            });
          }
          const next = utf8.encode(JSON.stringify({ seq: record.seq, epoch: record.epoch }));
          if (await store.put(headName(key), next, { ifVersion: head.version })) break;
        }
        // The sequence is ours now: no one else can publish it. A crash here leaves a gap, never a clash.
        const name = `${genPrefix(key)}${pad(record.seq)}-${record.epoch}-${record.createdAt}`;
        await store.put(name, record.bytes.slice(), { ifVersion: null });
      }),

    remove: (key, seq) =>
      guard(key, async () => {
        const found = (await generations(key)).find((g) => g.info.seq === seq);
        if (found) await store.delete(found.name);
      }),

    keys: () =>
      guard(undefined, async () => {
        const names = await store.list(`${prefix}gen/`);
        const keys = new Set(names.map((n) => decodeURIComponent(n.slice(`${prefix}gen/`.length).split('/')[0]!)));
        return [...keys];
      }),

    quarantine: (key, seq, reason) =>
      guard(key, async () => {
        const found = (await generations(key)).find((g) => g.info.seq === seq);
        const object = found && (await store.get(found.name));
        if (!found || !object) throw new CheckpointError('not-found', { key, adapter: NAME, seq });
        const quarantinedAt = now();
        const id = `${found.name.slice(found.name.lastIndexOf('/') + 1)}-${quarantinedAt}`;
        // Copy first, then delete: a crash in between leaves both, never neither.
        await store.put(`${qPrefix(key)}${id}`, object.body, { ifVersion: null });
        await store.put(`${qPrefix(key)}${id}.reason`, utf8.encode(reason));
        await store.delete(found.name);
        const info: QuarantineInfo = { ...found.info, byteLength: object.body.length, id, key, reason, quarantinedAt };
        return info;
      }),

    listQuarantine: (key) =>
      guard(key, async () => {
        const base = key === undefined ? `${prefix}quarantine/` : qPrefix(key);
        const names = (await store.list(base)).filter((n) => !n.endsWith('.reason'));
        const out: QuarantineInfo[] = [];
        for (const name of names) {
          const k = decodeURIComponent(name.slice(`${prefix}quarantine/`.length).split('/')[0]!);
          const { info, quarantinedAt } = parse(name);
          const reason = await store.get(`${name}.reason`);
          out.push({
            ...(await withLength(name, info)),
            id: name.slice(name.lastIndexOf('/') + 1),
            key: k,
            reason: reason ? fromUtf8.decode(reason.body) : 'unknown',
            quarantinedAt,
          });
        }
        return out.sort((a, b) => b.quarantinedAt - a.quarantinedAt || b.seq - a.seq);
      }),

    readQuarantined: (key, id) => guard(key, async () => (await store.get(`${qPrefix(key)}${id}`))?.body.slice()),

    deleteQuarantined: (key, id) =>
      guard(key, async () => {
        await store.delete(`${qPrefix(key)}${id}`);
        await store.delete(`${qPrefix(key)}${id}.reason`);
      }),

    async dispose() {
      disposed = true;
    },
  };
}

/**
 * An in-memory {@link ObjectStore} with the conditional-write semantics of S3,
 * for tests and this example.
 *
 * @example
 * ```ts
 * import { memoryObjectStore, objectStoreAdapter } from './object-store-adapter.js';
 * const adapter = objectStoreAdapter({ store: memoryObjectStore() });
 * ```
 */
export function memoryObjectStore(): ObjectStore {
  const objects = new Map<string, { body: Uint8Array; version: string }>();
  let versions = 0;
  return {
    async get(name) {
      const o = objects.get(name);
      return o && { body: o.body.slice(), version: o.version };
    },
    async put(name, body, condition) {
      const current = objects.get(name);
      if (condition?.ifVersion === null && current) return false;
      if (condition?.ifVersion && current?.version !== condition.ifVersion) return false;
      objects.set(name, { body: body.slice(), version: String(++versions) });
      return true;
    },
    async delete(name) {
      objects.delete(name);
    },
    async list(prefix) {
      return [...objects.keys()].filter((n) => n.startsWith(prefix)).sort();
    },
  };
}
