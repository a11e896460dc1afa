--[[
  stats: the figures of one handler name an operator alerts on, each task counted once, in one
  consistent read by Redis time.

  KEYS[1] due       ZSET    taskInfo -> due time
  KEYS[2] lease     ZSET    taskInfo -> lease expiry
  KEYS[3] claims    HASH    taskInfo -> claim of the holder (see claim.lua)
  KEYS[4] dead      ZSET    taskInfo -> time it was given up
  KEYS[5] attempts  HASH    taskInfo -> attempts already used (tasks on a retry)
  KEYS[6] paused    STRING  present while the name is paused: the pause time (Unix ms)
  KEYS[7] recurring HASH    taskInfo -> schedule of a recurring task
  KEYS[8] coalesced STRING  counter of coalesced recurring ticks

  Returns { scheduled, running, dead, overdue, oldestOverdueMs, retrying, nextDueMs, pausedAtMs,
    recurring, coalescedTicks } of one bucket (the engine sums the buckets of a name):
    running: live leases of the tasks' current runs;
    scheduled: due entries, plus expired leases of current runs (their holder stopped: the next
      claim re-queues them or gives them up);
    runs superseded or cancelled (see claim.lua) are not counted: the task is counted by its due
      entry if it was re-added, and not at all if it was removed;
    overdue: scheduled tasks due by now (expired leases of current runs included);
    oldestOverdueMs: now minus the earliest due time among them, 0 when nothing is overdue;
    retrying: tasks that have used attempts (waiting for a retry or running one);
    nextDueMs: earliest due time (Unix ms) of the due entries, or -1 when there are none;
    pausedAtMs: when the name was paused, or -1;
    recurring: recurring tasks (HLEN); coalescedTicks: the coalesced-tick counter.
  Reads only. Every figure is a cardinality, a count over a score range or the head of a sorted
  set, except the walk of the lease set, which holds running tasks only (at most the nodes' total
  concurrency): the cost does not grow with the backlog.
]]
local due, lease, claims, dead, attempts, paused = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000

local running, expired, oldestExpiredDueMs = 0, 0, nil
local leases = redis.call('ZRANGE', lease, 0, -1, 'WITHSCORES')
for i = 1, #leases, 2 do
  local claim = redis.call('HGET', claims, leases[i])
  local mark = claim and string.sub(claim, 1, 1)
  if mark ~= '!' and mark ~= '+' then
    if tonumber(leases[i + 1]) > nowMs then
      running = running + 1
    else
      expired = expired + 1
      local dueTimeMs = claim and tonumber(string.match(claim, '|(.*)$'))
      if dueTimeMs and (oldestExpiredDueMs == nil or dueTimeMs < oldestExpiredDueMs) then oldestExpiredDueMs = dueTimeMs end
    end
  end
end

local first = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')[2]
local nextDueMs = first and tonumber(first) or -1
local overdue = redis.call('ZCOUNT', due, '-inf', nowMs) + expired
local oldestDueMs = oldestExpiredDueMs
if first and tonumber(first) <= nowMs and (oldestDueMs == nil or tonumber(first) < oldestDueMs) then oldestDueMs = tonumber(first) end
local oldestOverdueMs = oldestDueMs and math.max(0, math.floor(nowMs - oldestDueMs)) or 0

return {
  redis.call('ZCARD', due) + expired,
  running,
  redis.call('ZCARD', dead),
  overdue,
  oldestOverdueMs,
  redis.call('HLEN', attempts),
  nextDueMs,
  tonumber(redis.call('GET', paused) or -1),
  redis.call('HLEN', KEYS[7]),
  tonumber(redis.call('GET', KEYS[8]) or 0),
}
