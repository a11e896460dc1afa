--[[
  purge-dead: deletes the oldest dead tasks of one name, optionally only those that died long enough ago.

  KEYS[1] dead      ZSET  taskInfo -> time it was given up (Unix ms, Redis time)
  KEYS[2] deadInfo  HASH  taskInfo -> JSON of a dead task
  ARGV[1] limit         most tasks to delete in this call
  ARGV[2] olderThanMs   only tasks that died at least this long ago by Redis time ("" for all)

  Returns how many were deleted (fewer than limit: none is left to purge).

  Invariant: a dead task's two entries go together; the work per call is bounded by limit.
]]
local dead, deadInfo = KEYS[1], KEYS[2]
local limit, olderThanMs = tonumber(ARGV[1]), ARGV[2]

local members
if olderThanMs == '' then
  members = redis.call('ZRANGE', dead, 0, limit - 1)
else
  local time = redis.call('TIME')
  local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  members = redis.call('ZRANGEBYSCORE', dead, '-inf', nowMs - tonumber(olderThanMs), 'LIMIT', 0, limit)
end
if #members == 0 then return 0 end
redis.call('ZREM', dead, unpack(members))
redis.call('HDEL', deadInfo, unpack(members))
return #members
