import type { NoticeHub } from './notice-listeners.js';
import type { InDoubtWrites } from './records.js';
import type { LeaseSettings, ServerLeases } from './server-leases.js';

/**
 * What every server adapter (PostgreSQL, Redis) keeps beside its connection:
 * its lease settings, the names it gives itself and its server, in-doubt
 * writes, the notice hub of `subscribe`, and whether it was disposed.
 *
 * @example
 * ```ts
 * import type { ServerState } from './server-state.js';
 * interface MyIo extends ServerState { client: unknown }
 * ```
 */
export interface ServerState extends LeaseSettings {
  /** The name this adapter writes into its lease records (diagnostics). */
  readonly owner: string;
  /** Attempts in total for an operation that lost its connection, the first included. */
  readonly attempts: number;
  /** The server, without its password, for connection and login errors. */
  readonly server: string;
  /**
   * Writes whose outcome is unknown (connection lost after sending): a retry of
   * the same bytes that then meets its own generation reports success.
   */
  readonly inDoubt: InDoubtWrites;
  /** The connection `subscribe` listens on, from the first subscriber on. */
  notices: NoticeHub | undefined;
  /** Set by `dispose`: later calls reject with `closed`. */
  disposed: boolean;
}

/** What a server adapter's `dispose` does beyond {@link disposeServer}'s steps. */
export interface DisposeSteps {
  /** Waits for work that must finish before calls are refused (the adapter's own). */
  readonly settle?: () => Promise<unknown>;
  /** Closes the connection the adapter created, last. */
  readonly close: () => Promise<void>;
}

/**
 * A server adapter's `dispose`, once: gives every held lease up, lets the
 * adapter settle, refuses later calls (`closed`), forgets in-doubt writes,
 * closes the notice connection, then the adapter's own connection.
 *
 * @example
 * ```ts
 * import { disposeServer } from './server-state.js';
 * await disposeServer(io, leases, { close: async () => undefined });
 * ```
 */
export async function disposeServer(state: ServerState, leases: ServerLeases, steps: DisposeSteps): Promise<void> {
  if (state.disposed) return;
  await leases.releaseAll();
  if (steps.settle) await steps.settle();
  state.disposed = true;
  state.inDoubt.clear();
  await state.notices?.close();
  await steps.close();
}
