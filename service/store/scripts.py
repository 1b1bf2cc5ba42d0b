"""Lua run inside Redis where one round trip must see a consistent index, or where reading a
claim and then its article would otherwise take two round trips.

The claim readers build key names from the prefixes `layout.Keys` gives them (ARGV), so the
key table stays the one place that names keys; those keys are not declared in KEYS, which a
single Redis server (the only deployment Claimtrack supports) does not require.

A bucketed index (`layout.is_bucketed`: a prefix ending in ':', one set of seq offsets per
`WORD_BUCKET` seqs) is walked bucket by bucket, each bucket's offsets sorted here, and probed
with SISMEMBER on the bucket of the claim's seq; its members are claim ids built from the seqs.
"""
from .layout import WORD_BUCKET

#: Bucketed indexes, for the scripts below: whether KEYS[k] is one, a claim id from a seq (the
#: same base 36 as `values.claim_id`), and how many claims a bucketed index holds.
_BUCKETS = """
local BUCKET = %d
-- A bucket holding more than 1/DENSE of its seqs is walked by probing seq after seq rather
-- than by reading and sorting all of its members.
local DENSE = 8
local DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz'
local function bucketed(key) return string.byte(key, -1) == 58 end
local function claim_id(seq)
  local s = ''
  repeat
    local d = seq %% 36
    s = string.sub(DIGITS, d + 1, d + 1) .. s
    seq = (seq - d) / 36
  until seq == 0
  return 'clm_' .. s
end
local function bucketed_size(prefix, top)
  local n = 0
  for b = 0, math.floor(top / BUCKET) do n = n + redis.call('SCARD', prefix .. b) end
  return n
end
""" % WORD_BUCKET

#: The size of each index in KEYS (ZCARD, or the members of all of a bucketed index's buckets);
#: ARGV[1]: the claim seq counter's key (the highest bucket).
SIZES = _BUCKETS + """
local sizes, top = {}, nil
for i, key in ipairs(KEYS) do
  if bucketed(key) then
    top = top or tonumber(redis.call('GET', ARGV[1]) or '0')
    sizes[i] = bucketed_size(key, top)
  else
    sizes[i] = redis.call('ZCARD', key)
  end
end
return sizes
"""

#: Reads claim records and their articles' fields: `read_claims(ids, claim_prefix,
#: article_prefix, fields)` returns the records (false where missing), the distinct article
#: ids in order of first appearance, and each one's HMGET of `fields`. A record is a JSON array
#: whose first value is its article id (records.CLAIM_FIELDS), so no JSON is decoded here.
_READ_CLAIMS = """
local function read_claims(ids, claim_prefix, article_prefix, fields)
  local aids, articles, seen, keys = {}, {}, {}, {}
  if #ids == 0 then return {}, aids, articles end
  for i = 1, #ids do keys[i] = claim_prefix .. ids[i] end
  -- One MGET, not a GET per claim: each redis.call costs about as much as the read itself.
  local records = redis.call('MGET', unpack(keys))
  for i = 1, #ids do
    local raw = records[i]
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
#: for a page of claims, the claim seq counter's key (where a bucketed index's walk starts), the
#: claim prefix, the article prefix and the article fields, so that the page comes back with
#: its records and articles (`read_claims`) in the same round trip.
PAGE = _READ_CLAIMS + _BUCKETS + """
local dir, bound, limit, budget, stop = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local excluded = tonumber(ARGV[6] or '0')
local required = #KEYS - excluded
-- Excluded sorted sets that are empty (superseded claims, most of the time) are not probed.
local absent = {}
for k = required + 1, #KEYS do
  if bucketed(KEYS[k]) or redis.call('EXISTS', KEYS[k]) == 1 then absent[#absent + 1] = KEYS[k] end
end
local chunk = math.min(math.max(limit, 64), budget)
local out, scanned, exhausted, unread = {}, 0, 0, false
local function top() return tonumber(redis.call('GET', ARGV[7]) or '0') end
-- A bucketed index's next `count` claims after seq `from`, as ZRANGE ... WITHSCORES would give
-- them: bucket by bucket, each bucket's offsets sorted.
local function after_bucketed(prefix, from, count)
  local found, lo, hi = {}, 0, 0
  if dir == 'desc' then
    hi = from == '' and top() or tonumber(from) - 1
    lo = stop == '' and 0 or tonumber(stop)
  else
    lo = from == '' and 0 or tonumber(from) + 1
    hi = stop == '' and top() or tonumber(stop)
  end
  if hi < lo then return found end
  local b, last, step = math.floor(hi / BUCKET), math.floor(lo / BUCKET), -1
  if dir ~= 'desc' then b, last, step = last, b, 1 end
  while #found < 2 * count do
    local key, base = prefix .. b, b * BUCKET
    local first, final = math.max(lo, base), math.min(hi, base + BUCKET - 1)
    if step < 0 then first, final = final, first end
    if redis.call('SCARD', key) * DENSE > BUCKET then
      -- A dense bucket (every claim, a type): seq after seq, each probed, until enough.
      for s = first, final, step do
        if redis.call('SISMEMBER', key, s - base) == 1 then
          found[#found + 1] = claim_id(s)
          found[#found + 1] = s
          if #found >= 2 * count then break end
        end
      end
    else
      local seqs = {}
      for _, m in ipairs(redis.call('SMEMBERS', key)) do
        local s = base + tonumber(m)
        if s >= lo and s <= hi then seqs[#seqs + 1] = s end
      end
      if step < 0 then table.sort(seqs, function(x, y) return x > y end) else table.sort(seqs) end
      for _, s in ipairs(seqs) do
        found[#found + 1] = claim_id(s)
        found[#found + 1] = s
        if #found >= 2 * count then break end
      end
    end
    if b == last then break end
    b = b + step
  end
  return found
end
local function has(key, member, seq)
  if bucketed(key) then
    local s = tonumber(seq)
    return redis.call('SISMEMBER', key .. math.floor(s / BUCKET), s % BUCKET) == 1
  end
  return redis.call('ZSCORE', key, member) ~= false
end
local function after(from, count)
  if bucketed(KEYS[1]) then return after_bucketed(KEYS[1], from, count) end
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
      if not has(KEYS[k], member, bound) then keep = false break end
    end
    if keep then
      for _, key in ipairs(absent) do
        if has(key, member, bound) then keep = false break end
      end
    end
    if keep then out[#out + 1] = member end
    if #out >= limit or scanned >= budget then break end
  end
  unread = consumed < n
  if consumed == n and n < chunk then exhausted = 1 break end
end
-- Whether anything follows: known when the last batch has members left unread (a full page
-- read from a longer batch, the common case), else asked of the index.
if exhausted == 0 and required == 1 and not unread and #after(bound, 1) == 0 then exhausted = 1 end
if ARGV[8] then
  local fields = {}
  for i = 10, #ARGV do fields[#fields + 1] = ARGV[i] end
  local records, aids, articles = read_claims(out, ARGV[8], ARGV[9], fields)
  return {out, bound, exhausted, records, aids, articles}
end
return {out, bound, exhausted}
"""
