--[[
  stats: the figures of one handler name an operator alerts on, in one consistent read by Redis time.
  (The counting of scheduled and running is the one of the correct branch's stats.lua, issue 7; the
  other figures are issue 12's.)

  KEYS[1] due       ZSET    taskInfo -> due time
  KEYS[2] lease     ZSET    taskInfo -> lease expiry
  KEYS[3] claims    HASH    taskInfo -> claim of the holder (see claim.lua)
  KEYS[4] dead      ZSET    taskInfo -> time it was given up
  KEYS[5] attempts  HASH    taskInfo -> attempts already used (tasks on a retry)
  KEYS[6] paused    STRING  present while the name is paused: its pause time

  Returns { scheduled, running, dead, overdue, oldestOverdueMs, retrying, nextDueMs, pausedAtMs }
    running: live leases of the tasks' current runs (a claim marked "!" or "+" is a superseded or
      cancelled run, not counted); scheduled: due entries, plus expired leases of current runs
      (their holder stopped: the next claim re-queues them or gives them up);
    overdue: due entries due by now (not running); oldestOverdueMs: now minus the earliest due
      time, 0 when nothing is overdue; retrying: tasks with attempts used, waiting for their retry
      or running it; nextDueMs: earliest due time (Unix ms), or -1 when nothing is scheduled;
    pausedAtMs: when the name was paused, or -1.

  Invariant: reads only, and cheap at any backlog: cardinalities, a count over a score range, the
  head of a sorted set, and a pass over the lease set, which holds running tasks only (at most the
  nodes' total concurrency).
]]
local due, lease, claims, dead, attempts, paused = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local running, expired = 0, 0
local leases = redis.call('ZRANGE', lease, 0, -1, 'WITHSCORES')
for i = 1, #leases, 2 do
  local claim = redis.call('HGET', claims, leases[i])
  local mark = claim and string.sub(claim, 1, 1)
  if mark ~= '!' and mark ~= '+' then
    if tonumber(leases[i + 1]) > nowMs then running = running + 1 else expired = expired + 1 end
  end
end

local overdue = redis.call('ZCOUNT', due, '-inf', nowMs)
local first = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')[2]
local nextDueMs = first and tonumber(first) or -1
return {
  redis.call('ZCARD', due) + expired,
  running,
  redis.call('ZCARD', dead),
  overdue,
  overdue > 0 and math.max(0, nowMs - nextDueMs) or 0,
  redis.call('HLEN', attempts),
  nextDueMs,
  tonumber(redis.call('GET', paused) or -1),
}
