import { assign, setup } from 'xstate';

/** A webhook the service received, and which instance applied it. */
export interface AppliedWebhook {
  readonly webhookId: string;
  readonly type: OrderEvent['type'];
  readonly instance: string;
}

export interface OrderContext {
  readonly orderId: string;
  /** Every webhook applied, in order: also what makes redelivered webhooks no-ops. */
  readonly applied: readonly AppliedWebhook[];
}

export type OrderEvent =
  | { type: 'PAY'; webhookId: string; instance: string }
  | { type: 'SHIP'; webhookId: string; instance: string }
  | { type: 'DELIVER'; webhookId: string; instance: string };

const fresh = ({ context, event }: { context: OrderContext; event: OrderEvent }) =>
  !context.applied.some((a) => a.webhookId === event.webhookId);

/** One order: created -> paid -> shipped -> delivered, driven by payment and carrier webhooks. */
export const orderMachine = setup({
  types: {
    context: {} as OrderContext,
    events: {} as OrderEvent,
    input: {} as { orderId: string },
  },
  guards: { fresh },
  actions: {
    record: assign({
      applied: ({ context, event }) => [
        ...context.applied,
        { webhookId: event.webhookId, type: event.type, instance: event.instance },
      ],
    }),
  },
}).createMachine({
  id: 'order',
  initial: 'created',
  context: ({ input }) => ({ orderId: input.orderId, applied: [] }),
  states: {
    created: { on: { PAY: { guard: 'fresh', target: 'paid', actions: 'record' } } },
    paid: { on: { SHIP: { guard: 'fresh', target: 'shipped', actions: 'record' } } },
    shipped: { on: { DELIVER: { guard: 'fresh', target: 'delivered', actions: 'record' } } },
    delivered: { type: 'final' },
  },
});
