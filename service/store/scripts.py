"""Lua run inside Redis where one round trip must see a consistent index."""

#: Walks one index (KEYS[1]) in score order from an exclusive bound to an inclusive stop,
#: keeping members present in every other index given (KEYS[2..]) except the last `excluded`
#: ones, in which they must be absent; stops at `limit` matches or after examining `budget`
#: members, so one request's work is bounded however selective the filters are. Returns the
#: matches, the last score examined, and 1 when nothing can follow. ARGV: direction
#: ('asc'/'desc'), bound ('' = none), limit, budget, stop ('' = none), excluded (count).
PAGE = """
local dir, bound, limit, budget, stop = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local excluded = tonumber(ARGV[6] or '0')
local required = #KEYS - excluded
local chunk = math.min(math.max(limit, 64), budget)
local out, scanned, exhausted = {}, 0, 0
local function after(from, count)
  if dir == 'desc' then
    local hi = from == '' and '+inf' or ('(' .. from)
    local lo = stop == '' and '-inf' or stop
    return redis.call('ZRANGE', KEYS[1], hi, lo, 'BYSCORE', 'REV', 'LIMIT', 0, count, 'WITHSCORES')
  end
  local lo = from == '' and '-inf' or ('(' .. from)
  local hi = stop == '' and '+inf' or stop
  return redis.call('ZRANGE', KEYS[1], lo, hi, 'BYSCORE', 'LIMIT', 0, count, 'WITHSCORES')
end
while #out < limit and scanned < budget do
  local batch = after(bound, chunk)
  local n = #batch / 2
  if n == 0 then exhausted = 1 break end
  local consumed = 0
  for i = 1, #batch, 2 do
    local member = batch[i]
    bound = batch[i + 1]
    scanned = scanned + 1
    consumed = consumed + 1
    local keep = true
    for k = 2, required do
      if not redis.call('ZSCORE', KEYS[k], member) then keep = false break end
    end
    if keep then
      for k = required + 1, #KEYS do
        if redis.call('ZSCORE', KEYS[k], member) then keep = false break end
      end
    end
    if keep then out[#out + 1] = member end
    if #out >= limit or scanned >= budget then break end
  end
  if consumed == n and n < chunk then exhausted = 1 break end
end
if exhausted == 0 and required == 1 and #after(bound, 1) == 0 then exhausted = 1 end
return {out, bound, exhausted}
"""
