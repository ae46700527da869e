wrk.method = "POST"
wrk.body = '{"s":"hello benchmark"}'
wrk.headers["Content-Type"] = "application/json"
