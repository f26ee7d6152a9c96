--[[
  Voids or restores one ballot for an integrity flag, atomically: the compensating event of a
  vote, through the same path as a vote (ballot, tally, outbox), so Postgres, the live ranking
  and every screen follow as they do for a vote. Idempotent both ways: a second void of the
  same ballot, or a second restore, writes nothing.

  KEYS[1] the voter's ballots        <prefix>{vp:N}:ballot:<voterId>   hash llmId -> '1' | '-1'
  KEYS[2] the voter's voided ballots <prefix>{vp:N}:voided:<voterId>   hash llmId -> '<flagId>:<value voided>'
  KEYS[3] the model's tally          <prefix>{vp:N}:tally:<llmId>      hash up, down, ver
  KEYS[4] the partition's outbox     <prefix>{vp:N}:outbox

  ARGV[1] voter id
  ARGV[2] llm id
  ARGV[3] 'void' | 'restore'
  ARGV[4] flag id

  void:    unless the ballot is voided already (by any flag), records '<flag>:<current value>' in
           KEYS[2] (from then on the voter cannot change this ballot: cast-vote answers -4), and,
           when the current value is not 0, removes the ballot, adjusts the tally and appends
           {v, l, n=0, p=current, k=void, f=flag} to the outbox.
  restore: when KEYS[2] holds this flag's record, removes it and puts the voided value back
           (tally, outbox {v, l, n=value, p=0, k=restore, f=flag}).

  Returns { status, value, up, down, ver, streamId }
    status  1: done (streamId '' when no ballot had to move: a void of a retracted ballot)
    status  0: nothing to do (already voided / not voided by this flag)
    status -2: unknown model (no tally)
]]
local tally = redis.call('HMGET', KEYS[3], 'up', 'down', 'ver')
if not tally[1] then
  return { -2, 0, 0, 0, 0, '' }
end
local up = tonumber(tally[1])
local down = tonumber(tally[2]) or 0
local ver = tonumber(tally[3]) or 0

if ARGV[3] == 'void' then
  if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then
    return { 0, 0, up, down, ver, '' }
  end
  local current = tonumber(redis.call('HGET', KEYS[1], ARGV[2]) or '0')
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[4] .. ':' .. tostring(current))
  if current == 0 then
    return { 1, 0, up, down, ver, '' }
  end
  if current == 1 then up = up - 1 else down = down - 1 end
  ver = ver + 1
  redis.call('HDEL', KEYS[1], ARGV[2])
  redis.call('HSET', KEYS[3], 'up', up, 'down', down, 'ver', ver)
  local id = redis.call('XADD', KEYS[4], '*', 'v', ARGV[1], 'l', ARGV[2], 'n', '0', 'p', tostring(current),
    'k', 'void', 'f', ARGV[4])
  return { 1, current, up, down, ver, id }
end

local record = redis.call('HGET', KEYS[2], ARGV[2])
if not record then
  return { 0, 0, up, down, ver, '' }
end
local flag, value = string.match(record, '^([^:]*):(.*)$')
if flag ~= ARGV[4] then
  return { 0, 0, up, down, ver, '' }
end
redis.call('HDEL', KEYS[2], ARGV[2])
value = tonumber(value) or 0
-- Casts are refused while voided, so the ballot is empty; if not (an operator's hand), it wins.
if value == 0 or redis.call('HEXISTS', KEYS[1], ARGV[2]) == 1 then
  return { 1, 0, up, down, ver, '' }
end
if value == 1 then up = up + 1 else down = down + 1 end
ver = ver + 1
redis.call('HSET', KEYS[1], ARGV[2], tostring(value))
redis.call('HSET', KEYS[3], 'up', up, 'down', down, 'ver', ver)
local id = redis.call('XADD', KEYS[4], '*', 'v', ARGV[1], 'l', ARGV[2], 'n', tostring(value), 'p', '0',
  'k', 'restore', 'f', ARGV[4])
return { 1, value, up, down, ver, id }
