--[[
  legacy-adopt: adds tasks moved from the published scheduler to one handler name, with the attempts
  they used there. It is add.lua with an attempt count per task: keep the two in step.

  KEYS[1] due       ZSET  taskInfo -> due time (Unix ms)
  KEYS[2] attempts  HASH  taskInfo -> attempts already used
  KEYS[3] suspects  SET   tasks whose last lease expired (see claim.lua)
  KEYS[4] claims    HASH  taskInfo -> claim of the run holding the lease (see claim.lua)
  KEYS[5] dead      ZSET  taskInfo -> time it was given up
  KEYS[6] deadInfo  HASH  taskInfo -> JSON of a dead task
  ARGV[1] handler name
  ARGV[2] wake channel (pub/sub; not a key; in the keys' slot)
  ARGV[3] publish command: PUBLISH on a standalone server, SPUBLISH on a cluster
  ARGV[4..] triples of (dueTimeMs, taskInfo, attemptsUsed)

  Returns, like add.lua, the delay in ms until the earliest task if it became the earliest of its
  name (then "<delayMs> <name>" is published), else -1. The registry of names lives in another
  slot: the caller writes it apart from this script.

  Invariant: an adopted task is an add like any other (last write wins: its due time replaces the
  one already scheduled, a run in progress is superseded and a dead entry deleted, as add.lua
  does), except that it keeps the failures it had: "RETRY-<n>:" is n attempts used. TIME and PUBLISH come before the first
  write, so a refusal of either leaves nothing written.
]]
local due, attempts, suspects, claims, dead, deadInfo = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local name, channel, publish = ARGV[1], ARGV[2], ARGV[3]

local previousFirst = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')[2]
local earliest = nil
for i = 4, #ARGV, 3 do
  local dueTimeMs = tonumber(ARGV[i])
  if earliest == nil or dueTimeMs < earliest then earliest = dueTimeMs end
end
local delayMs = -1
if previousFirst == nil or earliest < tonumber(previousFirst) then
  local time = redis.call('TIME')
  local nowMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
  delayMs = math.max(0, math.ceil(earliest - nowMs))
  redis.call(publish, channel, delayMs .. ' ' .. name)
end

for i = 4, #ARGV, 3 do
  local member, used = ARGV[i + 1], tonumber(ARGV[i + 2])
  local claim = redis.call('HGET', claims, member)
  if claim and string.find('!+', string.sub(claim, 1, 1), 1, true) == nil then
    redis.call('HSET', claims, member, '+' .. claim)
  end
  redis.call('ZADD', due, tonumber(ARGV[i]), member)
  if used > 0 then
    redis.call('HSET', attempts, member, used)
  else
    redis.call('HDEL', attempts, member)
  end
  redis.call('SREM', suspects, member)
  redis.call('ZREM', dead, member)
  redis.call('HDEL', deadInfo, member)
end
return delayMs
