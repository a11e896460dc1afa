--[[
  recurring-upsert: creates or replaces the schedule of a recurring task and schedules its first tick.

  KEYS[1] recurring HASH  taskInfo -> JSON schedule record (recurrence.ts)
  KEYS[2] ticks     HASH  taskInfo -> start of the running tick, and its outcome once ended
  KEYS[3] advance   SET   recurring tasks whose tick ended, waiting for their next tick
  KEYS[4] due       ZSET  taskInfo -> due time (Unix ms)
  KEYS[5] lease     ZSET  taskInfo -> lease expiry
  KEYS[6] attempts  HASH  taskInfo -> attempts already used
  KEYS[7] suspects  SET   tasks whose last lease expired (see claim.lua)
  ARGV[1] handler name
  ARGV[2] wake channel (pub/sub; not a key)
  ARGV[3] taskInfo
  ARGV[4] the record the caller read ("" for none): the write happens only if it is still there
  ARGV[5] the new record
  ARGV[6] due time of the first tick (Unix ms)

  Returns { 0 } CHANGED_MEANWHILE (nothing written: read again), or { 1, delayMs } WRITTEN, where
  delayMs >= 0 is the wake-up published as "<delayMs> <name>" when the tick became the earliest of
  its name, else -1.

  Invariant: a schedule is replaced as a whole, from the version the caller computed it from, so
  nodes racing to register the same schedule at start write it once and change nothing after.
  A tick running now is left alone (ticks never overlap): its end schedules the next one from the
  new schedule. Otherwise the replaced schedule's pending tick, retry or advance is dropped.
]]
local recurring, ticks, advance, due, lease, attempts, suspects = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local name, channel, member, expected, record = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local firstDueMs = tonumber(ARGV[6])

if (redis.call('HGET', recurring, member) or '') ~= expected then
  return { 0 }
end
local running = redis.call('ZSCORE', lease, member)
local delayMs = -1
if not running then
  local previousFirst = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')[2]
  if previousFirst == nil or firstDueMs < tonumber(previousFirst) then
    local time = redis.call('TIME')
    local nowMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
    delayMs = math.max(0, math.ceil(firstDueMs - nowMs))
    redis.call('PUBLISH', channel, delayMs .. ' ' .. name)
  end
end

redis.call('HSET', recurring, member, record)
if not running then
  redis.call('ZADD', due, firstDueMs, member)
  redis.call('HDEL', attempts, member)
  redis.call('SREM', suspects, member)
  redis.call('HDEL', ticks, member)
  redis.call('SREM', advance, member)
end
return { 1, delayMs }
