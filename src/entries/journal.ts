/**
 * `xstate-checkpoint/journal`: journal mode and its parts. {@link persistJournaled}
 * logs every event before it is processed, so `send` resolves once the event is
 * durable, and a restore replays the events after the newest snapshot.
 * `persistActor(logic, { journal: true })` loads this entry on demand; import it
 * directly for the journaled actor's own type, or to read journal frames in a
 * tool or an adapter of your own. See `docs/journal.md`.
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
 * @packageDocumentation
 */
export type { JournalDamage, JournalEntry, JournalReadResult, JournalStore } from '../adapter.js';
export { persistJournaled } from '../journal.js';
export type { JournalRestoreInfo, JournalRestoreReport, JournaledActor } from '../journal.js';
export type { JournalOptions } from '../journal-options.js';
export { FRAME_HEADER, encodeJournalFrames, scanJournalFrames } from '../journal-frame.js';
export type { FrameDamage, FrameScan } from '../journal-frame.js';
export { checkJournalOrder } from '../journal-order.js';
export { decodeJournaledEvent, encodeJournaledEvent } from '../journal-entry.js';
export type { JournaledEvent } from '../journal-entry.js';
export { observeDeliveries } from '../deliveries.js';
export type { DeliveryListener } from '../deliveries.js';
export { Replay } from '../replay.js';
export type { ReplayOutcome } from '../replay.js';
