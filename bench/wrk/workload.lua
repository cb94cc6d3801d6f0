-- wrk script for bench/run.sh: one workload, chosen by environment variables.
--
--   BENCH_TOKEN     bearer token (none: no Authorization header, e.g. for /healthz)
--   BENCH_PATH      the path to GET (W2, W3, W5, W6, /healthz)
--   BENCH_IDS       W1: a file of unit ids, one a line; each request GETs /v1/units/{a random one}
--   BENCH_POST      W4: "1" to POST a new media entry, with a URL no other request uses
--   BENCH_NONCE     W4: a prefix for the URLs (each thread adds random bytes of its own)
--   BENCH_IF_NONE_MATCH  W5c, W6c: an ETag sent as If-None-Match (a polling script's revalidation);
--                   a 200 (something committed, e.g. a token's last_used_at once a minute)
--                   brings a new ETag, which the thread sends from then on, as a script would
--
-- done() prints one line that run.sh reads:
--   RESULT requests=N seconds=S rps=R p50_ms=A p99_ms=B non2xx=C errors=D [refetched=E]
--   (refetched: W5c, W6c answers that were 200 rather than 304)

local token = os.getenv("BENCH_TOKEN") or ""
local path = os.getenv("BENCH_PATH") or "/healthz"
local ids_file = os.getenv("BENCH_IDS") or ""
local post = os.getenv("BENCH_POST") == "1"
local if_none_match = os.getenv("BENCH_IF_NONE_MATCH") or ""
-- Each wrk process (warm-up and every run) and each of its threads gets URLs of its own.
local function random_hex(bytes)
    local f = io.open("/dev/urandom", "rb")
    local raw = f:read(bytes)
    f:close()
    return (raw:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end
local nonce = (os.getenv("BENCH_NONCE") or "run") .. "-" .. random_hex(6)

local threads = {}
refetched = 0  -- a global: done() reads it from each thread
local thread_count = 0

function setup(thread)
    thread_count = thread_count + 1
    thread:set("thread_number", thread_count)
    table.insert(threads, thread)
end

local ids = {}
local counter = 0
local headers = {}

function init(args)
    if token ~= "" then
        headers["Authorization"] = "Bearer " .. token
    end
    if post then
        headers["Content-Type"] = "application/json"
    end
    if if_none_match ~= "" then
        headers["If-None-Match"] = if_none_match
    end
    if ids_file ~= "" then
        for line in io.lines(ids_file) do
            if #line > 0 then
                ids[#ids + 1] = line
            end
        end
        assert(#ids > 0, "no ids in " .. ids_file)
    end
    math.randomseed(os.time() * 100 + (thread_number or 0))
end

local sentiments = { "neutral", "neutral", "neutral", "neutral", "neutral", "neutral",
                     "positive", "positive", "positive", "negative" }

function request()
    if post then
        counter = counter + 1
        local body = string.format(
            '{"title":"Học sinh Hải Phòng đạt giải cao tại kỳ thi khoa học kỹ thuật quốc tế",' ..
            '"url":"https://bench.example/w4/%s/%d/%d","outlet":"Báo Hải Phòng","origin":"domestic",' ..
            '"country":"VN","language":"vi","published_at":"%s","sentiment":"%s",' ..
            '"summary":"Đoàn học sinh thành phố giành hai huy chương vàng; Sở Giáo dục và Đào tạo tổ chức lễ tuyên dương."}',
            nonce, thread_number or 0, counter, os.date("!%Y-%m-%dT%H:%M:%SZ"),
            sentiments[(counter % #sentiments) + 1])
        return wrk.format("POST", "/v1/media-entries", headers, body)
    end
    if #ids > 0 then
        return wrk.format("GET", "/v1/units/" .. ids[math.random(#ids)], headers)
    end
    return wrk.format("GET", path, headers)
end

if if_none_match ~= "" then
    function response(status, response_headers, body)
        if status == 200 then
            refetched = refetched + 1
            local tag = response_headers["ETag"] or response_headers["etag"]
            if tag then headers["If-None-Match"] = tag end
        end
    end
end

function done(summary, latency, requests)
    local seconds = summary.duration / 1e6
    local e = summary.errors
    local extra = ""
    if if_none_match ~= "" then
        local total = 0
        for _, thread in ipairs(threads) do total = total + (thread:get("refetched") or 0) end
        extra = string.format(" refetched=%d", total)
    end
    io.write(string.format("RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f non2xx=%d errors=%d%s\n",
        summary.requests, seconds, summary.requests / seconds,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        e.status, e.connect + e.read + e.write + e.timeout, extra))
end
