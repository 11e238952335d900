import { createHash, randomBytes } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import type {
  AcquireOptions,
  CheckpointAdapter,
  GenerationInfo,
  GenerationNotice,
  Lease,
  NewestRead,
  QuarantineInfo,
} from '../../src/adapter.js';
import type { CheckpointErrorCode, CheckpointErrorDetails } from '../../src/errors.js';
import { CheckpointError, isCheckpointError } from '../../src/errors.js';
import { backoffDelay } from '../shared/backoff.js';
import { pause } from '../shared/clock.js';
import { serverLeases } from '../shared/server-leases.js';
import { checkRecord, inDoubtWrites, refusedWrite } from '../shared/records.js';
import { checkKey } from '../../src/keys.js';
import { redisNotices } from './notices.js';
import type { NoticeHub } from '../shared/notice-listeners.js';
import { loadDriver, publicUrl } from '../shared/server-driver.js';
import { systemClock, type Clock } from '../../src/clock.js';

/** What the adapter takes from the `ioredis` module (`import('ioredis')` has it). */
export interface IoredisModule {
  readonly Redis: typeof Redis;
}

const NAME = 'redis';

/** Options of {@link redisAdapter}. */
export interface RedisAdapterOptions {
  /** An ioredis client to run on. The adapter never closes a client it was given. @default a client for `url` */
  readonly client?: Redis;
  /** Server URL for the client the adapter creates (and closes on `dispose`). @default 'redis://127.0.0.1:6379' */
  readonly url?: string;
  /**
   * Extra ioredis options for the client the adapter creates. A connection
   * attempt gives up after `connectTimeout`; a command waits for at most
   * `maxRetriesPerRequest` reconnects, then fails with `connection`. The
   * client stops reconnecting after 6 failed attempts in a row (so a server
   * that is gone does not keep the process alive) and reconnects on the
   * adapter's next call.
   * @default { lazyConnect: true, maxRetriesPerRequest: 2, retryStrategy: 50, 100, 200, 400, 500, 500 ms, then give up } (and ioredis' connectTimeout: 10000)
   */
  readonly clientOptions?: RedisOptions;
  /**
   * Loads the `ioredis` driver (for bundlers that need a static import, or tests).
   * A driver that cannot be loaded fails with `driver-missing`.
   * @default () => import('ioredis')
   */
  readonly driver?: () => Promise<IoredisModule>;
  /** Prefix of every Redis key the adapter touches. @default 'xsc:' */
  readonly prefix?: string;
  /**
   * Refuse (`invalid-option`) a server that would lose acknowledged writes:
   * `appendonly no`, `appendfsync` other than `always`, or a server whose
   * configuration cannot be read. Without it such a server is used after a warning.
   * @default false
   */
  readonly strict?: boolean;
  /** Receives the durability warning. @default console.warn */
  readonly onWarning?: (message: string) => void;
  /** Lease lifetime when `acquire()` is called without `ttlMs`. @default 30000 */
  readonly leaseTtlMs?: number;
  /** Renew held leases in the background every third of their lifetime. @default true */
  readonly renewLeases?: boolean;
  /**
   * Time for the client side of leases (background renewal, the wait of
   * `acquire({ waitMs })`), retry pauses and reconnects; lease expiry itself is
   * by the server's clock.
   * @default systemClock
   */
  readonly clock?: Clock;
  /** Name this adapter writes into lease records (diagnostics). @default a random id */
  readonly owner?: string;
  /** Attempts in total for an operation that lost its connection (the first included). @default 3 */
  readonly attempts?: number;
}

/**
 * A lease on a key in Redis; expires by the server's clock unless renewed
 * (the adapter renews it by default).
 *
 * @example
 * ```ts
 * import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
 * const adapter = redisAdapter({ strict: true });
 * const lease = await adapter.acquire('order-1', { ttlMs: 10_000 });
 * await lease.release();
 * ```
 */
export interface RedisLease extends Lease {
  /** Expiry by the Redis server's clock (ms since 1970), as of the last acquire or renew. */
  readonly expiresAt: number;
  /** Extends the lease; rejects with `fenced` when it was taken over or released. */
  renew(ttlMs?: number): Promise<void>;
}

/** The adapter {@link redisAdapter} returns: the contract plus typed leases. */
export interface RedisAdapter extends CheckpointAdapter {
  acquire(key: string, options?: AcquireOptions): Promise<RedisLease>;
  readNewest(key: string): Promise<NewestRead>;
  subscribe(key: string, listener: (notice: GenerationNotice) => void): () => void;
}

// Redis keys per checkpoint key K: h:K head hash (seq = highest ever published,
// epoch, lease owner, exp), g:K sorted set of live seqs, m:K hash seq -> metadata,
// b:K hash seq -> bytes (live and quarantined), q:K hash seq -> quarantine record;
// plus the sets `keys` and `qkeys`. Every script touches one K (and a global set),
// so this needs a single Redis node or a primary, not Redis Cluster.

// Metadata: "epoch|byteLength|createdAt|token". The token identifies one write
// call, so a client-level resend of that same call is recognised as done.
const WRITE = `
local seq = tonumber(ARGV[1])
local epoch = tonumber(ARGV[2])
local head = redis.call('HMGET', KEYS[1], 'seq', 'epoch')
local hseq = tonumber(head[1]) or 0
local hepoch = tonumber(head[2]) or 0
if seq <= hseq then
  local meta = redis.call('HGET', KEYS[3], ARGV[1])
  if meta then
    local token = string.match(meta, '|([^|]*)$')
    local stored = tonumber(string.match(meta, '^([^|]*)|'))
    if token == ARGV[6] then return {'ok', hseq, hepoch} end
    if ARGV[7] == '1' and stored == epoch and redis.call('HGET', KEYS[4], ARGV[1]) == ARGV[4] then
      return {'ok', hseq, hepoch}
    end
  end
end
if epoch < hepoch then return {'fenced', hseq, hepoch} end
if seq <= hseq then return {'conflict', hseq, hepoch} end
redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'epoch', ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[4])
redis.call('ZADD', KEYS[2], seq, ARGV[1])
redis.call('SADD', KEYS[5], ARGV[5])
redis.call('PUBLISH', KEYS[6], ARGV[1] .. ' ' .. ARGV[2])
return {'ok', seq, epoch}
`;

const LIST = `
local seqs = redis.call('ZREVRANGE', KEYS[1], 0, -1)
local out = {}
for i, seq in ipairs(seqs) do
  out[#out + 1] = seq
  out[#out + 1] = redis.call('HGET', KEYS[2], seq) or ''
end
return out
`;

// One script, so one atomic view: {quarantined seq, epoch, newest bytes or '', seqs newest first...}.
const READ_NEWEST = `
local seqs = redis.call('ZREVRANGE', KEYS[1], 0, -1)
local quarantined = 0
for _, seq in ipairs(redis.call('HKEYS', KEYS[4])) do
  local n = tonumber(seq) or 0
  if n > quarantined then quarantined = n end
end
local epoch = 0
for _, seq in ipairs(seqs) do
  local e = tonumber(string.match(redis.call('HGET', KEYS[2], seq) or '', '^([^|]*)|')) or 0
  if e > epoch then epoch = e end
end
local out = {quarantined, epoch, ''}
if seqs[1] then out[3] = redis.call('HGET', KEYS[3], seqs[1]) or '' end
for _, seq in ipairs(seqs) do out[#out + 1] = seq end
return out
`;

const READ = `
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return false end
return redis.call('HGET', KEYS[2], ARGV[1])
`;

const REMOVE = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
  if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('SREM', KEYS[4], ARGV[2]) end
end
return 1
`;

const QUARANTINE = `
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return false end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local meta = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], now .. '\\n' .. meta .. '\\n' .. ARGV[2])
redis.call('SADD', KEYS[5], ARGV[3])
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('SREM', KEYS[4], ARGV[3]) end
return now .. '\\n' .. meta
`;

const READ_QUARANTINED = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return false end
return redis.call('HGET', KEYS[2], ARGV[1])
`;

const DELETE_QUARANTINED = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  if redis.call('HLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[3], ARGV[2]) end
end
return 1
`;

// Server time, so leases do not depend on the clocks of the hosts sharing them.
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

const ACQUIRE = `${NOW}
local h = redis.call('HMGET', KEYS[1], 'epoch', 'owner', 'exp')
local exp = tonumber(h[3]) or 0
if h[2] and h[2] ~= ARGV[1] and exp > now then return {0, h[2], exp, now} end
local epoch = (tonumber(h[1]) or 0) + 1
local until_ = now + tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'epoch', epoch, 'owner', ARGV[1], 'exp', until_)
return {epoch, ARGV[1], until_, now}
`;

const RENEW = `${NOW}
local h = redis.call('HMGET', KEYS[1], 'epoch', 'owner')
if h[2] ~= ARGV[1] or tonumber(h[1]) ~= tonumber(ARGV[2]) then return false end
local until_ = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'exp', until_)
return until_
`;

const RELEASE = `
local h = redis.call('HMGET', KEYS[1], 'epoch', 'owner')
if h[2] == ARGV[1] and tonumber(h[1]) == tonumber(ARGV[2]) then redis.call('HDEL', KEYS[1], 'owner', 'exp') end
return 1
`;

interface Script {
  readonly source: string;
  readonly sha: string;
}
const script = (source: string): Script => ({ source, sha: createHash('sha1').update(source).digest('hex') });
const scripts = {
  write: script(WRITE),
  list: script(LIST),
  readNewest: script(READ_NEWEST),
  read: script(READ),
  remove: script(REMOVE),
  quarantine: script(QUARANTINE),
  readQuarantined: script(READ_QUARANTINED),
  deleteQuarantined: script(DELETE_QUARANTINED),
  acquire: script(ACQUIRE),
  renew: script(RENEW),
  release: script(RELEASE),
};

function codeOf(error: unknown): CheckpointErrorCode {
  if (isCheckpointError(error)) return error.code;
  const e = error as { code?: unknown; name?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  if (
    /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ECONNABORTED)$/.test(
      code,
    ) ||
    e?.name === 'MaxRetriesPerRequestError' ||
    /connection is closed|stream isn't writeable|connect ETIMEDOUT|LOADING/i.test(message)
  ) {
    return 'connection';
  }
  if (message.startsWith('OOM')) return 'storage-full';
  if (/^(NOAUTH|WRONGPASS)/.test(message)) return 'auth';
  if (message.startsWith('NOPERM')) return 'permission';
  if (message.startsWith('READONLY')) return 'read-only';
  return 'io';
}

/** The typed error for an ioredis failure; connection and login failures name `server`. */
function failure(error: unknown, details: CheckpointErrorDetails, server?: string): CheckpointError {
  if (isCheckpointError(error)) return error;
  const code = codeOf(error);
  const named = server !== undefined && (code === 'connection' || code === 'auth');
  const detail = details.detail ?? (error instanceof Error ? error.message : undefined);
  return new CheckpointError(code, {
    adapter: NAME,
    ...details,
    ...(named ? { detail: `${server}: ${detail ?? 'no answer'}` } : {}),
    cause: error,
  });
}

const toBytes = (buffer: Buffer): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
const text = (value: unknown): string => (Buffer.isBuffer(value) ? value.toString('utf8') : String(value));

function parseMeta(seq: number, meta: string): GenerationInfo {
  const [epoch, byteLength, createdAt] = meta.split('|');
  return { seq, epoch: Number(epoch), byteLength: Number(byteLength), createdAt: Number(createdAt) };
}

function parseQuarantine(key: string, seq: number, value: string): QuarantineInfo {
  const first = value.indexOf('\n');
  const second = value.indexOf('\n', first + 1);
  return {
    ...parseMeta(seq, value.slice(first + 1, second)),
    // Sequences are never reused for a key (the head remembers the highest), so the seq names it for good.
    id: String(seq),
    key,
    reason: value.slice(second + 1),
    quarantinedAt: Number(value.slice(0, first)),
  };
}

/**
 * Stores checkpoints in Redis (opt-in; ioredis): every operation is one Lua
 * script, so compare-and-set, fencing and leases (on the server's clock) are
 * atomic on the server.
 *
 * Redis acknowledges writes before they reach the disk unless it runs with
 * `appendonly yes` and `appendfsync always`. On first use the adapter reads
 * both settings and warns through `onWarning`, or with `strict: true` refuses
 * the server with `invalid-option`; `capabilities.durable` is `strict`.
 *
 * @example
 * ```ts
 * import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
 *
 * const adapter = redisAdapter({ url: 'redis://127.0.0.1:6379', prefix: 'orders:', strict: true });
 * const newest = (await adapter.list('order-1'))[0];
 * ```
 */
export function redisAdapter(options: RedisAdapterOptions = {}): RedisAdapter {
  const prefix = options.prefix ?? 'xsc:';
  const strict = options.strict ?? false;
  const warn = options.onWarning ?? ((message: string) => console.warn(message));
  const defaultTtl = options.leaseTtlMs ?? 30_000;
  const renewLeases = options.renewLeases ?? true;
  const clock = options.clock ?? systemClock;
  const owner = options.owner ?? `xsc-${randomBytes(8).toString('hex')}`;
  const attempts = Math.max(1, options.attempts ?? 3);

  let client: Redis | undefined = options.client;
  let ownClient: Redis | undefined;
  let clientPromise: Promise<Redis> | undefined;
  let checked: Promise<void> | undefined;
  let disposed = false;
  const inDoubt = inDoubtWrites();
  let notices: NoticeHub | undefined;
  const given = options.client?.options;
  const server = given
    ? `redis://${given.host ?? '127.0.0.1'}:${given.port ?? 6379}/${given.db ?? 0}`
    : publicUrl(options.url ?? 'redis://127.0.0.1:6379');
  const fail = (error: unknown, details: CheckpointErrorDetails) => failure(error, details, server);

  const k = {
    head: (key: string) => `${prefix}h:${key}`,
    gens: (key: string) => `${prefix}g:${key}`,
    meta: (key: string) => `${prefix}m:${key}`,
    bytes: (key: string) => `${prefix}b:${key}`,
    quarantine: (key: string) => `${prefix}q:${key}`,
    notices: (key: string) => `${prefix}n:${key}`,
    keys: `${prefix}keys`,
    qkeys: `${prefix}qkeys`,
  };

  const closed = (key?: string) => new CheckpointError('closed', { key, adapter: NAME });
  const openKey = (key: string) => {
    if (disposed) throw closed(key);
    checkKey(key, NAME);
  };

  const getClient = async (): Promise<Redis> => {
    if (client) return client;
    clientPromise ??= (async () => {
      const mod = await loadDriver(NAME, 'ioredis', options.driver ?? (() => import('ioredis')));
      const RedisClass = mod.Redis;
      const clientOptions: RedisOptions = {
        lazyConnect: true,
        // ioredis resends unanswered commands after a reconnect; the write script
        // recognises its own token, so a resent write cannot conflict with itself.
        maxRetriesPerRequest: 2,
        retryStrategy: (times) => (times > 6 ? null : backoffDelay(times - 1, { minMs: 50, maxMs: 500 })),
        ...options.clientOptions,
      };
      // ioredis 6 types `replyMapping` without `| undefined`, which exactOptionalPropertyTypes rejects.
      const created = new RedisClass(
        options.url ?? 'redis://127.0.0.1:6379',
        clientOptions as Omit<RedisOptions, 'replyMapping'>,
      );
      // Connection trouble surfaces on the commands; an unheard 'error' event would crash the process.
      created.on('error', () => undefined);
      ownClient = created;
      client = created;
      return created;
    })();
    return clientPromise;
  };

  const liveClient = async (): Promise<Redis> => {
    const c = await getClient();
    // Our client gave up reconnecting (retryStrategy): this call is what asks for it again.
    // A failed connect shows on the command that follows, as `connection`.
    if (c === ownClient && c.status === 'end') await c.connect().catch(() => undefined);
    return c;
  };

  const checkDurability = (c: Redis): Promise<void> => {
    checked ??= (async () => {
      let appendonly: string | undefined;
      let appendfsync: string | undefined;
      try {
        const [a, f] = await Promise.all([
          c.call('CONFIG', ['GET', 'appendonly']),
          c.call('CONFIG', ['GET', 'appendfsync']),
        ]);
        appendonly = (a as string[])[1];
        appendfsync = (f as string[])[1];
      } catch (error) {
        if (codeOf(error) === 'connection') throw error;
        // Managed services often disable CONFIG; then durability cannot be verified.
      }
      let problem: string | undefined;
      if (appendonly === undefined || appendfsync === undefined) {
        problem = 'its persistence settings cannot be read (CONFIG GET is not allowed)';
      } else if (appendonly !== 'yes') {
        problem = 'it runs with appendonly no: acknowledged checkpoints are lost when Redis restarts';
      } else if (appendfsync !== 'always') {
        problem = `it runs with appendfsync ${appendfsync}: the last acknowledged checkpoints can be lost in a crash`;
      }
      if (problem === undefined) return;
      const advice = 'Set appendonly yes and appendfsync always on the server';
      if (strict) {
        throw new CheckpointError('invalid-option', {
          adapter: NAME,
          detail: `strict: true refuses this Redis server: ${problem}. ${advice}, or drop strict to accept the risk`,
          data: { appendonly, appendfsync },
        });
      }
      warn(`xstate-checkpoint [redis]: ${problem}. ${advice}, or pass strict: true to refuse such servers.`);
    })().catch((error: unknown) => {
      // A refusal stays; a connection failure is checked again on the next call.
      if (!(isCheckpointError(error) && error.code === 'invalid-option')) checked = undefined;
      throw error;
    });
    return checked;
  };

  const evalScript = async (c: Redis, s: Script, keys: string[], args: Array<string | Buffer | number>) => {
    try {
      return await c.callBuffer('EVALSHA', [s.sha, keys.length, ...keys, ...args]);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      return c.callBuffer('EVAL', [s.source, keys.length, ...keys, ...args]);
    }
  };

  /** Runs one script; retries after a lost connection when `retry` allows (reads, and writes made safe). */
  const run = async (
    details: CheckpointErrorDetails,
    s: Script,
    keys: string[],
    args: Array<string | Buffer | number> | (() => Array<string | Buffer | number>),
    retry: boolean,
    onLost?: () => void,
  ): Promise<unknown> => {
    for (let attempt = 0; ; attempt++) {
      if (disposed) throw closed(details.key);
      try {
        const c = await liveClient();
        await checkDurability(c);
        return await evalScript(c, s, keys, typeof args === 'function' ? args() : args);
      } catch (error) {
        const mapped = fail(error, details);
        if (mapped.code !== 'connection') throw mapped;
        onLost?.();
        if (!retry || attempt + 1 >= attempts) throw mapped;
        await pause(clock, backoffDelay(attempt, { minMs: 50, maxMs: 1000, jitter: true }));
      }
    }
  };

  const leases = serverLeases({
    adapter: NAME,
    clock,
    defaultTtl,
    renewInBackground: renewLeases,
    disposed: () => disposed,
    statements: {
      take: async (key, ttlMs) => {
        const [epoch, holder, expires, now] = (await run(
          { key },
          scripts.acquire,
          [k.head(key)],
          [owner, ttlMs],
          false,
        )) as [number, Buffer, number, number];
        if (epoch > 0) return { epoch, expiresAt: expires };
        return { holder: { owner: text(holder), expiresAt: expires, untilExpiry: expires - now } };
      },
      extend: async (key, epoch, ttl) => {
        const until = await run({ key }, scripts.renew, [k.head(key)], [owner, epoch, ttl], true);
        return until === null ? undefined : Number(until);
      },
      free: async (key, epoch) => {
        await run({ key }, scripts.release, [k.head(key)], [owner, epoch], true);
      },
    },
  });

  return {
    name: NAME,
    capabilities: { durable: strict, crossProcess: true, locks: true },

    async list(key) {
      openKey(key);
      const reply = (await run({ key }, scripts.list, [k.gens(key), k.meta(key), k.bytes(key)], [], true)) as Buffer[];
      const out: GenerationInfo[] = [];
      for (let i = 0; i + 1 < reply.length; i += 2) out.push(parseMeta(Number(text(reply[i])), text(reply[i + 1])));
      return out;
    },

    async readNewest(key) {
      openKey(key);
      const reply = (await run(
        { key },
        scripts.readNewest,
        [k.gens(key), k.meta(key), k.bytes(key), k.quarantine(key)],
        [],
        true,
      )) as [number, number, Buffer, ...Buffer[]];
      const [quarantinedSeq, epoch, bytes, ...rest] = reply;
      const seqs = rest.map((seq) => Number(text(seq)));
      const newest = seqs[0] === undefined || bytes.length === 0 ? undefined : { seq: seqs[0], bytes: toBytes(bytes) };
      return { seqs, quarantinedSeq: Number(quarantinedSeq), epoch: Number(epoch), newest };
    },

    async read(key, seq) {
      openKey(key);
      const reply = await run({ key, seq }, scripts.read, [k.gens(key), k.bytes(key)], [seq], true);
      return Buffer.isBuffer(reply) ? toBytes(reply) : undefined;
    },

    async write(key, record) {
      openKey(key);
      checkRecord(NAME, key, record);
      const { seq, epoch, bytes } = record;
      const token = randomBytes(8).toString('hex');
      const meta = `${epoch}|${bytes.length}|${record.createdAt}|${token}`;
      const payload = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const markLost = () => inDoubt.mark(key, seq);
      // Retrying is safe: the script recognises an earlier attempt of this write
      // (same token, or same bytes and epoch while in doubt) instead of conflicting.
      const reply = (await run(
        { key, seq },
        scripts.write,
        [k.head(key), k.gens(key), k.meta(key), k.bytes(key), k.keys, k.notices(key)],
        () => [seq, epoch, meta, payload, key, token, inDoubt.has(key, seq) ? '1' : '0'],
        true,
        markLost,
      )) as [Buffer, number, number];
      inDoubt.settle(key, seq);
      const outcome = text(reply[0]);
      if (outcome === 'ok') return;
      const [, headSeq, headEpoch] = reply;
      throw refusedWrite({ adapter: NAME, key, seq, epoch, headSeq, headEpoch });
    },

    async remove(key, seq) {
      openKey(key);
      await run({ key, seq }, scripts.remove, [k.gens(key), k.meta(key), k.bytes(key), k.keys], [seq, key], true);
    },

    async keys() {
      if (disposed) throw closed();
      const c = await liveClient();
      try {
        await checkDurability(c);
        return await c.smembers(k.keys);
      } catch (error) {
        throw fail(error, {});
      }
    },

    async quarantine(key, seq, reason) {
      openKey(key);
      const reply = await run(
        { key, seq },
        scripts.quarantine,
        [k.gens(key), k.meta(key), k.quarantine(key), k.keys, k.qkeys],
        [seq, reason, key],
        false,
      );
      if (reply === null) throw new CheckpointError('not-found', { key, seq, adapter: NAME });
      return parseQuarantine(key, seq, `${text(reply)}\n${reason}`);
    },

    async listQuarantine(key) {
      if (key !== undefined) openKey(key);
      else if (disposed) throw closed();
      const c = await liveClient();
      try {
        await checkDurability(c);
        const keys = key === undefined ? await c.smembers(k.qkeys) : [key];
        const out: QuarantineInfo[] = [];
        for (const one of keys) {
          const entries = await c.hgetall(k.quarantine(one));
          for (const [seq, value] of Object.entries(entries)) out.push(parseQuarantine(one, Number(seq), value));
        }
        return out.sort((a, b) => b.quarantinedAt - a.quarantinedAt || b.seq - a.seq);
      } catch (error) {
        throw fail(error, key === undefined ? {} : { key });
      }
    },

    async readQuarantined(key, id) {
      openKey(key);
      if (!/^[1-9][0-9]{0,15}$/.test(id)) return undefined;
      const reply = await run({ key }, scripts.readQuarantined, [k.quarantine(key), k.bytes(key)], [id], true);
      return Buffer.isBuffer(reply) ? toBytes(reply) : undefined;
    },

    async deleteQuarantined(key, id) {
      openKey(key);
      if (!/^[1-9][0-9]{0,15}$/.test(id)) return;
      await run({ key }, scripts.deleteQuarantined, [k.quarantine(key), k.bytes(key), k.qkeys], [id, key], true);
    },

    subscribe(key, listener) {
      openKey(key);
      notices ??= redisNotices({
        // Keeps reconnecting while someone listens (closed with the last listener or dispose).
        connect: async () =>
          (await getClient()).duplicate<Partial<RedisOptions>>({
            lazyConnect: true,
            retryStrategy: (times: number) => backoffDelay(times - 1, { minMs: 100, maxMs: 5000 }),
          }),
        channelOf: k.notices,
        heads: async (keys) => {
          const c = await getClient();
          const heads = await Promise.all(keys.map((one) => c.hmget(k.head(one), 'seq', 'epoch')));
          return heads.flatMap(([seq, epoch], i) =>
            seq ? [{ key: keys[i]!, seq: Number(seq), epoch: Number(epoch ?? 0) }] : [],
          );
        },
      });
      return notices.subscribe(key, listener);
    },

    async acquire(key, acquireOptions = {}) {
      openKey(key);
      return leases.acquire(key, acquireOptions);
    },

    async dispose() {
      if (disposed) return;
      await leases.releaseAll();
      disposed = true;
      inDoubt.clear();
      await notices?.close();
      if (ownClient) await ownClient.quit().catch(() => ownClient?.disconnect());
    },
  };
}
