-- bench/lua/common.lua: shared plumbing for the vault benchmark's wrk scripts
-- (healthz.lua, store.lua, read.lua, reveal.lua). Loaded with require("common")
-- by each of them; wrk (Debian 12: 4.1.0 on LuaJIT 2.1, i.e. Lua 5.1 rules)
-- runs every script once per thread in its own Lua state, plus once in a
-- separate state for setup() and done().
--
-- What it provides:
--   * setup(thread)  numbers the threads (global `tid` in each thread's state)
--                    and keeps them so done() can read their counters;
--   * response(...)  counts every response whose status is not 2xx (wrk only
--                    counts >399 itself) and remembers the last bad status;
--   * done(...)      prints ONE machine-readable line that vault_bench.sh parses:
--       KURA_RESULT endpoint=<name> rps=<req/s> p50_us=<us> p99_us=<us>
--                   requests=<n> non2xx=<n> last_bad_status=<code|0>
--                   socket_errors=<n>
--   * helpers: env(), read_tokens(), luhn_complete().
--
-- Secrets: the API key arrives in the environment (KURA_BENCH_KEY), never on
-- wrk's command line (which `ps` shows), and is never printed.

local M = {}

-- Environment variable `name`, or an error naming it when it is missing
-- (unless a default is given).
function M.env(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then
    if default ~= nil then return default end
    error("vault bench: environment variable " .. name .. " is not set")
  end
  return v
end

-- The card tokens in file `path` (one per line), as an array. Errors if the
-- file is missing or empty.
function M.read_tokens(path)
  local f = assert(io.open(path, "r"))
  local tokens = {}
  for line in f:lines() do
    if line ~= "" then tokens[#tokens + 1] = line end
  end
  f:close()
  if #tokens == 0 then error("vault bench: no tokens in " .. path) end
  return tokens
end

-- `payload` (a string of digits) followed by its Luhn check digit: the
-- rightmost payload digit is the first one doubled.
function M.luhn_complete(payload)
  local sum, double = 0, true
  for i = #payload, 1, -1 do
    local d = payload:byte(i) - 48
    if double then
      d = d * 2
      if d > 9 then d = d - 9 end
    end
    sum = sum + d
    double = not double
  end
  return payload .. tostring((10 - sum % 10) % 10)
end

-- Installs the global setup/response/done functions for endpoint `name`.
function M.install(name)
  -- Main (setup/done) state: every thread, in creation order.
  local threads = {}

  function setup(thread)
    thread:set("tid", #threads)  -- 0-based thread number, read in init()
    threads[#threads + 1] = thread
  end

  -- Thread states: counters read by done() through thread:get().
  non2xx = 0
  last_bad_status = 0

  function response(status, headers, body)
    if status < 200 or status > 299 then
      non2xx = non2xx + 1
      last_bad_status = status
    end
  end

  function done(summary, latency, requests)
    local bad, last = 0, 0
    for _, t in ipairs(threads) do
      bad = bad + (t:get("non2xx") or 0)
      local l = t:get("last_bad_status") or 0
      if l ~= 0 then last = l end
    end
    local e = summary.errors
    local socket_errors = e.connect + e.read + e.write + e.timeout
    local seconds = summary.duration / 1e6
    io.write(string.format(
      "KURA_RESULT endpoint=%s rps=%.1f p50_us=%d p99_us=%d requests=%d non2xx=%d " ..
      "last_bad_status=%d socket_errors=%d\n",
      name, summary.requests / seconds, latency:percentile(50), latency:percentile(99),
      summary.requests, bad, last, socket_errors))
  end
end

return M
