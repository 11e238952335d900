import { appendFileSync, readFileSync } from 'node:fs';

/**
 * The "database" of the example: a keyed store kept as an append-only file of
 * JSON lines, loaded into a Map on open. `put` is an upsert by key, so an item
 * delivered twice (after a crash) is stored once: that is what makes an
 * at-least-once import exactly-once in effect.
 *
 * Each `put` is one `appendFileSync`: done when it returns as far as a process
 * crash (kill -9) goes; it does not fsync, so it is not power-loss durable.
 */
export class KeyedStore<T> {
  private readonly rows = new Map<string, T>();
  /** Lines in the file: every put, redeliveries included. */
  writes = 0;

  constructor(private readonly file: string) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    // The last piece has no newline: empty, or a put cut off by a crash (it did not happen).
    for (const line of text.split('\n').slice(0, -1)) {
      const [key, value] = JSON.parse(line) as [string, T];
      this.rows.set(key, value);
      this.writes++;
    }
  }

  put(key: string, value: T): void {
    appendFileSync(this.file, `${JSON.stringify([key, value])}\n`);
    this.rows.set(key, value);
    this.writes++;
  }

  get size(): number {
    return this.rows.size;
  }

  values(): IterableIterator<T> {
    return this.rows.values();
  }
}
