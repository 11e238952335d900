/* eslint-disable @typescript-eslint/no-require-imports -- this file is about require() */
// Type-checked under nodenext by test/package/package.test.ts: a CommonJS
// TypeScript module that requires the package (TypeScript 5.8+ allows
// require() of ES modules under nodenext, as Node 20.19+ does).
import checkpoint = require('xstate-checkpoint');
import memory = require('xstate-checkpoint/adapters/memory');

const start = (logic: Parameters<typeof checkpoint.persistActor>[0]) =>
  checkpoint.persistActor(logic, { key: 'k', adapter: memory.memoryAdapter() });
export = { start };
