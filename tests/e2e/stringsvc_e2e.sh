#!/usr/bin/env bash
# End to end: the stringsvc binaries as a user runs them — flags, both transports, SIGTERM.
set -euo pipefail
bin=$1
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$work/log" ] && cat "$work/log"; exit 1; }

# --help documents the common flags and exits 0.
"$bin/stringsvc" --help > "$work/help"
for flag in --http-addr --grpc-addr --debug-addr --log-level --log-format --shutdown-timeout-ms; do
  grep -q -- "$flag" "$work/help" || fail "--help does not mention $flag"
done
# A bad flag value is refused with a message and a non-zero exit.
if "$bin/stringsvc" --log-level loud > "$work/bad" 2>&1; then fail "bad --log-level accepted"; fi
grep -q "log-level" "$work/bad" || fail "no message naming --log-level"
# A malformed address fails at start-up, clearly.
if "$bin/stringsvc" --http-addr nonsense > "$work/badaddr" 2>&1; then fail "malformed address accepted"; fi
grep -q 'bad address.*nonsense' "$work/badaddr" || fail "no message naming the bad address"

# Serve on free ports; read them back from the log as it is written (read -t: a deadline, no polling).
mkfifo "$work/out"
"$bin/stringsvc" --http-addr 127.0.0.1:0 --grpc-addr 127.0.0.1:0 --debug-addr 127.0.0.1:0 > "$work/out" 2>&1 &
pid=$!
exec 3<"$work/out"
while IFS= read -r -t 10 line <&3; do
  echo "$line" >> "$work/log"
  case "$line" in *'server="debug'*) break ;; esac
done
cat <&3 >> "$work/log" &  # keep draining the service's output
http=$(sed -n 's/.*server="http \([0-9.:]*\)".*/\1/p' "$work/log")
grpc=$(sed -n 's/.*server="grpc \([0-9.:]*\)".*/\1/p' "$work/log")
debug=$(sed -n 's/.*server="debug \([0-9.:]*\)".*/\1/p' "$work/log")
[ -n "$http" ] && [ -n "$grpc" ] && [ -n "$debug" ] || fail "server did not report its addresses"

out=$(curl -sS -X POST "http://$http/uppercase" -d '{"s":"hello"}')
[ "$out" = '{"v":"HELLO"}' ] || fail "HTTP uppercase returned $out"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "http://$http/uppercase" -d '{"s":""}')
[ "$code" = 400 ] || fail "empty string gave HTTP $code"
[ "$("$bin/stringsvc-client" --transport grpc --addr "$grpc" uppercase grpc)" = GRPC ] || fail "gRPC uppercase"
[ "$("$bin/stringsvc-client" --transport http --addr "$http" count four)" = 4 ] || fail "HTTP count via client"

# The debug listener counts what was served: two good uppercases (HTTP, gRPC), one refused, one count.
metrics=$(curl -sS "http://$debug/metrics")
grep -qx 'svckit_requests_total{service="stringsvc",method="uppercase",code="OK"} 2' <<<"$metrics" || fail "uppercase OK count: $metrics"
grep -qx 'svckit_requests_total{service="stringsvc",method="uppercase",code="INVALID_ARGUMENT"} 1' <<<"$metrics" || fail "uppercase refused count"
grep -qx 'svckit_requests_total{service="stringsvc",method="count",code="OK"} 1' <<<"$metrics" || fail "count OK count"
[ "$(curl -sS "http://$debug/healthz")" = '{"status":"ok"}' ] || fail "debug /healthz"

# SIGTERM: clean exit 0 within the drain deadline.
kill -TERM "$pid"
timeout 10 tail --pid="$pid" -f /dev/null || fail "still running 10 s after SIGTERM"
set +e; wait "$pid"; rc=$?; set -e
pid=
wait  # the drain of the service's output ends with it
[ "$rc" = 0 ] || fail "exit code $rc after SIGTERM"
grep -q 'msg=stopped' "$work/log" || fail "no 'stopped' log line"
echo "e2e stringsvc: ok"
