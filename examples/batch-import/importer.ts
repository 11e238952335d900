import { open } from 'node:fs/promises';
import { assign, setup } from 'xstate';
import { fromResumable, withRetry } from 'xstate-checkpoint/durable';
import type { KeyedStore } from './store.js';

/** One imported row. */
export interface Customer {
  id: string;
  name: string;
  email: string;
  amountCents: number;
  country: string;
}

export interface ImportInput {
  /** The CSV file: `id,name,email,amount,country` with a header line. */
  file: string;
  /** Data rows in the file (for progress). */
  rows: number;
}

/** The partial result, checkpointed with the cursor: keep it small. */
export interface ImportSummary {
  rows: number;
  amountCents: number;
  byCountry: Record<string, number>;
}

/** A row that can never be imported: not retried. */
export class BadRowError extends Error {
  override name = 'BadRowError';
}

/** A failure that may heal (a timeout, a 503): retried with backoff. */
export class TransientError extends Error {
  override name = 'TransientError';
}

const PAGE_BYTES = 64 * 1024;

/**
 * The complete lines starting at byte `offset` (at most about 64 KiB), and the
 * offset of the next page. Byte offsets are the page tokens: plain numbers,
 * checkpointed with the cursor, and reading the same offset again gives the
 * same lines.
 */
export async function readPage(file: string, offset: number): Promise<{ lines: string[]; next: number | null }> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(PAGE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, PAGE_BYTES, offset);
    const atEnd = bytesRead < PAGE_BYTES;
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    // Stop at the last newline unless this is the end of the file; the rest starts the next page.
    const cut = atEnd ? text.length : text.lastIndexOf('\n') + 1;
    const lines = text.slice(0, cut).split('\n');
    if (lines.at(-1) === '') lines.pop();
    return { lines, next: atEnd ? null : offset + Buffer.byteLength(text.slice(0, cut)) };
  } finally {
    await handle.close();
  }
}

function parse(line: string, index: number): Customer {
  const [id, name, email, amount, country] = line.split(',');
  const cents = Math.round(Number(amount) * 100);
  if (!id || !name || !email?.includes('@') || !Number.isFinite(cents) || !country) {
    throw new BadRowError(`row ${index + 1} is malformed: ${JSON.stringify(line)}`);
  }
  return { id, name, email, amountCents: cents, country };
}

export interface ImporterOptions {
  /** Where rows go. */
  readonly store: KeyedStore<Customer>;
  /** Simulate a flaky dependency: every Nth row fails once per process with a TransientError. */
  readonly flakyEvery?: number;
}

/**
 * The import machine: a resumable batch over the file's pages, wrapped in a
 * retry policy. Restored from a checkpoint, it continues at the first row whose
 * write had not finished.
 */
export function createImportMachine({ store, flakyEvery }: ImporterOptions) {
  const failedOnce = new Set<number>();
  const importRows = fromResumable({
    load: async ({ input, page }: { input: ImportInput; page: number | null; signal: AbortSignal }) => {
      const { lines, next } = await readPage(input.file, page ?? 0);
      // Skip the header, which only the first page has.
      return { items: page === null ? lines.slice(1) : lines, next, total: input.rows };
    },
    process: ({ item, index }) => {
      const customer = parse(item, index);
      if (flakyEvery && index % flakyEvery === flakyEvery - 1 && !failedOnce.has(index)) {
        failedOnce.add(index);
        throw new TransientError(`the CRM timed out on row ${index + 1}`);
      }
      // Upsert by the row's id: a row delivered again after a crash is stored once.
      store.put(customer.id, customer);
      return customer;
    },
    initial: (): ImportSummary => ({ rows: 0, amountCents: 0, byCountry: {} }),
    reduce: (summary, customer) => ({
      rows: summary.rows + 1,
      amountCents: summary.amountCents + customer.amountCents,
      byCountry: { ...summary.byCountry, [customer.country]: (summary.byCountry[customer.country] ?? 0) + 1 },
    }),
    // Publishing the cursor every 50 rows bounds what a crash can redo to 50 rows plus the debounce window.
    checkpointEvery: 50,
  });

  return setup({
    types: {
      input: {} as ImportInput,
      context: {} as ImportInput & { summary: ImportSummary | null; error: string | null },
    },
    actors: {
      importRows: withRetry(importRows, {
        initialInterval: 200,
        backoffCoefficient: 2,
        maximumAttempts: 5,
        jitter: 0.2,
        retryable: (error) => !(error instanceof BadRowError),
      }),
    },
  }).createMachine({
    id: 'batch-import',
    context: ({ input }) => ({ ...input, summary: null, error: null }),
    initial: 'importing',
    states: {
      importing: {
        invoke: {
          id: 'import',
          src: 'importRows',
          input: ({ context }) => ({ file: context.file, rows: context.rows }),
          onDone: { target: 'done', actions: assign({ summary: ({ event }) => event.output }) },
          onError: { target: 'failed', actions: assign({ error: ({ event }) => String(event.error) }) },
        },
      },
      done: { type: 'final' },
      failed: { type: 'final' },
    },
  });
}
