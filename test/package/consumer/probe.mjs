/* global process */
// Run in the clean-install folder by test/package/package.test.ts: imports
// each specifier given as an argument with plain Node, trapping DOM globals,
// and prints one JSON line: what failed to import and which DOM globals each
// import touched (nothing may touch them at import time).
const specs = process.argv.slice(2);
const names = [
  'window',
  'document',
  'indexedDB',
  'localStorage',
  'sessionStorage',
  'navigator',
  'location',
  'self',
  'IDBKeyRange',
  'Storage',
  'HTMLElement',
  'customElements',
  'matchMedia',
];
const touched = {};
let current = '(none)';
for (const name of names) {
  const had = Object.getOwnPropertyDescriptor(globalThis, name);
  Object.defineProperty(globalThis, name, {
    configurable: true,
    get() {
      (touched[current] ??= []).push(name);
      return had === undefined ? undefined : had.get ? had.get.call(globalThis) : had.value;
    },
  });
}
const failed = {};
const exported = {};
for (const spec of specs) {
  current = spec;
  try {
    exported[spec] = Object.keys(await import(spec)).length;
  } catch (error) {
    failed[spec] = String((error && error.stack) || error);
  }
}
// The trap itself must work, or the check could not fail.
current = '(self-check)';
void globalThis.document;
process.stdout.write(JSON.stringify({ touched, failed, exported }));
