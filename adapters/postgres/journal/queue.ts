/**
 * Runs `fn` after every call queued before it for `key` in `queues` (settled
 * or not): calls for one key run one after another, in call order. The key's
 * entry goes once its last call settles.
 *
 * @example
 * ```ts
 * const queues = new Map<string, Promise<unknown>>();
 * await Promise.all([inTurn(queues, 'k', async () => 1), inTurn(queues, 'k', async () => 2)]); // 1, then 2
 * ```
 */
export function inTurn<R>(queues: Map<string, Promise<unknown>>, key: string, fn: () => Promise<R>): Promise<R> {
  const result = (queues.get(key) ?? Promise.resolve()).then(fn);
  const tail = result.catch(() => undefined);
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return result;
}
