import { hasOwn } from './format.js';

const getProto = Object.getPrototypeOf;
// The intrinsic name of a typed array, also for subclasses such as Node's Buffer.
const typedArrayTag = Object.getOwnPropertyDescriptor(getProto(Int8Array.prototype), Symbol.toStringTag)!.get!;
const getTime = Date.prototype.getTime;
const objectTag = Object.prototype.toString;
const brandChecks: Record<string, (obj: object) => unknown> = {
  Date: (obj) => getTime.call(obj as Date),
  Map: (obj) => Map.prototype.has.call(obj, 0),
  Set: (obj) => Set.prototype.has.call(obj, 0),
  RegExp: (obj) => Object.getOwnPropertyDescriptor(RegExp.prototype, 'flags')!.get!.call(obj),
  ArrayBuffer: (obj) => Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')!.get!.call(obj),
  Error: () => true,
};

/**
 * The built-in type the codec has a marker for (or undefined): "Date", "Map",
 * "Set", "RegExp", "Error", "ArrayBuffer", "DataView" or a typed array name.
 * Values from another realm (iframe, vm) fail `instanceof`; their tag is used
 * instead, confirmed by a brand check that a look-alike class cannot pass.
 */
export function kindOf(obj: object): string | undefined {
  if (obj instanceof Date) return 'Date';
  if (obj instanceof Map) return 'Map';
  if (obj instanceof Set) return 'Set';
  if (obj instanceof RegExp) return 'RegExp';
  if (obj instanceof Error) return 'Error';
  if (ArrayBuffer.isView(obj))
    return obj instanceof DataView ? 'DataView' : ((typedArrayTag.call(obj) as string | undefined) ?? 'DataView');
  if (obj instanceof ArrayBuffer) return 'ArrayBuffer';
  const tag = objectTag.call(obj).slice(8, -1);
  const check = hasOwn.call(brandChecks, tag) ? brandChecks[tag] : undefined;
  if (check === undefined) return undefined;
  try {
    check(obj);
    return tag;
  } catch {
    return undefined;
  }
}
