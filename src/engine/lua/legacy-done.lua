--[[
  legacy-done: forgets members a migration has added to the new layout (see legacy-take.lua).

  KEYS[1] moving       HASH  member -> "<token>|<score>"
  KEYS[2] movingUntil  ZSET  member -> end of the taking migration's lease
  ARGV[1] token        the pass that took them
  ARGV[2..] members

  Returns how many were forgotten.

  Invariant: only the pass holding a member forgets it; a member whose lease ended and that was
  given back (then maybe taken by another pass) is left to its new holder.
]]
local moving, movingUntil = KEYS[1], KEYS[2]
local prefix = ARGV[1] .. '|'

local done = 0
for i = 2, #ARGV do
  local held = redis.call('HGET', moving, ARGV[i])
  if held and string.sub(held, 1, #prefix) == prefix then
    redis.call('HDEL', moving, ARGV[i])
    redis.call('ZREM', movingUntil, ARGV[i])
    done = done + 1
  end
end
return done
