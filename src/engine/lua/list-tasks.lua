--[[
  list-tasks: one page of the tasks of one name in one state, in score order (due time, lease expiry
  or death time), after a cursor.

  KEYS[1] set       ZSET  the state's set: due, lease or dead (taskInfo -> score)
  KEYS[2] attempts  HASH  taskInfo -> attempts already used
  KEYS[3] claims    HASH  taskInfo -> "[mark]<token>|<dueTimeMs>" of a running task (see claim.lua)
  KEYS[4] deadInfo  HASH  taskInfo -> JSON {error, attempts, diedAtMs, dueTimeMs} of a dead task
  ARGV[1] limit         most tasks to return
  ARGV[2] afterScore    cursor: score of the last task of the previous page ("" for the first page)
  ARGV[3] afterMember   cursor: taskInfo of that task
  ARGV[4] state         "scheduled", "running" or "dead": which hashes are read (only those of the state)

  Returns { taskInfo, score, attemptsUsed, claim, deadInfo, ... }: five fields per task, false where
  the hash has no entry or is not read for the state. Running: only leases of the tasks' current
  runs (claim without a mark); a run superseded by a re-add or cancelled by a remove is skipped (the
  task is listed by its due entry, or not at all), so no claim returned carries a mark.

  Invariant: read-only, O(log n + limit) (the lease set also holds the marked runs, at most the
  nodes' total concurrency). A page starts right after (afterScore, afterMember) in
  Redis's order (score, then the member's bytes), whether that member is still in the set or not,
  so a paging client sees every task that stays in the set exactly once, however many are added,
  claimed or removed between its pages.
]]
local set, attempts, claims, deadInfo = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local limit, afterScore, afterMember, state = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]

-- Redis orders equal scores by memcmp of the members; Lua's '<' follows the locale, so compare bytes.
local function bytesAfter(a, b)
  local n = math.min(#a, #b)
  local i = 1
  while i <= n do
    local j = math.min(i + 63, n)
    if string.sub(a, i, j) ~= string.sub(b, i, j) then
      for k = i, j do
        local x, y = string.byte(a, k), string.byte(b, k)
        if x ~= y then return x > y end
      end
    end
    i = j + 1
  end
  return #a > #b
end

-- Rank of the first task after the cursor.
local function startRank()
  if afterScore == '' then return 0 end
  local score = tonumber(afterScore)
  local current = redis.call('ZSCORE', set, afterMember)
  if current and tonumber(current) == score then
    return redis.call('ZRANK', set, afterMember) + 1
  end
  -- The cursor's task left (or moved): binary search among the tasks that share its score.
  local low = redis.call('ZCOUNT', set, '-inf', '(' .. afterScore)
  local high = low + redis.call('ZCOUNT', set, afterScore, afterScore)
  while low < high do
    local middle = math.floor((low + high) / 2)
    if bytesAfter(redis.call('ZRANGE', set, middle, middle)[1], afterMember) then
      high = middle
    else
      low = middle + 1
    end
  end
  return low
end

local function isMarked(claim)
  local mark = string.sub(claim, 1, 1)
  return mark == '!' or mark == '+'
end

local result, found, rank = {}, 0, startRank()
while found < limit do
  local entries = redis.call('ZRANGE', set, rank, rank + limit - found - 1, 'WITHSCORES')
  local members = {}
  for i = 1, #entries, 2 do
    members[#members + 1] = entries[i]
  end
  if #members == 0 then break end
  rank = rank + #members

  local function lookup(hash, wanted)
    if not wanted or redis.call('EXISTS', hash) == 0 then return {} end
    return redis.call('HMGET', hash, unpack(members))
  end
  local used = lookup(attempts, state ~= 'dead')
  local held = lookup(claims, state == 'running')
  local info = lookup(deadInfo, state == 'dead')
  for j, member in ipairs(members) do
    if not (held[j] and isMarked(held[j])) then
      found = found + 1
      result[#result + 1] = member
      result[#result + 1] = entries[2 * j]
      result[#result + 1] = used[j] or false
      result[#result + 1] = held[j] or false
      result[#result + 1] = info[j] or false
    end
  end
end
return result
