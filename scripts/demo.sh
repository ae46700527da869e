#!/usr/bin/env bash
# The demo: starts the example service (stringsvc) on free loopback ports and walks a client through it
# over both transports, printing each request and response. Keeps running until Ctrl-C unless ONCE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
work=$(mktemp -d)
pid=
stop() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "stringsvc stopped"
  fi
  rm -rf "$work"
}
trap stop EXIT
trap 'exit 0' INT TERM

"$bin/stringsvc" --http-addr 127.0.0.1:0 --grpc-addr 127.0.0.1:0 > "$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q 'server="grpc' "$work/log" && break; sleep 0.1; done
http=$(sed -n 's/.*server="http \([0-9.:]*\)".*/\1/p' "$work/log")
grpc=$(sed -n 's/.*server="grpc \([0-9.:]*\)".*/\1/p' "$work/log")
echo "stringsvc is serving HTTP/JSON on $http and gRPC on $grpc (pid $pid)"
echo

show() { echo "\$ $*"; "$@" || true; echo; }
show curl -sS -X POST "http://$http/uppercase" -d '{"s":"hello, svckit"}'
show curl -sS -X POST "http://$http/count" -d '{"s":"hello"}'
show curl -sS -X POST "http://$http/uppercase" -d '{"s":""}'
show curl -sS -X POST "http://$http/uppercase" -d '{"s":"x","extra":1}'
show "$bin/stringsvc-client" --transport grpc --addr "$grpc" uppercase "over grpc"
show "$bin/stringsvc-client" --transport grpc --addr "$grpc" count "four"
show "$bin/stringsvc-client" --transport grpc --addr "$grpc" uppercase ""
echo "--- the service's log ---"
cat "$work/log"

if [ "${ONCE:-0}" = 1 ]; then exit 0; fi
echo
echo "Still running; try the commands above. Ctrl-C stops it."
tail -n0 -f "$work/log" &
wait "$pid"
