#!/usr/bin/env bash
# The toolkit demo (make demo-stringsvc): starts a local etcd and two instances of the example service (stringsvc) on free loopback
# ports, walks a client through one over both transports, then discovers both through etcd and shows one
# leaving the registry on SIGTERM. Prints each request and response. Keeps running until Ctrl-C unless ONCE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${SVCKIT_BIN:-build/bin}  # SVCKIT_BIN: another build (the e2e test runs the demo from its own)
work=$(mktemp -d)
pid=
pid2=
etcd_pid=
stop() {
  for p in $pid $pid2; do
    kill -TERM "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  [ -n "$pid" ] && echo "stringsvc stopped"
  if [ -n "$etcd_pid" ]; then kill "$etcd_pid" 2>/dev/null || true; wait "$etcd_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap stop EXIT
trap 'exit 0' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
etcd_port=$(free_port)
registry="etcd://127.0.0.1:$etcd_port"
etcd --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$(free_port)" \
  --logger zap --log-level error > "$work/etcd.log" 2>&1 &
etcd_pid=$!
for _ in $(seq 1 100); do curl -s "http://127.0.0.1:$etcd_port/health" | grep -q true && break; sleep 0.1; done
echo "etcd is serving on 127.0.0.1:$etcd_port (pid $etcd_pid)"

"$bin/stringsvc" --http-addr 127.0.0.1:0 --grpc-addr 127.0.0.1:0 --debug-addr 127.0.0.1:0 --registry "$registry" \
  > "$work/log" 2>&1 &
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

echo "--- discovery: a second instance registers; the client finds both in etcd and balances over them ---"
"$bin/stringsvc" --http-addr 127.0.0.1:0 --grpc-addr 127.0.0.1:0 --debug-addr 127.0.0.1:0 --registry "$registry" \
  > "$work/log2" 2>&1 &
pid2=$!
for _ in $(seq 1 100); do grep -q 'msg=registered' "$work/log2" && break; sleep 0.1; done
show etcdctl --endpoints "127.0.0.1:$etcd_port" get --prefix /services/
show "$bin/stringsvc-client" --registry "$registry" uppercase "found in etcd"
show "$bin/stringsvc-client" --registry "$registry" --balancer round_robin count "balanced"
echo "\$ kill -TERM $pid2    # deregisters first, then drains"
kill -TERM "$pid2"; wait "$pid2" 2>/dev/null || true; pid2=
show etcdctl --endpoints "127.0.0.1:$etcd_port" get --prefix /services/ --keys-only
echo "--- the first instance's log ---"
cat "$work/log"
echo "--- the second instance's log ---"
cat "$work/log2"

if [ "${ONCE:-0}" = 1 ]; then exit 0; fi
echo
echo "Still running; try the commands above. Ctrl-C stops it."
tail -n0 -f "$work/log" &
wait "$pid"
