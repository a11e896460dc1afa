--[[
  claim: leases due tasks of one handler name to the caller, after reclaiming expired leases.

  KEYS[1] due       ZSET  taskInfo -> due time (Unix ms)
  KEYS[2] lease     ZSET  taskInfo -> lease expiry (Unix ms, Redis time)
  KEYS[3] claims    HASH  taskInfo -> "<token>|<dueTimeMs>": the claim that holds the lease
  KEYS[4] attempts  HASH  taskInfo -> attempts already used (absent: none)
  KEYS[5] dead      ZSET  taskInfo -> time it was given up (Unix ms)
  KEYS[6] deadInfo  HASH  taskInfo -> JSON {error, attempts, diedAtMs}
  KEYS[7] suspects  SET   tasks whose last lease expired: they may have crashed their node
  KEYS[8] recurring HASH  taskInfo -> schedule of a recurring task (recurrence.ts)
  KEYS[9] ticks     HASH  taskInfo -> "<startMs>" of a running recurring tick
  KEYS[10] advance  SET   recurring tasks whose tick ended, waiting for their next tick
  ARGV[1] limit         most tasks to claim
  ARGV[2] leaseMs       lease length
  ARGV[3] token         unique to this claim call; each task's claim is "<token>|<dueTimeMs>", and only
                        its holder may complete, fail, renew or release it
  ARGV[4] maxAttempts   1 + retries
  ARGV[5] expiredError  error recorded when an expired lease uses up the last attempt
  ARGV[6] runningHere   handlers the caller is running now

  Returns { nextDelayMs, isolation, taskInfo, dueTimeMs, attempt, taskInfo, dueTimeMs, attempt, ... }
    nextDelayMs: ms until the next due task or lease expiry by Redis time (0: more are due now),
      or -1 when the name has neither. dueTimeMs is the task's score as Redis formats it.
    isolation: 0; 1 when the one task returned is a suspect the caller must run alone;
      2 when a suspect is next in line and waits for the caller to be idle.

  Invariants: due and lease decisions use Redis TIME only. A task is never leased twice at once:
  a due entry whose task still holds a live lease (it was re-added while running) waits for that
  lease to end (lease and claims always hold the same members: every script writes or deletes
  both together). An expired lease counts as a used attempt, so a task that kills its node every
  time ends in the dead set instead of cycling forever. Until it next ends, it is a suspect that
  runs only alone on an idle node, so the tasks that ran beside a crash are not taken down with it
  again; it goes back under its original due time, ahead of the tasks that became due after it.
]]
local due, lease, claims, attempts, dead, deadInfo, suspects = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local recurring, ticks, advance = KEYS[8], KEYS[9], KEYS[10]
local limit, leaseMs, token = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local maxAttempts, expiredError, runningHere = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])

local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000

-- Expired leases: the holder crashed, stalled or lost Redis for longer than the lease.
for _, member in ipairs(redis.call('ZRANGEBYSCORE', lease, '-inf', nowMs, 'LIMIT', 0, 1000)) do
  local used = (tonumber(redis.call('HGET', attempts, member)) or 0) + 1
  local claim = redis.call('HGET', claims, member)
  local dueTimeMs = claim and tonumber(string.match(claim, '|(.*)$')) or math.floor(nowMs)
  redis.call('ZREM', lease, member)
  redis.call('HDEL', claims, member)
  if used >= maxAttempts then
    redis.call('HDEL', attempts, member)
    redis.call('SREM', suspects, member)
    redis.call('ZADD', dead, nowMs, member)
    redis.call('HSET', deadInfo, member, cjson.encode({ error = expiredError, attempts = used, diedAtMs = nowMs }))
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

local result = { -1, 0 }
if limit > 0 then
  local entries = redis.call('ZRANGEBYSCORE', due, '-inf', nowMs, 'WITHSCORES', 'LIMIT', 0, limit)
  local members = {}
  for i = 1, #entries, 2 do
    members[#members + 1] = entries[i]
  end
  -- One HMGET per hash instead of one call per task: who holds a lease, how many attempts are used.
  local holders, used = {}, {}
  if #members > 0 and redis.call('EXISTS', claims) == 1 then
    holders = redis.call('HMGET', claims, unpack(members))
  end
  if #members > 0 and redis.call('EXISTS', attempts) == 1 then
    used = redis.call('HMGET', attempts, unpack(members))
  end
  local hasSuspects = #members > 0 and redis.call('EXISTS', suspects) == 1
  local taken, leaseArgs, claimArgs = {}, {}, {}
  local leaseUntilMs = nowMs + leaseMs
  local function take(j)
    local member, dueTimeMs = members[j], entries[2 * j]
    taken[#taken + 1] = member
    leaseArgs[#leaseArgs + 1] = leaseUntilMs
    leaseArgs[#leaseArgs + 1] = member
    claimArgs[#claimArgs + 1] = member
    claimArgs[#claimArgs + 1] = token .. '|' .. dueTimeMs
    result[#result + 1] = member
    result[#result + 1] = dueTimeMs
    result[#result + 1] = (tonumber(used[j]) or 0) + 1
  end
  for j, member in ipairs(members) do
    local heldUntil = holders[j] and redis.call('ZSCORE', lease, member)
    if heldUntil then
      redis.call('ZADD', due, heldUntil, member)
    elseif hasSuspects and redis.call('SISMEMBER', suspects, member) == 1 then
      if runningHere == 0 and #taken == 0 then
        take(j)
        result[2] = 1
      else
        result[2] = 2
      end
      break
    else
      take(j)
    end
  end
  if #taken > 0 then
    redis.call('ZREM', due, unpack(taken))
    redis.call('ZADD', lease, unpack(leaseArgs))
    redis.call('HSET', claims, unpack(claimArgs))
  end
  -- Recurring tasks (issue 11): a tick started at its first claim. A retry or a reclaimed lease
  -- keeps that start; a first attempt handed back unused (release) starts afresh.
  if #taken > 0 and redis.call('EXISTS', recurring) == 1 then
    local isRecurring = redis.call('HMGET', recurring, unpack(taken))
    for j, member in ipairs(taken) do
      if isRecurring[j] then
        redis.call(result[3 * j + 2] == 1 and 'HSET' or 'HSETNX', ticks, member, math.floor(nowMs))
      end
    end
  end
end

for _, key in ipairs({ due, lease }) do
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]
  if first then
    local delayMs = math.max(0, math.ceil(tonumber(first) - nowMs))
    if result[1] < 0 or delayMs < result[1] then result[1] = delayMs end
  end
end
return result
