// Shared by the kill -9 worker and its test: what each item contributes, and
// how the items fold into the batch output.

/** The value item `index` contributes. */
export const weight = (index: number): number => (index * 7919) % 10007;

/** The batch output after folding `weight` over the first `count` items. */
export interface BatchOutput {
  count: number;
  sum: number;
}

export const foldWeight = (acc: BatchOutput, value: number): BatchOutput => ({
  count: acc.count + 1,
  sum: (acc.sum + value) % 1_000_000_007,
});
