import type { ActorOptions, AnyActorLogic, InputFrom } from 'xstate';
import type { AcquireOptions, CheckpointAdapter } from './adapter.js';
import { systemClock, type Clock } from './clock.js';
import { defaultCodec, fullCodec } from './codec/default.js';
import type { Codec, DecodeLimits } from './codec/index.js';
import type { CompressOptions } from './compression.js';
import { CheckpointError } from './errors.js';
import { CheckpointEmitter, type CheckpointEvent } from './events.js';
import type { JournalOptions } from './journal-options.js';
import { checkKey } from './keys.js';
import { onDemand } from './on-demand.js';
import { refsCode } from './ref-scan.js';
import type { LifecycleEnv } from './exit-hooks.js';
import type { Migrations } from './migrate.js';
import type { OnRestoreError, RestoreContext, RestoreNewestOptions } from './restore.js';
import {
  checkCompress,
  checkJournalAdapter,
  checkLocking,
  checkModes,
  resolveJournal,
  type ResolvedJournalOptions,
} from './option-checks.js';
import type { RetentionOptions } from './retention-options.js';
import type { GenerationWriterOptions } from './save.js';

export type { ResolvedJournalOptions } from './option-checks.js';
import type { DebounceOptions } from './scheduler.js';
import type { StandardSchema } from './schema.js';

/** Options of `PersistOptions.follow`. */
export interface FollowOptions {
  /** How often a follower polls for new generations when the adapter has no `subscribe`. @default 1000 */
  readonly pollMs?: number;
  /** With an adapter that has `subscribe`: a slower poll for notices missed (a frozen tab). @default 10000 */
  readonly resyncMs?: number;
  /** Become the writer when the lock frees (a tab closed, a lease expired). @default true */
  readonly takeOver?: boolean;
}

/**
 * `input` made required for logic whose input type does not admit
 * `undefined`, as XState's `createActor` requires it; nothing for other logic.
 *
 * @example
 * ```ts
 * import { setup } from 'xstate';
 * import type { RequiredInput } from 'xstate-checkpoint';
 * const order = setup({ types: { input: {} as { orderId: string } } }).createMachine({});
 * const needs: RequiredInput<typeof order> = { input: { orderId: 'o-1' } };
 * ```
 */
export type RequiredInput<TLogic extends AnyActorLogic> =
  undefined extends InputFrom<TLogic> ? unknown : { readonly input: InputFrom<TLogic> };

/** Options of `persistActor`. */
export interface PersistOptions<TLogic extends AnyActorLogic> extends Pick<
  ActorOptions<TLogic>,
  'input' | 'inspect' | 'systemId' | 'logger' | 'id'
> {
  /** Names the actor's checkpoints in the adapter. Required. */
  readonly key: string;
  /** Where checkpoints go. Required. */
  readonly adapter: CheckpointAdapter;
  /** Version of the machine's persisted shape; bump it with a migration step. @default 1 */
  readonly version?: number;
  /** `migrations[n]` turns a version-`n` snapshot into version `n + 1`. @default {} */
  readonly migrations?: Migrations;
  /** Any Standard Schema (zod 4, valibot, arktype) for the context, checked after migration. */
  readonly schema?: StandardSchema;
  /** Debounce of checkpoint writes. @default { wait: 100, maxWait: 1000 } */
  readonly debounce?: DebounceOptions;
  /** Which generations to keep. @default { latest: 3 } */
  readonly retain?: RetentionOptions;
  /**
   * When a generation cannot be restored: `fallback` quarantines it and tries
   * older ones, then starts fresh; `fresh` starts fresh after the newest
   * fails; `throw` rejects with `restore-failed` and quarantines nothing.
   * @default 'fallback'
   */
  readonly onRestoreError?: OnRestoreError;
  /** Codec for new checkpoints. @default taggedJsonCodec (its plain-data part at start, the rest when a payload needs it) */
  readonly codec?: Codec;
  /**
   * Gzip payloads from a size on (`CompressionStream`; no dependency). `true`
   * means `{ above: 64 * 1024 }`. Stored as envelope format 2; a payload that
   * does not shrink is stored as it is. Reading needs no option.
   * @default false
   */
  readonly compress?: boolean | CompressOptions;
  /** Further codecs accepted when reading (e.g. while switching codecs). @default [] */
  readonly readCodecs?: readonly Codec[];
  /** Caps on size, nesting and the number of values for decoding (see {@link DecodeLimits}). @default DEFAULT_LIMITS */
  readonly limits?: DecodeLimits;
  /** Time source for debouncing, deadlines and timestamps. @default systemClock */
  readonly clock?: Clock;
  /** Identity stored in each checkpoint and checked on restore. @default the machine's `id`, else 'actor' */
  readonly machineId?: string;
  /** Take the adapter's lock for the key before restoring; writes carry its fencing epoch. @default false */
  readonly lock?: boolean | AcquireOptions;
  /**
   * With `lock`: when another writer holds the key, follow it read-only
   * instead of rejecting with `lock-held`, and take over once the lock is
   * free. A follower's `actor` is not started: it mirrors the writer's newest
   * generation (replaced on each one, see the `follow` event) and processes
   * no events; `role` says which one this is.
   * @default false
   */
  readonly follow?: boolean | FollowOptions;
  /** Flush on SIGINT/SIGTERM/beforeExit (Node) and pagehide/hidden (browsers). @default true */
  readonly flushOnExit?: boolean;
  /** Where lifecycle signals come from. @default the globals */
  readonly lifecycle?: LifecycleEnv;
  /** Failed background writes (the actor keeps running). @default logs with console.error */
  readonly onError?: (error: CheckpointError) => void;
  /** Every {@link CheckpointEvent}. Same as `persisted.on('*', fn)`. */
  readonly onEvent?: (event: CheckpointEvent) => void;
  /**
   * `false` returns the writer's actor restored but not started, so that
   * `.on()`, `.subscribe()` and inspection see what entry actions and
   * children do at start; `persisted.start()` (or `persisted.actor.start()`)
   * starts it, re-arms its pending timers, opens writes and emits `restore`.
   * Until then `flush()` writes nothing and `close()` writes nothing. A
   * follower ignores it (its actor never starts); once it takes over, its
   * actor starts if `start()` was called.
   * @default true
   */
  readonly start?: boolean;
  /** Journal mode: every event is journaled durably (see `persistJournaled`, which types `send`). @default false */
  readonly journal?: boolean | JournalOptions;
}

/** {@link PersistOptions} checked once, with every default filled in: what both modes run on. */
export interface ResolvedOptions<TLogic extends AnyActorLogic> {
  readonly logic: TLogic;
  readonly key: string;
  readonly adapter: CheckpointAdapter;
  readonly clock: Clock;
  /** The codec new checkpoints are written with. */
  readonly codec: Codec;
  /** Codecs accepted when reading: `codec` first, then `readCodecs` without duplicates. */
  readonly codecs: readonly Codec[];
  readonly limits: DecodeLimits | undefined;
  readonly retain: RetentionOptions;
  readonly compress: boolean | CompressOptions | undefined;
  /** Debounce of snapshot writes, defaults filled in. */
  readonly debounce: { readonly wait: number; readonly maxWait: number };
  /** What the restore steps check against (machine id, version, migrations, schema). */
  readonly restore: RestoreContext & { readonly version: number };
  readonly onRestoreError: OnRestoreError;
  /** `undefined` without `lock`. */
  readonly lock: AcquireOptions | undefined;
  /** `undefined` without `follow`. */
  readonly follow: FollowOptions | undefined;
  /** `undefined` in snapshot mode. */
  readonly journal: ResolvedJournalOptions | undefined;
  /** The options XState's `createActor` gets (`input`, `inspect`, `systemId`, `logger`, `id`). */
  readonly actorOptions: ActorOptions<TLogic>;
  readonly start: boolean;
  readonly flushOnExit: boolean;
  readonly lifecycle: LifecycleEnv | undefined;
  /** The app's `onError`, or a `console.error` line. */
  readonly onError: (error: CheckpointError) => void;
  /** Where restore notices go (the app's own `logger` and `onError`, not the defaults). */
  readonly notices: {
    readonly logger: ((...args: unknown[]) => void) | undefined;
    readonly onError: ((error: CheckpointError) => void) | undefined;
  };
  readonly events: CheckpointEmitter;
}

const ACTOR_OPTIONS = ['input', 'inspect', 'systemId', 'logger', 'id'] as const;

function machineIdOf(logic: AnyActorLogic, explicit: string | undefined): string {
  if (explicit !== undefined) return explicit;
  const id = (logic as { id?: unknown }).id;
  return typeof id === 'string' && id.length > 0 ? id : 'actor';
}

function objectOr<T extends object>(value: boolean | T | undefined): T | undefined {
  if (!value) return undefined;
  return typeof value === 'object' ? value : ({} as T);
}

/** The checks of the options only some apps set (option-checks.ts), when loaded. */
type OptionChecks = Pick<
  typeof import('./option-checks.js'),
  'checkModes' | 'checkJournalAdapter' | 'checkLocking' | 'checkCompress' | 'resolveJournal'
>;

function checkOptions<TLogic extends AnyActorLogic>(
  logic: TLogic,
  o: PersistOptions<TLogic>,
  version: number,
  checks: OptionChecks | undefined,
): void {
  const bad = (detail: string) => new CheckpointError('invalid-option', { key: o.key, detail });
  checks?.checkModes(o);
  checkKey(o.key);
  if (typeof (logic as { transition?: unknown } | null)?.transition !== 'function') {
    throw bad('the first argument must be actor logic (a machine or fromPromise/fromCallback/... logic)');
  }
  if (!o.adapter || typeof o.adapter.write !== 'function') throw bad('`adapter` is required (e.g. memoryAdapter())');
  checks?.checkJournalAdapter(o);
  if (!Number.isInteger(version) || version < 1)
    throw bad(`\`version\` must be an integer >= 1, got ${String(version)}`);
  checks?.checkLocking(o);
  checks?.checkCompress(o.compress, o.key);
  // Called only when something goes wrong (a restore report, a failed write): a JavaScript
  // caller's wrong type would surface there as a TypeError, after the quarantine, instead of here.
  for (const name of ['onError', 'onEvent', 'logger'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'function') throw bad(`\`${name}\` must be a function`);
  }
}

/** Whether any option that option-checks.ts checks is set (otherwise none of its checks applies). */
const setsCheckedOptions = (o: PersistOptions<AnyActorLogic>): boolean =>
  Boolean(o.journal || o.follow || o.lock || o.compress || o.retain !== undefined);

/**
 * Checks every option of `persistActor` once (throwing `invalid-option` with
 * the option's name) and fills in the defaults, for snapshot mode and journal
 * mode alike.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { resolveOptions } from './options.js';
 * const o = resolveOptions(createMachine({ id: 'cart' }), { key: 'cart-1', adapter: memoryAdapter() });
 * o.restore.machineId; // 'cart'
 * o.retain; // {} (the retention defaults: latest 3)
 * ```
 */
export function resolveOptions<TLogic extends AnyActorLogic>(
  logic: TLogic,
  options: PersistOptions<TLogic>,
): ResolvedOptions<TLogic> {
  return resolveWith(logic, options, { checkModes, checkJournalAdapter, checkLocking, checkCompress, resolveJournal });
}

function resolveWith<TLogic extends AnyActorLogic>(
  logic: TLogic,
  options: PersistOptions<TLogic>,
  checks: OptionChecks | undefined,
): ResolvedOptions<TLogic> {
  const version = options.version ?? 1;
  checkOptions(logic, options, version, checks);
  const codec = options.codec ?? defaultCodec;
  const actorOptions: Record<string, unknown> = {};
  for (const name of ACTOR_OPTIONS) if (options[name] !== undefined) actorOptions[name] = options[name];
  return {
    logic,
    key: options.key,
    adapter: options.adapter,
    clock: options.clock ?? systemClock,
    codec,
    codecs: [codec, ...(options.readCodecs ?? []).filter((c) => c.id !== codec.id)],
    limits: options.limits,
    retain: options.retain ?? {},
    compress: options.compress,
    debounce: { wait: options.debounce?.wait ?? 100, maxWait: options.debounce?.maxWait ?? 1000 },
    restore: {
      logic,
      machineId: machineIdOf(logic, options.machineId),
      version,
      migrations: options.migrations,
      schema: options.schema,
    },
    onRestoreError: options.onRestoreError ?? 'fallback',
    lock: objectOr(options.lock),
    follow: objectOr(options.follow),
    journal: checks?.resolveJournal(options.key, options.journal),
    actorOptions,
    start: options.start !== false,
    flushOnExit: options.flushOnExit !== false,
    lifecycle: options.lifecycle,
    onError:
      options.onError ??
      ((error: CheckpointError) => {
        console.error(`xstate-checkpoint: ${error.message}`);
      }),
    notices: { logger: options.logger, onError: options.onError },
    events: new CheckpointEmitter(options.onEvent),
  };
}

/**
 * {@link resolveOptions}, then the checks whose code only apps using the
 * option load (the `migrations` chain): what both modes start with.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { prepareOptions } from './options.js';
 * const o = await prepareOptions(createMachine({ id: 'cart' }), { key: 'cart-1', adapter: memoryAdapter(), version: 2, migrations: { 1: (s) => s } });
 * ```
 */
export async function prepareOptions<TLogic extends AnyActorLogic>(
  logic: TLogic,
  options: PersistOptions<TLogic>,
): Promise<ResolvedOptions<TLogic>> {
  const checks = setsCheckedOptions(options) ? await optionChecks.load() : undefined;
  const o = resolveWith(logic, options, checks);
  const { migrations, version } = o.restore;
  if (migrations !== undefined) (await migrate.load()).checkMigrations(migrations, version);
  return o.journal ? forJournal(o) : o;
}

const migrate = /* @__PURE__ */ onDemand('the migration code', () => import('./migrate.js'));
const optionChecks = /* @__PURE__ */ onDemand('the option checks', () => import('./option-checks.js'));

/**
 * Journal mode captures and encodes synchronously as events arrive, so what
 * snapshot mode loads on demand is loaded here, before anything is read or
 * written: the code for actor references, and the whole of `taggedJsonCodec`
 * in place of the default codec (same id, same bytes).
 */
async function forJournal<TLogic extends AnyActorLogic>(o: ResolvedOptions<TLogic>): Promise<ResolvedOptions<TLogic>> {
  await refsCode.load();
  if (!o.codecs.includes(defaultCodec)) return o;
  const whole = (await fullCodec.load()).taggedJsonCodec;
  const swap = (c: Codec) => (c === defaultCodec ? whole : c);
  return { ...o, codec: swap(o.codec), codecs: o.codecs.map(swap) };
}

/**
 * What the restore pipeline takes from resolved options, for either mode,
 * with the mode's `accept` (its way of creating the actor). Quarantines are
 * announced on the options' event emitter.
 *
 * @example
 * ```ts
 * import { createActor, createMachine } from 'xstate';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { resolveOptions, restoreRequest } from './options.js';
 * import { restoreNewest } from './restore.js';
 * const machine = createMachine({ id: 'cart' });
 * const o = resolveOptions(machine, { key: 'cart-1', adapter: memoryAdapter() });
 * const outcome = await restoreNewest(restoreRequest(o, (p) => createActor(machine, { snapshot: p.data.snapshot as never })));
 * ```
 */
export function restoreRequest<TLogic extends AnyActorLogic, T>(
  o: ResolvedOptions<TLogic>,
  accept: RestoreNewestOptions<T>['accept'],
): RestoreNewestOptions<T> {
  // New keys before the spread, never after it: on Node 20 (V8 11) each key added after a
  // spread costs ~0.3 µs and gives the object a hidden class of its own (per actor restored).
  return {
    adapter: o.adapter,
    key: o.key,
    codecs: o.codecs,
    limits: o.limits,
    onRestoreError: o.onRestoreError,
    onQuarantine: (seq, reason) => o.events.emit({ type: 'quarantine', key: o.key, seq, reason }),
    accept,
    ...o.restore,
  };
}

/**
 * What a {@link GenerationWriter} takes from resolved options, for either mode:
 * the header's machine id and version, and prunes announced on the event emitter.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { resolveOptions, writerOptions } from './options.js';
 * import { GenerationWriter } from './save.js';
 * const o = resolveOptions(createMachine({ id: 'cart' }), { key: 'cart-1', adapter: memoryAdapter() });
 * const writer = new GenerationWriter(writerOptions(o), { nextSeq: 1, epoch: 0, known: [] });
 * ```
 */
export function writerOptions<TLogic extends AnyActorLogic>(o: ResolvedOptions<TLogic>): GenerationWriterOptions {
  return {
    adapter: o.adapter,
    key: o.key,
    clock: o.clock,
    codec: o.codec,
    limits: o.limits,
    machine: o.restore.machineId,
    version: o.restore.version,
    compress: o.compress,
    retain: o.retain,
    onPruned: (removed) => o.events.emit({ type: 'prune', key: o.key, removed }),
    onError: o.onError,
  };
}
