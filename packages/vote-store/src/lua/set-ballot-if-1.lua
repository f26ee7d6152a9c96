--[[
  Sets a voter's ballot on one model only if it still holds what the caller saw (compare and
  set): a vote cast since then wins over a repair.

  KEYS[1] the voter's ballots   <prefix>{vp:N}:ballot:<voterId>   hash llmId -> '1' | '-1'
  ARGV[1] llm id
  ARGV[2] the value seen ('0': none)
  ARGV[3] the value to set ('0': remove)

  Returns 1 when set, 0 when the ballot had changed (nothing written).
]]
local current = redis.call('HGET', KEYS[1], ARGV[1]) or '0'
if current ~= ARGV[2] then
  return 0
end
if ARGV[3] == '0' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
end
return 1
