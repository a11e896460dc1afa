--[[
  legacy-take: takes members of the published scheduler's sorted set for one migration, after
  giving back the members of migrations whose lease ended (their node stopped mid-way).

  KEYS[1] legacy       ZSET  "[RETRY-<n>:]<name>:<taskInfo>" -> due time (Unix ms): the published key
  KEYS[2] moving       HASH  member -> "<token>|<score>": taken, not yet moved
  KEYS[3] movingUntil  ZSET  member -> end of the taking migration's lease (Unix ms, Redis time)
  ARGV[1] token        unique to this migration pass
  ARGV[2] leaseMs      how long the pass may take before its members are given back
  ARGV[3..] pairs of (member, score as the caller read it)

  Returns { given back, position, position, ... }: how many members of ended leases went back to
  the legacy key, then the 1-based positions of the pairs taken.

  Invariants: a member is taken only if it still has the score that was read, so what the caller
  adds to the new layout is exactly what it removed here; one member is held by one migration at a
  time, so concurrent migrations never add it twice. A taken member is never dropped: it stays in
  KEYS[2] until legacy-done.lua, or goes back to the legacy key when the lease ends (unless an old
  node re-added it there meanwhile: that newer write is kept).
]]
local legacy, moving, movingUntil = KEYS[1], KEYS[2], KEYS[3]
local token, leaseMs = ARGV[1], tonumber(ARGV[2])

local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000

local result = { 0 }
for _, member in ipairs(redis.call('ZRANGEBYSCORE', movingUntil, '-inf', nowMs, 'LIMIT', 0, 1000)) do
  local held = redis.call('HGET', moving, member)
  if held then
    redis.call('ZADD', legacy, 'NX', string.match(held, '|(.*)$'), member)
    redis.call('HDEL', moving, member)
    result[1] = result[1] + 1
  end
  redis.call('ZREM', movingUntil, member)
end

local leaseUntilMs = nowMs + leaseMs
for i = 3, #ARGV, 2 do
  local member, score = ARGV[i], ARGV[i + 1]
  local current = redis.call('ZSCORE', legacy, member)
  if current and tonumber(current) == tonumber(score) then
    redis.call('ZREM', legacy, member)
    redis.call('HSET', moving, member, token .. '|' .. current)
    redis.call('ZADD', movingUntil, leaseUntilMs, member)
    result[#result + 1] = (i - 1) / 2
  end
end
return result
