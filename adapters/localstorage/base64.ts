// Bytes become base64: Web Storage holds UTF-16 strings, and lone surrogates do not survive every browser.

/**
 * `bytes` as base64 text.
 *
 * @example
 * ```ts
 * import { toBase64 } from './base64.js';
 * toBase64(new Uint8Array([1, 2, 3])); // 'AQID'
 * ```
 */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 0x8000) out += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(out);
}

/**
 * The bytes of base64 `text` (`atob` throws on text that is not base64).
 *
 * @example
 * ```ts
 * import { fromBase64 } from './base64.js';
 * fromBase64('AQID'); // Uint8Array [1, 2, 3]
 * ```
 */
export function fromBase64(text: string): Uint8Array {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}
