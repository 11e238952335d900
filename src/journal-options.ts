/** Options of journal mode (`persistActor(logic, { journal: { ... } })`). */
export interface JournalOptions {
  /** Write a snapshot generation after this many journal entries. @default 1000 */
  readonly compactEvery?: number;
  /** Also write one this long after the first entry a snapshot does not cover, in ms. @default 60000 */
  readonly compactAfterMs?: number;
  /**
   * At each snapshot, replay the journal since the previous snapshot and
   * compare the result with the live state; a difference is reported as a
   * `nondeterministic-replay` event. Costs about one pure transition per event.
   * @default true
   */
  readonly verifyReplay?: boolean;
  /** Write a snapshot generation on `close()`, so the next start replays nothing. @default true */
  readonly compactOnClose?: boolean;
}
