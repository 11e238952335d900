import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createActor, type AnyActorLogic } from 'xstate';
import { taggedJsonCodec, type Codec } from '../src/codec/index.js';
import type { Migrations } from '../src/migrate.js';
import { prepareCheckpoint, type DecodedCheckpoint } from '../src/restore.js';
import { CheckpointError } from '../src/errors.js';
import type { StandardSchema } from '../src/schema.js';
import { UsageError } from './args.js';

/**
 * What `--machine <module>` provides: the module exports `machine` (or a
 * default export) and, as `persistActor` takes them, optionally `version`,
 * `migrations`, `schema`, `machineId`, `codec` and `readCodecs`.
 */
export interface MachineModule {
  readonly logic: AnyActorLogic;
  readonly machineId: string;
  readonly version: number;
  readonly migrations: Migrations | undefined;
  readonly schema: StandardSchema | undefined;
  /** Codecs to decode with: the module's `codec` and `readCodecs`, then the default. */
  readonly codecs: readonly Codec[];
}

const isLogic = (value: unknown): value is AnyActorLogic =>
  typeof value === 'object' && value !== null && typeof (value as { transition?: unknown }).transition === 'function';

/**
 * Imports the `--machine` module. A TypeScript module needs a loader: run the
 * CLI as `node --import tsx $(npm bin)/xstate-checkpoint ...`.
 *
 * @example
 * ```ts
 * import { loadMachineModule } from './machine.js';
 * const m = await loadMachineModule('./dist/order-machine.js', process.cwd());
 * ```
 */
export async function loadMachineModule(specifier: string, cwd: string): Promise<MachineModule> {
  const path = resolve(cwd, specifier);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const hint =
      code === 'ERR_UNKNOWN_FILE_EXTENSION'
        ? ' (a TypeScript module: run the CLI with `node --import tsx`, or point --machine at the built .js)'
        : '';
    throw new UsageError(`cannot import --machine ${specifier}${hint}: ${(error as Error)?.message ?? String(error)}`);
  }
  const logic = mod['machine'] ?? mod['default'];
  if (!isLogic(logic)) {
    throw new UsageError(`--machine ${specifier} must export \`machine\` (or a default export) holding the machine`);
  }
  const version = mod['version'] ?? 1;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new UsageError(`--machine ${specifier}: \`version\` must be an integer >= 1`);
  }
  const id = (logic as { id?: unknown }).id;
  const machineId =
    typeof mod['machineId'] === 'string' ? mod['machineId'] : typeof id === 'string' && id.length > 0 ? id : 'actor';
  const extra = [mod['codec'], ...(Array.isArray(mod['readCodecs']) ? (mod['readCodecs'] as unknown[]) : [])].filter(
    (c): c is Codec => typeof c === 'object' && c !== null && typeof (c as Codec).decode === 'function',
  );
  return {
    logic,
    machineId,
    version,
    migrations: mod['migrations'] as Migrations | undefined,
    schema: mod['schema'] as StandardSchema | undefined,
    codecs: [...extra, ...(extra.some((c) => c.id === taggedJsonCodec.id) ? [] : [taggedJsonCodec])],
  };
}

/** Result of {@link checkAgainstMachine}. */
export interface MachineCheck {
  /** The snapshot after migration and validation, as the running code would restore it. */
  readonly snapshot: unknown;
  readonly migrationsApplied: number[];
}

/**
 * Runs what restore runs after decoding: identity, the migration chain,
 * validation (schema, state value, children), then lets XState build an
 * actor from it (without starting it). Throws the CheckpointError restore
 * would report.
 *
 * @example
 * ```ts
 * import { checkAgainstMachine, type MachineModule } from './machine.js';
 * import type { DecodedCheckpoint } from '../src/restore.js';
 * declare const decoded: DecodedCheckpoint;
 * declare const machine: MachineModule;
 * const { migrationsApplied } = await checkAgainstMachine(decoded, machine);
 * ```
 */
export async function checkAgainstMachine(decoded: DecodedCheckpoint, m: MachineModule): Promise<MachineCheck> {
  const prepared = await prepareCheckpoint(decoded, {
    logic: m.logic,
    machineId: m.machineId,
    version: m.version,
    migrations: m.migrations,
    schema: m.schema,
  });
  const snapshot = prepared.data.snapshot as { status?: unknown };
  const actor = createActor(m.logic, { snapshot: prepared.data.snapshot } as never);
  const built = actor.getSnapshot() as { status?: unknown; error?: unknown };
  // XState turns a snapshot it cannot restore into an error snapshot instead of throwing.
  if (built.status === 'error' && snapshot.status !== 'error') {
    throw new CheckpointError('invalid-state', { cause: built.error, detail: 'XState could not restore the snapshot' });
  }
  return { snapshot: prepared.data.snapshot, migrationsApplied: prepared.applied };
}
