--[[
  bucket-count: reads the bucket count of a key prefix, recording it at first use.

  KEYS[1] buckets   STRING  the prefix's bucket count ("<n>"), or "moving <from> <to>" while an
                            offline re-bucketing runs (see bucket-move.ts)
  KEYS[2] names     SET     the registry of handler names (same slot: `{prefix}`)
  ARGV[1] wanted    the node's `buckets` option: "<n>", or "auto"
  ARGV[2] fresh     the count "auto" records on a prefix never used ("1" standalone, "12" cluster)

  Returns the recorded value, after recording one if there was none:
    a prefix with no record and no registered name is fresh: it records ARGV[1] (or ARGV[2] for auto);
    a prefix with registered names but no record holds tasks of a version before buckets, laid out in
    one bucket: it records "1" for "auto" or "1", and returns "unrecorded" (recording nothing) for any
    other count, which the node refuses (the tasks must be re-bucketed first).

  Invariant: once recorded, the count changes only through the offline re-bucketing, so every node
  and producer of a prefix puts a task in the same bucket.
]]
local recorded = redis.call('GET', KEYS[1])
if recorded then return recorded end
local existing = redis.call('SCARD', KEYS[2]) > 0
local count = ARGV[1]
if count == 'auto' then
  count = existing and '1' or ARGV[2]
elseif existing and count ~= '1' then
  return 'unrecorded'
end
redis.call('SET', KEYS[1], count)
return count
