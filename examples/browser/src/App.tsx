import { useSelector } from '@xstate/react';
import { useEffect, useState } from 'react';
import type { Actor } from 'xstate';
import type { PersistedActor } from 'xstate-checkpoint';
import { indexedDbAdapter } from 'xstate-checkpoint/adapters/indexeddb';
import { PersistGate } from 'xstate-checkpoint/react';
import { checkoutMachine } from './machine.js';

type Checkout = typeof checkoutMachine;

const adapter = indexedDbAdapter({ dbName: 'checkout-example' });
// ?ttl=<ms> shortens the session for demos and tests.
const ttlMs = Number(new URLSearchParams(location.search).get('ttl') ?? 120_000);

export function App() {
  return (
    <PersistGate
      logic={checkoutMachine}
      // One tab writes the checkout; others follow it read-only and take over when it closes.
      options={{ key: 'checkout', adapter, input: { ttlMs }, lock: true, follow: true }}
      fallback={<p>Restoring…</p>}
      renderError={(error) => <p role="alert">{error.message}</p>}
    >
      {(actorRef, persisted) => <CheckoutView actorRef={actorRef} persisted={persisted} />}
    </PersistGate>
  );
}

function CheckoutView({ actorRef, persisted }: { actorRef: Actor<Checkout>; persisted: PersistedActor<Checkout> }) {
  const snapshot = useSelector(actorRef, (s) => s);
  const { context } = snapshot;
  const report = persisted.restored;
  const following = persisted.role === 'follower';
  const [saved, setSaved] = useState<number>();
  const [now, setNow] = useState(Date.now());
  const [expiredAt, setExpiredAt] = useState<number>();
  useEffect(() => persisted.on('save', (event) => setSaved(event.seq)), [persisted]);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, []);
  useEffect(() => {
    if (snapshot.matches('expired')) setExpiredAt((at) => at ?? Date.now());
  }, [snapshot]);

  return (
    <main>
      <p id="restored">
        {report.source === 'checkpoint'
          ? `Restored from checkpoint #${report.seq} (${report.timersRestored} pending timer restored)`
          : 'Fresh start'}
      </p>
      <p id="saved">{saved === undefined ? 'Not saved yet' : `Saved checkpoint #${saved}`}</p>
      {following && (
        <p id="following" role="status">
          This checkout is open in another tab: this one follows it (checkpoint #{report.seq ?? 0}) and takes over when
          that tab closes.
        </p>
      )}
      <fieldset disabled={following}>
        {snapshot.matches('active') && (
          <p id="session" data-expires-at={context.expiresAt}>
            Session expires in {Math.max(0, Math.ceil((context.expiresAt - now) / 1000))} s
          </p>
        )}
        {snapshot.matches({ active: 'shipping' }) && <Shipping actorRef={actorRef} />}
        {snapshot.matches({ active: 'payment' }) && <Payment actorRef={actorRef} />}
        {snapshot.matches({ active: 'review' }) && (
          <section id="review">
            <h2>Review</h2>
            <p>
              {context.name}, {context.address}, paying by {context.payment}
            </p>
            <button onClick={() => actorRef.send({ type: 'BACK' })}>Back</button>
            <button onClick={() => actorRef.send({ type: 'CONFIRM' })}>Place order</button>
          </section>
        )}
        {snapshot.matches('expired') && (
          <section id="expired" data-expired-at={expiredAt} data-expires-at={context.expiresAt}>
            <h2>Session expired</h2>
            <button onClick={() => actorRef.send({ type: 'RESTART' })}>Start again</button>
          </section>
        )}
        {snapshot.matches('done') && <h2 id="done">Order placed</h2>}
      </fieldset>
    </main>
  );
}

function Shipping({ actorRef }: { actorRef: Actor<Checkout> }) {
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  return (
    <form
      id="shipping"
      onSubmit={(event) => {
        event.preventDefault();
        actorRef.send({ type: 'SHIPPING', name, address });
      }}
    >
      <h2>Shipping</h2>
      <input name="name" placeholder="Name" value={name} onChange={(e) => setName(e.target.value)} required />
      <input
        name="address"
        placeholder="Address"
        value={address}
        onChange={(e) => setAddress(e.target.value)}
        required
      />
      <button type="submit">Next</button>
    </form>
  );
}

function Payment({ actorRef }: { actorRef: Actor<Checkout> }) {
  const [payment, setPayment] = useState<'card' | 'invoice'>('card');
  return (
    <form
      id="payment"
      onSubmit={(event) => {
        event.preventDefault();
        actorRef.send({ type: 'PAYMENT', payment });
      }}
    >
      <h2>Payment</h2>
      <select name="payment" value={payment} onChange={(e) => setPayment(e.target.value as 'card' | 'invoice')}>
        <option value="card">Card</option>
        <option value="invoice">Invoice</option>
      </select>
      <button type="button" onClick={() => actorRef.send({ type: 'BACK' })}>
        Back
      </button>
      <button type="submit">Next</button>
    </form>
  );
}
