"""The Redis store's Lua scripts: each write is one script, so Redis runs its checks (the
lease's fence, the run's existence, a run's fixed fields) and its writes as one atomic
step, with no other command in between.

Every write script gets the lease's key as ``KEYS[1]`` and its owner and token as
``ARGV[1]`` and ``ARGV[2]`` (an empty token: no lease given). A script answers a table
whose first item says what happened: ``ok``; ``lost`` with the stored owner and token
(none when no lease is stored); ``missing`` with the run ids that do not exist;
``exists`` (another run has the id); ``locked`` with the holder and its lease's end.
Numbers travel as strings: Redis truncates a Lua number it returns to an integer.
"""

from __future__ import annotations

__all__ = [
    "ACQUIRE",
    "APPEND",
    "LOAD",
    "LOAD_SHARED",
    "PUT_IN_PLACE",
    "PUT_JOURNAL",
    "PUT_OUTPUTS",
    "PUT_RUN",
    "RELEASE",
    "RENEW",
]

_FENCE = """
local function fence()
  if ARGV[2] == '' then return nil end
  local held = redis.call('HMGET', KEYS[1], 'owner', 'token')
  if not held[1] then return {'lost'} end
  if held[1] ~= ARGV[1] or held[2] ~= ARGV[2] then return {'lost', held[1], held[2]} end
  return nil
end
"""

PUT_RUN = (
    _FENCE
    + """
-- KEYS: lease, run, runs, sequence, graph; ARGV: owner, token, fixed, state, created_at,
-- run id, graph description (written once per content hash)
local lost = fence()
if lost then return lost end
local stored = redis.call('HGET', KEYS[2], 'fixed')
if stored then
  if stored ~= ARGV[3] then return {'exists'} end
  redis.call('HSET', KEYS[2], 'state', ARGV[4])
  return {'ok'}
end
local sequence = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[2], 'fixed', ARGV[3], 'state', ARGV[4])
redis.call('SET', KEYS[5], ARGV[7], 'NX')
redis.call('ZADD', KEYS[3], ARGV[5], string.format('%020d', sequence) .. ARGV[6])
return {'ok'}
"""
)

_MISSING = """
local function missing(first_key, first_arg, count)
  local absent = {}
  for i = 0, count - 1 do
    if redis.call('EXISTS', KEYS[first_key + i]) == 0 then
      table.insert(absent, ARGV[first_arg + i])
    end
  end
  if #absent > 0 then return {'missing', unpack(absent)} end
  return nil
end
"""

PUT_OUTPUTS = (
    _FENCE
    + _MISSING
    + """
-- KEYS: lease, version, shared, run x R, outputs x O, (shared key, shared run) x S
-- ARGV: owner, token, R, O, S, run id x R, (node, value) x O, (field, value) x S
local runs, outputs, writes = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local lost = fence()
if lost then return lost end
local absent = missing(4, 6, runs)
if absent then return absent end
local key, arg = 3 + runs, 5 + runs
for i = 1, outputs do
  redis.call('HSET', KEYS[key + i], ARGV[arg + 2 * i - 1], ARGV[arg + 2 * i])
end
key, arg = key + outputs, arg + 2 * outputs
for i = 1, writes do
  local version = redis.call('INCR', KEYS[2])
  local field = ARGV[arg + 2 * i - 1]
  redis.call('HSET', KEYS[3], field, ARGV[arg + 2 * i])
  redis.call('ZADD', KEYS[key + 2 * i - 1], version, field)
  redis.call('ZADD', KEYS[key + 2 * i], version, field)
end
return {'ok'}
"""
)

APPEND = (
    _FENCE
    + _MISSING
    + """
-- KEYS: lease, run, list; ARGV: owner, token, run id, value
local lost = fence()
if lost then return lost end
local absent = missing(2, 3, 1)
if absent then return absent end
redis.call('RPUSH', KEYS[3], ARGV[4])
return {'ok'}
"""
)

PUT_IN_PLACE = (
    _FENCE
    + _MISSING
    + """
-- KEYS: lease, run, values, order; ARGV: owner, token, run id, field, value, head
-- A new field appends its head to the order; a known one keeps its place (and head).
local lost = fence()
if lost then return lost end
local absent = missing(2, 3, 1)
if absent then return absent end
if redis.call('HSET', KEYS[3], ARGV[4], ARGV[5]) == 1 then
  redis.call('RPUSH', KEYS[4], ARGV[6])
end
return {'ok'}
"""
)

PUT_JOURNAL = (
    _FENCE
    + _MISSING
    + """
-- KEYS: lease, run, journal; ARGV: owner, token, run id, D, field prefix x D,
-- (field, value) pairs
local lost = fence()
if lost then return lost end
local absent = missing(2, 3, 1)
if absent then return absent end
local discard = tonumber(ARGV[4])
if discard > 0 then
  for _, field in ipairs(redis.call('HKEYS', KEYS[3])) do
    for i = 5, 4 + discard do
      if string.sub(field, 1, #ARGV[i]) == ARGV[i] then
        redis.call('HDEL', KEYS[3], field)
        break
      end
    end
  end
end
for i = 5 + discard, #ARGV, 2 do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
end
return {'ok'}
"""
)

ACQUIRE = """
-- KEYS: lease; ARGV: owner, expires at, now, take from ('' with ARGV[5] '0': none)
local held = redis.call('HMGET', KEYS[1], 'owner', 'token', 'expires')
local token = 1
if held[1] then
  local mine = held[1] == ARGV[1]
  local taken = ARGV[5] == '1' and held[1] == ARGV[4]
  if not mine and not taken and tonumber(held[3]) > tonumber(ARGV[3]) then
    return {'locked', held[1], held[3]}
  end
  token = tonumber(held[2])
  if not mine then token = token + 1 end
end
token = string.format('%d', token)
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token, 'expires', ARGV[2])
return {'ok', token}
"""

RENEW = (
    _FENCE
    + """
-- KEYS: lease; ARGV: owner, token, expires at
local lost = fence()
if lost then return lost end
redis.call('HSET', KEYS[1], 'expires', ARGV[3])
return {'ok'}
"""
)

RELEASE = """
-- KEYS: lease; ARGV: owner, the released owner
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'expires', '0')
end
return {'ok'}
"""

LOAD = """
-- KEYS: run, outputs, failures, interrupts, interrupt order, journal, shared run, shared
local run = redis.call('HMGET', KEYS[1], 'fixed', 'state')
if not run[1] then return {} end
local shared = {}
for _, field in ipairs(redis.call('ZRANGE', KEYS[7], 0, -1)) do
  table.insert(shared, field)
  table.insert(shared, redis.call('ZSCORE', KEYS[7], field))
  table.insert(shared, redis.call('HGET', KEYS[8], field))
end
return {
  run[1], run[2], redis.call('HGETALL', KEYS[2]), redis.call('LRANGE', KEYS[3], 0, -1),
  redis.call('HGETALL', KEYS[4]), redis.call('LRANGE', KEYS[5], 0, -1),
  redis.call('HGETALL', KEYS[6]), shared
}
"""

LOAD_SHARED = """
-- KEYS: the key's writes, shared; answers {value, version} or {}
local top = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return {} end
return {redis.call('HGET', KEYS[2], top[1]), top[2]}
"""
