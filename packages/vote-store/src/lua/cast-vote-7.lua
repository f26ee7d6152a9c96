--[[
  Casts one ballot, atomically, in ONE call: the instant acknowledgement of a vote, with the
  front door's checks folded in (issue 14): bans, the per-voter / per-IP / new-voters-per-network
  rate limits and the voter's session, which used to cost two more round trips and three more
  scripts per vote.

  The partition keys (1-6) share the vote partition's hash tag ({vp:N}). The gate keys (7-12) do
  not: they are per voter, address or network, and a model's partition says nothing about those.
  So this script needs every key on one Redis primary (a single Redis, or one primary under
  Sentinel), where the limits are exact; on Redis Cluster it would be refused (CROSSSLOT). See
  docs/architecture.md, "Rate limits in the vote script", for what the limits would mean there.

  KEYS[1] partition ready marker   <prefix>{vp:N}:ready     (absent until the partition is rebuilt from Postgres)
  KEYS[2] the voter's ballots       <prefix>{vp:N}:ballot:<voterId>   hash llmId -> '1' | '-1'
  KEYS[3] the model's tally         <prefix>{vp:N}:tally:<llmId>      hash up, down, ver
  KEYS[4] the partition's outbox    <prefix>{vp:N}:outbox             stream drained by the worker
  KEYS[5] the network's new ballots <prefix>{vp:N}:netballots:<networkHash>:<llmId>   counter, expires with its window
  KEYS[6] the voter's voided ballots <prefix>{vp:N}:voided:<voterId>  hash llmId -> '<flagId>:<value voided>'
  KEYS[7] the voter's ban           <prefix>ban:voter:<voterId>       string flag id, expires with the ban
  KEYS[8] the network's ban         <prefix>ban:net:<networkHash>     string flag id, expires with the ban
  KEYS[9] the voter's session       <prefix>session:<voterId>         hash firstSeen, lastSeen, ipHash, uaHash
  KEYS[10] per-voter limit          <prefix>rl:vote:voter:<voterId>   counter, expires with its window
  KEYS[11] per-address limit        <prefix>rl:vote:ip:<ip>           counter, expires with its window
  KEYS[12] new voters per network   <prefix>rl:vote:newvoters:<networkHash>   counter, expires with its window

  ARGV[1] voter id
  ARGV[2] llm id
  ARGV[3] new value: '1' up, '-1' down, '0' retract
  ARGV[4] most new ballots one network may add to this model per window ('0': no limit)
  ARGV[5] the window, seconds (starts at the network's first new ballot on the model)
  ARGV[6..11] signals kept with the event (issue 13; keyed hashes, '' when unknown):
          ip hash, network hash, user-agent hash, fingerprint hash, new voter '1'|'0', automated '1'|'0'
          (with the gate on, the script decides "new voter" itself and ARGV[10] is ignored)
  ARGV[12] the gate: '1' checks bans and limits and keeps the session (the api); '0' skips
           keys 7-12 (tools and tests that write ballots directly)
  ARGV[13] '1': the request carried no voter cookie (a voter id minted for it: new for sure)
  ARGV[14] '1': this process already knows the voter has a session (skips one EXISTS)
  ARGV[15] votes per voter per minute, ARGV[16] votes per address per minute,
  ARGV[17] first votes of new voter ids per network per hour ('0': no limit, each)
  ARGV[18] '1': write the session (the process has not refreshed it lately; a new voter's first
           accepted vote writes it whatever this says), ARGV[19] now (ISO 8601),
  ARGV[20] session ip hash, ARGV[21] session user-agent hash, ARGV[22] session TTL, seconds

  The limits are fixed windows that start at their first counted vote (as rate-limiter-flexible's
  Redis limiter keeps them; same key names). A vote request COUNTS against them when the gate
  lets it through, whatever the ballot's outcome (changed, unchanged, network-limited, voided);
  a refused request (banned, over a limit, partition not ready, unknown model) counts nothing,
  so the counters hold exactly the requests let through. A known voter counts in their own window
  and the address's; a new voter id in its network's window of new voters and the address's, and
  in its own window only once its first ballot is accepted (no key per cookieless request).

  Returns { status, up, down, ver, prev, streamId, retryAfter, extra }
    status  1: ballot changed, tally adjusted, event appended (streamId is its outbox id)
    status  0: same ballot as before, nothing written but the limits' counters and session
    status -1: partition not rebuilt yet (cold start), nothing written
    status -2: unknown model (no tally), nothing written
    status -3: the network's new ballots on this model are at ARGV[4], nothing written but the
               limits' counters; retryAfter: seconds until its window ends
    status -4: this ballot was voided by an integrity flag (under review or removed): it cannot
               be changed until the flag is dismissed; nothing written but the limits' counters.
               streamId: the flag id
    status -5: banned, nothing written; extra: 1 the voter id, 2 the network; retryAfter: ms
               left of the ban (0 when unknown); streamId: the flag id
    status -6: over a rate limit, nothing written; extra: 1 per voter, 2 per address, 3 new
               voters per network; retryAfter: seconds until that window ends (at least 1)
    extra on statuses 1, 0, -3, -4: 1 when the script treated the voter as new, else 0
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return { -1, 0, 0, 0, 0, '', 0, 0 }
end

local tally = redis.call('HMGET', KEYS[3], 'up', 'down', 'ver')
if not tally[1] then
  return { -2, 0, 0, 0, 0, '', 0, 0 }
end

local gate = ARGV[12] == '1'
local newVoter = ARGV[10] == '1'
if gate then
  -- Bans first: a banned client's request (a retraction too) counts against nothing.
  for scope = 1, 2 do
    local flag = redis.call('GET', KEYS[6 + scope])
    if flag then
      local left = redis.call('PTTL', KEYS[6 + scope])
      return { -5, 0, 0, 0, 0, flag, left > 0 and left or 0, scope }
    end
  end
  newVoter = ARGV[13] == '1' or (ARGV[14] ~= '1' and redis.call('EXISTS', KEYS[9]) == 0)
  -- Every limit is checked before any is counted: a refused request leaves no counter moved.
  local limits
  if newVoter then
    limits = { { 12, tonumber(ARGV[17]), 3600, 3 }, { 11, tonumber(ARGV[16]), 60, 2 } }
  else
    limits = { { 10, tonumber(ARGV[15]), 60, 1 }, { 11, tonumber(ARGV[16]), 60, 2 } }
  end
  for _, l in ipairs(limits) do
    if l[2] > 0 and tonumber(redis.call('GET', KEYS[l[1]]) or '0') >= l[2] then
      local ttl = redis.call('TTL', KEYS[l[1]])
      return { -6, 0, 0, 0, 0, '', ttl > 0 and ttl or 1, l[4] }
    end
  end
  for _, l in ipairs(limits) do
    if l[2] > 0 and redis.call('INCR', KEYS[l[1]]) == 1 then
      redis.call('EXPIRE', KEYS[l[1]], l[3])
    elseif l[2] > 0 and redis.call('TTL', KEYS[l[1]]) == -1 then
      -- A counter that somehow lost its expiry would refuse forever: its window starts now.
      redis.call('EXPIRE', KEYS[l[1]], l[3])
    end
  end
end
local extra = newVoter and 1 or 0

-- Keeps the voter's session (api only): opened by a new voter's first accepted ballot,
-- refreshed when the process says it is due.
local function touchSession()
  if gate and (newVoter or ARGV[18] == '1') then
    redis.call('HSETNX', KEYS[9], 'firstSeen', ARGV[19])
    redis.call('HSET', KEYS[9], 'lastSeen', ARGV[19], 'ipHash', ARGV[20], 'uaHash', ARGV[21])
    redis.call('EXPIRE', KEYS[9], tonumber(ARGV[22]))
  end
end

local voided = redis.call('HGET', KEYS[6], ARGV[2])
if voided then
  return { -4, tonumber(tally[1]), tonumber(tally[2]) or 0, tonumber(tally[3]) or 0, 0, string.match(voided, '^[^:]*'), 0, extra }
end

local up = tonumber(tally[1])
local down = tonumber(tally[2]) or 0
local ver = tonumber(tally[3]) or 0
local prev = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
local value = tonumber(ARGV[3])

if prev == value then
  -- Nothing changes for a new voter (no ballot held): no session for them yet.
  if not newVoter then touchSession() end
  return { 0, up, down, ver, prev, '', 0, extra }
end

local limit = tonumber(ARGV[4])
if limit > 0 and prev == 0 and value ~= 0 then
  local used = tonumber(redis.call('GET', KEYS[5]) or '0')
  if used >= limit then
    local ttl = redis.call('TTL', KEYS[5])
    return { -3, up, down, ver, prev, '', ttl > 0 and ttl or 1, extra }
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
-- One field, 'e': voter, model, new, previous, then the signals (ip, network, user agent,
-- fingerprint, new voter, automated), joined by NUL, which no value can hold (Postgres text
-- refuses it). The order is COMPACT_FIELDS in outbox.ts, whose reader reads it (issue 14: one
-- field instead of ten makes the flush's read ~3x cheaper per event).
local id = redis.call('XADD', KEYS[4], '*', 'e', table.concat({ ARGV[1], ARGV[2], ARGV[3], tostring(prev),
  ARGV[6], ARGV[7], ARGV[8], ARGV[9], newVoter and '1' or '0', ARGV[11] }, '\0'))

-- A new voter id's first accepted ballot opens its own per-voter window (see the header).
if gate and newVoter and tonumber(ARGV[15]) > 0 and redis.call('INCR', KEYS[10]) == 1 then
  redis.call('EXPIRE', KEYS[10], 60)
end
touchSession()

return { 1, up, down, ver, prev, id, 0, extra }
