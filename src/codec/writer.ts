import { isArray, type Obj } from './format.js';
import { PIECE, Streamed, type Encoder } from './encode.js';

const textEncoder = new TextEncoder();

/**
 * The document's JSON text as pieces whose concatenation is exactly
 * `JSON.stringify([root, flags])`: containers estimated over PIECE chars are
 * written here, the rest by JSON.stringify in runs of about PIECE chars.
 */
export function pieces(root: unknown, enc: Encoder): string[] {
  const big = enc.big;
  const tail = enc.flags === 0 ? ']' : `,${enc.flags}]`;
  if (big === undefined) return [`[${JSON.stringify(root)}${tail}`];
  const out: string[] = ['['];
  const run = (items: unknown): void => {
    const json = JSON.stringify(items);
    out.push(json.slice(1, -1));
  };
  const write = (v: unknown): void => {
    if (v instanceof Streamed) {
      out.push('[');
      v.items.forEach((item, i) => {
        if (i > 0) out.push(',');
        if (typeof item === 'string') out.push(item);
        else write(item);
      });
      out.push(']');
      return;
    }
    const size = typeof v === 'object' && v !== null ? big.get(v) : undefined;
    if (size === undefined) {
      out.push(JSON.stringify(v));
      return;
    }
    const per = Math.max(1, Math.floor(PIECE / (size / Math.max(1, Object.keys(v as object).length))));
    if (isArray(v)) {
      out.push('[');
      let from = 0;
      for (let i = 0; i <= v.length; i++) {
        const item: unknown = v[i];
        const split = i < v.length && typeof item === 'object' && item !== null && big.has(item);
        if (i === v.length || split || i - from === per) {
          if (i > from) {
            if (from > 0) out.push(',');
            run(v.slice(from, i));
          }
          if (split) {
            if (i > 0) out.push(',');
            write(item);
            from = i + 1;
          } else from = i;
        }
      }
      out.push(']');
      return;
    }
    out.push('{');
    let batch: Obj = {};
    let count = 0;
    let first = true;
    const flush = (): void => {
      if (count === 0) return;
      if (!first) out.push(',');
      first = false;
      run(batch);
      batch = {};
      count = 0;
    };
    for (const k of Object.keys(v as object)) {
      const item = (v as Obj)[k];
      if (typeof item === 'object' && item !== null && big.has(item)) {
        flush();
        if (!first) out.push(',');
        first = false;
        out.push(`${JSON.stringify(k)}:`);
        write(item);
      } else if (item !== undefined && typeof item !== 'function' && typeof item !== 'symbol') {
        batch[k] = item;
        if (++count === per) flush();
      }
    }
    flush();
    out.push('}');
  };
  write(root);
  out.push(tail);
  return out;
}

/** UTF-8 bytes of the concatenated pieces. */
export function utf8Bytes(parts: readonly string[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  // Snapshots are nearly always ASCII: one char, one byte, so encodeInto an
  // exact-size buffer; a piece that does not fit means there is other text.
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    const { read, written } = textEncoder.encodeInto(p, at === 0 ? out : out.subarray(at));
    if (read !== p.length) return textEncoder.encode(parts.join(''));
    at += written;
  }
  return out;
}
