import { assign, setup } from 'xstate';

export type Payment = 'card' | 'invoice';

/** What the checkout collects; `expiresAt` is only for display (the timer itself is XState's). */
export interface CheckoutContext {
  name: string;
  address: string;
  payment: Payment | '';
  ttlMs: number;
  expiresAt: number;
  /** When the order was placed (the `done` state). */
  placedAt: number | null;
}

export type CheckoutEvent =
  /** A keystroke in the shipping form: the draft is in the context, so it is checkpointed like everything else. */
  | { type: 'EDIT'; name?: string; address?: string }
  | { type: 'SHIPPING' }
  /** A choice in the payment form, before it is confirmed with PAYMENT. */
  | { type: 'CHOOSE'; payment: Payment }
  | { type: 'PAYMENT' }
  | { type: 'BACK' }
  | { type: 'CONFIRM' }
  /** After the session expired: a new session, the data kept. */
  | { type: 'RESTART' }
  /** From anywhere: an empty checkout and a new session. */
  | { type: 'START_OVER' };

const fresh = (ttlMs: number): CheckoutContext => ({
  name: '',
  address: '',
  payment: '',
  ttlMs,
  expiresAt: Date.now() + ttlMs,
  placedAt: null,
});

/**
 * A three-step checkout. The whole `active` state carries a delayed "session
 * expires" transition: XState does not persist it, xstate-checkpoint does, so
 * after a reload it fires at its original deadline. `done` is not a final
 * state: a placed order can be followed by a new one (`START_OVER`).
 */
export const checkoutMachine = setup({
  types: { context: {} as CheckoutContext, events: {} as CheckoutEvent, input: {} as { ttlMs: number } },
  delays: { sessionTimeout: ({ context }) => context.ttlMs },
  guards: {
    shippingFilled: ({ context }) => context.name.trim() !== '' && context.address.trim() !== '',
    paymentChosen: ({ context }) => context.payment !== '',
  },
}).createMachine({
  id: 'checkout',
  context: ({ input }) => fresh(input.ttlMs),
  initial: 'active',
  on: {
    START_OVER: { target: '.active', reenter: true, actions: assign(({ context }) => fresh(context.ttlMs)) },
  },
  states: {
    active: {
      after: { sessionTimeout: 'expired' },
      initial: 'shipping',
      states: {
        shipping: {
          on: {
            EDIT: {
              actions: assign(({ context, event }) => ({
                name: event.name ?? context.name,
                address: event.address ?? context.address,
              })),
            },
            SHIPPING: { target: 'payment', guard: 'shippingFilled' },
          },
        },
        payment: {
          on: {
            CHOOSE: { actions: assign({ payment: ({ event }) => event.payment }) },
            PAYMENT: { target: 'review', guard: 'paymentChosen' },
            BACK: 'shipping',
          },
        },
        review: {
          on: {
            CONFIRM: { target: '#checkout.done', actions: assign({ placedAt: () => Date.now() }) },
            BACK: 'payment',
          },
        },
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
    done: {},
  },
});
