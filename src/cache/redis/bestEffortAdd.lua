-- Adds a delta to a BEST_EFFORT counter, once per dedupe key, unless the counter's clear
-- watermark (the newest clear time) is at or after the add's generation time.
--
-- KEYS[1]  the counter
-- KEYS[2]  the dedupe key (the counter key again when there is none)
-- KEYS[3]  the counter's clear watermark
-- ARGV[1]  delta, decimal string
-- ARGV[2]  the counter's TTL in seconds, or '' for none (PERSIST)
-- ARGV[3]  the dedupe key's TTL in ms, or '' when there is no dedupe key
-- ARGV[4]  the add's generation time, µs since the epoch
-- Returns  {count as a decimal string, status}: status 1 applied, 0 duplicate (changes
--          nothing), 2 superseded by a clear (marks the dedupe key, changes nothing else),
--          -1 the result would overflow 64 bits (changes nothing).
--
-- The count is read back with GET rather than taken from INCRBY's reply: Lua turns integer
-- replies into doubles, which would round counts past 2^53. Times are compared as Lua
-- numbers (doubles), which is exact: µs since the epoch stay below 2^53 (until the year 2255).

if ARGV[3] ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then
  return {redis.call('GET', KEYS[1]) or '0', 0}
end
local wm = redis.call('GET', KEYS[3])
if wm and tonumber(ARGV[4]) <= tonumber(wm) then
  if ARGV[3] ~= '' then redis.call('SET', KEYS[2], '1', 'PX', ARGV[3]) end
  return {redis.call('GET', KEYS[1]) or '0', 2}
end
local r = redis.pcall('INCRBY', KEYS[1], ARGV[1])
if type(r) == 'table' and r.err then
  if string.find(r.err, 'overflow', 1, true) then
    return {redis.call('GET', KEYS[1]) or '0', -1}
  end
  return redis.error_reply(r.err)
end
if ARGV[2] == '' then redis.call('PERSIST', KEYS[1]) else redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], '1', 'PX', ARGV[3]) end
return {redis.call('GET', KEYS[1]), 1}
