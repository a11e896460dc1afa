--[[
  renew: extends the leases of tasks still running on the caller's node.

  KEYS[1] lease   ZSET  taskInfo -> lease expiry
  KEYS[2] claims  HASH  taskInfo -> claim of the holder (see claim.lua)
  ARGV[1] leaseMs
  ARGV[2..] pairs of (taskInfo, token)

  Returns the 1-based positions of the pairs whose lease is lost (expired and reclaimed), and the
  negated positions of those whose task was removed (cancelled claim): the caller aborts both.

  Invariant: a lease is only ever extended by the holder of the claim it belongs to. A cancelled
  or superseded run keeps its lease while it goes on, so the task never runs twice at once.
]]
local lease, claims = KEYS[1], KEYS[2]
local time = redis.call('TIME')
local leaseUntilMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000 + tonumber(ARGV[1])
local reply = {}
for i = 2, #ARGV, 2 do
  local member, token = ARGV[i], ARGV[i + 1]
  local claim = redis.call('HGET', claims, member)
  if claim == token or claim == '+' .. token then
    redis.call('ZADD', lease, 'XX', leaseUntilMs, member)
  elseif claim == '!' .. token then
    redis.call('ZADD', lease, 'XX', leaseUntilMs, member)
    reply[#reply + 1] = -i / 2
  else
    reply[#reply + 1] = i / 2
  end
end
return reply
