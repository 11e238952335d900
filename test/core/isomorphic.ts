// Test helpers for the codec tests: a structural comparison that also checks
// the sharing structure (which objects are the same object), and a snapshot of
// the built-in prototypes to prove that decoding changed none of them.

const tagOf = (v: object): string => Object.prototype.toString.call(v).slice(8, -1);

function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

export interface CompareOptions {
  /** Also compare Error stacks (default true). */
  readonly stacks?: boolean;
}

/**
 * The first difference between `actual` and `expected` (undefined when they
 * match): primitives by Object.is (NaN equals NaN, -0 differs from 0), Dates by
 * time, Maps and Sets in insertion order, Errors by name, message, stack,
 * cause and own props, binary data by bytes, objects by own enumerable keys in
 * order, and the same graph shape: two paths reach one object in `actual`
 * exactly when they do in `expected`. Prototypes of plain data are ignored
 * (a class instance or a null-prototype object equals a plain object).
 */
export function difference(actual: unknown, expected: unknown, options: CompareOptions = {}): string | undefined {
  const stacks = options.stacks ?? true;
  const forward = new Map<object, object>();
  const backward = new Map<object, object>();
  const visit = (a: unknown, e: unknown, path: string): string | undefined => {
    const aObj = typeof a === 'object' && a !== null;
    const eObj = typeof e === 'object' && e !== null;
    if (!aObj || !eObj) {
      if (aObj || eObj) return `${path}: got ${aObj ? 'an object' : show(a)}, expected ${eObj ? 'an object' : show(e)}`;
      if (typeof a !== typeof e) return `${path}: got ${typeof a} ${show(a)}, expected ${typeof e} ${show(e)}`;
      return Object.is(a, e) ? undefined : `${path}: got ${show(a)}, expected ${show(e)}`;
    }
    const seenA = forward.get(a);
    const seenE = backward.get(e);
    if (seenA !== undefined || seenE !== undefined) {
      return seenA === e && seenE === a ? undefined : `${path}: shared/cyclic reference structure differs`;
    }
    forward.set(a, e);
    backward.set(e, a);
    const tag = tagOf(e);
    if (tagOf(a) !== tag) return `${path}: got ${tagOf(a)}, expected ${tag}`;
    switch (tag) {
      case 'Date':
        return Object.is((a as Date).getTime(), (e as Date).getTime())
          ? undefined
          : `${path}: date ${(a as Date).getTime()} != ${(e as Date).getTime()}`;
      case 'RegExp': {
        const [ar, er] = [a as RegExp, e as RegExp];
        return ar.source === er.source && ar.flags === er.flags
          ? undefined
          : `${path}: /${ar.source}/${ar.flags} != /${er.source}/${er.flags}`;
      }
      case 'Map': {
        const am = [...(a as Map<unknown, unknown>)];
        const em = [...(e as Map<unknown, unknown>)];
        if (am.length !== em.length) return `${path}: map size ${am.length} != ${em.length}`;
        for (let i = 0; i < em.length; i++) {
          const d =
            visit(am[i]![0], em[i]![0], `${path}<key ${i}>`) ?? visit(am[i]![1], em[i]![1], `${path}<value ${i}>`);
          if (d) return d;
        }
        return undefined;
      }
      case 'Set': {
        const as = [...(a as Set<unknown>)];
        const es = [...(e as Set<unknown>)];
        if (as.length !== es.length) return `${path}: set size ${as.length} != ${es.length}`;
        for (let i = 0; i < es.length; i++) {
          const d = visit(as[i], es[i], `${path}<item ${i}>`);
          if (d) return d;
        }
        return undefined;
      }
      case 'Error': {
        const ae = a as Error;
        const ee = e as Error;
        if (ae.name !== ee.name || ae.message !== ee.message) {
          return `${path}: error ${ae.name}: ${ae.message} != ${ee.name}: ${ee.message}`;
        }
        if (stacks && ae.stack !== ee.stack) return `${path}: error stack differs`;
        if ('cause' in ae !== 'cause' in ee) return `${path}: cause present in one only`;
        if ('cause' in ee) {
          const d = visit(ae.cause, ee.cause, `${path}.cause`);
          if (d) return d;
        }
        return own(a, e, path);
      }
      case 'ArrayBuffer':
      case 'DataView':
      case 'Int8Array':
      case 'Uint8Array':
      case 'Uint8ClampedArray':
      case 'Int16Array':
      case 'Uint16Array':
      case 'Int32Array':
      case 'Uint32Array':
      case 'Float32Array':
      case 'Float64Array':
      case 'BigInt64Array':
      case 'BigUint64Array': {
        const bytes = (v: object): number[] =>
          tag === 'ArrayBuffer'
            ? [...new Uint8Array(v as ArrayBuffer)]
            : [
                ...new Uint8Array(
                  (v as ArrayBufferView).buffer,
                  (v as ArrayBufferView).byteOffset,
                  (v as ArrayBufferView).byteLength,
                ),
              ];
        return bytes(a).join() === bytes(e).join() ? undefined : `${path}: ${tag} bytes differ`;
      }
      case 'Array': {
        const aa = a as unknown[];
        const ea = e as unknown[];
        if (aa.length !== ea.length) return `${path}: array length ${aa.length} != ${ea.length}`;
        for (let i = 0; i < ea.length; i++) {
          const d = visit(aa[i], ea[i], `${path}[${i}]`);
          if (d) return d;
        }
        return undefined;
      }
      default:
        return own(a, e, path);
    }
  };
  const own = (a: object, e: object, path: string): string | undefined => {
    const ak = Object.keys(a);
    const ek = Object.keys(e);
    if (ak.join('\u0000') !== ek.join('\u0000')) return `${path}: keys [${ak.join(', ')}] != [${ek.join(', ')}]`;
    for (const k of ek) {
      const d = visit((a as Record<string, unknown>)[k], (e as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  };
  return visit(actual, expected, '$');
}

const guarded = [
  Object.prototype,
  Array.prototype,
  Map.prototype,
  Set.prototype,
  Function.prototype,
  Date.prototype,
  RegExp.prototype,
  Error.prototype,
  String.prototype,
  Number.prototype,
  Promise.prototype,
  Object.getPrototypeOf(Uint8Array.prototype) as object,
] as const;

interface ProtoState {
  readonly proto: object | null;
  readonly extensible: boolean;
  readonly props: Array<[PropertyKey, PropertyDescriptor]>;
}

/** The own property descriptors, prototype and extensibility of every built-in prototype that matters. */
export function snapshotPrototypes(): ProtoState[] {
  return guarded.map((p) => ({
    proto: Object.getPrototypeOf(p) as object | null,
    extensible: Object.isExtensible(p),
    props: Reflect.ownKeys(p).map((k) => [k, Object.getOwnPropertyDescriptor(p, k)!]),
  }));
}

/** Where the prototypes differ from `before` (empty when unchanged). */
export function prototypeChanges(before: ProtoState[]): string[] {
  const after = snapshotPrototypes();
  const out: string[] = [];
  for (let i = 0; i < guarded.length; i++) {
    const b = before[i]!;
    const a = after[i]!;
    const name = String((guarded[i] as { constructor?: { name?: string } }).constructor?.name ?? i);
    if (a.proto !== b.proto) out.push(`${name}.prototype: its prototype changed`);
    if (a.extensible !== b.extensible) out.push(`${name}.prototype: extensibility changed`);
    if (a.props.length !== b.props.length) out.push(`${name}.prototype: ${b.props.length} -> ${a.props.length} props`);
    for (const [k, d] of b.props) {
      const now = a.props.find(([key]) => key === k)?.[1];
      const same =
        now !== undefined &&
        now.value === d.value &&
        now.get === d.get &&
        now.set === d.set &&
        now.writable === d.writable &&
        now.enumerable === d.enumerable &&
        now.configurable === d.configurable;
      if (!same) out.push(`${name}.prototype.${String(k)} changed`);
    }
  }
  return out;
}
