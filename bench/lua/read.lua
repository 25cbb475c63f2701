-- bench/lua/read.lua: wrk script for GET /v1/cards/{token} (masked read).
-- Cycles through the token pool that vault_bench.sh stored before the run
-- (file KURA_BENCH_TOKENS, one token per line); all requests are
-- pre-formatted in init() so request() is a table lookup.
--
-- Environment: KURA_BENCH_KEY (API key with cards:read), KURA_BENCH_TOKENS.
local dir = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require("common")

common.install("read")

local reqs = {}
local i

function init(args)
  local tokens = common.read_tokens(common.env("KURA_BENCH_TOKENS"))
  local headers = {["Authorization"] = "Bearer " .. common.env("KURA_BENCH_KEY")}
  for n, token in ipairs(tokens) do
    reqs[n] = wrk.format("GET", "/v1/cards/" .. token, headers)
  end
  i = ((tid or 0) * 997) % #reqs  -- threads start at different places
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end
