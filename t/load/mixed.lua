-- One kind of request of the mixed load (t/load/run.sh), for wrk.
--
-- Environment (read by every Lua state wrk creates):
--   LOAD_KIND    mint | page | guarded
--   LOAD_PHASE   a tag put in every request id (W, P, G ...)
--   LOAD_AUTH    the Authorization header (Basic ... or Bearer ...)
--   LOAD_BODY    the JSON body of a mint
--   LOAD_EXPECT  a string every 2xx body of a page or guarded GET must hold
--   LOAD_OUT     the file done() writes its counts to
--
-- Every request carries X-Load-Id: <phase>.<kind letter><thread>-<seq>,
-- which httpd logs and echoes back (Header always echo).  Each thread keeps
-- the ids it sent that got no answer (`pending`), so that run.sh can tell,
-- from the access log, a request the server never processed from one whose
-- answer was lost.  Statuses are counted here as well as by wrk.

local kind = os.getenv("LOAD_KIND") or "guarded"
local phase = os.getenv("LOAD_PHASE") or "X"
local auth = os.getenv("LOAD_AUTH") or ""
local mint_body = os.getenv("LOAD_BODY") or '{"expiresIn":"P7D"}'
local expect = os.getenv("LOAD_EXPECT") or ""
local out = os.getenv("LOAD_OUT")

-- main state ---------------------------------------------------------------
local threads = {}
local nthreads = 0

function setup(thread)
    nthreads = nthreads + 1
    thread:set("tid", nthreads)
    table.insert(threads, thread)
end

-- thread states ------------------------------------------------------------
local prefix, seq, verifying

function init(args)
    prefix = phase .. "." .. string.sub(kind, 1, 1) .. tostring(tid) .. "-"
    seq = 0
    -- wrk calls request() once in the first thread's state, right after
    -- init(), only to check that the request parses (script_verify_request
    -- in wrk.c); that one is never sent, so it is not counted as pending.
    verifying = (tid == 1)
    -- globals, so that done() can read them with thread:get()
    statuses = {}
    pending = {}
    headers_seen = {}   -- mints: count per JWT header segment (one per key)
    badbody = 0
    noid = 0
end

function request()
    seq = seq + 1
    local id = prefix .. seq
    if verifying then verifying = false else pending[id] = true end
    local h = { ["X-Load-Id"] = id }
    if auth ~= "" then h["Authorization"] = auth end
    if kind == "mint" then
        h["Content-Type"] = "application/json"
        return wrk.format("POST", nil, h, mint_body)
    end
    return wrk.format("GET", nil, h, nil)
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
    local id = headers["X-Load-Id"] or headers["x-load-id"]
    if id then pending[id] = nil else noid = noid + 1 end
    if status >= 200 and status < 300 then
        if kind == "mint" then
            local seg = string.match(body or "", '"token"%s*:%s*"([%w_-]+)%.[%w_-]+%.[%w_-]+"')
            if seg then
                headers_seen[seg] = (headers_seen[seg] or 0) + 1
            else
                badbody = badbody + 1
            end
        elseif expect ~= "" and not string.find(body or "", expect, 1, true) then
            badbody = badbody + 1
        end
    end
end

function done(summary, latency, requests)
    local f = assert(io.open(out, "w"))
    local e = summary.errors
    f:write(string.format("requests %d\n", summary.requests))
    f:write(string.format("duration_us %d\n", summary.duration))
    f:write(string.format("errors_connect %d\nerrors_read %d\nerrors_write %d\n",
        e.connect, e.read, e.write))
    f:write(string.format("errors_timeout %d\nerrors_status %d\n", e.timeout, e.status))
    f:write(string.format("lat_p50_us %d\nlat_p99_us %d\nlat_max_us %d\n",
        latency:percentile(50), latency:percentile(99), latency.max))
    local st, hs, bad, nid = {}, {}, 0, 0
    for _, t in ipairs(threads) do
        for s, n in pairs(t:get("statuses")) do st[s] = (st[s] or 0) + n end
        for seg, n in pairs(t:get("headers_seen")) do hs[seg] = (hs[seg] or 0) + n end
        for id in pairs(t:get("pending")) do f:write("pending ", id, "\n") end
        bad = bad + t:get("badbody")
        nid = nid + t:get("noid")
    end
    for s, n in pairs(st) do f:write(string.format("status %d %d\n", s, n)) end
    for seg, n in pairs(hs) do f:write(string.format("jwt_header %s %d\n", seg, n)) end
    f:write(string.format("badbody %d\nnoid %d\n", bad, nid))
    f:close()
end
