-- Tables and strings: format distinct strings, concatenate, split and count
-- words, sort, build new strings; ROUNDS = arg[1] (default 6) rounds of
-- 30000 items. Allocation-heavy (every string is new).
local rounds = tonumber(arg[1]) or 6
local total = 0
for r = 1, rounds do
  local words = {}
  for i = 1, 30000 do
    words[i] = string.format("w%d_%d", i * 7919 % 30011, r)
  end
  local text = table.concat(words, " ")
  local count = {}
  for w in text:gmatch("%S+") do count[w] = (count[w] or 0) + 1 end
  local keys = {}
  for k in pairs(count) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for i = 1, #keys do parts[i] = keys[i]:upper() .. "=" .. count[keys[i]] end
  total = total + #table.concat(parts, ";")
end
print(rounds, total)
