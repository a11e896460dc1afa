--[[
  retry-dead: requeues dead tasks of one name, due now (Redis time), with a full set of attempts.

  KEYS[1] dead      ZSET  taskInfo -> time it was given up
  KEYS[2] deadInfo  HASH  taskInfo -> JSON of a dead task
  KEYS[3] due       ZSET  taskInfo -> due time
  KEYS[4] attempts  HASH  taskInfo -> attempts already used
  KEYS[5] suspects  SET   tasks whose last lease expired (see claim.lua)
  ARGV[1] handler name
  ARGV[2] wake channel (pub/sub; not a key; in the keys' slot)
  ARGV[3] publish command: PUBLISH on a standalone server, SPUBLISH on a cluster
  ARGV[4] "oldest": requeue the ARGV[5] oldest dead tasks; "these": requeue the dead tasks among ARGV[5..]

  Returns how many tasks were requeued; when any were, "0 <name>" is published on the channel so
  idle listeners claim them at once.

  Invariant: only tasks that are in the dead set are requeued, each once: its dead entry goes in
  the same step, so a task retried twice at once runs once. TIME and the publish (which ACL may
  refuse) come before the first write, so a refusal writes nothing.
]]
local dead, deadInfo, due, attempts, suspects = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local name, channel, publish, mode = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

local members = {}
if mode == 'oldest' then
  members = redis.call('ZRANGE', dead, 0, tonumber(ARGV[5]) - 1)
else
  local listed = {}
  for i = 5, #ARGV do
    if not listed[ARGV[i]] and redis.call('ZSCORE', dead, ARGV[i]) then
      listed[ARGV[i]] = true
      members[#members + 1] = ARGV[i]
    end
  end
end
if #members == 0 then return 0 end

local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call(publish, channel, '0 ' .. name)
local zaddArgs = {}
for _, member in ipairs(members) do
  zaddArgs[#zaddArgs + 1] = nowMs
  zaddArgs[#zaddArgs + 1] = member
end
redis.call('ZREM', dead, unpack(members))
redis.call('HDEL', deadInfo, unpack(members))
redis.call('ZADD', due, unpack(zaddArgs))
redis.call('HDEL', attempts, unpack(members))
redis.call('SREM', suspects, unpack(members))
return #members
