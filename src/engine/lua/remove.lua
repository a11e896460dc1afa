--[[
  remove: cancels a task in every state: due, waiting for a retry, running, or dead.

  KEYS[1] due       ZSET  taskInfo -> due time
  KEYS[2] claims    HASH  taskInfo -> claim of the holder (see claim.lua)
  KEYS[3] attempts  HASH  taskInfo -> attempts already used
  KEYS[4] suspects  SET   tasks whose last lease expired (see claim.lua)
  KEYS[5] dead      ZSET  taskInfo -> time it was given up
  KEYS[6] deadInfo  HASH  taskInfo -> JSON of a dead task
  KEYS[7] recurring HASH  taskInfo -> schedule of a recurring task (recurrence.ts)
  KEYS[8] ticks     HASH  taskInfo -> start of a recurring tick
  KEYS[9] advance   SET   recurring tasks whose tick ended, waiting for their next tick
  ARGV[1] taskInfo
  ARGV[2] wake channel (pub/sub; not a key; in the keys' slot)
  ARGV[3] publish command: PUBLISH on a standalone server, SPUBLISH on a cluster

  Returns 1 if the task was scheduled, running, dead or recurring, 0 if it was not found.

  Invariant: a running task's claim is cancelled (marked '!', see claim.lua) but keeps its lease
  until the run ends, so a re-add waits behind it and the task never runs twice at once; the
  holder can neither retry nor complete it. "! <claim>" is published (before any write, as ACL
  may refuse PUBLISH) so the holder's node fires the handler's signal at once. A dead task's
  entry is deleted. Removing a recurring task ends its recurrence: its schedule, tick and pending
  advance go, and its cancelled run's end advances nothing (see complete.lua).
]]
local due, claims, attempts, suspects, dead, deadInfo = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local recurring, ticks, advance = KEYS[7], KEYS[8], KEYS[9]
local member, channel, publish = ARGV[1], ARGV[2], ARGV[3]
local scheduled = redis.call('ZSCORE', due, member)
local claim = redis.call('HGET', claims, member)
local running = claim and string.sub(claim, 1, 1) ~= '!'
if running then
  local live = string.sub(claim, 1, 1) == '+' and string.sub(claim, 2) or claim
  redis.call(publish, channel, '! ' .. live)
  redis.call('HSET', claims, member, '!' .. live)
end
redis.call('ZREM', due, member)
redis.call('HDEL', attempts, member)
redis.call('SREM', suspects, member)
local wasDead = redis.call('ZREM', dead, member) == 1
redis.call('HDEL', deadInfo, member)
local wasRecurring = redis.call('HDEL', recurring, member) == 1
redis.call('HDEL', ticks, member)
redis.call('SREM', advance, member)
return (scheduled or running or wasDead or wasRecurring) and 1 or 0
