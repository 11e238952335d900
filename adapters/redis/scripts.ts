import { createHash } from 'node:crypto';

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

/**
 * A Lua script and its SHA-1, so it runs by `EVALSHA` once the server has it.
 *
 * @example
 * ```ts
 * const s: Script = scripts.read;
 * await client.callBuffer('EVALSHA', [s.sha, 2, gensKey, bytesKey, 3]);
 * ```
 */
export interface Script {
  readonly source: string;
  readonly sha: string;
}
const script = (source: string): Script => ({ source, sha: createHash('sha1').update(source).digest('hex') });

/**
 * Every script the adapter runs, one per operation.
 *
 * @example
 * ```ts
 * await run(io, { key }, scripts.list, [io.k.gens(key), io.k.meta(key), io.k.bytes(key)], [], true);
 * ```
 */
export const scripts = {
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
