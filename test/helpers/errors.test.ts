import { expect, it } from 'vitest';
import { CheckpointError } from 'xstate-checkpoint';
import { codeOf, errorOf } from './errors.js';

const typed = new CheckpointError('conflict', { key: 'k', adapter: 'memory' });

it('errorOf returns the CheckpointError and fails on success or on another error class', async () => {
  expect(
    errorOf(() => {
      throw typed;
    }),
  ).toBe(typed);
  expect(await errorOf(Promise.reject(typed))).toBe(typed);
  expect(() => errorOf(() => 1)).toThrow('expected a CheckpointError, nothing was thrown');
  expect(() =>
    errorOf(() => {
      throw new TypeError('boom');
    }),
  ).toThrow('expected a CheckpointError, got TypeError: boom');
  await expect(errorOf(Promise.resolve(1))).rejects.toThrow('expected a CheckpointError, the call succeeded');
  await expect(errorOf(Promise.reject(new Error('plain')))).rejects.toThrow('got Error: plain');
});

it('codeOf gives the code or ok, rethrows other errors, and checks the adapter when asked', async () => {
  expect(await codeOf(Promise.resolve())).toBe('ok');
  expect(await codeOf(Promise.reject(typed))).toBe('conflict');
  const plain = new Error('plain');
  await expect(codeOf(Promise.reject(plain))).rejects.toBe(plain);
  expect(await codeOf(Promise.reject(typed), { adapter: 'memory' })).toBe('conflict');
  await expect(codeOf(Promise.reject(typed), { adapter: 'fs' })).rejects.toThrow(
    'expected the conflict error to name adapter fs, it names memory',
  );
});
