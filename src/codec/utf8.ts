// JSON text to UTF-8 bytes, shared by the full encoder and the default codec's plain path.

const textEncoder = new TextEncoder();

/**
 * JSON longer than this is written in pieces: V8 returns a long JSON.stringify
 * result as a rope, and turning a rope of megabytes into bytes first copies it
 * into one flat string, which costs about as much as the stringify itself.
 */
export const PIECE = 32 * 1024;

/** UTF-8 bytes of the concatenated pieces. */
export function utf8Bytes(parts: readonly string[]): Uint8Array {
  if (parts.length === 1) {
    const text = parts[0]!;
    const out = new Uint8Array(text.length);
    return textEncoder.encodeInto(text, out).read === text.length ? out : textEncoder.encode(text);
  }
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
