--[[
  stats: counts the tasks of one handler name, each task once, in one consistent read.

  KEYS[1] due     ZSET  taskInfo -> due time
  KEYS[2] lease   ZSET  taskInfo -> lease expiry
  KEYS[3] claims  HASH  taskInfo -> claim of the holder (see claim.lua)
  KEYS[4] dead    ZSET  taskInfo -> time it was given up

  Returns { scheduled, running, dead }:
    running: live leases of the tasks' current runs;
    scheduled: due entries, plus expired leases of current runs (their holder stopped: the next
      claim re-queues them or gives them up);
    runs superseded or cancelled (see claim.lua) are not counted: the task is counted by its due
      entry if it was re-added, and not at all if it was removed.
  Reads only. The lease set holds running tasks only (at most the nodes' total concurrency).
]]
local due, lease, claims, dead = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local running, expired = 0, 0
local leases = redis.call('ZRANGE', lease, 0, -1, 'WITHSCORES')
for i = 1, #leases, 2 do
  local claim = redis.call('HGET', claims, leases[i])
  local mark = claim and string.sub(claim, 1, 1)
  if mark ~= '!' and mark ~= '+' then
    if tonumber(leases[i + 1]) > nowMs then running = running + 1 else expired = expired + 1 end
  end
end
return { redis.call('ZCARD', due) + expired, running, redis.call('ZCARD', dead) }
