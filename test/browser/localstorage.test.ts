import { describe, expect, it } from 'vitest';
import { isCheckpointError } from 'xstate-checkpoint';
import { localStorageAdapter } from 'xstate-checkpoint/adapters/localstorage';
import { expectBytes, record, runAdapterConformance } from '../conformance/suite.js';

const clear = () => {
  for (let i = localStorage.length - 1; i >= 0; i--) {
    const name = localStorage.key(i);
    if (name?.startsWith('xsc-test:')) localStorage.removeItem(name);
  }
};

// The 5 MB record does not fit Chromium's localStorage quota once base64-encoded.
runAdapterConformance('localstorage (chromium)', [localStorageAdapter], {
  create: () => {
    clear();
    return localStorageAdapter({ prefix: 'xsc-test:' });
  },
  createPeer: () => localStorageAdapter({ prefix: 'xsc-test:' }),
  cleanup: clear,
  skipLarge: true,
});

describe('localStorageAdapter in Chromium', () => {
  it("turns Chromium's real quota error into storage-full and keeps the previous generation", async () => {
    clear();
    const adapter = localStorageAdapter({ prefix: 'xsc-test:' });
    try {
      await adapter.write('k', record(1, 0, 1024));
      let error: unknown;
      try {
        await adapter.write('k', record(2, 0, 8 * 1024 * 1024));
      } catch (e) {
        error = e;
      }
      expect(isCheckpointError(error) && error.code).toBe('storage-full');
      expect(((error as Error).cause as DOMException).name).toBe('QuotaExceededError');
      expect((await adapter.list('k')).map((g) => g.seq)).toEqual([1]);
      expectBytes(await adapter.read('k', 1), record(1, 0, 1024).bytes);
      expect(localStorage.getItem('xsc-test:g:2:k')).toBeNull();
    } finally {
      clear();
    }
  });
});
