--[[
  release: hands leased tasks back at once (graceful shutdown) without using an attempt.

  KEYS[1] due     ZSET  taskInfo -> due time
  KEYS[2] lease   ZSET  taskInfo -> lease expiry
  KEYS[3] claims  HASH  taskInfo -> claim of the holder (see claim.lua)
  ARGV[1] handler name
  ARGV[2] wake channel (pub/sub; not a key; in the keys' slot)
  ARGV[3] publish command: PUBLISH on a standalone server, SPUBLISH on a cluster
  ARGV[4..] triples of (taskInfo, token, dueTimeMs)

  Returns how many tasks were handed back; publishes "<delayMs> <name>" so that peers take them
  at once (before any write, as ACL may refuse PUBLISH).

  Invariant: only the holder releases; the task goes back under its original due time (so it is
  due at once) unless it was re-added meanwhile, in which case the newer due time stands. A
  cancelled run (the task was removed) only frees its lease.
]]
local due, lease, claims = KEYS[1], KEYS[2], KEYS[3]
local name, channel, publish = ARGV[1], ARGV[2], ARGV[3]
local back, freed, wakeAtMs = {}, {}, nil
for i = 4, #ARGV, 3 do
  local member, token, dueTimeMs = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local claim = redis.call('HGET', claims, member)
  if claim == token or claim == '+' .. token or claim == '!' .. token then
    local atMs = tonumber(redis.call('ZSCORE', due, member))
    if claim == token then
      back[#back + 1] = { member, dueTimeMs }
      atMs = atMs or dueTimeMs
    else
      freed[#freed + 1] = member
    end
    if atMs and (wakeAtMs == nil or atMs < wakeAtMs) then wakeAtMs = atMs end
  end
end
if wakeAtMs then
  local time = redis.call('TIME')
  local nowMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
  redis.call(publish, channel, math.max(0, math.ceil(wakeAtMs - nowMs)) .. ' ' .. name)
end
for _, entry in ipairs(back) do
  redis.call('ZREM', lease, entry[1])
  redis.call('HDEL', claims, entry[1])
  redis.call('ZADD', due, 'NX', entry[2], entry[1])
end
for _, member in ipairs(freed) do
  redis.call('ZREM', lease, member)
  redis.call('HDEL', claims, member)
end
return #back
