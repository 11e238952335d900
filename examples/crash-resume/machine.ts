import { assign, setup } from 'xstate';

/** How long the order waits for a courier before one is assigned automatically. */
export const COURIER_TIMEOUT_MS = 4000;

export interface OrderContext {
  readonly orderId: string;
  /** sku -> quantity and when it was added (Map and Date survive checkpoints). */
  readonly items: Map<string, { qty: number; addedAt: Date }>;
  readonly totalCents: bigint;
  readonly tags: Set<string>;
  readonly notes: string[];
  readonly checkedOutAt?: Date;
  readonly courierAssignedAt?: Date;
}

export type OrderEvent =
  { type: 'ADD_ITEM'; sku: string; priceCents: number } | { type: 'CHECKOUT' } | { type: 'ADD_NOTE'; text: string };

/** An order: items are added, then it waits (with a timeout) for a courier. */
export const orderMachine = setup({
  types: { context: {} as OrderContext, events: {} as OrderEvent, input: {} as { orderId: string } },
}).createMachine({
  id: 'order',
  context: ({ input }) => ({
    orderId: input.orderId,
    items: new Map(),
    totalCents: 0n,
    tags: new Set(['new']),
    notes: [],
  }),
  initial: 'open',
  states: {
    open: {
      on: {
        ADD_ITEM: {
          actions: assign(({ context, event }) => {
            const items = new Map(context.items);
            const prev = items.get(event.sku);
            items.set(event.sku, { qty: (prev?.qty ?? 0) + 1, addedAt: prev?.addedAt ?? new Date() });
            return { items, totalCents: context.totalCents + BigInt(event.priceCents) };
          }),
        },
        CHECKOUT: {
          target: 'awaitingCourier',
          actions: assign(({ context }) => ({ checkedOutAt: new Date(), tags: new Set([...context.tags, 'paid']) })),
        },
      },
    },
    awaitingCourier: {
      after: {
        [COURIER_TIMEOUT_MS]: {
          target: 'courierAssigned',
          actions: assign({ courierAssignedAt: () => new Date() }),
        },
      },
      on: { ADD_NOTE: { actions: assign({ notes: ({ context, event }) => [...context.notes, event.text] }) } },
    },
    courierAssigned: { type: 'final' },
  },
});
