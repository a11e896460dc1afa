--[[
  add: schedules tasks of one handler name; re-adding a task moves its due time (last write wins).

  KEYS[1] due       ZSET  taskInfo -> due time (Unix ms)
  KEYS[2] attempts  HASH  taskInfo -> attempts already used
  KEYS[3] suspects  SET   tasks whose last lease expired (see claim.lua)
  ARGV[1] handler name
  ARGV[2] wake channel (pub/sub; not a key; in the keys' slot)
  ARGV[3] publish command: PUBLISH on a standalone server, SPUBLISH on a cluster
  ARGV[4..] pairs of (dueTimeMs, taskInfo)

  Returns the delay in ms (Redis time) until the earliest added task if the add made it the
  earliest of its name, else -1. In that case "<delayMs> <name>" is published on the channel.
  The registry of names lives in another slot: the caller writes it apart from this script.

  Invariant: a task has one identity (name, taskInfo) in every state; adding it again resets its
  attempt count and suspicion, so a re-added task starts with a full set of retries.
]]
local due, attempts, suspects = KEYS[1], KEYS[2], KEYS[3]
local name, channel, publish = ARGV[1], ARGV[2], ARGV[3]

local previousFirst = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')[2]
local zaddArgs, members, earliest = {}, {}, nil
for i = 4, #ARGV, 2 do
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

if previousFirst ~= nil and earliest >= tonumber(previousFirst) then
  return -1
end
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local delayMs = math.max(0, math.ceil(earliest - nowMs))
redis.call(publish, channel, delayMs .. ' ' .. name)
return delayMs
