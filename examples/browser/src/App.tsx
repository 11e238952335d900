import { useSelector } from '@xstate/react';
import { useEffect, useState } from 'react';
import type { Actor } from 'xstate';
import type { PersistedActor } from 'xstate-checkpoint';
import { indexedDbAdapter } from 'xstate-checkpoint/adapters/indexeddb';
import { PersistGate } from 'xstate-checkpoint/react';
import { checkoutMachine, type Payment } from './machine.js';

type Checkout = typeof checkoutMachine;

const adapter = indexedDbAdapter({ dbName: 'checkout-example' });
// ?ttl=<ms> shortens the session for demos and tests.
const ttlMs = Number(new URLSearchParams(location.search).get('ttl') ?? 120_000);

export function App() {
  return (
    <div className="page">
      <header className="masthead">
        <h1>Checkout</h1>
        <p>
          An XState machine persisted to IndexedDB with <code>xstate-checkpoint</code>. Type, reload, close the tab:
          nothing is lost, and the session timer keeps its deadline.
        </p>
      </header>
      <PersistGate
        logic={checkoutMachine}
        // One tab writes the checkout; others follow it read-only and take over when it closes.
        options={{ key: 'checkout', adapter, input: { ttlMs }, lock: true, follow: true }}
        fallback={<p className="card muted">Restoring…</p>}
        renderError={(error) => (
          <p className="card error" role="alert">
            {error.message}
          </p>
        )}
      >
        {(actorRef, persisted) => <CheckoutView actorRef={actorRef} persisted={persisted} />}
      </PersistGate>
    </div>
  );
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** What the restore found, in words. */
function restoredText(persisted: PersistedActor<Checkout>): string {
  const report = persisted.restored;
  if (report.source !== 'checkpoint') return 'Fresh start';
  // A follower's actor does not run: the writing tab holds the timers.
  if (persisted.role === 'follower') return 'Read-only copy of the other tab';
  const timers =
    report.timersRestored === 0
      ? 'no pending timers'
      : `${plural(report.timersRestored, 'pending timer', 'pending timers')} restored`;
  return `Restored from generation ${report.seq} (${timers})`;
}

/**
 * What this tab knows is stored: the generation it restored, then each save (or, following,
 * each one it mirrors), and the error of a save that failed until the next one lands.
 */
function useStorage(persisted: PersistedActor<Checkout>): { seq: number | undefined; failing: string | undefined } {
  const [seq, setSeq] = useState(persisted.restored.source === 'checkpoint' ? persisted.restored.seq : undefined);
  const [failing, setFailing] = useState<string>();
  useEffect(() => {
    const offs = [
      persisted.on('save', (event) => {
        setSeq(event.seq);
        setFailing(undefined);
      }),
      persisted.on('follow', (event) => setSeq(event.seq)),
      persisted.on('save-error', (event) => setFailing(event.error.code)),
    ];
    return () => offs.forEach((off) => off());
  }, [persisted]);
  return { seq, failing };
}

function CheckoutView({ actorRef, persisted }: { actorRef: Actor<Checkout>; persisted: PersistedActor<Checkout> }) {
  const snapshot = useSelector(actorRef, (s) => s);
  const { context } = snapshot;
  const following = persisted.role === 'follower';
  const { seq: stored, failing } = useStorage(persisted);
  const [now, setNow] = useState(Date.now());
  const [expiredAt, setExpiredAt] = useState<number>();
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, []);
  useEffect(() => {
    if (snapshot.matches('expired')) setExpiredAt((at) => at ?? Date.now());
  }, [snapshot]);
  const step = snapshot.matches({ active: 'shipping' })
    ? 0
    : snapshot.matches({ active: 'payment' })
      ? 1
      : snapshot.matches({ active: 'review' })
        ? 2
        : snapshot.matches('done')
          ? 3
          : -1;
  const left = Math.max(0, Math.ceil((context.expiresAt - now) / 1000));

  return (
    <main className="card">
      {following && (
        <p id="following" className="banner" role="status">
          This checkout is open in another tab. This one follows it, read-only, and takes over when that tab closes.
        </p>
      )}
      <ol className="steps" aria-label="Progress">
        {['Shipping', 'Payment', 'Review', 'Placed'].map((label, i) => (
          <li key={label} className={i === step ? 'current' : i < step ? 'done' : ''}>
            {label}
          </li>
        ))}
      </ol>
      <fieldset disabled={following}>
        {snapshot.matches({ active: 'shipping' }) && (
          <form
            id="shipping"
            onSubmit={(event) => {
              event.preventDefault();
              actorRef.send({ type: 'SHIPPING' });
            }}
          >
            <h2>Where should it go?</h2>
            <label>
              Name
              <input
                name="name"
                autoComplete="name"
                value={context.name}
                onChange={(e) => actorRef.send({ type: 'EDIT', name: e.target.value })}
                required
              />
            </label>
            <label>
              Address
              <input
                name="address"
                autoComplete="street-address"
                value={context.address}
                onChange={(e) => actorRef.send({ type: 'EDIT', address: e.target.value })}
                required
              />
            </label>
            <div className="actions">
              <button type="submit" className="primary">
                Next
              </button>
            </div>
          </form>
        )}
        {snapshot.matches({ active: 'payment' }) && (
          <form
            id="payment"
            onSubmit={(event) => {
              event.preventDefault();
              actorRef.send({ type: 'PAYMENT' });
            }}
          >
            <h2>How will you pay?</h2>
            <label>
              Payment
              <select
                name="payment"
                value={context.payment}
                onChange={(e) => actorRef.send({ type: 'CHOOSE', payment: e.target.value as Payment })}
                required
              >
                <option value="" disabled>
                  Choose…
                </option>
                <option value="card">Card</option>
                <option value="invoice">Invoice</option>
              </select>
            </label>
            <div className="actions">
              <button type="button" onClick={() => actorRef.send({ type: 'BACK' })}>
                Back
              </button>
              <button type="submit" className="primary">
                Next
              </button>
            </div>
          </form>
        )}
        {snapshot.matches({ active: 'review' }) && (
          <section id="review">
            <h2>Review</h2>
            <p className="summary">
              {context.name}, {context.address}, paying by {context.payment}
            </p>
            <div className="actions">
              <button onClick={() => actorRef.send({ type: 'BACK' })}>Back</button>
              <button className="primary" onClick={() => actorRef.send({ type: 'CONFIRM' })}>
                Place order
              </button>
            </div>
          </section>
        )}
        {snapshot.matches('expired') && (
          <section id="expired" data-expired-at={expiredAt} data-expires-at={context.expiresAt}>
            <h2>Session expired</h2>
            <p className="muted">The session timer fired, at its deadline, reload or not. The data is still here.</p>
            <div className="actions">
              <button className="primary" onClick={() => actorRef.send({ type: 'RESTART' })}>
                Start again
              </button>
            </div>
          </section>
        )}
        {snapshot.matches('done') && (
          <section id="done">
            <h2>Order placed</h2>
            <p className="summary">
              {context.name}, {context.address}, paying by {context.payment}
            </p>
            <p className="muted">
              Placed at {new Date(context.placedAt ?? 0).toLocaleTimeString()}. Reload: it stays placed.
            </p>
            <div className="actions">
              <button id="new-order" className="primary" onClick={() => actorRef.send({ type: 'START_OVER' })}>
                Start a new order
              </button>
            </div>
          </section>
        )}
      </fieldset>
      <footer className="status" aria-label="Checkpoint status">
        <p id="restored">{restoredText(persisted)}</p>
        <p id="saved" className={failing !== undefined && !following ? 'bad' : undefined}>
          {following
            ? `Following the other tab (generation ${stored ?? 0})`
            : failing !== undefined
              ? `Not saved: ${failing} (the newest stored is generation ${stored ?? 0})`
              : stored === undefined
                ? 'Not saved yet'
                : `Saved (generation ${stored})`}
        </p>
        {snapshot.matches('active') && (
          <p id="session" data-expires-at={context.expiresAt}>
            Session expires in {Math.floor(left / 60)}:{String(left % 60).padStart(2, '0')}
          </p>
        )}
        {step >= 0 && step < 3 && !following && (
          <button id="start-over" className="link" onClick={() => actorRef.send({ type: 'START_OVER' })}>
            Start over
          </button>
        )}
      </footer>
    </main>
  );
}
