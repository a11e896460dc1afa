--[[
  complete: acknowledges tasks whose handler ended; removes them for good.

  KEYS[1] lease     ZSET  taskInfo -> lease expiry
  KEYS[2] claims    HASH  taskInfo -> claim of the holder (see claim.lua)
  KEYS[3] attempts  HASH  taskInfo -> attempts already used
  KEYS[4] suspects  SET   tasks whose last lease expired (see claim.lua)
  KEYS[5] due       ZSET  taskInfo -> due time
  KEYS[6] recurring HASH  taskInfo -> schedule of a recurring task (recurrence.ts)
  KEYS[7] ticks     HASH  taskInfo -> "<startMs>" of a running recurring tick
  KEYS[8] advance   SET   recurring tasks whose tick ended, waiting for their next tick
  ARGV[1] handler name
  ARGV[2] wake channel (pub/sub; not a key; in the keys' slot)
  ARGV[3] publish command: PUBLISH on a standalone server, SPUBLISH on a cluster
  ARGV[4..] pairs of (taskInfo, token)

  Returns the 1-based positions of the pairs that were refused: their lease was lost (expired
  and reclaimed) and they now belong to someone else or to no one; then a 0 if a recurring tick
  ended here (it joined `advance`), so the caller asks for the next tick only then.

  Invariant: only the holder of the current claim can remove a leased task; a late
  acknowledgement never deletes a task that was re-queued or re-added meanwhile. The end of a
  superseded or cancelled run (see claim.lua) only frees its lease: if the task was re-added, its
  entry, which waited for that lease, stays and a wake-up is published (before any write, as ACL
  may refuse PUBLISH). Only the end of a current run ends a recurring tick (into `advance`): a
  cancelled run's recurrence was ended by remove.lua, a superseded one's next run is already queued.
]]
local lease, claims, attempts, suspects, due = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local recurring, ticks, advance = KEYS[6], KEYS[7], KEYS[8]
local name, channel, publish = ARGV[1], ARGV[2], ARGV[3]
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
for i = 4, #ARGV, 2 do
  members[#members + 1] = ARGV[i]
end
-- One HMGET reads every holder's claim (false where there is none), instead of one HGET per task.
local held = callInChunks('HMGET', claims, members)
local done, freed, refused = {}, {}, {}
local waitingDueMs = nil
local ticksEnded = false
for j, member in ipairs(members) do
  local token, claim = ARGV[2 * j + 3], held[j]
  if claim == token then
    done[#done + 1] = member
  elseif claim == '+' .. token or claim == '!' .. token then
    freed[#freed + 1] = member
    local dueMs = redis.call('ZSCORE', due, member)
    if dueMs and (waitingDueMs == nil or tonumber(dueMs) < waitingDueMs) then waitingDueMs = tonumber(dueMs) end
  else
    refused[#refused + 1] = j
  end
end
if waitingDueMs then
  local time = redis.call('TIME')
  local nowMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
  redis.call(publish, channel, math.max(0, math.ceil(waitingDueMs - nowMs)) .. ' ' .. name)
end
if #done > 0 then
  callInChunks('ZREM', lease, done)
  callInChunks('HDEL', claims, done)
  -- Keys an acknowledgement rarely finds (no retry, suspect or recurring task): one EXISTS over all
  -- three tells the common case; only when one exists is each asked.
  local hasAttempts, hasSuspects, hasRecurring = false, false, false
  if redis.call('EXISTS', attempts, suspects, recurring) > 0 then
    hasAttempts = redis.call('EXISTS', attempts) == 1
    hasSuspects = redis.call('EXISTS', suspects) == 1
    hasRecurring = redis.call('EXISTS', recurring) == 1
  end
  if hasAttempts then
    callInChunks('HDEL', attempts, done)
  end
  if hasSuspects then
    callInChunks('SREM', suspects, done)
  end
  -- Recurring tasks (issue 11): an ended tick waits in `advance` until its next one is scheduled.
  if hasRecurring then
    for _, member in ipairs(done) do
      if redis.call('HEXISTS', recurring, member) == 1 then
        redis.call('HSET', ticks, member, string.match(redis.call('HGET', ticks, member) or '', '^[^|]*') .. '|succeeded')
        redis.call('SADD', advance, member)
        ticksEnded = true
      end
    end
  end
end
if #freed > 0 then
  callInChunks('ZREM', lease, freed)
  callInChunks('HDEL', claims, freed)
end
if ticksEnded then refused[#refused + 1] = 0 end
return refused
