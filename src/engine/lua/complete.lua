--[[
  complete: acknowledges tasks whose handler succeeded; removes them for good.

  KEYS[1] lease     ZSET  taskInfo -> lease expiry
  KEYS[2] claims    HASH  taskInfo -> claim token of the holder (see claim.lua)
  KEYS[3] attempts  HASH  taskInfo -> attempts already used
  ARGV    pairs of (taskInfo, token)

  Returns the 1-based positions of the pairs that were refused: their lease was lost (expired
  and reclaimed, or the task was removed) and they now belong to someone else or to no one.

  Invariant: only the holder of the current claim can remove a leased task; a late
  acknowledgement never deletes a task that was re-queued or re-added meanwhile.
]]
local lease, claims, attempts = KEYS[1], KEYS[2], KEYS[3]
local refused = {}
for i = 1, #ARGV, 2 do
  local member, token = ARGV[i], ARGV[i + 1]
  if redis.call('HGET', claims, member) == token then
    redis.call('ZREM', lease, member)
    redis.call('HDEL', claims, member)
    redis.call('HDEL', attempts, member)
  else
    refused[#refused + 1] = (i + 1) / 2
  end
end
return refused
