"""Lua run inside Redis where one round trip must see a consistent index, or where reading a
claim and then its article would otherwise take two round trips.

The claim readers build key names from the prefixes `layout.Keys` gives them (ARGV), so the
key table stays the one place that names keys; those keys are not declared in KEYS, which a
single Redis server (the only deployment Claimtrack supports) does not require.

A bucketed index (`layout.is_bucketed`: a prefix ending in ':', one set of seq offsets per
`WORD_BUCKET` seqs) is walked bucket by bucket, each bucket's offsets sorted here, and probed
with SISMEMBER on the bucket of the claim's seq; its members are claim ids built from the seqs.
A sharded index (`layout.is_sharded`: a prefix ending in '/', `SHARDS` sorted sets) is walked
by merging its shards by score, a few entries of each at a time, and probed with ZSCORE on the
shard of the entry's score (`layout.shard_key` and `shard_of`, written again here).
"""
from .layout import PREFIX, SHARDS, WORD_BUCKET

#: Sharded indexes, for the scripts below: whether a key is one, its shard keys, the shard of
#: a score, the sizes of its shards, and a walk of its shards merged by score (`range` is the
#: walk of one sorted set, in the page's direction: the script that includes this defines it).
_SHARDS = """
local SHARDS = %d
local function sharded(key) return string.byte(key, -1) == 47 end
local function shard_key(index, n) return index .. '{' .. string.sub(index, %d) .. n .. '}' end
local function shard_of(score) return math.fmod(tonumber(score), SHARDS) end
local function sharded_size(index)
  local n = 0
  for s = 0, SHARDS - 1 do n = n + redis.call('ZCARD', shard_key(index, s)) end
  return n
end
local function sharded_exists(index)
  local keys = {}
  for s = 0, SHARDS - 1 do keys[#keys + 1] = shard_key(index, s) end
  return redis.call('EXISTS', unpack(keys)) > 0
end
-- The next `count` entries of a sharded index after exclusive score `from`, as `range` gives
-- them for one sorted set: every shard's next few, merged by score, a shard read again when
-- its entries run out while it may hold more. What was read and not returned is kept for the
-- next call that goes on from where this one stopped (the page's next batch, or its check
-- that nothing follows), so a page reads each shard about once.
local merge = nil
local function after_sharded(range, desc, index, from, count)
  if merge == nil or merge.index ~= index or merge.last ~= from then
    merge = {index = index, rows = {}, at = {}, bound = {}, live = {}, head = {}}
    for s = 1, SHARDS do merge.rows[s] = {}; merge.at[s] = 1; merge.bound[s] = from; merge.live[s] = true end
  end
  local rows, at, bound, live, head = merge.rows, merge.at, merge.bound, merge.live, merge.head
  -- head[s]: shard s's next score, negated walking up, so that the next entry is the largest.
  local sign, per, found, n = desc and 1 or -1, math.ceil(count / SHARDS) + 2, {}, 0
  local function refill(s)
    local r = range(shard_key(index, s - 1), bound[s], per)
    rows[s], at[s] = r, 1
    if #r < 2 * per then live[s] = false end
    if #r > 0 then bound[s] = r[#r]; head[s] = sign * tonumber(r[2]) else head[s] = nil end
  end
  for s = 1, SHARDS do
    if head[s] == nil and live[s] then refill(s) end
  end
  while n < 2 * count do
    local best, top = 0, nil
    for s = 1, SHARDS do
      local h = head[s]
      if h and (top == nil or h > top) then best, top = s, h end
    end
    if top == nil then break end
    local r, a = rows[best], at[best]
    found[n + 1], found[n + 2], n = r[a], r[a + 1], n + 2
    a = a + 2
    at[best] = a
    if a <= #r then head[best] = sign * tonumber(r[a + 1])
    elseif live[best] then refill(best)
    else head[best] = nil end
  end
  merge.last = found[n] or from
  return found
end
""" % (SHARDS, len(PREFIX) + 2)

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
SIZES = _BUCKETS + _SHARDS + """
local sizes, top = {}, nil
for i, key in ipairs(KEYS) do
  if bucketed(key) then
    top = top or tonumber(redis.call('GET', ARGV[1]) or '0')
    sizes[i] = bucketed_size(key, top)
  elseif sharded(key) then
    sizes[i] = sharded_size(key)
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
PAGE = _READ_CLAIMS + _BUCKETS + _SHARDS + """
local dir, bound, limit, budget, stop = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local excluded = tonumber(ARGV[6] or '0')
local required = #KEYS - excluded
-- Excluded sorted sets that are empty (superseded claims, most of the time) are not probed.
local absent = {}
for k = required + 1, #KEYS do
  local key = KEYS[k]
  if bucketed(key) or (sharded(key) and sharded_exists(key)) or redis.call('EXISTS', key) == 1 then
    absent[#absent + 1] = key
  end
end
-- A page of one index whose exclusions are all empty keeps every entry it reads: it reads
-- `limit` of them (a sharded index's merge then reads a few entries of each shard, not 64).
local chunk = math.min((required == 1 and #absent == 0) and limit or math.max(limit, 64), budget)
local out, scanned, exhausted, more = {}, 0, 0, false
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
  if sharded(key) then return redis.call('ZSCORE', shard_key(key, shard_of(seq)), member) ~= false end
  return redis.call('ZSCORE', key, member) ~= false
end
-- One sorted set's next `count` entries after exclusive score `from`, with their scores.
local function range(key, from, count)
  if dir == 'desc' then
    local hi = from == '' and '+inf' or ('(' .. from)
    local lo = stop == '' and '-inf' or stop
    return redis.call('ZRANGE', key, hi, lo, 'BYSCORE', 'REV', 'LIMIT', 0, count, 'WITHSCORES')
  end
  local lo = from == '' and '-inf' or ('(' .. from)
  local hi = stop == '' and '+inf' or stop
  return redis.call('ZRANGE', key, lo, hi, 'BYSCORE', 'LIMIT', 0, count, 'WITHSCORES')
end
local function after(from, count)
  if bucketed(KEYS[1]) then return after_bucketed(KEYS[1], from, count) end
  if sharded(KEYS[1]) then return after_sharded(range, dir == 'desc', KEYS[1], from, count) end
  return range(KEYS[1], from, count)
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
  if consumed == n and n < chunk then exhausted = 1 break end
  -- Entries of the batch left unexamined: something follows, no need to ask.
  more = consumed < n
end
if exhausted == 0 and required == 1 and not more and #after(bound, 1) == 0 then exhausted = 1 end
if ARGV[8] then
  local fields = {}
  for i = 10, #ARGV do fields[#fields + 1] = ARGV[i] end
  local records, aids, articles = read_claims(out, ARGV[8], ARGV[9], fields)
  return {out, bound, exhausted, records, aids, articles}
end
return {out, bound, exhausted}
"""
