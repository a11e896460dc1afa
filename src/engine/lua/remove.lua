--[[
  remove: cancels a task in every state: due, waiting for a retry, or running.

  KEYS[1] due       ZSET  taskInfo -> due time
  KEYS[2] lease     ZSET  taskInfo -> lease expiry
  KEYS[3] claims    HASH  taskInfo -> claim token of the holder (see claim.lua)
  KEYS[4] attempts  HASH  taskInfo -> attempts already used
  KEYS[5] suspects  SET   tasks whose last lease expired (see claim.lua)
  KEYS[6] recurring HASH  taskInfo -> schedule of a recurring task (recurrence.ts)
  KEYS[7] ticks     HASH  taskInfo -> start of a recurring tick
  KEYS[8] advance   SET   recurring tasks whose tick ended, waiting for their next tick
  ARGV[1] taskInfo

  Returns 1 if the task was scheduled, running or recurring, 0 if it was not found.

  Invariant: a running task loses its claim, so its holder can neither retry it nor renew it
  (its handler sees its AbortSignal fire at the next renewal); dead-set history is kept.
]]
local due, lease, claims, attempts, suspects = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local recurring, ticks, advance = KEYS[6], KEYS[7], KEYS[8]
local member = ARGV[1]
local found = redis.call('ZREM', due, member) + redis.call('ZREM', lease, member)
redis.call('HDEL', claims, member)
redis.call('HDEL', attempts, member)
redis.call('SREM', suspects, member)
-- Recurring tasks (issue 11): removing one ends its recurrence.
found = found + redis.call('HDEL', recurring, member)
redis.call('HDEL', ticks, member)
redis.call('SREM', advance, member)
return found > 0 and 1 or 0
