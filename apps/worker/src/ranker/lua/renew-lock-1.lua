--[[
  Extends a lock's lease, only if it is still ours: a holder whose lease ran out and whose lock
  someone else took must learn that, not extend the other's lock.

  KEYS[1] the lock      value: the holder's random token

  ARGV[1] our token
  ARGV[2] lease in ms

  Returns 1 if the lease was extended, 0 if the lock is not ours (expired or taken).
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
