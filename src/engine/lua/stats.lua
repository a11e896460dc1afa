--[[
  stats: the figures of one name an operator alerts on, by Redis time, in O(log n).

  KEYS[1] due       ZSET    taskInfo -> due time
  KEYS[2] lease     ZSET    taskInfo -> lease expiry
  KEYS[3] dead      ZSET    taskInfo -> time it was given up
  KEYS[4] attempts  HASH    taskInfo -> attempts already used (tasks on a retry)
  KEYS[5] paused    STRING  present while the name is paused

  Returns { scheduled, running, dead, overdue, oldestOverdueMs, retrying, nextDueMs, pausedAtMs }
    overdue: scheduled tasks due by now (not running); oldestOverdueMs: now minus the earliest
    due time, 0 when nothing is overdue; nextDueMs: earliest due time (Unix ms), or -1 when
    nothing is scheduled; pausedAtMs: when the name was paused, or -1.

  Invariant: read-only; every figure is a cardinality, a count over a score range or the head of
  a sorted set, so the cost does not grow with the backlog.
]]
local due, lease, dead, attempts, paused = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local overdue = redis.call('ZCOUNT', due, '-inf', nowMs)
local first = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')[2]
local nextDueMs = first and tonumber(first) or -1
local oldestOverdueMs = overdue > 0 and math.max(0, nowMs - nextDueMs) or 0
return {
  redis.call('ZCARD', due),
  redis.call('ZCARD', lease),
  redis.call('ZCARD', dead),
  overdue,
  oldestOverdueMs,
  redis.call('HLEN', attempts),
  nextDueMs,
  tonumber(redis.call('GET', paused) or -1),
}
