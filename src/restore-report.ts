import type { AnyActorLogic } from 'xstate';
import { onDemand } from './on-demand.js';
import type { NoticeChannels } from './restore-notice.js';
import type { RestoreOutcome, RestoreReport } from './restore.js';
import type { RestoredActor } from './restored-actor.js';

/**
 * The report of a restore from its outcome (what `restoreNewest` returned)
 * and the actor `createRestoredActor` made for the app, if any;
 * `timersRestored` is filled in when the actor starts.
 */
export function buildRestoreReport(
  outcome: RestoreOutcome<unknown>,
  restored: Pick<RestoredActor<AnyActorLogic>, 'invocationsRestarted' | 'droppedRefs'> | undefined,
  durationMs: number,
): RestoreReport {
  const accepted = outcome.accepted;
  return {
    source: accepted ? 'checkpoint' : 'fresh',
    ...(accepted ? { seq: accepted.header.seq, storedVersion: accepted.header.version } : {}),
    migrationsApplied: accepted?.prepared.applied ?? [],
    rejected: outcome.rejected,
    quarantined: outcome.quarantined,
    timersRestored: 0,
    invocationsRestarted: restored?.invocationsRestarted ?? false,
    droppedRefs: restored?.droppedRefs ?? [],
    durationMs,
  };
}

const notice = /* @__PURE__ */ onDemand('the restore notice', () => import('./restore-notice.js'));

/**
 * Says once, loudly, that a restore did not restore the newest state (see
 * `restoreNotice` in `restore-notice.ts`, loaded only then). The app's
 * `logger` gets the message; without one its `onError` gets the
 * `CheckpointError` (its code is the newest rejected generation's);
 * without either, `console.warn`. Resolves at once when nothing was rejected.
 *
 * @example
 * ```ts
 * import { announceRestore } from './restore-report.js';
 * import { freshReport } from './restore.js';
 * await announceRestore('cart-1', 'memory', freshReport(0), { logger: console.log });
 * ```
 */
export async function announceRestore(
  key: string,
  adapter: string,
  report: RestoreReport,
  channels: NoticeChannels,
): Promise<void> {
  if (report.rejected.length === 0) return;
  (await notice.load()).sayRestoreNotice(key, adapter, report, channels);
}
