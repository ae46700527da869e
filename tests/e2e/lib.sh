# Shared helpers of the end-to-end scripts (sourced).

# wait_for SECONDS COMMAND…: retries the command until it succeeds or the deadline passes. The 0.2 s pause
# is the polling interval, not a timing assumption.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# free_port: a TCP port on 127.0.0.1 that was free a moment ago.
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# expect_fail RC TEXT COMMAND…: the command exits RC and its output contains TEXT. Uses the caller's $work
# and fail().
expect_fail() {
  local want_rc=$1 want=$2; shift 2
  local rc=0
  "$@" > "$work/out" 2>&1 || rc=$?
  [ "$rc" = "$want_rc" ] || fail "'$*' exited $rc, want $want_rc: $(cat "$work/out")"
  grep -qF -- "$want" "$work/out" || fail "'$*' did not say '$want': $(cat "$work/out")"
}

# start_etcd: a one-member etcd on free loopback ports, data in $work/etcd, log in $work/etcd.log; sets
# etcd_pid and cport (its client port) and returns once it answers /health (fail()s after 30 s).
start_etcd() {
  cport=$(free_port)
  local pport; pport=$(free_port)
  etcd --name e2e --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$cport" \
    --advertise-client-urls "http://127.0.0.1:$cport" --listen-peer-urls "http://127.0.0.1:$pport" \
    --initial-advertise-peer-urls "http://127.0.0.1:$pport" --initial-cluster "e2e=http://127.0.0.1:$pport" \
    > "$work/etcd.log" 2>&1 &
  etcd_pid=$!
  wait_for 30 curl -sf "http://127.0.0.1:$cport/health" -o /dev/null || fail "etcd did not start"
}
