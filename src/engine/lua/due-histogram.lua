--[[
  due-histogram: how many tasks of one name fall due in each of the next `buckets` slices of
  `bucketMs`, by Redis time (the dashboard's "due over the next hour" chart).

  KEYS[1] due  ZSET  taskInfo -> due time (Unix ms)
  ARGV[1] buckets   number of slices, 1 to 1,000
  ARGV[2] bucketMs  length of one slice (ms), at least 1

  Returns { nowMs, count1, ..., countN }: nowMs is Redis TIME in whole ms; count i holds the tasks
  due in (nowMs + (i - 1) * bucketMs, nowMs + i * bucketMs]. Tasks due by nowMs are the overdue
  ones of stats.lua and are not in any slice.

  Invariant: read-only; one ZCOUNT per slice, so O(buckets * log n) whatever the backlog.
]]
local due = KEYS[1]
local buckets, bucketMs = tonumber(ARGV[1]), tonumber(ARGV[2])
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local result = { nowMs }
for i = 1, buckets do
  local from = nowMs + (i - 1) * bucketMs
  result[#result + 1] = redis.call('ZCOUNT', due, '(' .. from, from + bucketMs)
end
return result
