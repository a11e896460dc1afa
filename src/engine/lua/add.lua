--[[
  add: schedules tasks of one handler name; re-adding a task moves its due time (last write wins).

  KEYS[1] due       ZSET  taskInfo -> due time (Unix ms)
  KEYS[2] attempts  HASH  taskInfo -> attempts already used
  KEYS[3] names     SET   every handler name that has had a task
  KEYS[4] suspects  SET   tasks whose last lease expired (see claim.lua)
  KEYS[5] dead      ZSET  taskInfo -> time it was given up
  KEYS[6] deadInfo  HASH  taskInfo -> JSON of a dead task
  ARGV[1] handler name
  ARGV[2] wake channel (pub/sub; not a key)
  ARGV[3..] pairs of (dueTimeMs, taskInfo)

  Returns the delay in ms (Redis time) until the earliest added task if the add made it the
  earliest of its name, else -1. In that case "<delayMs> <name>" is published on the channel.

  Invariant: a task has one identity (name, taskInfo) in every state; adding it again resets its
  attempt count and suspicion, so a re-added task starts with a full set of retries, and takes it
  out of the dead set.
]]
local due, attempts, names, suspects, dead, deadInfo = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local name, channel = ARGV[1], ARGV[2]

local previousFirst = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')[2]
local zaddArgs, members, earliest = {}, {}, nil
for i = 3, #ARGV, 2 do
  local dueTimeMs = tonumber(ARGV[i])
  zaddArgs[#zaddArgs + 1] = dueTimeMs
  zaddArgs[#zaddArgs + 1] = ARGV[i + 1]
  members[#members + 1] = ARGV[i + 1]
  if earliest == nil or dueTimeMs < earliest then earliest = dueTimeMs end
end
redis.call('ZADD', due, unpack(zaddArgs))
if redis.call('EXISTS', attempts) == 1 then
  redis.call('HDEL', attempts, unpack(members))
end
if redis.call('EXISTS', suspects) == 1 then
  redis.call('SREM', suspects, unpack(members))
end
-- [operate, issue 12] a re-added dead task starts a new life: its dead entry goes
if redis.call('EXISTS', dead) == 1 then
  redis.call('ZREM', dead, unpack(members))
  redis.call('HDEL', deadInfo, unpack(members))
end
redis.call('SADD', names, name)

if previousFirst ~= nil and earliest >= tonumber(previousFirst) then
  return -1
end
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local delayMs = math.max(0, math.ceil(earliest - nowMs))
redis.call('PUBLISH', channel, delayMs .. ' ' .. name)
return delayMs
