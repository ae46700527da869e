#!/usr/bin/env bash
# A real Prometheus (Debian's package) scrapes a running stringsvc's debug listener; its HTTP API must show
# the target up and the request counters equal to the requests we sent.
# Usage: prometheus_test.sh BIN_DIR
set -euo pipefail
bin=$1
work=$(mktemp -d /tmp/svckit-prometheus-XXXXXX)
svc_pid= prom_pid=
cleanup() {
  [ -n "$svc_pid" ] && kill "$svc_pid" 2>/dev/null || true
  [ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  echo "--- stringsvc log" >&2; tail -20 "$work/svc.log" >&2 || true
  echo "--- prometheus log" >&2; tail -20 "$work/prom.log" >&2 || true
  exit 1
}
source "$(dirname "$0")/lib.sh"

"$bin/stringsvc" --http-addr 127.0.0.1:0 --grpc-addr 127.0.0.1:0 --debug-addr 127.0.0.1:0 --log-level info \
  > "$work/svc.log" 2>&1 &
svc_pid=$!
wait_for 10 grep -q 'server="debug' "$work/svc.log" || fail "stringsvc did not start"
http=$(sed -n 's/.*server="http \([0-9.:]*\)".*/\1/p' "$work/svc.log")
debug=$(sed -n 's/.*server="debug \([0-9.:]*\)".*/\1/p' "$work/svc.log")

ok=17 refused=3
for _ in $(seq $ok); do curl -sSf -o /dev/null -X POST "http://$http/uppercase" -d '{"s":"hi"}'; done
for _ in $(seq $refused); do curl -sS -o /dev/null -X POST "http://$http/uppercase" -d '{"s":""}'; done

prom_port=$(free_port)
cat > "$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: stringsvc
    static_configs:
      - targets: ['$debug']
EOF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn > "$work/prom.log" 2>&1 &
prom_pid=$!
api="http://127.0.0.1:$prom_port/api/v1"

target_up() { curl -sf "$api/targets" | grep -q '"health":"up"'; }
wait_for 60 target_up || fail "Prometheus never saw the target up: $(curl -s "$api/targets")"

# query_value PROMQL → the single sample's value ("" if none)
query_value() {
  curl -sf --get "$api/query" --data-urlencode "query=$1" |
    /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
counted() { [ "$(query_value "$1")" = "$2" ]; }
q_ok='svckit_requests_total{job="stringsvc",service="stringsvc",method="uppercase",code="OK"}'
q_bad='svckit_requests_total{job="stringsvc",service="stringsvc",method="uppercase",code="INVALID_ARGUMENT"}'
wait_for 30 counted "$q_ok" $ok || fail "OK count in Prometheus: '$(query_value "$q_ok")', want $ok"
wait_for 30 counted "$q_bad" $refused || fail "refused count in Prometheus: '$(query_value "$q_bad")', want $refused"
q_dur='svckit_request_duration_seconds_count{job="stringsvc",method="uppercase"}'
[ "$(query_value "$q_dur")" = $((ok + refused)) ] || fail "duration histogram count: $(query_value "$q_dur")"
echo "prometheus: ok (target up, $ok OK and $refused refused requests counted)"
