--[[
  run-now: makes a scheduled task of one name due now (Redis time), keeping everything else about
  it: its identity and its attempt count (a task waiting for a retry runs that retry now). A
  recurring task's pending tick runs now instead of at its grid time; its next tick is the first
  grid point after this run's start, as for any tick.

  KEYS[1] due  ZSET  taskInfo -> due time (Unix ms)
  ARGV[1] handler name
  ARGV[2] wake channel (pub/sub; not a key; in the key's slot)
  ARGV[3] publish command: PUBLISH on a standalone server, SPUBLISH on a cluster
  ARGV[4] taskInfo

  Returns 1 if the task was scheduled and is now due, 0 if it was not scheduled (running, dead,
  done or never added): then nothing is written, so a task that ran meanwhile never runs again
  because of this call. When it was moved, "0 <name>" is published on the channel so idle listeners
  claim it at once.

  Invariant: only an existing due entry moves (ZADD XX); a task whose current run still holds a
  lease keeps waiting for that run to end, as claim.lua requires. TIME and the publish (which ACL
  may refuse) come before the write, so a refusal writes nothing.
]]
local due = KEYS[1]
local name, channel, publish, member = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

if not redis.call('ZSCORE', due, member) then return 0 end
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call(publish, channel, '0 ' .. name)
redis.call('ZADD', due, 'XX', nowMs, member)
return 1
