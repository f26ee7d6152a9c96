--[[
  Removes the outbox group's consumers that are dead: idle longer than ARGV[2] and holding no
  pending entry. Checked and deleted in one script, so a consumer that reads an entry between
  the check and the delete cannot lose it (XGROUP DELCONSUMER drops a consumer's pending list).

  KEYS[1] a partition's outbox stream   <prefix>{vp:N}:outbox
  ARGV[1] the consumer group            'flush'
  ARGV[2] idle threshold, milliseconds
  ARGV[3] a consumer never to remove (the caller's own name)

  Returns the names of the consumers removed.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {}
end
local removed = {}
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if not ok then
  return {}
end
local threshold = tonumber(ARGV[2])
for _, c in ipairs(consumers) do
  local info = {}
  for i = 1, #c, 2 do
    info[c[i]] = c[i + 1]
  end
  if info['name'] ~= ARGV[3] and tonumber(info['pending']) == 0 and tonumber(info['idle']) > threshold then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    removed[#removed + 1] = info['name']
  end
end
return removed
