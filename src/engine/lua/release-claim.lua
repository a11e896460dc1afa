--[[
  release-claim: hands back every task leased by one claim call whose reply never reached the caller
  (connection lost or reply timed out after the script ran).

  KEYS[1] due     ZSET  taskInfo -> due time
  KEYS[2] lease   ZSET  taskInfo -> lease expiry
  KEYS[3] claims  HASH  taskInfo -> "<token>|<dueTimeMs>" (see claim.lua)
  ARGV[1] token of that claim call

  Returns how many tasks were handed back.

  Invariant: a claim nobody received costs no attempt: its tasks go back under their due time
  instead of waiting for their lease to expire and being counted as a crash. The claims hash holds
  only running tasks (at most the total concurrency of the nodes), so reading it whole is cheap.
]]
local due, lease, claims = KEYS[1], KEYS[2], KEYS[3]
local prefix = ARGV[1] .. '|'
local all = redis.call('HGETALL', claims)
local released = 0
for i = 1, #all, 2 do
  local member, claim = all[i], all[i + 1]
  if string.sub(claim, 1, #prefix) == prefix then
    redis.call('ZREM', lease, member)
    redis.call('HDEL', claims, member)
    redis.call('ZADD', due, 'NX', tonumber(string.sub(claim, #prefix + 1)), member)
    released = released + 1
  end
end
return released
