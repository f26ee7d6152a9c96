--[[
  Releases a lock, only if it is still ours, so a successor can take over at once instead of
  waiting for the lease to run out (and a late release never deletes a successor's lock).

  KEYS[1] the lock      value: the holder's random token

  ARGV[1] our token

  Returns 1 if the lock was deleted, 0 if it was not ours.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
