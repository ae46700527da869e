-- POST /create on users with a new email on every request: EMAIL_PREFIX (one per wrk run) + thread + counter.
prefix = os.getenv("EMAIL_PREFIX") or "u"
counter = 0
tid = 0
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
  thread:set("prefix", prefix)
end
request = function()
  counter = counter + 1
  return wrk.format("POST", "/create", {["Content-Type"] = "application/json"},
                    '{"email":"' .. prefix .. tid .. '-' .. counter .. '@example.com"}')
end
