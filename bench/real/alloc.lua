-- Allocation-heavy Lua, issue #14's shape: binary trees (one long-lived tree
-- of about 130 K nodes held while short-lived trees come and go), string
-- building (every string new), table churn (tables grown key by key, then
-- emptied: array and hash parts resized again and again).
-- SCALE = arg[1] (default 10): work grows linearly with it; the live set at
-- peak (the long-lived tree, about 260 K blocks) does not.
local scale = tonumber(arg[1]) or 10

local function make(d)
  if d == 0 then return {} end
  return { make(d - 1), make(d - 1) }
end
local function check(t)
  if not t[1] then return 1 end
  return 1 + check(t[1]) + check(t[2])
end

local long_lived = make(16)
local sum = 0

for round = 1, scale do
  -- Binary trees: short-lived trees of depth 4..12.
  for d = 4, 12, 2 do
    for _ = 1, 2 ^ (12 - d) * 8 do
      sum = sum + check(make(d))
    end
  end

  -- String building: formatted pieces, concatenation, substitutions.
  local parts = {}
  for i = 1, 20000 do
    local s = string.format("%d:%s", i * round, ("x"):rep(i % 13))
    parts[#parts + 1] = s:upper() .. "|" .. s
  end
  local text = table.concat(parts, ",")
  local words = 0
  for w in text:gmatch("[^,]+") do words = words + #w end
  sum = sum + words + #text:gsub("X", "y")

  -- Table churn: grow tables key by key (array and hash parts), then empty
  -- them, so each resize reallocates.
  for t = 1, 200 do
    local a, h = {}, {}
    for i = 1, 300 do
      a[i] = i
      h["k" .. (i * t) % 997] = i
    end
    for i = 300, 1, -1 do a[i] = nil end
    local n = 0
    for _ in pairs(h) do n = n + 1 end
    sum = sum + n + #a
  end
end

print(scale, sum + check(long_lived))
