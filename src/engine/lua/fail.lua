--[[
  fail: records a failed run; schedules a retry or gives the task up to the dead set.

  KEYS[1] due       ZSET  taskInfo -> due time
  KEYS[2] lease     ZSET  taskInfo -> lease expiry
  KEYS[3] claims    HASH  taskInfo -> claim of the holder (see claim.lua)
  KEYS[4] attempts  HASH  taskInfo -> attempts already used
  KEYS[5] dead      ZSET  taskInfo -> time it was given up
  KEYS[6] deadInfo  HASH  taskInfo -> JSON {error, attempts, diedAtMs, dueTimeMs}
  KEYS[7] suspects  SET   tasks whose last lease expired (see claim.lua)
  KEYS[8] recurring HASH  taskInfo -> schedule of a recurring task (recurrence.ts)
  KEYS[9] ticks     HASH  taskInfo -> "<startMs>" of a running recurring tick
  KEYS[10] advance  SET   recurring tasks whose tick ended, waiting for their next tick
  ARGV[1] taskInfo
  ARGV[2] token
  ARGV[3] error         text of the handler's error
  ARGV[4] maxAttempts   1 + retries
  ARGV[5] retryDelayMs  delay before the next attempt, by Redis time
  ARGV[6] handler name
  ARGV[7] wake channel (pub/sub; not a key; in the keys' slot)
  ARGV[8] publish command: PUBLISH on a standalone server, SPUBLISH on a cluster
  ARGV[9] deadMaxTasks  dead-set retention: most dead tasks kept (see claim.lua's trimDeadSet)
  ARGV[10] deadMaxAgeMs dead-set retention: oldest death kept

  Returns 0 NOT_HOLDER (lease lost: nothing changed), 1 RETRY, 2 DEAD, 3 DETACHED (the task was
  removed or re-added while it ran: not retried, the lease is freed).
  A retry that becomes the earliest task of its name publishes "<delayMs> <name>".

  Invariant: only the holder of the current claim can retry a task, so a removed task is never
  retried, and a run superseded by a re-add (see claim.lua) neither uses an attempt of the new
  schedule nor sends it to the dead set: it only frees its lease. A handler that failed did not
  crash its node, so the task is no longer a suspect. TIME and PUBLISH (which ACL may refuse)
  come before the first write. A recurring tick ends (into `advance`) only when its current run
  dies; a retry keeps the tick going, and a detached run neither ends nor advances it.
]]
local due, lease, claims, attempts, dead, deadInfo, suspects = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local member, token, err = ARGV[1], ARGV[2], ARGV[3]
local maxAttempts, retryDelayMs, name, channel, publish = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], ARGV[7], ARGV[8]
local deadMaxTasks, deadMaxAgeMs = tonumber(ARGV[9]), tonumber(ARGV[10])
local recurring, ticks, advance = KEYS[8], KEYS[9], KEYS[10]

local claim = redis.call('HGET', claims, member)
if claim ~= token and claim ~= '+' .. token and claim ~= '!' .. token then
  return 0
end
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local previousFirst = tonumber(redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')[2])

if claim ~= token then
  local waitingDueMs = tonumber(redis.call('ZSCORE', due, member))
  if waitingDueMs then
    redis.call(publish, channel, math.max(0, math.ceil(waitingDueMs - nowMs)) .. ' ' .. name)
  end
  redis.call('ZREM', lease, member)
  redis.call('HDEL', claims, member)
  return 3
end

local used = (tonumber(redis.call('HGET', attempts, member)) or 0) + 1
if used >= maxAttempts then
  redis.call('ZREM', lease, member)
  redis.call('HDEL', claims, member)
  redis.call('SREM', suspects, member)
  redis.call('HDEL', attempts, member)
  redis.call('ZADD', dead, math.floor(nowMs), member)
  local dueTimeMs = tonumber(string.match(token, '|(.*)$'))
  redis.call('HSET', deadInfo, member, cjson.encode({ error = err, attempts = used, diedAtMs = math.floor(nowMs), dueTimeMs = dueTimeMs }))
  -- Dead-set retention, trimmed as tasks die, as in claim.lua: the head of the set by death time.
  local tooOld = redis.call('ZCOUNT', dead, '-inf', '(' .. math.floor(nowMs - deadMaxAgeMs))
  local drop = math.min(math.max(tooOld, redis.call('ZCARD', dead) - deadMaxTasks), 1000)
  if drop > 0 then
    local oldest = redis.call('ZRANGE', dead, 0, drop - 1)
    redis.call('ZREM', dead, unpack(oldest))
    redis.call('HDEL', deadInfo, unpack(oldest))
  end
  -- Recurring tasks (issue 11): a dead tick ends too; it waits in `advance` for its next one.
  if redis.call('HEXISTS', recurring, member) == 1 then
    redis.call('HSET', ticks, member, string.match(redis.call('HGET', ticks, member) or '', '^[^|]*') .. '|dead')
    redis.call('SADD', advance, member)
  end
  return 2
end
local retryAtMs = math.floor(nowMs + retryDelayMs)
if previousFirst == nil or retryAtMs < previousFirst then
  redis.call(publish, channel, math.max(0, math.ceil(retryAtMs - nowMs)) .. ' ' .. name)
end
redis.call('ZREM', lease, member)
redis.call('HDEL', claims, member)
redis.call('SREM', suspects, member)
redis.call('HSET', attempts, member, used)
redis.call('ZADD', due, 'NX', retryAtMs, member)
return 1
