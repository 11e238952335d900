import { describe, expect, it } from 'vitest';
import { diffHref, keyHref, parseRoute } from '../../studio/page/route.js';

describe('studio page routes', () => {
  it('round-trips keys with every character a key may hold, through the links the page makes', () => {
    for (const key of ['order-1', 'a/b?c#d', '50%', '%E0%A4%A', 'ключ 🔑', ' spaced ']) {
      expect(parseRoute(keyHref(key))).toEqual({ view: 'key', key });
      expect(parseRoute(keyHref(key, 7))).toEqual({ view: 'key', key, seq: 7 });
      expect(parseRoute(diffHref(key, 2, 5))).toEqual({ view: 'diff', key, a: 2, b: 5 });
    }
  });

  it('a hash typed by hand with a bare % names the key as typed instead of throwing', () => {
    expect(parseRoute('#/key/50%')).toEqual({ view: 'key', key: '50%' });
    expect(parseRoute('#/key/%E0%A4%A/3')).toEqual({ view: 'key', key: '%E0%A4%A', seq: 3 });
  });

  it('anything else is the key list, with its query', () => {
    const route = parseRoute('#/?q=ord');
    expect(route.view).toBe('keys');
    expect(route.view === 'keys' && route.params.get('q')).toBe('ord');
    expect(parseRoute('').view).toBe('keys');
  });
});
