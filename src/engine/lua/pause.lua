--[[
  pause: pauses one name fleet-wide: claim.lua claims none of its tasks until resume.lua.

  KEYS[1] paused  STRING  present while the name is paused: the pause time (Unix ms, Redis time)

  Returns 1 if the name was running and is now paused, 0 if it was already paused.

  Invariant: the flag lives in Redis, so it holds for every node and survives their restarts;
  pausing again keeps the first pause time.
]]
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
return redis.call('SET', KEYS[1], nowMs, 'NX') and 1 or 0
