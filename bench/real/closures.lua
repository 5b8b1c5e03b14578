-- Closures and small tables: a closure and a table per step, called through
-- higher-order helpers; N = arg[1] (default 1500000) steps.
local n = tonumber(arg[1]) or 1500000
local function adder(k) return function(x) return x + k end end
local function map(f, t) local r = {} for i = 1, #t do r[i] = f(t[i]) end return r end
local sum = 0
for i = 1, n do
  local f = adder(i % 7)
  local t = map(f, {i, i + 1, i + 2})
  sum = sum + t[1] + t[3]
end
print(n, sum)
