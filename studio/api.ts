import type { CheckpointAdapter } from '../src/adapter.js';
import type { Codec } from '../src/codec/index.js';
import { CheckpointError } from '../src/errors.js';
import { changes } from '../cli/diff.js';
import { readGeneration } from '../cli/generation.js';
import type { MachineModule } from '../cli/machine.js';
import { previewQuarantineRestore, previewRollback, runAction, type ActionContext } from './actions.js';
import { generationView } from './generation-view.js';
import type { KeyIndex } from './keys.js';
import { machineBoxes } from './machine-graph.js';
import { quarantinedView } from './quarantined-view.js';
import { toTree } from './tree.js';

/** What the API handlers work with. */
export interface ApiContext extends ActionContext {
  readonly adapter: CheckpointAdapter;
  readonly index: KeyIndex;
  readonly codecs: readonly Codec[];
  readonly machine: MachineModule | undefined;
  readonly write: boolean;
  /** What the page shows as the store's name (`--dir ./state`, a URL without its password). */
  readonly store: string;
}

/** A request the API could not make sense of: answered with 400 and the message. */
export class BadRequest extends Error {
  override readonly name = 'BadRequest';
}

const text = (query: URLSearchParams, name: string): string => {
  const value = query.get(name);
  if (value === null || value === '') throw new BadRequest(`missing ?${name}=`);
  return value;
};
const int = (query: URLSearchParams, name: string, fallback?: number): number => {
  const raw = query.get(name);
  if ((raw === null || raw === '') && fallback !== undefined) return fallback;
  const n = Number(raw);
  if (raw === null || !/^\d+$/.test(raw) || !Number.isSafeInteger(n))
    throw new BadRequest(`?${name}= must be a whole number`);
  return n;
};
const field = <T>(body: Record<string, unknown>, name: string, type: 'string' | 'number'): T => {
  const value = body[name];
  if (typeof value !== type || (type === 'number' && !Number.isSafeInteger(value)))
    throw new BadRequest(`body.${name} must be a ${type}`);
  return value as T;
};

const MAX_CHANGES = 2000;
const MAX_SEARCH = 500;

/** GET handlers by path; each answers with a JSON value. */
export const reads: Record<string, (ctx: ApiContext, query: URLSearchParams) => Promise<unknown>> = {
  async '/api/info'(ctx) {
    return {
      store: ctx.store,
      adapter: ctx.adapter.name,
      write: ctx.write,
      notices: typeof ctx.adapter.subscribe === 'function',
      machine: ctx.machine ? { id: ctx.machine.machineId, version: ctx.machine.version } : null,
    };
  },
  async '/api/keys'(ctx, query) {
    const started = performance.now();
    const page = await ctx.index.page({
      offset: int(query, 'offset', 0),
      limit: int(query, 'limit', 50),
      search: (query.get('q') ?? '').slice(0, MAX_SEARCH),
    });
    return { ...page, ms: Math.round(performance.now() - started) };
  },
  async '/api/key'(ctx, query) {
    const key = text(query, 'key');
    const [generations, quarantined] = await Promise.all([ctx.adapter.list(key), ctx.adapter.listQuarantine(key)]);
    if (generations.length === 0 && quarantined.length === 0) {
      throw new CheckpointError('not-found', { key, adapter: ctx.adapter.name, detail: 'no such key' });
    }
    return { key, generations, quarantined };
  },
  async '/api/generation'(ctx, query) {
    const key = text(query, 'key');
    const decoded = await readGeneration(ctx.adapter, key, int(query, 'seq'), ctx.codecs);
    return generationView(key, decoded, ctx.machine, ctx.now());
  },
  async '/api/quarantined'(ctx, query) {
    const key = text(query, 'key');
    return quarantinedView(ctx.adapter, key, text(query, 'id'), ctx.codecs, ctx.machine, ctx.now());
  },
  async '/api/diff'(ctx, query) {
    const key = text(query, 'key');
    const [a, b] = [int(query, 'a'), int(query, 'b')];
    const [left, right] = [
      await readGeneration(ctx.adapter, key, a, ctx.codecs),
      await readGeneration(ctx.adapter, key, b, ctx.codecs),
    ];
    // The same view of a generation the CLI's `diff` compares, so both list the same paths.
    const view = (d: typeof left) => ({
      header: { machine: d.header.machine, version: d.header.version, epoch: d.header.epoch, codec: d.header.codec },
      snapshot: d.data.snapshot,
      timers: d.data.timers,
    });
    const all = changes(view(left), view(right));
    const found = all.slice(0, MAX_CHANGES);
    return {
      key,
      total: all.length,
      a: await generationView(key, left, ctx.machine, ctx.now()),
      b: await generationView(key, right, ctx.machine, ctx.now()),
      changes: found.map((c) => ({
        path: c.path.replace(/^snapshot\./, ''),
        kind: c.kind,
        ...('from' in c ? { from: toTree(c.from) } : {}),
        ...('to' in c ? { to: toTree(c.to) } : {}),
      })),
    };
  },
  async '/api/machine'(ctx) {
    if (!ctx.machine) throw new BadRequest('the studio was started without --machine');
    return { id: ctx.machine.machineId, version: ctx.machine.version, root: machineBoxes(ctx.machine.logic) };
  },
};

/** POST handlers by path (only reached with `--write`); each takes the JSON body. */
export const writes: Record<string, (ctx: ApiContext, body: Record<string, unknown>) => Promise<unknown>> = {
  async '/api/rollback/preview'(ctx, body) {
    return previewRollback(ctx, field(body, 'key', 'string'), field(body, 'seq', 'number'));
  },
  async '/api/rollback'(ctx, body) {
    return runAction(ctx, {
      kind: 'rollback',
      key: field(body, 'key', 'string'),
      seq: field(body, 'seq', 'number'),
      nextSeq: field(body, 'nextSeq', 'number'),
    });
  },
  async '/api/quarantine-restore/preview'(ctx, body) {
    return previewQuarantineRestore(ctx, field(body, 'key', 'string'), field(body, 'id', 'string'));
  },
  async '/api/quarantine-restore'(ctx, body) {
    return runAction(ctx, {
      kind: 'quarantine-restore',
      key: field(body, 'key', 'string'),
      id: field(body, 'id', 'string'),
      nextSeq: field(body, 'nextSeq', 'number'),
    });
  },
};
