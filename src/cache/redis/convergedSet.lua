-- Stores the converged count of one counter unless a newer one is there.
--
-- KEYS[1]  the counter's entry, one string "<asOfMs>:<value>"
-- ARGV[1]  asOfMs, decimal string
-- ARGV[2]  the value, decimal string
-- ARGV[3]  the entry's TTL in ms, '0' for none
-- Returns  1 when the stored value changed, 0 otherwise (an older asOf, or the same value).
--
-- A newer asOf wins; an equal one overwrites (like the memory cache).

local cur = redis.call('GET', KEYS[1])
local prev = nil
if cur then
  local sep = string.find(cur, ':', 1, true)
  if tonumber(string.sub(cur, 1, sep - 1)) > tonumber(ARGV[1]) then return 0 end
  prev = string.sub(cur, sep + 1)
end
if ARGV[3] == '0' then
  redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2], 'PX', ARGV[3])
end
if prev == ARGV[2] then return 0 end
return 1
