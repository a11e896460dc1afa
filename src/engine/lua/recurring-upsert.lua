--[[
  recurring-upsert: creates or replaces the schedule of a recurring task and schedules its first tick.

  KEYS[1] recurring HASH  taskInfo -> JSON schedule record (recurrence.ts)
  KEYS[2] ticks     HASH  taskInfo -> start of the running tick, and its outcome once ended
  KEYS[3] advance   SET   recurring tasks whose tick ended, waiting for their next tick
  KEYS[4] due       ZSET  taskInfo -> due time (Unix ms)
  KEYS[5] claims    HASH  taskInfo -> claim of the run holding the lease (see claim.lua)
  KEYS[6] attempts  HASH  taskInfo -> attempts already used
  KEYS[7] suspects  SET   tasks whose last lease expired (see claim.lua)
  ARGV[1] handler name
  ARGV[2] wake channel (pub/sub; not a key; in the keys' slot)
  ARGV[3] publish command: PUBLISH on a standalone server, SPUBLISH on a cluster
  ARGV[4] taskInfo
  ARGV[5] the record the caller read ("" for none): the write happens only if it is still there
  ARGV[6] the new record
  ARGV[7] due time of the first tick (Unix ms)

  Returns { 0 } CHANGED_MEANWHILE (nothing written: read again), or { 1, delayMs } WRITTEN, where
  delayMs >= 0 is the wake-up published as "<delayMs> <name>" when the tick became the earliest of
  its name, else -1.

  Invariant: a schedule is replaced as a whole, from the version the caller computed it from, so
  nodes racing to register the same schedule at start write it once and change nothing after.
  A current run of the task is left alone (ticks never overlap): its end schedules the next one
  from the new schedule. Otherwise the replaced schedule's pending tick, retry or advance is
  dropped and the first tick is queued; behind a cancelled or superseded run (a marked claim, see
  claim.lua) it waits until that run's lease ends. TIME and PUBLISH come before the first write.
]]
local recurring, ticks, advance, due, claims, attempts, suspects = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local name, channel, publish, member, expected, record = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local firstDueMs = tonumber(ARGV[7])

if (redis.call('HGET', recurring, member) or '') ~= expected then
  return { 0 }
end
local claim = redis.call('HGET', claims, member)
local currentRun = claim and string.sub(claim, 1, 1) ~= '!' and string.sub(claim, 1, 1) ~= '+'
local delayMs = -1
if not currentRun then
  local previousFirst = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')[2]
  if not claim and (previousFirst == nil or firstDueMs < tonumber(previousFirst)) then
    local time = redis.call('TIME')
    local nowMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
    delayMs = math.max(0, math.ceil(firstDueMs - nowMs))
    redis.call(publish, channel, delayMs .. ' ' .. name)
  end
end

redis.call('HSET', recurring, member, record)
if not currentRun then
  redis.call('ZADD', due, firstDueMs, member)
  redis.call('HDEL', attempts, member)
  redis.call('SREM', suspects, member)
  redis.call('HDEL', ticks, member)
  redis.call('SREM', advance, member)
end
return { 1, delayMs }
