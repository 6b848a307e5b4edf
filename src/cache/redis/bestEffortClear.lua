-- Clears a BEST_EFFORT counter as of the clear's generation time, once per dedupe key.
--
-- KEYS[1]  the counter
-- KEYS[2]  the dedupe key (the counter key again when there is none)
-- KEYS[3]  the counter's clear watermark
-- ARGV[1]  the dedupe key's TTL in ms, or '' when there is no dedupe key
-- ARGV[2]  the clear's generation time, µs since the epoch
-- ARGV[3]  how long to keep the watermark, ms
-- Returns  {count after it as a decimal string, status}: status 1 applied, 0 duplicate
--          (changes nothing).
--
-- The watermark holds the newest clear time as the decimal string it was given; a clear at
-- or before it changes nothing more, a newer one raises it (its expiry never shortened) and
-- deletes the count.

if ARGV[1] ~= '' then
  if redis.call('EXISTS', KEYS[2]) == 1 then return {redis.call('GET', KEYS[1]) or '0', 0} end
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
end
local wm = redis.call('GET', KEYS[3])
if wm and tonumber(ARGV[2]) <= tonumber(wm) then
  return {redis.call('GET', KEYS[1]) or '0', 1}
end
local keep = tonumber(ARGV[3])
local left = redis.call('PTTL', KEYS[3])
if left > keep then keep = left end
redis.call('SET', KEYS[3], ARGV[2], 'PX', keep)
redis.call('DEL', KEYS[1])
return {'0', 1}
