--[[
  resume: lifts the pause of one name and wakes the listeners for its earliest task.

  KEYS[1] paused  STRING  present while the name is paused
  KEYS[2] due     ZSET    taskInfo -> due time
  ARGV[1] handler name
  ARGV[2] wake channel (pub/sub; not a key; in the keys' slot)
  ARGV[3] publish command: PUBLISH on a standalone server, SPUBLISH on a cluster

  Returns 1 if the name was paused, 0 if it was not. When it was and has scheduled tasks,
  "<delayMs> <name>" is published (as add.lua does), so listeners claim at once rather than at
  their safety poll.

  Invariant: TIME and the publish (which ACL may refuse) come before the write, so a refusal
  leaves the name paused.
]]
local paused, due = KEYS[1], KEYS[2]
local name, channel, publish = ARGV[1], ARGV[2], ARGV[3]
if redis.call('EXISTS', paused) == 0 then return 0 end
local first = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')[2]
if first then
  local time = redis.call('TIME')
  local nowMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
  redis.call(publish, channel, math.max(0, math.ceil(tonumber(first) - nowMs)) .. ' ' .. name)
end
redis.call('DEL', paused)
return 1
