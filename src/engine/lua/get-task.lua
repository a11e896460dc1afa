--[[
  get-task: everything stored about one task, read in one step.

  KEYS[1] due       ZSET  taskInfo -> due time
  KEYS[2] lease     ZSET  taskInfo -> lease expiry
  KEYS[3] claims    HASH  taskInfo -> "<token>|<dueTimeMs>" of a running task
  KEYS[4] attempts  HASH  taskInfo -> attempts already used
  KEYS[5] dead      ZSET  taskInfo -> time it was given up
  KEYS[6] deadInfo  HASH  taskInfo -> JSON {error, attempts, diedAtMs, dueTimeMs}
  ARGV[1] taskInfo

  Returns { dueScore, leaseScore, claim, attemptsUsed, deadScore, deadInfo }, false where absent.

  Invariant: read-only; one consistent snapshot (a task is never seen half-way between states).
]]
local member = ARGV[1]
return {
  redis.call('ZSCORE', KEYS[1], member),
  redis.call('ZSCORE', KEYS[2], member),
  redis.call('HGET', KEYS[3], member),
  redis.call('HGET', KEYS[4], member),
  redis.call('ZSCORE', KEYS[5], member),
  redis.call('HGET', KEYS[6], member),
}
