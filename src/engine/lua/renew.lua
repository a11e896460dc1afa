--[[
  renew: extends the leases of tasks still running on the caller's node.

  KEYS[1] lease   ZSET  taskInfo -> lease expiry
  KEYS[2] claims  HASH  taskInfo -> claim token of the holder (see claim.lua)
  ARGV[1] leaseMs
  ARGV[2..] pairs of (taskInfo, token)

  Returns the 1-based positions of the pairs whose lease is lost (expired and reclaimed, or the
  task was removed); the caller aborts those handlers.

  Invariant: a lease is only ever extended by the holder of the claim it belongs to.
]]
local lease, claims = KEYS[1], KEYS[2]
local time = redis.call('TIME')
local leaseUntilMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000 + tonumber(ARGV[1])
local lost = {}
for i = 2, #ARGV, 2 do
  local member, token = ARGV[i], ARGV[i + 1]
  if redis.call('HGET', claims, member) == token then
    redis.call('ZADD', lease, 'XX', leaseUntilMs, member)
  else
    lost[#lost + 1] = i / 2
  end
end
return lost
