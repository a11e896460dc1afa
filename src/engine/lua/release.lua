--[[
  release: hands leased tasks back at once (graceful shutdown) without using an attempt.

  KEYS[1] due     ZSET  taskInfo -> due time
  KEYS[2] lease   ZSET  taskInfo -> lease expiry
  KEYS[3] claims  HASH  taskInfo -> claim token of the holder (see claim.lua)
  ARGV    triples of (taskInfo, token, dueTimeMs)

  Returns how many tasks were handed back.

  Invariant: only the holder releases; the task goes back under its original due time (so it is
  due at once) unless it was re-added meanwhile, in which case the newer due time stands.
]]
local due, lease, claims = KEYS[1], KEYS[2], KEYS[3]
local released = 0
for i = 1, #ARGV, 3 do
  local member, token, dueTimeMs = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('HGET', claims, member) == token then
    redis.call('ZREM', lease, member)
    redis.call('HDEL', claims, member)
    redis.call('ZADD', due, 'NX', dueTimeMs, member)
    released = released + 1
  end
end
return released
