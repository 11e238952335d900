import { createActor, type ActorOptions, type AnyActorLogic } from 'xstate';
import type { JournalDamage, JournalReadResult, Lease } from './adapter.js';
import { CheckpointError, toCheckpointError } from './errors.js';
import { decodeJournaledEvent, type JournaledEvent } from './journal-entry.js';
import {
  JournalSession,
  type JournalRestoreInfo,
  type JournaledActor,
  type JournalStart,
  replayIdentity,
} from './journal-session.js';
import {
  prepareOptions,
  restoreRequest,
  type PersistOptions,
  type RequiredInput,
  type ResolvedOptions,
} from './options.js';
import { Replay } from './replay.js';
import { createRestoredActor } from './restored-actor.js';
import { restoreNewest, STORAGE_FAILURES } from './restore.js';

export type { JournalRestoreInfo, JournalRestoreReport, JournaledActor, JournalStart } from './journal-session.js';

/**
 * Journal mode (what `persistActor(logic, { journal: true })` runs): restores
 * the newest valid snapshot generation, replays the journal entries after it
 * through the pure transition function (no action runs during replay), starts
 * the actor from the result with its delayed events re-armed, and from then on
 * journals every event delivered in the actor's tree (sends, timers, children)
 * with group commit: `send(event)` resolves when the event is durable, and
 * events arriving together share one append. A snapshot generation is written
 * every `compactEvery` entries or `compactAfterMs`, and the journal it covers
 * is truncated per retention.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { persistJournaled } from 'xstate-checkpoint/journal';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 *
 * const machine = createMachine({ id: 'pay', initial: 'open', states: { open: { on: { PAY: 'paid' } }, paid: {} } });
 * const persisted = await persistJournaled(machine, { key: 'pay-1', adapter: memoryAdapter(), journal: true });
 * await persisted.send({ type: 'PAY' }); // durable now
 * await persisted.close();
 * ```
 */
export async function persistJournaled<TLogic extends AnyActorLogic>(
  logic: TLogic,
  options: PersistOptions<TLogic> & RequiredInput<TLogic>,
): Promise<JournaledActor<TLogic>> {
  return runJournaled(await prepareOptions(logic, { ...options, journal: options.journal || true }));
}

/**
 * Journal mode on options already resolved (`persistActor` resolves them
 * once for both modes): lock, restore with replay, then the running session.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { runJournaled } from './journal.js';
 * import { resolveOptions } from './options.js';
 * const machine = createMachine({ id: 'm' });
 * const persisted = await runJournaled(resolveOptions(machine, { key: 'k', adapter: memoryAdapter(), journal: true }));
 * await persisted.close();
 * ```
 */
export async function runJournaled<TLogic extends AnyActorLogic>(
  o: ResolvedOptions<TLogic>,
): Promise<JournaledActor<TLogic>> {
  const started = o.clock.now();
  const lease: Lease | undefined = o.lock ? await o.adapter.acquire!(o.key, o.lock) : undefined;
  try {
    const start = await restoreJournaled(o);
    const known = (await o.adapter.list(o.key).catch(() => [])).slice();
    const session = new JournalSession(o, lease, start, known, started);
    await session.begin();
    return session.handle();
  } catch (error) {
    await lease?.release().catch(() => undefined);
    throw toCheckpointError(error, 'io', { key: o.key, adapter: o.adapter.name });
  }
}

/** Restore steps of journal mode: the newest valid generation, the journal after it, the replay. */
async function restoreJournaled<TLogic extends AnyActorLogic>(o: ResolvedOptions<TLogic>): Promise<JournalStart> {
  const identity = replayIdentity(o);
  const outcome = await restoreNewest(
    restoreRequest(o, (prepared) => createRestoredActor(o.logic, prepared.data.snapshot, identity).actor),
  );
  const accepted = outcome.accepted;
  // The header carries the position (envelope field `journal`; restore reads older payloads' own field).
  const fromSeq = accepted?.header.journal ?? 0;
  const read = await o.adapter.journal!.read(o.key, fromSeq);
  const { journaled, undecodable } = decodeAfter(o, read, fromSeq);
  if (undecodable) await setAsideUndecodable(o, undecodable);
  let replayed = 0;
  let skipped = 0;
  let data = accepted?.prepared.data;
  if (journaled.length > 0) {
    const base =
      accepted?.value ?? createActor(o.logic, { ...identity, input: o.actorOptions.input } as ActorOptions<TLogic>);
    const replay = new Replay(o.logic, base, data?.timers ?? [], accepted ? undefined : { at: journaled[0]!.at });
    for (const e of journaled) {
      if (replay.apply(e) === 'applied') replayed++;
      else skipped++;
    }
    data = { snapshot: replay.persisted(), timers: replay.timers };
  }
  const corrupt = undecodable ?? read.corrupt;
  const lastSeq = journaled.length > 0 ? journaled[journaled.length - 1]!.seq : fromSeq;
  const info: JournalRestoreInfo = {
    fromSeq,
    lastSeq,
    replayed,
    skipped,
    ...(read.torn ? { torn: read.torn } : {}),
    ...(corrupt ? { corrupt } : {}),
  };
  return { outcome, data, info };
}

/**
 * The journal's entries after `fromSeq`, decoded, up to the first that does not
 * decode (`undecodable`: damage from there on, as a bad checksum would be); a
 * gap refuses the restore (acknowledged events would be lost).
 */
function decodeAfter(
  o: ResolvedOptions<AnyActorLogic>,
  read: JournalReadResult,
  fromSeq: number,
): { journaled: JournaledEvent[]; undecodable?: JournalDamage } {
  const journaled: JournaledEvent[] = [];
  let expected = fromSeq + 1;
  for (const [i, entry] of read.entries.entries()) {
    if (entry.seq !== expected) {
      throw new CheckpointError('restore-failed', {
        key: o.key,
        adapter: o.adapter.name,
        detail:
          `journal entries ${expected} to ${entry.seq - 1} are missing ` +
          `(the snapshot covers up to ${fromSeq}); acknowledged events may be lost, so nothing was started`,
      });
    }
    expected++;
    try {
      journaled.push(decodeJournaledEvent(entry, o.codecs, o.limits));
    } catch (caught) {
      const error = toCheckpointError(caught, 'decode', { key: o.key, adapter: o.adapter.name, seq: entry.seq });
      // A part that did not load, or storage trouble, says nothing about the entry.
      if (STORAGE_FAILURES.includes(error.code)) throw error;
      const rest = read.entries.slice(i).reduce((sum, e) => sum + e.bytes.length, 0);
      const byteLength = rest + (read.corrupt?.byteLength ?? read.torn?.byteLength ?? 0);
      const reason = `entry ${entry.seq} does not decode (${error.code}: ${error.detail ?? error.message})`;
      return { journaled, undecodable: { afterSeq: entry.seq - 1, byteLength, reason } };
    }
  }
  return { journaled };
}

/**
 * Has the store set aside the entries from the first that does not decode
 * on (kept): the actor starts from the last good one, reported as damage.
 * A store without `setAsideAfter` cannot, and the restore is refused.
 */
async function setAsideUndecodable(o: ResolvedOptions<AnyActorLogic>, damage: JournalDamage): Promise<void> {
  const journal = o.adapter.journal!;
  if (!journal.setAsideAfter) {
    throw new CheckpointError('restore-failed', {
      key: o.key,
      adapter: o.adapter.name,
      detail:
        `journal ${damage.reason}, and this journal store has no setAsideAfter to set it aside; ` +
        'nothing was started: move the entries after ' +
        `${damage.afterSeq} out of the journal by hand, or give the store setAsideAfter`,
    });
  }
  await journal.setAsideAfter(o.key, damage.afterSeq);
}
