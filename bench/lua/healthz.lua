-- bench/lua/healthz.lua: wrk script for GET /healthz (no authentication).
-- The ceiling of the HTTP stack (TLS, parsing, routing) on this machine; the
-- other endpoints are compared with it.
--
-- The request is pre-formatted once and returned from request() like the
-- other scripts do, so every endpoint pays the same per-request Lua cost in
-- wrk and the ratios compare the server, not the client.
local dir = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require("common")

common.install("healthz")

local req

function init(args)
  req = wrk.format("GET", "/healthz", {})
end

function request()
  return req
end
