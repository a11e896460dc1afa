--[[
  complete: acknowledges tasks whose handler succeeded; removes them for good.

  KEYS[1] lease     ZSET  taskInfo -> lease expiry
  KEYS[2] claims    HASH  taskInfo -> claim token of the holder (see claim.lua)
  KEYS[3] attempts  HASH  taskInfo -> attempts already used
  KEYS[4] suspects  SET   tasks whose last lease expired (see claim.lua)
  KEYS[5] recurring HASH  taskInfo -> schedule of a recurring task (recurrence.ts)
  KEYS[6] ticks     HASH  taskInfo -> "<startMs>" of a running recurring tick
  KEYS[7] advance   SET   recurring tasks whose tick ended, waiting for their next tick
  ARGV    pairs of (taskInfo, token)

  Returns the 1-based positions of the pairs that were refused: their lease was lost (expired
  and reclaimed, or the task was removed) and they now belong to someone else or to no one.

  Invariant: only the holder of the current claim can remove a leased task; a late
  acknowledgement never deletes a task that was re-queued or re-added meanwhile.
]]
local lease, claims, attempts, suspects = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local recurring, ticks, advance = KEYS[5], KEYS[6], KEYS[7]
local CHUNK = 1000 -- unpack() has a bounded stack: commands take at most this many members

local function callInChunks(command, key, list)
  local replies = {}
  for i = 1, #list, CHUNK do
    local reply = redis.call(command, key, unpack(list, i, math.min(i + CHUNK - 1, #list)))
    if type(reply) == 'table' then
      for _, value in ipairs(reply) do replies[#replies + 1] = value end
    end
  end
  return replies
end

local members = {}
for i = 1, #ARGV, 2 do
  members[#members + 1] = ARGV[i]
end
-- One HMGET reads every holder's token (false where there is none), instead of one HGET per task.
local tokens = callInChunks('HMGET', claims, members)
local done, refused = {}, {}
for j, member in ipairs(members) do
  if tokens[j] == ARGV[2 * j] then
    done[#done + 1] = member
  else
    refused[#refused + 1] = j
  end
end
if #done > 0 then
  callInChunks('ZREM', lease, done)
  callInChunks('HDEL', claims, done)
  if redis.call('EXISTS', attempts) == 1 then
    callInChunks('HDEL', attempts, done)
  end
  if redis.call('EXISTS', suspects) == 1 then
    callInChunks('SREM', suspects, done)
  end
  -- Recurring tasks (issue 11): an ended tick waits in `advance` until its next one is scheduled.
  if redis.call('EXISTS', recurring) == 1 then
    for _, member in ipairs(done) do
      if redis.call('HEXISTS', recurring, member) == 1 then
        redis.call('HSET', ticks, member, string.match(redis.call('HGET', ticks, member) or '', '^[^|]*') .. '|succeeded')
        redis.call('SADD', advance, member)
      end
    end
  end
end
return refused
