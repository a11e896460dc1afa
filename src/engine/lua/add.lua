--[[
  add: schedules tasks of one handler name; re-adding a task moves its due time (last write wins).

  KEYS[1] due       ZSET  taskInfo -> due time (Unix ms)
  KEYS[2] attempts  HASH  taskInfo -> attempts already used
  KEYS[3] names     SET   every handler name that has had a task
  KEYS[4] suspects  SET   tasks whose last lease expired (see claim.lua)
  KEYS[5] claims    HASH  taskInfo -> claim of the run holding the lease (see claim.lua)
  ARGV[1] handler name
  ARGV[2] wake channel (pub/sub; not a key)
  ARGV[3..] pairs of (dueTimeMs, taskInfo)

  Returns the delay in ms (Redis time) until the earliest added task if the add made it the
  earliest of its name, else -1. In that case "<delayMs> <name>" is published on the channel.

  Invariants: a task has one identity (name, taskInfo) in every state; adding it again starts a
  fresh life: its attempt count and suspicion are reset, and a run in progress is superseded
  (its claim gets the '+' mark): that run may finish, but its outcome (success, failure, lease
  expiry) no longer charges the task, and the new schedule waits until that run's lease ends.
  TIME and PUBLISH (which ACL may refuse) come before the first write, so a refusal writes nothing.
]]
local due, attempts, names, suspects, claims = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
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

local delayMs = -1
if previousFirst == nil or earliest < tonumber(previousFirst) then
  local time = redis.call('TIME')
  local nowMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
  delayMs = math.max(0, math.ceil(earliest - nowMs))
  redis.call('PUBLISH', channel, delayMs .. ' ' .. name)
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
redis.call('SADD', names, name)
return delayMs
