-- bench/lua/reveal.lua: wrk script for POST /v1/cards/{token}/reveal (the
-- CDE batch reveal with an API key holding cards:reveal; empty body, sent
-- with Content-Length: 0). Cycles through the pre-stored token pool like
-- read.lua; every reveal decrypts the card (AES-256-GCM under its DEK) and
-- writes an audit event.
--
-- Environment: KURA_BENCH_KEY, KURA_BENCH_TOKENS.
local dir = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require("common")

common.install("reveal")

local reqs = {}
local i

function init(args)
  local tokens = common.read_tokens(common.env("KURA_BENCH_TOKENS"))
  local headers = {["Authorization"] = "Bearer " .. common.env("KURA_BENCH_KEY")}
  for n, token in ipairs(tokens) do
    reqs[n] = wrk.format("POST", "/v1/cards/" .. token .. "/reveal", headers, "")
  end
  i = ((tid or 0) * 997) % #reqs  -- threads start at different places
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end
