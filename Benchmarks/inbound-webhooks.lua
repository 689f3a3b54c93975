-- wrk script: signed Twilio inbound webhooks from many distinct numbers, each request a new
-- message (new MessageSid) signed exactly as Twilio signs it: base64(HMAC-SHA1(auth token,
-- URL + sorted name+value pairs)). Environment: BENCH_PUBLIC_URL (what the server believes its
-- public URL is), BENCH_AUTH_TOKEN, BENCH_ACCOUNT_SID, BENCH_TO (the account's number),
-- BENCH_SENDERS (how many distinct customer numbers, default 5000).
-- Fill mode: with BENCH_FILL=N (and BENCH_THREADS, wrk's -t), the threads text from N distinct
-- numbers in turn, one text each, then stop: N new conversations.
local bit = require("bit")
local band, bor, bxor, bnot, lshift, rshift, rol, tobit =
  bit.band, bit.bor, bit.bxor, bit.bnot, bit.lshift, bit.rshift, bit.rol, bit.tobit

local function sha1(message)
  local h0, h1, h2, h3, h4 = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0
  local ml = #message * 8
  message = message .. "\128" .. string.rep("\0", (55 - #message) % 64)
  -- Message length as a 64-bit big-endian integer (the high word is 0 for our sizes).
  message = message .. "\0\0\0\0" .. string.char(
    band(rshift(ml, 24), 255), band(rshift(ml, 16), 255), band(rshift(ml, 8), 255), band(ml, 255))
  local w = {}
  for chunk = 1, #message, 64 do
    for i = 0, 15 do
      local a, b, c, d = message:byte(chunk + i * 4, chunk + i * 4 + 3)
      w[i] = bor(lshift(a, 24), lshift(b, 16), lshift(c, 8), d)
    end
    for i = 16, 79 do
      w[i] = rol(bxor(w[i - 3], w[i - 8], w[i - 14], w[i - 16]), 1)
    end
    local a, b, c, d, e = h0, h1, h2, h3, h4
    for i = 0, 79 do
      local f, k
      if i < 20 then
        f = bor(band(b, c), band(bnot(b), d)); k = 0x5A827999
      elseif i < 40 then
        f = bxor(b, c, d); k = 0x6ED9EBA1
      elseif i < 60 then
        f = bor(band(b, c), band(b, d), band(c, d)); k = 0x8F1BBCDC
      else
        f = bxor(b, c, d); k = 0xCA62C1D6
      end
      local temp = tobit(rol(a, 5) + f + e + k + w[i])
      e = d; d = c; c = rol(b, 30); b = a; a = temp
    end
    h0 = tobit(h0 + a); h1 = tobit(h1 + b); h2 = tobit(h2 + c); h3 = tobit(h3 + d); h4 = tobit(h4 + e)
  end
  local out = {}
  for _, h in ipairs({ h0, h1, h2, h3, h4 }) do
    out[#out + 1] = string.char(band(rshift(h, 24), 255), band(rshift(h, 16), 255), band(rshift(h, 8), 255), band(h, 255))
  end
  return table.concat(out)
end

local function hmac_sha1(key, message)
  if #key > 64 then key = sha1(key) end
  key = key .. string.rep("\0", 64 - #key)
  local ipad, opad = {}, {}
  for i = 1, 64 do
    local byte = key:byte(i)
    ipad[i] = string.char(bxor(byte, 0x36))
    opad[i] = string.char(bxor(byte, 0x5c))
  end
  return sha1(table.concat(opad) .. sha1(table.concat(ipad) .. message))
end

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(data)
  local out = {}
  for i = 1, #data, 3 do
    local a, b, c = data:byte(i, i + 2)
    local n = lshift(a, 16) + lshift(b or 0, 8) + (c or 0)
    out[#out + 1] = alphabet:sub(rshift(n, 18) + 1, rshift(n, 18) + 1)
    out[#out + 1] = alphabet:sub(band(rshift(n, 12), 63) + 1, band(rshift(n, 12), 63) + 1)
    out[#out + 1] = b and alphabet:sub(band(rshift(n, 6), 63) + 1, band(rshift(n, 6), 63) + 1) or "="
    out[#out + 1] = c and alphabet:sub(band(n, 63) + 1, band(n, 63) + 1) or "="
  end
  return table.concat(out)
end

local function urlencode(text)
  return (text:gsub("[^%w%-%._~]", function(ch) return string.format("%%%02X", ch:byte()) end))
end

local public_url = os.getenv("BENCH_PUBLIC_URL") .. "/webhooks/twilio/messages"
local token = os.getenv("BENCH_AUTH_TOKEN")
local account = os.getenv("BENCH_ACCOUNT_SID")
local to = os.getenv("BENCH_TO")
local senders = tonumber(os.getenv("BENCH_SENDERS") or "5000")
local fill = tonumber(os.getenv("BENCH_FILL") or "0")
local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
local bodies = { "Is the tech still coming today?", "Thanks!", "Can we move it to Friday?", "Water is leaking again",
  "What time will you arrive?", "Do you take cards?" }

local counter = 0
-- setup() runs in wrk's main Lua state; thread:set() gives each thread's state its own global.
local threads_made = 0
function setup(thread)
  threads_made = threads_made + 1
  thread:set("thread_index", threads_made)
end

function init(args)
  math.randomseed(os.time() + thread_index * 7919)
end

function request()
  counter = counter + 1
  local sid = string.format("SMbench%08x%08x%010d", math.random(0, 0x7fffffff), os.time(), counter)
  local n = math.random(0, senders - 1)
  if fill > 0 then n = (thread_index - 1) + threads * (counter - 1) end
  -- NANP numbers: area 512, exchange 200–999, line 0000–9999.
  local from = string.format("+1512%03d%04d", 200 + n % 800, math.floor(n / 800) % 10000)
  local params = {
    { "AccountSid", account }, { "ApiVersion", "2010-04-01" }, { "Body", bodies[math.random(#bodies)] },
    { "From", from }, { "MessageSid", sid }, { "NumMedia", "0" }, { "NumSegments", "1" }, { "SmsSid", sid },
    { "SmsStatus", "received" }, { "To", to },
  }
  table.sort(params, function(x, y) return x[1] < y[1] end)
  local payload, form = public_url, {}
  for _, p in ipairs(params) do
    payload = payload .. p[1] .. p[2]
    form[#form + 1] = p[1] .. "=" .. urlencode(p[2])
  end
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = base64(hmac_sha1(token, payload)),
  }
  return wrk.format("POST", "/webhooks/twilio/messages", headers, table.concat(form, "&"))
end

local failures = 0
function response(status, headers, body)
  if fill > 0 and (thread_index - 1) + threads * counter >= fill then wrk.thread:stop() end
  if status ~= 200 then
    failures = failures + 1
    if failures <= 3 then io.stderr:write("inbound webhook answered " .. status .. ": " .. body .. "\n") end
  end
end
