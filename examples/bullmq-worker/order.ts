// The order job's machine: reserve stock, charge, wait for the payment with a
// "cancel if unpaid" timer, then send a batch of emails that resumes at its cursor.
import { assign, fromPromise, setup } from 'xstate';
import { fromResumable } from 'xstate-checkpoint/durable';
import type { OrderStore } from './store.js';

/** The job's data (and the actor's input). */
export interface OrderJob {
  readonly orderId: string;
  /** Emails to send once paid (receipt, invoice, shipping notices...). */
  readonly emails: number;
  /** How long an unpaid order waits before it is cancelled. @default 15 minutes */
  readonly paymentWindowMs?: number;
  /** Simulated latency of each outside call, in ms. @default 50 */
  readonly latencyMs?: number;
}

/** What the job completes with. */
export interface OrderOutcome {
  readonly orderId: string;
  readonly status: 'paid' | 'cancelled';
  readonly emailsSent: number;
  /** When the unpaid-order timer was due (ms since 1970). */
  readonly paymentDeadline: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });

/**
 * The order machine over `store`. Every side effect carries an idempotency
 * key derived from the order id (and the email's index), so a step run again
 * by another worker after a crash lands once.
 *
 * @example
 * ```ts
 * import { orderMachine } from './order.js';
 * import { openOrderStore } from './store.js';
 * const machine = orderMachine(await openOrderStore({ database: 'test' }, 'bullmq_demo'));
 * ```
 */
export function orderMachine(store: OrderStore) {
  const call = fromPromise(
    async ({ input }: { input: { kind: 'reserve' | 'charge' | 'cancel'; job: OrderJob; deadline?: number } }) => {
      const startedAt = Date.now();
      await sleep(input.job.latencyMs ?? 50);
      const detail = input.deadline === undefined ? {} : { deadline: input.deadline, startedAt };
      await store.perform(input.kind, `${input.job.orderId}:${input.kind}`, input.job.orderId, detail);
    },
  );
  const waitForPayment = fromPromise(async ({ input, signal }: { input: OrderJob; signal: AbortSignal }) => {
    while (!signal.aborted && !(await store.isPaid(input.orderId))) await sleep(100, signal);
  });
  const emails = fromResumable({
    items: ({ input }: { input: OrderJob }) => Array.from({ length: input.emails }, (_, i) => i),
    process: async ({ item, idempotencyKey, input }) => {
      await sleep(input.latencyMs ?? 50);
      await store.perform('email', idempotencyKey, input.orderId, { index: item });
    },
    initial: () => 0,
    reduce: (sent: number) => sent + 1,
    key: ({ input }) => `${input.orderId}:email`,
  });

  return setup({
    types: {
      input: {} as OrderJob,
      context: {} as { job: OrderJob; paymentDeadline: number; emailsSent: number; status: OrderOutcome['status'] },
      output: {} as OrderOutcome,
    },
    actors: { call, waitForPayment, emails },
    delays: { paymentWindow: ({ context }) => context.job.paymentWindowMs ?? 15 * 60_000 },
  }).createMachine({
    id: 'order',
    context: ({ input }) => ({ job: input, paymentDeadline: 0, emailsSent: 0, status: 'cancelled' as const }),
    initial: 'reserving',
    states: {
      reserving: {
        invoke: {
          id: 'reserve',
          src: 'call',
          input: ({ context }) => ({ kind: 'reserve', job: context.job }),
          onDone: 'charging',
        },
      },
      charging: {
        invoke: {
          id: 'charge',
          src: 'call',
          input: ({ context }) => ({ kind: 'charge', job: context.job }),
          onDone: {
            target: 'awaitingPayment',
            // The timer below is armed on entry, right after this: its deadline is this or a few ms later.
            actions: assign({
              paymentDeadline: ({ context }) => Date.now() + (context.job.paymentWindowMs ?? 15 * 60_000),
            }),
          },
        },
      },
      awaitingPayment: {
        invoke: { id: 'payment', src: 'waitForPayment', input: ({ context }) => context.job, onDone: 'emailing' },
        after: { paymentWindow: 'cancelling' },
      },
      cancelling: {
        invoke: {
          id: 'cancel',
          src: 'call',
          input: ({ context }) => ({ kind: 'cancel', job: context.job, deadline: context.paymentDeadline }),
          onDone: { target: 'cancelled', actions: assign({ status: 'cancelled' as const }) },
        },
      },
      emailing: {
        invoke: {
          id: 'emails',
          src: 'emails',
          input: ({ context }) => context.job,
          onDone: {
            target: 'paid',
            actions: assign({ emailsSent: ({ event }) => event.output, status: 'paid' as const }),
          },
        },
      },
      paid: { type: 'final' },
      cancelled: { type: 'final' },
    },
    output: ({ context }) => ({
      orderId: context.job.orderId,
      status: context.status,
      emailsSent: context.emailsSent,
      paymentDeadline: context.paymentDeadline,
    }),
  });
}
