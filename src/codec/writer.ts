import { isArray, type Obj } from './format.js';
import { Streamed, type Encoder } from './encode.js';
import { PIECE } from './utf8.js';

/** Writes the containers the encoder found large; everything else goes to JSON.stringify. */
class PieceWriter {
  readonly out: string[] = [];
  constructor(private readonly big: Map<object, number>) {}

  /** A run of items (an array's or an object's), without its brackets. */
  private run(items: unknown): void {
    this.out.push(JSON.stringify(items).slice(1, -1));
  }

  write(v: unknown): void {
    const out = this.out;
    if (v instanceof Streamed) {
      out.push('[');
      v.items.forEach((item, i) => {
        if (i > 0) out.push(',');
        if (typeof item === 'string') out.push(item);
        else this.write(item);
      });
      out.push(']');
      return;
    }
    const size = typeof v === 'object' && v !== null ? this.big.get(v) : undefined;
    if (size === undefined) {
      out.push(JSON.stringify(v));
      return;
    }
    // Items per run, so that a run is about PIECE chars.
    const per = Math.max(1, Math.floor(PIECE / (size / Math.max(1, Object.keys(v as object).length))));
    if (isArray(v)) this.array(v, per);
    else this.object(v as Obj, per);
  }

  private array(v: unknown[], per: number): void {
    const out = this.out;
    out.push('[');
    let from = 0;
    for (let i = 0; i <= v.length; i++) {
      const item: unknown = v[i];
      const split = i < v.length && typeof item === 'object' && item !== null && this.big.has(item);
      if (i === v.length || split || i - from === per) {
        if (i > from) {
          if (from > 0) out.push(',');
          this.run(v.slice(from, i));
        }
        if (split) {
          if (i > 0) out.push(',');
          this.write(item);
          from = i + 1;
        } else from = i;
      }
    }
    out.push(']');
  }

  private object(v: Obj, per: number): void {
    const out = this.out;
    out.push('{');
    let batch: Obj = {};
    let count = 0;
    let first = true;
    const flush = (): void => {
      if (count === 0) return;
      if (!first) out.push(',');
      first = false;
      this.run(batch);
      batch = {};
      count = 0;
    };
    for (const k of Object.keys(v)) {
      const item = v[k];
      if (typeof item === 'object' && item !== null && this.big.has(item)) {
        flush();
        if (!first) out.push(',');
        first = false;
        out.push(`${JSON.stringify(k)}:`);
        this.write(item);
      } else if (item !== undefined && typeof item !== 'function' && typeof item !== 'symbol') {
        batch[k] = item;
        if (++count === per) flush();
      }
    }
    flush();
    out.push('}');
  }
}

/**
 * The document's JSON text as pieces whose concatenation is exactly
 * `JSON.stringify([root, flags])`: containers estimated over PIECE chars are
 * written here, the rest by JSON.stringify in runs of about PIECE chars.
 */
export function pieces(root: unknown, enc: Encoder): string[] {
  const big = enc.big;
  // The document array itself, not "[" + text + "]": a joined string is a
  // rope, which the UTF-8 step would first copy into a flat one.
  if (big === undefined) return [JSON.stringify(enc.flags === 0 ? [root] : [root, enc.flags])];
  const tail = enc.flags === 0 ? ']' : `,${enc.flags}]`;
  const writer = new PieceWriter(big);
  writer.out.push('[');
  writer.write(root);
  writer.out.push(tail);
  return writer.out;
}
