-- bench/lua/store.lua: wrk script for POST /v1/cards (tokenize a card).
-- Every request carries a different, Luhn-valid 16-digit Visa-range PAN:
--   "4" .. seed (2 digits) .. thread (1 digit) .. counter (11 digits) .. check
-- where the seed (KURA_BENCH_SEED, 1..99) is unique per wrk run, so no PAN is
-- repeated within the whole benchmark (vault_bench.sh pre-stores its token pool
-- with seed 00). token_format is "random"; dedup is off (the default), so
-- each request is a new durable row: the vault answers 201 only after the
-- group commit holding it has been fsynced.
--
-- Environment: KURA_BENCH_KEY (API key with cards:write), KURA_BENCH_SEED.
local dir = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require("common")

common.install("store")

local headers, prefix
local counter = 0

function init(args)
  local seed = tonumber(common.env("KURA_BENCH_SEED"))
  assert(seed and seed >= 0 and seed <= 99, "KURA_BENCH_SEED must be 0..99")
  assert(tid and tid <= 9, "store.lua supports at most 10 wrk threads")
  prefix = string.format("4%02d%d", seed, tid)
  headers = {
    ["Authorization"] = "Bearer " .. common.env("KURA_BENCH_KEY"),
    ["Content-Type"] = "application/json",
  }
end

function request()
  counter = counter + 1
  local pan = common.luhn_complete(prefix .. string.format("%011d", counter))
  local body = '{"pan":"' .. pan .. '","exp_month":12,"exp_year":2030,' ..
               '"token_format":"random"}'
  return wrk.format("POST", "/v1/cards", headers, body)
end
