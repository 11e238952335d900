import type { AnyActorLogic } from 'xstate';
import type { HistoryHost } from './history.js';
import type { PersistedHistory } from './persisted-actor.js';

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
  const history = () => import('./history.js');
  return {
    list: async () => (await history()).listHistory(host.options),
    load: async (seq) => (await history()).loadFromHistory(host.options, seq),
    rollback: async (seq) => (await history()).rollbackTo(host, seq),
  };
}
