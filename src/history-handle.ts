import type { AnyActorLogic } from 'xstate';
import type { HistoryHost } from './history.js';
import { onDemand } from './on-demand.js';
import type { PersistedHistory } from './persisted-actor.js';

/**
 * The history module (list, load, rollback, clear), loaded on first use by
 * both modes. A failed load rejects with `io` and the next call tries again.
 *
 * @example
 * ```ts
 * import { historyCode } from './history-handle.js';
 * const { listHistory } = await historyCode.load();
 * ```
 */
export const historyCode = /* @__PURE__ */ onDemand('the history code', () => import('./history.js'));

/**
 * `persisted.history` for either mode: each call loads the history module on
 * first use, so apps that never list or roll back do not bundle it at start.
 *
 * @example
 * ```ts
 * import type { AnyActorLogic } from 'xstate';
 * import type { HistoryHost } from './history.js';
 * import { lazyHistory } from './history-handle.js';
 * declare const host: HistoryHost<AnyActorLogic>;
 * const generations = await lazyHistory(host).list();
 * ```
 */
export function lazyHistory<TLogic extends AnyActorLogic>(host: HistoryHost<TLogic>): PersistedHistory {
  const history = () => historyCode.load();
  return {
    list: async () => (await history()).listHistory(host.options),
    load: async (seq) => (await history()).loadFromHistory(host.options, seq),
    rollback: async (seq) => (await history()).rollbackTo(host, seq),
  };
}
