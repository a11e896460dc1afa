--[[
  release-claim: hands back every task leased by one claim call whose reply never reached the caller
  (connection lost or reply timed out after the script ran).

  KEYS[1] due     ZSET  taskInfo -> due time
  KEYS[2] lease   ZSET  taskInfo -> lease expiry
  KEYS[3] claims  HASH  taskInfo -> "[mark]<token>/<n>|<dueTimeMs>" (see claim.lua)
  ARGV[1] token of that claim call
  ARGV[2] handler name
  ARGV[3] wake channel (pub/sub; not a key; in the keys' slot)
  ARGV[4] publish command: PUBLISH on a standalone server, SPUBLISH on a cluster

  Returns how many tasks were handed back; publishes "0 <name>" if any (before any write, as ACL
  may refuse PUBLISH).

  Invariant: a claim nobody received costs no attempt: its tasks go back under their due time
  instead of waiting for their lease to expire and being counted as a crash. A run removed or
  re-added meanwhile only frees its lease. The claims hash holds only running tasks (at most the
  total concurrency of the nodes), so reading it whole is cheap.
]]
local due, lease, claims = KEYS[1], KEYS[2], KEYS[3]
local prefix, name, channel, publish = ARGV[1] .. '/', ARGV[2], ARGV[3], ARGV[4]
local all = redis.call('HGETALL', claims)
local back, freed = {}, {}
for i = 1, #all, 2 do
  local member, claim = all[i], all[i + 1]
  local mark = string.sub(claim, 1, 1)
  local marked = mark == '!' or mark == '+'
  local unmarked = marked and string.sub(claim, 2) or claim
  if string.sub(unmarked, 1, #prefix) == prefix then
    if marked then
      freed[#freed + 1] = member
    else
      back[#back + 1] = { member, tonumber(string.match(unmarked, '|(.*)$')) }
    end
  end
end
if #back + #freed > 0 then
  redis.call(publish, channel, '0 ' .. name)
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
