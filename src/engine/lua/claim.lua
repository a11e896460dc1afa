--[[
  claim: leases due tasks of one handler name to the caller, after reclaiming expired leases.

  KEYS[1] due       ZSET  taskInfo -> due time (Unix ms)
  KEYS[2] lease     ZSET  taskInfo -> lease expiry (Unix ms, Redis time)
  KEYS[3] claims    HASH  taskInfo -> "[mark]<token>/<n>|<dueTimeMs>": the claim of the run holding the
                          lease (n: the task's rank in its claim call, so every task's claim is unique)
  KEYS[4] attempts  HASH  taskInfo -> attempts already used (absent: none)
  KEYS[5] dead      ZSET  taskInfo -> time it was given up (Unix ms)
  KEYS[6] deadInfo  HASH  taskInfo -> JSON {error, attempts, diedAtMs, dueTimeMs}
  KEYS[7] suspects  SET   tasks whose last lease expired: they may have crashed their node
  KEYS[8] paused    STRING present while the name is paused: nothing is claimed (expired leases
                    still are reclaimed)
  KEYS[9] recurring HASH  taskInfo -> schedule of a recurring task (recurrence.ts)
  KEYS[10] ticks    HASH  taskInfo -> "<startMs>" of a running recurring tick
  KEYS[11] advance  SET   recurring tasks whose tick ended, waiting for their next tick
  ARGV[1] limit         most tasks to claim
  ARGV[2] leaseMs       lease length
  ARGV[3] token         unique to this claim call; each task's claim is "<token>/<n>|<dueTimeMs>", and
                        only its holder may complete, fail, renew or release it
  ARGV[4] maxAttempts   1 + retries
  ARGV[5] expiredError  error recorded when an expired lease uses up the last attempt
  ARGV[6] runningHere   handlers the caller is running now
  ARGV[7] deadMaxTasks  dead-set retention: most dead tasks kept (see trimDeadSet)
  ARGV[8] deadMaxAgeMs  dead-set retention: oldest death kept

  Claim marks: none = the task's current run; '+' = superseded (the task was re-added while this
  run went on: its outcome no longer charges the task); '!' = cancelled (the task was removed: the
  holder aborts it). A marked run keeps its lease until it ends, only to keep the task from running
  twice at once.

  Returns { nextDelayMs, isolation, taskInfo, dueTimeMs, attempt, taskInfo, dueTimeMs, attempt, ... }
    nextDelayMs: ms until the next task this caller could claim or the next lease expiry, by Redis
      time (0: more are due now), or -1 when the name has neither (a paused name's due tasks do
      not count). dueTimeMs is the task's score as
      Redis formats it.
    isolation: 0; 1 when the one task returned is a suspect the caller must run alone;
      2 when a due suspect was left for an idle node (the caller is busy).

  Invariants: due and lease decisions use Redis TIME only. A task is never leased twice at once:
  a due entry whose task still holds a lease (re-added while running) is skipped, keeping its due
  time, until that lease ends. An expired lease of a task's current run counts as a used attempt,
  so a task that kills its node every time ends in the dead set instead of cycling forever. Until
  it next ends, it is a suspect that runs only alone on an idle node, so the tasks that ran beside a
  crash are not taken down with it again; busy nodes skip it and go on with the other tasks. It goes
  back under its original due time, ahead of the tasks that became due after it.
  Recurring tasks: a tick starts at its first claim (a retry or reclaimed lease keeps that start);
  a current run that dies here ends its tick into `advance`; a marked run's expiry ends nothing.
]]
local due, lease, claims, attempts, dead, deadInfo, suspects = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local limit, leaseMs, token = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local maxAttempts, expiredError, runningHere = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local deadMaxTasks, deadMaxAgeMs = tonumber(ARGV[7]), tonumber(ARGV[8])
local pausedKey, recurring, ticks, advance = KEYS[8], KEYS[9], KEYS[10], KEYS[11]

local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000

-- Dead-set retention, trimmed as tasks die (never by a periodic scan): the dead set is ordered by
-- death time, so what is too old or beyond deadMaxTasks is its head. At most 1,000 entries go per
-- call, so a lowered limit converges over the next deaths.
local function trimDeadSet()
  local tooOld = redis.call('ZCOUNT', dead, '-inf', '(' .. math.floor(nowMs - deadMaxAgeMs))
  local drop = math.min(math.max(tooOld, redis.call('ZCARD', dead) - deadMaxTasks), 1000)
  if drop > 0 then
    local oldest = redis.call('ZRANGE', dead, 0, drop - 1)
    redis.call('ZREM', dead, unpack(oldest))
    redis.call('HDEL', deadInfo, unpack(oldest))
  end
end

local function isMarked(claim)
  local mark = string.sub(claim, 1, 1)
  return mark == '!' or mark == '+'
end

-- Expired leases: the holder crashed, stalled or lost Redis for longer than the lease.
local died = false
for _, member in ipairs(redis.call('ZRANGEBYSCORE', lease, '-inf', nowMs, 'LIMIT', 0, 1000)) do
  local claim = redis.call('HGET', claims, member)
  redis.call('ZREM', lease, member)
  redis.call('HDEL', claims, member)
  if not (claim and isMarked(claim)) then
    local used = (tonumber(redis.call('HGET', attempts, member)) or 0) + 1
    local dueTimeMs = claim and tonumber(string.match(claim, '|(.*)$')) or math.floor(nowMs)
    if used >= maxAttempts then
      redis.call('HDEL', attempts, member)
      redis.call('SREM', suspects, member)
      redis.call('ZADD', dead, math.floor(nowMs), member)
      redis.call('HSET', deadInfo, member, cjson.encode({ error = expiredError, attempts = used, diedAtMs = math.floor(nowMs), dueTimeMs = dueTimeMs }))
      died = true
      -- Recurring tasks (issue 11): a dead tick ends too; it waits in `advance` for its next one.
      if redis.call('HEXISTS', recurring, member) == 1 then
        redis.call('HSET', ticks, member, string.match(redis.call('HGET', ticks, member) or '', '^[^|]*') .. '|dead')
        redis.call('SADD', advance, member)
      end
    else
      redis.call('HSET', attempts, member, used)
      redis.call('SADD', suspects, member)
      redis.call('ZADD', due, 'NX', dueTimeMs, member)
    end
  end
end

if died then trimDeadSet() end

local result = { -1, 0 }
local nextDueMs = nil
local taken, leaseArgs, claimArgs = {}, {}, {}
local leaseUntilMs = nowMs + leaseMs
-- Keys a claim rarely finds (no retry, suspect, pause or recurring task): one EXISTS over all four
-- tells the common case; only when one exists is each asked. (claims is read by HMGET directly:
-- a missing hash answers nils.)
local hasAttempts, hasSuspects, paused, hasRecurring = false, false, false, false
if redis.call('EXISTS', attempts, suspects, pausedKey, recurring) > 0 then
  hasAttempts = redis.call('EXISTS', attempts) == 1
  hasSuspects = redis.call('EXISTS', suspects) == 1
  paused = redis.call('EXISTS', pausedKey) == 1
  hasRecurring = redis.call('EXISTS', recurring) == 1
end
-- Pages of the due set in order; entries skipped (held by a run, or suspects left for an idle node)
-- are few, so one page is the rule. A paused name is not scanned: nothing is claimed, and its due
-- tasks do not wake the caller.
local pageSize, offset, scanning = math.max(limit, 1) + 1, 0, not paused
while scanning do
  local entries = redis.call('ZRANGEBYSCORE', due, '-inf', '+inf', 'WITHSCORES', 'LIMIT', offset, pageSize)
  local members = {}
  for i = 1, #entries, 2 do
    members[#members + 1] = entries[i]
  end
  if #members < pageSize then scanning = false end
  offset = offset + pageSize
  -- One HMGET per hash instead of one call per task: who holds a lease, how many attempts are used.
  local holders, used = {}, {}
  if #members > 0 then holders = redis.call('HMGET', claims, unpack(members)) end
  if #members > 0 and hasAttempts then used = redis.call('HMGET', attempts, unpack(members)) end
  for j, member in ipairs(members) do
    local dueTimeMs = entries[2 * j]
    if holders[j] then
      -- re-added while a run goes on: waits for that run's end (which publishes a wake-up)
    elseif tonumber(dueTimeMs) > nowMs or #taken >= limit then
      nextDueMs = tonumber(dueTimeMs)
      scanning = false
      break
    elseif hasSuspects and redis.call('SISMEMBER', suspects, member) == 1 and (runningHere > 0 or #taken > 0) then
      result[2] = 2
    else
      local suspect = hasSuspects and redis.call('SISMEMBER', suspects, member) == 1
      taken[#taken + 1] = member
      leaseArgs[#leaseArgs + 1] = leaseUntilMs
      leaseArgs[#leaseArgs + 1] = member
      claimArgs[#claimArgs + 1] = member
      claimArgs[#claimArgs + 1] = token .. '/' .. #taken .. '|' .. dueTimeMs
      result[#result + 1] = member
      result[#result + 1] = dueTimeMs
      result[#result + 1] = (tonumber(used[j]) or 0) + 1
      if suspect then
        -- runs alone: nothing more for this caller now
        result[2] = 1
        scanning = false
        break
      end
    end
  end
end
if #taken > 0 then
  redis.call('ZREM', due, unpack(taken))
  redis.call('ZADD', lease, unpack(leaseArgs))
  redis.call('HSET', claims, unpack(claimArgs))
  -- Recurring tasks (issue 11): a first attempt starts a tick afresh; a retry keeps its start.
  if hasRecurring then
    local isRecurring = redis.call('HMGET', recurring, unpack(taken))
    for j, member in ipairs(taken) do
      if isRecurring[j] then
        redis.call(result[3 * j + 2] == 1 and 'HSET' or 'HSETNX', ticks, member, math.floor(nowMs))
      end
    end
  end
end

if nextDueMs then result[1] = math.max(0, math.ceil(nextDueMs - nowMs)) end
local firstExpiry = redis.call('ZRANGE', lease, 0, 0, 'WITHSCORES')[2]
if firstExpiry then
  local delayMs = math.max(0, math.ceil(tonumber(firstExpiry) - nowMs))
  if result[1] < 0 or delayMs < result[1] then result[1] = delayMs end
end
return result
