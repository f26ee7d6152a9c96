--[[
  Casts one ballot, atomically, in one round trip: the instant acknowledgement of a vote.

  Every key shares the vote partition's hash tag ({vp:N}), so this runs unchanged on Redis Cluster.

  KEYS[1] partition ready marker   <prefix>{vp:N}:ready     (absent until the partition is rebuilt from Postgres)
  KEYS[2] the voter's ballots       <prefix>{vp:N}:ballot:<voterId>   hash llmId -> '1' | '-1'
  KEYS[3] the model's tally         <prefix>{vp:N}:tally:<llmId>      hash up, down, ver
  KEYS[4] the partition's outbox    <prefix>{vp:N}:outbox             stream drained by the worker
  KEYS[5] the network's new ballots <prefix>{vp:N}:netballots:<networkHash>:<llmId>   counter, expires with its window
  KEYS[6] the voter's voided ballots <prefix>{vp:N}:voided:<voterId>  hash llmId -> '<flagId>:<value voided>'

  ARGV[1] voter id
  ARGV[2] llm id
  ARGV[3] new value: '1' up, '-1' down, '0' retract
  ARGV[4] most new ballots one network may add to this model per window ('0': no limit)
  ARGV[5] the window, seconds (starts at the network's first new ballot on the model)
  ARGV[6..11] signals kept with the event (issue 13; keyed hashes, '' when unknown):
          ip hash, network hash, user-agent hash, fingerprint hash, new voter '1'|'0', automated '1'|'0'

  Only a NEW ballot (none before, up or down now) counts against ARGV[4]: switching or
  retracting never adds weight, so it is never refused. Checked here, in the same script as the
  write, so concurrent votes cannot overshoot the limit.

  Returns { status, up, down, ver, prev, streamId, retryAfterSec }
    status  1: ballot changed, tally adjusted, event appended (streamId is its outbox id)
    status  0: same ballot as before, nothing written
    status -1: partition not rebuilt yet (cold start), nothing written
    status -2: unknown model (no tally), nothing written
    status -3: the network's new ballots on this model are at ARGV[4], nothing written;
               retryAfterSec: seconds until its window ends
    status -4: this ballot was voided by an integrity flag (under review or removed): it cannot
               be changed until the flag is dismissed; nothing written. streamId: the flag id
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return { -1, 0, 0, 0, 0, '', 0 }
end

local tally = redis.call('HMGET', KEYS[3], 'up', 'down', 'ver')
if not tally[1] then
  return { -2, 0, 0, 0, 0, '', 0 }
end

local voided = redis.call('HGET', KEYS[6], ARGV[2])
if voided then
  return { -4, tonumber(tally[1]), tonumber(tally[2]) or 0, tonumber(tally[3]) or 0, 0, string.match(voided, '^[^:]*'), 0 }
end

local up = tonumber(tally[1])
local down = tonumber(tally[2]) or 0
local ver = tonumber(tally[3]) or 0
local prev = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
local value = tonumber(ARGV[3])

if prev == value then
  return { 0, up, down, ver, prev, '', 0 }
end

local limit = tonumber(ARGV[4])
if limit > 0 and prev == 0 and value ~= 0 then
  local used = tonumber(redis.call('GET', KEYS[5]) or '0')
  if used >= limit then
    local ttl = redis.call('TTL', KEYS[5])
    return { -3, up, down, ver, prev, '', ttl > 0 and ttl or 1 }
  end
  redis.call('INCR', KEYS[5])
  -- TTL -1: the window starts now (also heals a counter that somehow lost its expiry).
  if redis.call('TTL', KEYS[5]) == -1 then
    redis.call('EXPIRE', KEYS[5], tonumber(ARGV[5]))
  end
end

if prev == 1 then up = up - 1 elseif prev == -1 then down = down - 1 end
if value == 1 then up = up + 1 elseif value == -1 then down = down + 1 end
ver = ver + 1

if value == 0 then
  redis.call('HDEL', KEYS[2], ARGV[2])
else
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
end
redis.call('HSET', KEYS[3], 'up', up, 'down', down, 'ver', ver)

-- The stream id is the event's deterministic identity downstream: (partition, id) is unique,
-- and ids grow monotonically within a partition, which orders ballots last-writer-wins.
local id = redis.call('XADD', KEYS[4], '*', 'v', ARGV[1], 'l', ARGV[2], 'n', ARGV[3], 'p', tostring(prev),
  'ip', ARGV[6], 'nw', ARGV[7], 'ua', ARGV[8], 'fp', ARGV[9], 'nv', ARGV[10], 'au', ARGV[11])

return { 1, up, down, ver, prev, id, 0 }
