--[[
  fail: records a failed run; schedules a retry or gives the task up to the dead set.

  KEYS[1] due       ZSET  taskInfo -> due time
  KEYS[2] lease     ZSET  taskInfo -> lease expiry
  KEYS[3] claims    HASH  taskInfo -> claim token of the holder (see claim.lua)
  KEYS[4] attempts  HASH  taskInfo -> attempts already used
  KEYS[5] dead      ZSET  taskInfo -> time it was given up
  KEYS[6] deadInfo  HASH  taskInfo -> JSON {error, attempts, diedAtMs}
  KEYS[7] suspects  SET   tasks whose last lease expired (see claim.lua)
  KEYS[8] recurring HASH  taskInfo -> schedule of a recurring task (recurrence.ts)
  KEYS[9] ticks     HASH  taskInfo -> "<startMs>" of a running recurring tick
  KEYS[10] advance  SET   recurring tasks whose tick ended, waiting for their next tick
  ARGV[1] taskInfo
  ARGV[2] token
  ARGV[3] error         text of the handler's error
  ARGV[4] maxAttempts   1 + retries
  ARGV[5] retryDelayMs  delay before the next attempt, by Redis time

  Returns 0 NOT_HOLDER (lease lost or task removed: nothing changed), 1 RETRY, 2 DEAD.

  Invariant: only the holder of the current claim can retry a task, so a removed task is never
  retried. A task re-added while it ran keeps the due time it was given. A handler that failed
  did not crash its node, so the task is no longer a suspect.
]]
local due, lease, claims, attempts, dead, deadInfo, suspects = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local recurring, ticks, advance = KEYS[8], KEYS[9], KEYS[10]
local member, token, err = ARGV[1], ARGV[2], ARGV[3]
local maxAttempts, retryDelayMs = tonumber(ARGV[4]), tonumber(ARGV[5])

if redis.call('HGET', claims, member) ~= token then
  return 0
end
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local used = (tonumber(redis.call('HGET', attempts, member)) or 0) + 1
redis.call('ZREM', lease, member)
redis.call('HDEL', claims, member)
redis.call('SREM', suspects, member)
if used >= maxAttempts then
  redis.call('HDEL', attempts, member)
  redis.call('ZADD', dead, nowMs, member)
  redis.call('HSET', deadInfo, member, cjson.encode({ error = err, attempts = used, diedAtMs = nowMs }))
  -- Recurring tasks (issue 11): a dead tick ends too; it waits in `advance` for its next one.
  if redis.call('HEXISTS', recurring, member) == 1 then
    redis.call('HSET', ticks, member, string.match(redis.call('HGET', ticks, member) or '', '^[^|]*') .. '|dead')
    redis.call('SADD', advance, member)
  end
  return 2
end
redis.call('HSET', attempts, member, used)
redis.call('ZADD', due, 'NX', math.floor(nowMs + retryDelayMs), member)
return 1
