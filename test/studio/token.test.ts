import { describe, expect, it, vi } from 'vitest';

// The comparison must go through crypto.timingSafeEqual on equal-length inputs whatever the guess:
// a `===` or an early length check would answer faster for a wrong length or a wrong first byte.
const calls: Array<[number, number]> = [];
vi.mock('node:crypto', async (original) => {
  const crypto = await original<typeof import('node:crypto')>();
  return {
    ...crypto,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      calls.push([a.byteLength, b.byteLength]);
      return crypto.timingSafeEqual(a, b);
    },
  };
});

const { newToken, tokenMatches } = await import('../../studio/token.js');

describe('studio token', () => {
  it('is 32 random bytes as base64url, fresh each time', () => {
    const a = newToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(Array.from({ length: 50 }, newToken)).size).toBe(50);
  });

  it('is compared in constant time: timingSafeEqual on 32-byte digests, for every length of guess', () => {
    const token = newToken();
    calls.length = 0;
    const guesses = [
      '',
      'x',
      token.slice(0, 1),
      token.slice(0, -1),
      `${token}x`,
      token.toUpperCase(),
      'a'.repeat(10_000),
      token,
    ];
    const answers = guesses.map((g) => tokenMatches(g, token));
    expect(answers).toEqual([false, false, false, false, false, token === token.toUpperCase(), false, true]);
    expect(calls).toEqual(guesses.map(() => [32, 32]));
  });
});
