import { assign, setup } from 'xstate';

/** What the checkout collects; `expiresAt` is only for display (the timer itself is XState's). */
export interface CheckoutContext {
  name: string;
  address: string;
  payment: 'card' | 'invoice' | '';
  ttlMs: number;
  expiresAt: number;
}

export type CheckoutEvent =
  | { type: 'SHIPPING'; name: string; address: string }
  | { type: 'PAYMENT'; payment: 'card' | 'invoice' }
  | { type: 'BACK' }
  | { type: 'CONFIRM' }
  | { type: 'RESTART' };

/**
 * A three-step checkout. The whole `active` state carries a delayed "session
 * expires" transition: XState does not persist it, xstate-checkpoint does, so
 * after a reload it fires at its original deadline.
 */
export const checkoutMachine = setup({
  types: { context: {} as CheckoutContext, events: {} as CheckoutEvent, input: {} as { ttlMs: number } },
  delays: { sessionTimeout: ({ context }) => context.ttlMs },
}).createMachine({
  id: 'checkout',
  context: ({ input }) => ({
    name: '',
    address: '',
    payment: '',
    ttlMs: input.ttlMs,
    expiresAt: Date.now() + input.ttlMs,
  }),
  initial: 'active',
  states: {
    active: {
      after: { sessionTimeout: 'expired' },
      initial: 'shipping',
      states: {
        shipping: {
          on: {
            SHIPPING: {
              target: 'payment',
              actions: assign({ name: ({ event }) => event.name, address: ({ event }) => event.address }),
            },
          },
        },
        payment: {
          on: {
            PAYMENT: { target: 'review', actions: assign({ payment: ({ event }) => event.payment }) },
            BACK: 'shipping',
          },
        },
        review: { on: { CONFIRM: '#checkout.done', BACK: 'payment' } },
      },
    },
    expired: {
      on: {
        RESTART: {
          target: 'active',
          actions: assign({ expiresAt: ({ context }) => Date.now() + context.ttlMs }),
        },
      },
    },
    done: { type: 'final' },
  },
});
