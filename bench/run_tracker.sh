#!/usr/bin/env bash
# The bug tracker's POST /create benchmark (issue 4), end to end: wrk → users (HTTP) → notificator found in
# etcd (gRPC, p2c, retry) — every process on this machine. Run once with memory: storage and once with the
# default SQLite storage, in the same invocation; appends the figures to bench/RESULTS.md
# (make bench-tracker). SECONDS_PER_RUN=3 gives a quick (noisier) storage run; the middleware/tracing
# comparison takes ROUNDS (default 8) turns of SECONDS_PER_TURN (default 3) per configuration. For
# experiments, NOTIFICATOR_ARGS and USERS_ARGS add flags to the services and RECORD=0 leaves
# bench/RESULTS.md alone. MODE=tls runs only the TLS comparison: plaintext (twice, the noise control)
# against TLS on both hops (wrk → users over HTTPS, users → notificator over mutual TLS), same rounds.
# MODE=compare BEFORE=DIR runs only a before/after comparison: the services in DIR (another build's bin/)
# against this build's (twice, the noise control), all middleware on, same rounds; it also counts the TCP
# connections each users process holds.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
secs=${SECONDS_PER_RUN:-10}
work=$(mktemp -d)
cleanup() {
  # Only this shell's children that are still running: a process already waited for is not a job any
  # more, so a PID the system has since reused is never signalled.
  local live; live=$(jobs -p)
  [ -z "$live" ] || kill $live 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
export SVCKIT_JWT_SECRET=$(openssl rand -hex 32)

# A stack is one notificator and one users with its own etcd, so each users balances over its own
# notificator only; stacks can run side by side, idle while another is measured.
declare -A etcd_port=() uport=() upid=() npid=() scheme=() cbin=()  # cbin: a configuration's own bin/
start_etcd() {  # NAME
  etcd_port[$1]=$(free_port); mkdir -p "$work/$1"
  etcd --data-dir "$work/$1/etcd" --listen-client-urls "http://127.0.0.1:${etcd_port[$1]}" \
    --advertise-client-urls "http://127.0.0.1:${etcd_port[$1]}" --listen-peer-urls "http://127.0.0.1:$(free_port)" \
    --log-level error > "$work/$1/etcd.log" 2>&1 &
  for _ in $(seq 1 100); do curl -s "http://127.0.0.1:${etcd_port[$1]}/health" | grep -q true && break; sleep 0.1; done
}
# Services log at warn (no per-call lines during the measurement), so registration is read from etcd.
wait_registered() {  # NAME SERVICE
  for _ in $(seq 1 150); do
    [ -n "$(etcdctl --endpoints "127.0.0.1:${etcd_port[$1]}" get --prefix "/services/$2/" --keys-only)" ] && return 0
    sleep 0.1
  done
  cat "$work/$1/"*.log >&2; exit 1
}
start_stack() {  # NAME STORE(memory|sqlite) [FLAGS for both services] [FLAGS for notificator]: started, registered, warm
  local name=$1 dir=$work/$1 nstore=memory: ustore=memory: registry="etcd://127.0.0.1:${etcd_port[$1]}"
  scheme[$name]=http; [[ "${3:-}" != *--tls-cert* ]] || scheme[$name]=https
  [ "$2" = memory ] || { nstore="sqlite:$dir/n-$RANDOM.db"; ustore="sqlite:$dir/u-$RANDOM.db"; }
  local b=${cbin[$name]:-$bin}
  "$b/notificator" --grpc-addr 127.0.0.1:0 --debug-addr 127.0.0.1:0 --store "$nstore" --registry "$registry" \
    --log-level warn ${3:-} ${4:-} ${NOTIFICATOR_ARGS:-} > "$dir/n.log" 2>&1 &
  npid[$name]=$!
  wait_registered "$name" notificator
  uport[$name]=$(free_port)
  "$b/users" --http-addr "127.0.0.1:${uport[$name]}" --debug-addr 127.0.0.1:0 --store "$ustore" --registry "$registry" \
    --log-level warn ${3:-} ${USERS_ARGS:-} > "$dir/u.log" 2>&1 &
  upid[$name]=$!
  wait_registered "$name" users
  # Warm up: connections, the balancer's view of notificator.
  EMAIL_PREFIX=warm wrk -t2 -c32 -d1s -s bench/post_create_user.lua "${scheme[$name]}://127.0.0.1:${uport[$name]}/create" > /dev/null
}
stop_stack() {  # NAME
  kill "${upid[$1]}" "${npid[$1]}"; wait "${upid[$1]}" "${npid[$1]}" 2>/dev/null || true
}
# measure NAME SECONDS EMAIL_PREFIX → "requests req/s p50 p99 errors users_ticks notificator_ticks"
measure() {
  local u0 n0 out; u0=$(cpu_ticks "${upid[$1]}"); n0=$(cpu_ticks "${npid[$1]}")
  out=$(EMAIL_PREFIX=$3 wrk -t2 -c32 -d"$2s" --latency --timeout 5s -s bench/post_create_user.lua "${scheme[$1]}://127.0.0.1:${uport[$1]}/create")
  echo "$(awk '/requests in/ {print $1}' <<<"$out") $(awk '/Requests\/sec/ {printf "%d", $2}' <<<"$out")" \
       "$(awk '$1 == "50%" {print $2}' <<<"$out") $(awk '$1 == "99%" {print $2}' <<<"$out")" \
       "$(awk '/Non-2xx/ {n+=$NF} /Socket errors/ {gsub(",","");n+=$4+$6+$8+$10} END {print n+0}' <<<"$out")" \
       "$(( $(cpu_ticks "${upid[$1]}") - u0 )) $(( $(cpu_ticks "${npid[$1]}") - n0 ))"
}
tick_us=$(( 1000000 / $(getconf CLK_TCK) ))
per_req() { echo $(( $1 * tick_us / $2 )); }  # TICKS REQUESTS → µs of CPU per request

# One storage kind in a fresh stack; sets result="req/s p50 p99 errors users_us notificator_us". Runs in
# this shell (not a $(...) subshell), so the processes it starts stay this shell's jobs.
storage_run() {  # STORE
  start_etcd "$1"; start_stack "$1" "$1"
  local total rps p50 p99 errs ut nt
  read -r total rps p50 p99 errs ut nt < <(measure "$1" "$secs" run)
  stop_stack "$1"
  result="$rps $p50 $p99 $errs $(per_req "$ut" "$total") $(per_req "$nt" "$total")"
}

machine="$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem/ {print $2}') GiB"
report=$(mktemp)
say() { echo "$*" | tee -a "$report"; }
say "### $(date -u +%Y-%m-%dT%H:%MZ) — bug tracker POST /create — $machine"
say ""
mode=${MODE:-all}
if [ "$mode" = all ]; then
say "wrk -t2 -c32 -d${secs}s → users → notificator (discovered in etcd, p2c, retry), all on this machine:"
storage_run memory; read -r mrps mp50 mp99 merr mu mn <<<"$result"
say "- memory: storage: **$mrps req/s**, p50 $mp50, p99 **$mp99**, $merr errors; CPU per request: users $mu µs, notificator $mn µs (goal ≥ 15,000 req/s, p99 ≤ 5 ms)"
storage_run sqlite; read -r srps sp50 sp99 serr su sn <<<"$result"
say "- sqlite (default): **$srps req/s**, p50 $sp50, p99 $sp99, $serr errors; CPU per request: users $su µs, notificator $sn µs"
say "- **sqlite / memory = $(( 100 * srps / mrps ))%** (goal ≥ 50%)"
fi
# Issue 5: what everything costs on this path — endpoint middleware (metrics, logging, rate limit) plus
# tracing with every span exported to a collector (zipkin_sink, a counting stand-in) — against none.
# This shared machine's speed swings by a third within seconds, and two identical processes can differ
# by several percent for their whole life, so: every round starts fresh processes for every
# configuration side by side (each stack its own etcd, notificator and users, idle while another is
# measured), the load moves between them every SECONDS_PER_TURN seconds, each round in a new order, and
# each figure sums its ROUNDS turns. "bare2" is a second, identical no-middleware stack: how far it lands
# from "bare" is the noise left in the figures.
zport=$(free_port)
"$bin/zipkin_sink" --http-addr "127.0.0.1:$zport" --debug-addr 127.0.0.1:0 > "$work/z.log" 2>&1 &
zpid=$!
zipkin="--zipkin-url http://127.0.0.1:$zport/api/v2/spans"
configs=(bare bare2 middleware traced sampled)
declare -A flags=([bare]=--bare-endpoints [bare2]=--bare-endpoints [middleware]="" [traced]="$zipkin"
                  [sampled]="$zipkin --trace-sample-rate 0.1")
declare -A nflags=()  # notificator's own
if [ "$mode" = tls ]; then
  # "bare"/"bare2" are the plaintext baseline here (all middleware on, as in a real deployment).
  bash scripts/make-certs.sh "$work/certs" > /dev/null
  c=$work/certs
  configs=(bare bare2 tls)
  flags=([bare]="" [bare2]="" [tls]="--tls-cert $c/server.crt --tls-key $c/server.key --tls-ca $c/ca.crt")
  nflags=([tls]="--tls-client-ca $c/ca.crt")  # users presents its certificate to notificator (mutual TLS)
fi
if [ "$mode" = compare ]; then
  [ -x "${BEFORE:-}/users" ] || { echo "MODE=compare needs BEFORE=DIR holding another build's users and notificator" >&2; exit 2; }
  configs=(before after after2)
  flags=([before]="" [after]="" [after2]="")
  cbin=([before]=$BEFORE)
fi
# TCP connections a process holds to other processes (established, by its socket inodes).
conns_of() {  # PID
  local inodes; inodes=$(ls -l "/proc/$1/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]/\1/p' | sort -u)
  awk 'NR > 1 && $4 == "01" {print $10}' /proc/net/tcp /proc/net/tcp6 | sort -u | comm -12 - <(echo "$inodes") | wc -l
}
declare -A conns=()
declare -A reqs=() uticks=() nticks=() errs=() worst_us=() worst99=()
for cfg in "${configs[@]}"; do
  reqs[$cfg]=0; uticks[$cfg]=0; nticks[$cfg]=0; errs[$cfg]=0; worst_us[$cfg]=0
  start_etcd "$cfg"
done
turn=${SECONDS_PER_TURN:-3}
rounds=${ROUNDS:-8}
n=${#configs[@]}
ztraced=0
for round in $(seq 1 "$rounds"); do
  for cfg in "${configs[@]}"; do start_stack "$cfg" memory "${flags[$cfg]}" "${nflags[$cfg]:-}"; done
  for k in $(seq 0 $(( n - 1 ))); do
    cfg=${configs[$(( (round + k) % n ))]}  # each round starts with the next configuration
    z0=$(cpu_ticks "$zpid")
    read -r total rps _ p99 err ut nt < <(measure "$cfg" "$turn" "r$round")
    [ "$cfg" != traced ] || ztraced=$(( ztraced + $(cpu_ticks "$zpid") - z0 ))
    reqs[$cfg]=$(( ${reqs[$cfg]} + total )); errs[$cfg]=$(( ${errs[$cfg]} + err ))
    uticks[$cfg]=$(( ${uticks[$cfg]} + ut )); nticks[$cfg]=$(( ${nticks[$cfg]} + nt ))
    # The worst p99 of the turns, compared in microseconds (wrk prints us, ms or s).
    us=$(awk -v v="$p99" 'BEGIN { n = v + 0; if (v ~ /ms$/) n *= 1000; else if (v !~ /us$/) n *= 1000000; printf "%d", n }')
    if [ "$us" -gt "${worst_us[$cfg]}" ]; then worst_us[$cfg]=$us; worst99[$cfg]=$p99; fi
    echo "round $round $cfg: $rps req/s, p99 $p99" >&2
  done
  for cfg in "${configs[@]}"; do conns[$cfg]=$(conns_of "${upid[$cfg]}"); stop_stack "$cfg"; done
done
kill "$zpid"; wait "$zpid" 2>/dev/null || true
spans=$(grep -o 'spans=[0-9]*' "$work/z.log" | cut -d= -f2 || true)
line() {  # CFG → "N req/s, worst p99 P, E errors; CPU per request: users U µs, notificator V µs"
  echo "$(( ${reqs[$1]} / (rounds * turn) )) req/s, worst p99 of its turns ${worst99[$1]}, ${errs[$1]} errors;" \
       "CPU per request: users $(per_req "${uticks[$1]}" "${reqs[$1]}") µs, notificator $(per_req "${nticks[$1]}" "${reqs[$1]}") µs"
}
# Throughput lost against no middleware (both bare stacks together), in %, to a tenth: whole percents
# rounded down the requests and so up the cost (10.2% printed as 11%).
cost() { awk -v x="${reqs[$1]}" -v a="${reqs[bare]}" -v b="${reqs[bare2]}" 'BEGIN {printf "%.1f", 100 - 200 * x / (a + b)}'; }
[ "$mode" = compare ] || noise=$(awk -v a="${reqs[bare]}" -v b="${reqs[bare2]}" 'BEGIN {d = 200 * (a - b) / (a + b); printf "%.1f", d < 0 ? -d : d}')
say ""
if [ "$mode" = compare ]; then
say "Before ($BEFORE) against after (this build), memory: storage, all middleware: $rounds rounds, each starting fresh" \
    "processes for every configuration and moving the load between them every ${turn}s (each figure sums its $rounds turns):"
say "- before: $(line before); users held ${conns[before]} TCP connections once the load stopped (to etcd and notificator)"
say "- after: $(line after); users held ${conns[after]} TCP connections"
say "- after again, a second stack (the noise control): $(line after2)"
say "- after against before: **$(awk -v x="${reqs[before]}" -v a="${reqs[after]}" -v b="${reqs[after2]}" 'BEGIN {printf "%+.1f", 100 * ((a + b) / 2 - x) / x}')%** of throughput" \
    "(the two identical stacks landed $(awk -v a="${reqs[after]}" -v b="${reqs[after2]}" 'BEGIN {d = 200 * (a - b) / (a + b); printf "%.1f", d < 0 ? -d : d}')% apart)"
elif [ "$mode" = tls ]; then
say "TLS against plaintext, memory: storage, all middleware: $rounds rounds, each starting fresh processes for every" \
    "configuration and moving the load between them every ${turn}s (each figure sums its $rounds turns):"
say "- plaintext (HTTP, then gRPC): $(line bare)"
say "- plaintext again, a second stack (the noise control): $(line bare2) — **$noise% apart**"
say "- TLS on both hops (wrk → users HTTPS, users → notificator gRPC with mutual TLS; connections kept alive): $(line tls)"
say "- against plaintext: **TLS costs $(cost tls)%** of throughput (goal ≤ 15%; the two identical stacks landed $noise% apart)"
else
say "Middleware and tracing, memory: storage: $rounds rounds, each starting fresh processes for every configuration" \
    "and moving the load between them every ${turn}s (each figure sums its $rounds turns):"
say "- endpoints without middleware, no tracing (--bare-endpoints): $(line bare)"
say "- the same again, a second stack (the noise control): $(line bare2) — **$noise% apart**"
say "- all middleware (metrics, logging, rate limit), no exporter: $(line middleware)"
say "- all middleware + every span exported to a collector on loopback (the collector, on the same 2 cores," \
    "used $(( ztraced * 1000 / $(getconf CLK_TCK) )) ms of CPU in those turns): $(line traced)"
say "- all middleware + --trace-sample-rate 0.1: $(line sampled) ($spans spans received)"
say "- against none: **middleware costs $(cost middleware)%** without tracing, **$(cost traced)% with every span exported**," \
    "$(cost sampled)% with 10% of traces sampled (goal ≤ 10%; the two identical stacks landed $noise% apart)"
fi
say ""
say "Command: \`make bench-tracker$([ "$mode" = all ] || echo " MODE=$mode")$([ "$mode" != compare ] || echo " BEFORE=$BEFORE")\` (bench/run_tracker.sh)."
say ""
[ "${RECORD:-1}" = 0 ] || cat "$report" >> bench/RESULTS.md
