--[[
  legacy-adopt: adds tasks moved from the published scheduler to one handler name, with the attempts
  they used there. It is add.lua with an attempt count per task: keep the two in step.

  KEYS[1] due       ZSET  taskInfo -> due time (Unix ms)
  KEYS[2] attempts  HASH  taskInfo -> attempts already used
  KEYS[3] names     SET   every handler name that has had a task
  KEYS[4] suspects  SET   tasks whose last lease expired (see claim.lua)
  ARGV[1] handler name
  ARGV[2] wake channel (pub/sub; not a key)
  ARGV[3..] triples of (dueTimeMs, taskInfo, attemptsUsed)

  Returns, like add.lua, the delay in ms until the earliest task if it became the earliest of its
  name (then "<delayMs> <name>" is published), else -1.

  Invariant: an adopted task is an add like any other (last write wins: its due time replaces the
  one already scheduled), except that it keeps the failures it had: "RETRY-<n>:" is n attempts used.
  TIME and PUBLISH come before the first write, so a refusal of either leaves nothing written.
]]
local due, attempts, names, suspects = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local name, channel = ARGV[1], ARGV[2]

local previousFirst = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')[2]
local earliest = nil
for i = 3, #ARGV, 3 do
  local dueTimeMs = tonumber(ARGV[i])
  if earliest == nil or dueTimeMs < earliest then earliest = dueTimeMs end
end
local delayMs = -1
if previousFirst == nil or earliest < tonumber(previousFirst) then
  local time = redis.call('TIME')
  local nowMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
  delayMs = math.max(0, math.ceil(earliest - nowMs))
  redis.call('PUBLISH', channel, delayMs .. ' ' .. name)
end

for i = 3, #ARGV, 3 do
  local member, used = ARGV[i + 1], tonumber(ARGV[i + 2])
  redis.call('ZADD', due, tonumber(ARGV[i]), member)
  if used > 0 then
    redis.call('HSET', attempts, member, used)
  else
    redis.call('HDEL', attempts, member)
  end
  redis.call('SREM', suspects, member)
end
redis.call('SADD', names, name)
return delayMs
