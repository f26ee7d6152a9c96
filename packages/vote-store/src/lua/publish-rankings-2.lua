--[[
  Publishes one rankings diff and the snapshot it leads to, atomically: a reader that finds the
  snapshot under diff id X can follow the stream after X and miss nothing, and never sees a diff
  whose snapshot is not there yet.

  Both keys share the hash tag {rk}, so this runs unchanged on Redis Cluster.

  KEYS[1] diffs stream      <prefix>{rk}:diffs      entries { d = <diff JSON> }
  KEYS[2] latest snapshot   <prefix>{rk}:snapshot   string '<diff id>\n<snapshot JSON>'

  ARGV[1] diff JSON without its id       {"at":<ms>,"entries":[...changed entries...]}
  ARGV[2] snapshot JSON without its id   {"at":<ms>,"entries":[...every entry...]}
  ARGV[3] approximate maximum stream length (MAXLEN ~: trims whole stream nodes, cheaply)

  Returns the new diff's stream id, which is also the snapshot's id.
]]
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'd', ARGV[1])
redis.call('SET', KEYS[2], id .. '\n' .. ARGV[2])
return id
