--[[
  add: schedules tasks of one handler name; re-adding a task moves its due time (last write wins).

  KEYS[1] due       ZSET  taskInfo -> due time (Unix ms)
  KEYS[2] attempts  HASH  taskInfo -> attempts already used
  KEYS[3] suspects  SET   tasks whose last lease expired (see claim.lua)
  KEYS[4] claims    HASH  taskInfo -> claim of the run holding the lease (see claim.lua)
  KEYS[5] dead      ZSET  taskInfo -> time it was given up
  KEYS[6] deadInfo  HASH  taskInfo -> JSON of a dead task
  ARGV[1] handler name
  ARGV[2] wake channel (pub/sub; not a key; in the keys' slot)
  ARGV[3] publish command: PUBLISH on a standalone server, SPUBLISH on a cluster
  ARGV[4..] pairs of (dueTimeMs, taskInfo)

  Returns the delay in ms (Redis time) until the earliest added task if the add made it the
  earliest of its name, else -1. In that case "<delayMs> <name>" is published on the channel.
  The registry of names lives in another slot: the caller writes it apart from this script.

  Invariants: a task has one identity (name, taskInfo) in every state; adding it again starts a
  fresh life: its attempt count and suspicion are reset, its dead entry (if any) is deleted, and
  a run in progress is superseded (its claim gets the '+' mark): that run may finish, but its
  outcome (success, failure, lease expiry) no longer charges the task, and the new schedule waits
  until that run's lease ends.
  TIME and PUBLISH (which ACL may refuse) come before the first write, so a refusal writes nothing.
]]
local due, attempts, suspects, claims, dead, deadInfo = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
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

local delayMs = -1
if previousFirst == nil or earliest < tonumber(previousFirst) then
  local time = redis.call('TIME')
  local nowMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
  delayMs = math.max(0, math.ceil(earliest - nowMs))
  redis.call(publish, channel, delayMs .. ' ' .. name)
end

local superseded = {}
if redis.call('EXISTS', claims) == 1 then
  local held = redis.call('HMGET', claims, unpack(members))
  for j, claim in ipairs(held) do
    if claim and string.find('!+', string.sub(claim, 1, 1), 1, true) == nil then
      superseded[#superseded + 1] = members[j]
      superseded[#superseded + 1] = '+' .. claim
    end
  end
end

redis.call('ZADD', due, unpack(zaddArgs))
if #superseded > 0 then
  redis.call('HSET', claims, unpack(superseded))
end
if redis.call('EXISTS', attempts) == 1 then
  redis.call('HDEL', attempts, unpack(members))
end
if redis.call('EXISTS', suspects) == 1 then
  redis.call('SREM', suspects, unpack(members))
end
if redis.call('EXISTS', dead) == 1 then
  redis.call('ZREM', dead, unpack(members))
  redis.call('HDEL', deadInfo, unpack(members))
end
return delayMs
