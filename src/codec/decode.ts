import { CheckpointError } from '../errors.js';
import * as format from './format.js';
import { type Obj } from './format.js';

// Module locals, not imported bindings in the hot loops: a bundle inlines
// imports, but a module runner (vitest, tsx) turns each use of an imported name
// into a property load, measured at ~8-15% of a plain encode.
const {
  binaryTypes,
  errorTypes,
  ESCAPED_PROTO,
  FLAG_KEYS,
  FLAG_MARKERS,
  FLAG_REFS,
  fromBase64,
  hasOwn,
  isArray,
  MAX_DECIMAL_DIGITS,
  TILDE,
  UNSAFE_KEY,
} = format;

function bad(detail: string): CheckpointError {
  return new CheckpointError('decode', { detail });
}

class Decoder {
  // Every object in walk order, for "~@n" references; only when the payload has some.
  private readonly objects: unknown[] | undefined;

  constructor(
    refs: boolean,
    private readonly keyed: boolean,
  ) {
    this.objects = refs ? [] : undefined;
  }

  value(v: unknown): unknown {
    if (typeof v === 'string') return v.charCodeAt(0) === TILDE ? this.marker(v) : v;
    if (typeof v !== 'object' || v === null) return v;
    return isArray(v) ? this.array(v) : this.plain(v as Obj);
  }

  private array(arr: unknown[]): unknown {
    const head = arr[0];
    if (head === '~M' || head === '~S' || head === '~E') return this.container(head, arr);
    this.objects?.push(arr);
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      if (typeof v === 'string') {
        if (v.charCodeAt(0) === TILDE) arr[i] = this.marker(v);
      } else if (typeof v === 'object' && v !== null) {
        const r = isArray(v) ? this.array(v) : this.plain(v as Obj);
        if (r !== v) arr[i] = r;
      }
    }
    return arr;
  }

  private plain(obj: Obj, numbered = true): Obj {
    if (this.keyed && hasTildeKey(obj)) return this.unescaped(obj, numbered);
    if (numbered) this.objects?.push(obj);
    // Only own data keys of a JSON.parse result are written, and "__proto__" was
    // refused before parsing, so no assignment here can reach a prototype.
    for (const k in obj) {
      if (!hasOwn.call(obj, k)) continue;
      const v = obj[k];
      if (typeof v === 'string') {
        if (v.charCodeAt(0) === TILDE) obj[k] = this.marker(v);
      } else if (typeof v === 'object' && v !== null) {
        const r = isArray(v) ? this.array(v) : this.plain(v as Obj);
        if (r !== v) obj[k] = r;
      }
    }
    return obj;
  }

  /**
   * A new object with the keys of `obj` unescaped, in the same order. Every
   * property is defined, never assigned: "__proto__" becomes an own property
   * and no prototype is touched.
   */
  private unescaped(obj: Obj, numbered: boolean): Obj {
    const out: Obj = {};
    if (numbered) this.objects?.push(out);
    for (const k of Object.keys(obj)) {
      let name = k;
      if (k.charCodeAt(0) === TILDE) {
        if (k === ESCAPED_PROTO) name = UNSAFE_KEY;
        else if (k.charCodeAt(1) === TILDE) name = k.slice(1);
        else throw bad(`unknown key escape ${JSON.stringify(k.slice(0, 24))}`);
      }
      Object.defineProperty(out, name, {
        value: this.value(obj[k]),
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
    return out;
  }

  private numbered<T>(value: T): T {
    this.objects?.push(value);
    return value;
  }

  private container(head: string, arr: unknown[]): unknown {
    if (head === '~M') {
      if (arr.length % 2 !== 1) throw bad('a map has an odd number of keys and values');
      const map = this.numbered(new Map<unknown, unknown>());
      for (let i = 1; i < arr.length; i += 2) {
        const k = this.value(arr[i]);
        map.set(k, this.value(arr[i + 1]));
      }
      return map;
    }
    if (head === '~S') {
      const set = this.numbered(new Set<unknown>());
      for (let i = 1; i < arr.length; i++) set.add(this.value(arr[i]));
      return set;
    }
    const [, name, message, stack, props] = arr;
    if (
      typeof name !== 'string' ||
      typeof message !== 'string' ||
      (typeof stack !== 'string' && stack !== null) ||
      typeof props !== 'object' ||
      props === null ||
      isArray(props) ||
      arr.length > 6
    ) {
      throw bad('invalid error');
    }
    const Ctor = hasOwn.call(errorTypes, name) ? errorTypes[name]! : Error;
    const err = this.numbered(new Ctor(message));
    const data = this.plain(props as Obj, false);
    if (err.name !== name && !hasOwn.call(data, 'name')) {
      Object.defineProperty(err, 'name', { value: name, writable: true, configurable: true });
    }
    if (stack === null) delete err.stack;
    else Object.defineProperty(err, 'stack', { value: stack, writable: true, configurable: true });
    for (const k of Object.keys(data)) {
      Object.defineProperty(err, k, { value: data[k], writable: true, enumerable: true, configurable: true });
    }
    if (arr.length === 6) {
      Object.defineProperty(err, 'cause', { value: this.value(arr[5]), writable: true, configurable: true });
    }
    return err;
  }

  private marker(s: string): unknown {
    switch (s.charCodeAt(1)) {
      case 100: {
        // d: the most common marker, read without slicing the string.
        if (s.length === 2) return this.numbered(new Date(NaN));
        const t = integerAt(s, 2);
        if (t !== t) break;
        return this.numbered(new Date(t));
      }
      case TILDE:
        return s.slice(1);
      case 117: // u
        if (s.length === 2) return undefined;
        break;
      case 110: {
        // n
        const body = s.slice(2);
        if (body === 'NaN') return NaN;
        if (body === 'Infinity') return Infinity;
        if (body === '-Infinity') return -Infinity;
        if (body === '-0') return -0;
        break;
      }
      case 98: // b
        return parseBigInt(s.slice(2));
      case 82: {
        // R
        const slash = s.indexOf('/', 2);
        if (slash < 0) break;
        try {
          return this.numbered(new RegExp(s.slice(slash + 1), s.slice(2, slash)));
        } catch (cause) {
          throw new CheckpointError('decode', { detail: 'invalid regular expression', cause });
        }
      }
      case 116: // t
        return this.numbered(parseBinary(s.slice(2)));
      case 64: {
        // @
        const objects = this.objects;
        const n = integerAt(s, 2);
        if (objects === undefined || !(n >= 0 && n < objects.length)) {
          throw bad(`reference ${JSON.stringify(s.slice(0, 24))} points at no earlier object`);
        }
        return objects[n];
      }
    }
    throw bad(`unknown marker ${JSON.stringify(s.slice(0, 24))}`);
  }
}

function hasTildeKey(obj: object): boolean {
  for (const k in obj) if (k.charCodeAt(0) === TILDE) return true;
  return false;
}

/** The decimal integer written from `s[from]` to the end ("-" allowed), or NaN. */
function integerAt(s: string, from: number): number {
  const n = s.length;
  let i = from;
  const negative = s.charCodeAt(i) === 45;
  if (negative) i++;
  // 16 digits hold every Date and any count of objects; more is not ours.
  if (i === n || n - i > 16) return NaN;
  let v = 0;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return negative ? -v : v;
}

function parseBigInt(body: string): bigint {
  if (/^-?\d+$/.test(body) && body.length <= MAX_DECIMAL_DIGITS + 1) return BigInt(body);
  const neg = body.startsWith('-');
  const hex = neg ? body.slice(1) : body;
  if (!/^x[0-9a-f]+$/.test(hex)) throw bad('invalid bigint');
  const v = BigInt(`0${hex}`);
  return neg ? -v : v;
}

function parseBinary(body: string): object {
  const colon = body.indexOf(':');
  const type = body.slice(0, colon);
  if (colon < 0 || (type !== 'ArrayBuffer' && !hasOwn.call(binaryTypes, type))) throw bad('invalid binary value');
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(body.slice(colon + 1));
  } catch (cause) {
    throw new CheckpointError('decode', { detail: 'invalid base64', cause });
  }
  if (type === 'ArrayBuffer') return bytes.buffer;
  const [Ctor, width] = binaryTypes[type]!;
  if (bytes.length % width !== 0) throw bad(`${type} length is not a multiple of its element size`);
  return new Ctor(bytes.buffer as ArrayBuffer);
}

/** The value of a parsed tagged-JSON document. */
export function revive(doc: unknown): unknown {
  if (!isArray(doc) || doc.length < 1 || doc.length > 2) throw bad('payload is not a tagged-JSON document');
  if (doc.length === 1) return doc[0];
  const flags = doc[1];
  // Bit 1 (markers) is always set; bits 2 (references) and 4 (escaped keys) may be.
  if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 1 || flags > 7 || (flags & FLAG_MARKERS) === 0) {
    throw bad('payload flags are invalid');
  }
  try {
    return new Decoder((flags & FLAG_REFS) !== 0, (flags & FLAG_KEYS) !== 0).value(doc[0]);
  } catch (cause) {
    if (cause instanceof CheckpointError) throw cause;
    throw new CheckpointError('decode', { detail: 'payload could not be revived', cause });
  }
}
