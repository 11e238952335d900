// The worker process of the crash-and-resume demo. Phase "run" builds an order
// and acknowledges each event only once its checkpoint is durable; the demo
// kills it with SIGKILL. Phase "resume" restores it and waits for the courier
// timer, which must fire at its original deadline.
import { persistActor, pendingTimers } from 'xstate-checkpoint';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { orderMachine } from './machine.js';

const [dir, phase] = process.argv.slice(2);
if (!dir || (phase !== 'run' && phase !== 'resume')) {
  console.error('usage: worker.ts <dir> run|resume');
  process.exit(2);
}
const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ ...line, at: Date.now() })}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const persisted = await persistActor(orderMachine, {
  key: 'order-1001',
  adapter: fileAdapter({ dir }),
  input: { orderId: 'order-1001' },
  debounce: { wait: 20, maxWait: 200 },
  lock: true,
});
const { actor } = persisted;
say({ type: 'started', phase, restored: persisted.restored, state: actor.getSnapshot().value });

if (phase === 'run') {
  for (let i = 1; i <= 8; i++) {
    actor.send({ type: 'ADD_ITEM', sku: `sku-${i}`, priceCents: 199 * i });
    const info = await persisted.flush();
    say({ type: 'ack', event: `ADD_ITEM sku-${i}`, seq: info?.seq });
    await sleep(15);
  }
  actor.send({ type: 'CHECKOUT' });
  const info = await persisted.flush();
  const [timer] = pendingTimers(actor);
  say({ type: 'ack', event: 'CHECKOUT', seq: info?.seq, deadline: timer?.deadline });
  for (let n = 1; ; n++) {
    actor.send({ type: 'ADD_NOTE', text: `note ${n}` });
    const noted = await persisted.flush();
    say({ type: 'ack', event: `ADD_NOTE note ${n}`, seq: noted?.seq });
    await sleep(25);
  }
} else {
  const { context } = actor.getSnapshot();
  say({
    type: 'restored-context',
    items: [...context.items.keys()],
    notes: context.notes,
    totalCents: context.totalCents.toString(),
    tags: [...context.tags],
  });
  await new Promise<void>((resolve) => {
    const check = () => {
      const snap = actor.getSnapshot();
      if (snap.value === 'courierAssigned') {
        say({ type: 'timer-fired', firedAt: snap.context.courierAssignedAt?.getTime() });
        resolve();
        return true;
      }
      return false;
    };
    if (!check()) actor.subscribe(() => void check());
  });
  await persisted.close();
}
