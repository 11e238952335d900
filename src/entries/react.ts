import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { Actor, AnyActorLogic } from 'xstate';
import type { CheckpointAdapter } from '../adapter.js';
import { toCheckpointError, type CheckpointError } from '../errors.js';
import { persistActor, type PersistOptions, type PersistedActor, type RequiredInput } from '../persist.js';
import type { RestoreReport } from '../restore.js';

/** What {@link usePersistedActor} returns, discriminated by `status`. */
export type PersistedActorState<TLogic extends AnyActorLogic> =
  | {
      readonly status: 'restoring';
      readonly actorRef: undefined;
      readonly persisted: undefined;
      readonly report: undefined;
      readonly role: undefined;
      readonly error: undefined;
    }
  | {
      readonly status: 'ready';
      /** The running actor: pass it to `useSelector` of `@xstate/react`, or send to it. */
      readonly actorRef: Actor<TLogic>;
      /** The persisted actor (`flush()`, `history`, `on()`). */
      readonly persisted: PersistedActor<TLogic>;
      /** How it was restored (`source`, `seq`, migrations, rejected generations...). */
      readonly report: RestoreReport;
      /** `follower` while another tab writes the key (with the `follow` option); its actor is read-only. */
      readonly role: 'writer' | 'follower';
      readonly error: undefined;
    }
  | {
      readonly status: 'error';
      readonly actorRef: undefined;
      readonly persisted: undefined;
      readonly report: undefined;
      readonly role: undefined;
      /** Why restoring failed (e.g. `restore-failed`, `lock-held`). */
      readonly error: CheckpointError;
    };

const restoring = {
  status: 'restoring',
  actorRef: undefined,
  persisted: undefined,
  report: undefined,
  role: undefined,
  error: undefined,
} as const;

interface Session<TLogic extends AnyActorLogic> {
  readonly logic: TLogic;
  readonly key: string;
  readonly adapter: CheckpointAdapter;
  notify: (state: PersistedActorState<TLogic>) => void;
  closeTimer: ReturnType<typeof setTimeout> | undefined;
  close(): void;
}

// Persisted actors still closing, per adapter and key: a new one on the same key
// waits for them, so their last flush cannot collide with its first write.
const closing = new WeakMap<CheckpointAdapter, Map<string, Promise<void>>>();

function open<TLogic extends AnyActorLogic>(
  logic: TLogic,
  options: PersistOptions<TLogic> & RequiredInput<TLogic>,
  notify: Session<TLogic>['notify'],
): Session<TLogic> {
  const { key, adapter } = options;
  let closed = false;
  const ready = (persisted: PersistedActor<TLogic>): PersistedActorState<TLogic> => ({
    status: 'ready',
    actorRef: persisted.actor,
    persisted,
    report: persisted.restored,
    role: persisted.role,
    error: undefined,
  });
  const started = (closing.get(adapter)?.get(key) ?? Promise.resolve())
    .then(() => persistActor(logic, options))
    .then(
      (persisted) => {
        if (closed) return persisted;
        session.notify(ready(persisted));
        // `history.rollback` and a follower's takeover replace the actor and announce it
        // with a restore event; a follower announces each mirrored generation with `follow`.
        persisted.on('restore', () => !closed && session.notify(ready(persisted)));
        persisted.on('follow', () => !closed && session.notify(ready(persisted)));
        return persisted;
      },
      (error: unknown) => {
        if (!closed) {
          const e = toCheckpointError(error, 'restore-failed', { key, adapter: adapter.name });
          session.notify({
            status: 'error',
            actorRef: undefined,
            persisted: undefined,
            report: undefined,
            role: undefined,
            error: e,
          });
        }
        return undefined;
      },
    );
  const session: Session<TLogic> = {
    logic,
    key,
    adapter,
    notify,
    closeTimer: undefined,
    close() {
      closed = true;
      const done = started
        .then((persisted) => persisted?.close())
        .catch((error: unknown) => {
          const e = toCheckpointError(error, 'io', { key, adapter: adapter.name });
          if (options.onError) options.onError(e);
          else console.error(`xstate-checkpoint: ${e.message}`);
        });
      let byKey = closing.get(adapter);
      if (!byKey) closing.set(adapter, (byKey = new Map()));
      byKey.set(key, done);
      void done.then(() => {
        if (byKey.get(key) === done) byKey.delete(key);
      });
    },
  };
  return session;
}

/**
 * Restores an actor with {@link persistActor} when the component mounts and
 * closes it (flush, stop, release the lock) when it unmounts. Reports
 * `restoring`, then `ready` with the actor and the restore report, or `error`.
 *
 * Safe under React 18/19 StrictMode: the simulated unmount and remount keep the
 * same persisted actor, so it restores once and writes once. Options other
 * than `key` and `adapter` are read when the actor starts; changing `logic`,
 * `key` or `adapter` closes it and starts another.
 *
 * @example
 * ```tsx
 * import { useSelector } from '@xstate/react';
 * import { usePersistedActor } from 'xstate-checkpoint/react';
 * import { indexedDbAdapter } from 'xstate-checkpoint/adapters/indexeddb';
 * import { createMachine, type Actor } from 'xstate';
 *
 * const machine = createMachine({ id: 'checkout', initial: 'cart', states: { cart: {} } });
 * const adapter = indexedDbAdapter({ dbName: 'shop' });
 *
 * function Step({ actorRef }: { actorRef: Actor<typeof machine> }) {
 *   return <p>{String(useSelector(actorRef, (s) => s.value))}</p>;
 * }
 * export function Checkout() {
 *   const state = usePersistedActor(machine, { key: 'checkout', adapter });
 *   if (state.status === 'error') return <p>{state.error.message}</p>;
 *   if (state.status === 'restoring') return <p>Loading…</p>;
 *   return <Step actorRef={state.actorRef} />;
 * }
 * ```
 */
export function usePersistedActor<TLogic extends AnyActorLogic>(
  logic: TLogic,
  options: PersistOptions<TLogic> & RequiredInput<TLogic>,
): PersistedActorState<TLogic> {
  const [state, setState] = useState<PersistedActorState<TLogic>>(restoring);
  const latest = useRef(options);
  latest.current = options;
  const session = useRef<Session<TLogic> | undefined>(undefined);
  const { key, adapter } = options;

  useEffect(() => {
    let s = session.current;
    if (s && s.closeTimer !== undefined && s.logic === logic && s.key === key && s.adapter === adapter) {
      // StrictMode's simulated remount (or a quick remount with the same inputs): keep the running actor.
      clearTimeout(s.closeTimer);
      s.closeTimer = undefined;
    } else {
      setState(restoring);
      s = session.current = open(logic, latest.current, setState);
    }
    const current = s;
    current.notify = setState;
    return () => {
      // Closing waits a tick: StrictMode remounts synchronously and cancels it.
      current.closeTimer = setTimeout(() => {
        current.closeTimer = undefined;
        if (session.current === current) session.current = undefined;
        current.close();
      }, 0);
    };
  }, [logic, key, adapter]);

  return state;
}

/** Props of {@link PersistGate}. */
export interface PersistGateProps<TLogic extends AnyActorLogic> {
  readonly logic: TLogic;
  readonly options: PersistOptions<TLogic> & RequiredInput<TLogic>;
  /** Rendered while the actor restores. @default null */
  readonly fallback?: ReactNode;
  /** Rendered when restoring fails. @default rethrows the error to the nearest error boundary */
  readonly renderError?: (error: CheckpointError) => ReactNode;
  /** Rendered once the actor runs. */
  readonly children: (actorRef: Actor<TLogic>, persisted: PersistedActor<TLogic>) => ReactNode;
}

/**
 * Renders `fallback` until the persisted actor is restored, then its children
 * with the running actor (what redux-persist's `PersistGate` does for stores).
 * Closes the actor on unmount.
 *
 * @example
 * ```tsx
 * import { PersistGate } from 'xstate-checkpoint/react';
 * import { indexedDbAdapter } from 'xstate-checkpoint/adapters/indexeddb';
 * import { createMachine } from 'xstate';
 *
 * const machine = createMachine({ id: 'wizard', initial: 'one', states: { one: {} } });
 * const options = { key: 'wizard', adapter: indexedDbAdapter({ dbName: 'app' }) };
 *
 * export const App = () => (
 *   <PersistGate logic={machine} options={options} fallback={<p>Restoring…</p>}>
 *     {(actorRef, persisted) => <p>restored from {persisted.restored.source}</p>}
 *   </PersistGate>
 * );
 * ```
 */
export function PersistGate<TLogic extends AnyActorLogic>(props: PersistGateProps<TLogic>): ReactNode {
  const state = usePersistedActor(props.logic, props.options);
  if (state.status === 'ready') return props.children(state.actorRef, state.persisted);
  if (state.status === 'restoring') return props.fallback ?? null;
  if (props.renderError) return props.renderError(state.error);
  throw state.error;
}
