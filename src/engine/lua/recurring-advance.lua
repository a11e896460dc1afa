--[[
  recurring-advance: schedules the next tick of recurring tasks whose tick ended (recurrence.ts).

  KEYS[1] recurring HASH   taskInfo -> JSON schedule record
  KEYS[2] ticks     HASH   taskInfo -> "<startMs>" of a running tick, "<startMs>|<outcome>" once ended
  KEYS[3] advance   SET    recurring tasks whose tick ended, waiting for their next tick
  KEYS[4] due       ZSET   taskInfo -> due time (Unix ms)
  KEYS[5] lease     ZSET   taskInfo -> lease expiry
  KEYS[6] coalesced STRING count of ticks coalesced into a later run
  ARGV[1] handler name
  ARGV[2] wake channel (pub/sub; not a key; in the keys' slot)
  ARGV[3] publish command: PUBLISH on a standalone server, SPUBLISH on a cluster
  ARGV[4..] sextuples of (taskInfo, ticks value read, record read, new record, nextDueMs, coalesced):
    the entry is applied only if both values read are unchanged;
    nextDueMs -1 only drops the entry (its schedule was removed, or its task runs again).

  Returns { applied, delayMs }: how many entries were applied, and the wake-up published as
  "<delayMs> <name>" when a next tick became the earliest of its name (else -1).

  Invariant: each ended tick schedules exactly one next tick, however many nodes race to advance
  it and whatever crashed in between: the first applied write removes the entry, and a schedule
  replaced meanwhile (another record) is left to the upsert that replaced it. A next tick never
  joins the due set while the task holds a lease: that run's end queues it. TIME and PUBLISH come
  before the first write.
]]
local recurring, ticks, advance, due, lease, coalesced = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local name, channel, publish = ARGV[1], ARGV[2], ARGV[3]

local applicable, earliest = {}, nil
for i = 4, #ARGV, 6 do
  local member = ARGV[i]
  -- The ticks value holds the tick's start: once applied (deleted) or claimed again, it differs.
  if (redis.call('HGET', ticks, member) or '') == ARGV[i + 1] and (redis.call('HGET', recurring, member) or '') == ARGV[i + 2] then
    applicable[#applicable + 1] = i
    local nextDueMs = tonumber(ARGV[i + 4])
    if nextDueMs >= 0 and (earliest == nil or nextDueMs < earliest) then earliest = nextDueMs end
  end
end

local delayMs = -1
if earliest ~= nil then
  local previousFirst = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')[2]
  if previousFirst == nil or earliest < tonumber(previousFirst) then
    local time = redis.call('TIME')
    local nowMs = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
    delayMs = math.max(0, math.ceil(earliest - nowMs))
    redis.call(publish, channel, delayMs .. ' ' .. name)
  end
end

local coalescedTicks = 0
for _, i in ipairs(applicable) do
  local member, nextDueMs = ARGV[i], tonumber(ARGV[i + 4])
  redis.call('SREM', advance, member)
  if nextDueMs >= 0 then
    redis.call('HDEL', ticks, member)
    redis.call('HSET', recurring, member, ARGV[i + 3])
    if not redis.call('ZSCORE', lease, member) then
      redis.call('ZADD', due, nextDueMs, member)
    end
    coalescedTicks = coalescedTicks + tonumber(ARGV[i + 5])
  end
end
if coalescedTicks > 0 then
  redis.call('INCRBY', coalesced, coalescedTicks)
end
return { #applicable, delayMs }
