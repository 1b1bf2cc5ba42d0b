"""Lua run inside Redis where one round trip must see a consistent index, or where reading a
claim and then its article would otherwise take two round trips.

The claim readers build key names from the prefixes `layout.Keys` gives them (ARGV), so the
key table stays the one place that names keys; those keys are not declared in KEYS, which a
single Redis server (the only deployment Claimtrack supports) does not require.
"""

#: Reads claim records and their articles' fields: `read_claims(ids, claim_prefix,
#: article_prefix, fields)` returns the records (false where missing), the distinct article
#: ids in order of first appearance, and each one's HMGET of `fields`. A record is a JSON array
#: whose first value is its article id (records.CLAIM_FIELDS), so no JSON is decoded here.
_READ_CLAIMS = """
local function read_claims(ids, claim_prefix, article_prefix, fields)
  local records, aids, articles, seen = {}, {}, {}, {}
  for i = 1, #ids do
    local raw = redis.call('GET', claim_prefix .. ids[i])
    records[i] = raw
    if raw then
      local aid = string.match(raw, '^%["([^"]+)"')
      if aid and not seen[aid] then
        seen[aid] = true
        aids[#aids + 1] = aid
        articles[#articles + 1] = redis.call('HMGET', article_prefix .. aid, unpack(fields))
      end
    end
  end
  return records, aids, articles
end
"""

#: Claims by id (KEYS: none; ARGV: claim prefix, article prefix, then the article fields, then
#: "--" and the claim ids), with their articles, in one round trip.
READ_CLAIMS = _READ_CLAIMS + """
local fields, ids, i = {}, {}, 3
while ARGV[i] ~= '--' do fields[#fields + 1] = ARGV[i]; i = i + 1 end
for j = i + 1, #ARGV do ids[#ids + 1] = ARGV[j] end
local records, aids, articles = read_claims(ids, ARGV[1], ARGV[2], fields)
return {records, aids, articles}
"""

#: Walks one index (KEYS[1]) in score order from an exclusive bound to an inclusive stop,
#: keeping members present in every other index given (KEYS[2..]) except the last `excluded`
#: ones, in which they must be absent; stops at `limit` matches or after examining `budget`
#: members, so one request's work is bounded however selective the filters are. Returns the
#: matches, the last score examined, and 1 when nothing can follow. ARGV: direction
#: ('asc'/'desc'), bound ('' = none), limit, budget, stop ('' = none), excluded (count); and,
#: for a page of claims, the claim prefix, the article prefix and the article fields, so that
#: the page comes back with its records and articles (`read_claims`) in the same round trip.
PAGE = _READ_CLAIMS + """
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
if ARGV[7] then
  local fields = {}
  for i = 9, #ARGV do fields[#fields + 1] = ARGV[i] end
  local records, aids, articles = read_claims(out, ARGV[7], ARGV[8], fields)
  return {out, bound, exhausted, records, aids, articles}
end
return {out, bound, exhausted}
"""
