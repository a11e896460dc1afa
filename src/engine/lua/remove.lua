--[[
  remove: cancels a task in every state: due, waiting for a retry, running, or dead.

  KEYS[1] due       ZSET  taskInfo -> due time
  KEYS[2] lease     ZSET  taskInfo -> lease expiry
  KEYS[3] claims    HASH  taskInfo -> claim token of the holder (see claim.lua)
  KEYS[4] attempts  HASH  taskInfo -> attempts already used
  KEYS[5] suspects  SET   tasks whose last lease expired (see claim.lua)
  KEYS[6] dead      ZSET  taskInfo -> time it was given up
  KEYS[7] deadInfo  HASH  taskInfo -> JSON of a dead task
  ARGV[1] taskInfo

  Returns 1 if the task was scheduled, running or dead, 0 if it was not found.

  Invariant: a running task loses its claim, so its holder can neither retry it nor renew it
  (its handler sees its AbortSignal fire at the next renewal). A dead task's entry is deleted.
]]
local due, lease, claims, attempts, suspects, dead, deadInfo = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local member = ARGV[1]
local found = redis.call('ZREM', due, member) + redis.call('ZREM', lease, member)
found = found + redis.call('ZREM', dead, member) -- [operate, issue 12]
redis.call('HDEL', deadInfo, member)
redis.call('HDEL', claims, member)
redis.call('HDEL', attempts, member)
redis.call('SREM', suspects, member)
return found > 0 and 1 or 0
