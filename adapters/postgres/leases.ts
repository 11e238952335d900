import { serverLeases, type ServerLeases } from '../shared/server-leases.js';
import { openKey, type PostgresIo } from './context.js';
import { NAME } from './errors.js';
import { num } from './rows.js';
import { query, run } from './run.js';

/**
 * The adapter's leases: rows of `<table>_heads` (owner, expiry by the
 * database's `now()`), taken when free or expired with the epoch bumped past
 * every stored one; `acquire` checks the key first ({@link openKey}).
 * Refuses a bad `leaseTtlMs` with `invalid-option`.
 *
 * @example
 * ```ts
 * const leases = postgresLeases(io);
 * const lease = await leases.acquire('order-1', { ttlMs: 10_000 });
 * ```
 */
export function postgresLeases(io: PostgresIo): ServerLeases {
  const { owner, sql } = io;
  return serverLeases(NAME, io, (key) => openKey(io, key), {
    take: async (key, ttlMs) => {
      const result = await run(io, { key }, false, (c) =>
        query<{ epoch: string; expires_ms: number }>(io, c, sql.acquire, [key, owner, ttlMs]),
      );
      const row = result.rows[0];
      if (row) return { epoch: num(row.epoch), expiresAt: num(row.expires_ms) };
      const holder = await run(io, { key }, true, (c) =>
        query<{ owner: string | null; expires_ms: number | null; now_ms: number }>(io, c, sql.holder, [key]),
      );
      const h = holder.rows[0];
      const expiresAt = h?.expires_ms == null ? undefined : num(h.expires_ms);
      return {
        holder: {
          owner: h?.owner ?? undefined,
          expiresAt,
          untilExpiry: expiresAt === undefined ? undefined : expiresAt - num(h!.now_ms),
        },
      };
    },
    extend: async (key, epoch, ttl) => {
      const result = await run(io, { key }, true, (c) => query(io, c, sql.renew, [key, owner, epoch, ttl]));
      const row = result.rows[0] as { expires_ms: number } | undefined;
      return row ? num(row.expires_ms) : undefined;
    },
    free: async (key, epoch) => {
      await run(io, { key }, true, (c) => query(io, c, sql.release, [key, owner, epoch]));
    },
  });
}
