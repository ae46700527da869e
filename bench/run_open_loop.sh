#!/usr/bin/env bash
# The bug tracker's POST /create under open-loop load (issue 32): bench/open_loop sends at a fixed rate, each
# latency measured from the request's due time (a stall cannot hide), the generator pinned to the last CPU.
# users → notificator (found in etcd) with memory: storage and services logging at warn. For each rate in
# RATES (default "1000 2000 3000 5000 7000 9000"), every configuration in CONFIGS runs DURATION seconds (default 10)
# in turn on its own stack (etcd, notificator, users; idle while another is measured), the order rotating per
# rate; SWEEPS (default 1) repeats the sweep. Printed per run: achieved rate, errors, p50/p99/p99.9/max, CPU per
# request of users + notificator (/proc), involuntary context switches per request, threads, and how late the
# generator itself sent at worst (a large figure there means the stall was the machine's, not the services').
# Configurations: "grpc" (the grpc++ transport) and "grpc2" (the same again: the noise control); a configuration
# NAME may be given extra service flags as FLAGS_NAME (NFLAGS_NAME: notificator's only, e.g. NFLAGS_wire=--grpc-wire
# for svckit's own gRPC wire) and another build's services as BIN_NAME=DIR (a before/after
# comparison: CONFIGS="before grpc grpc2" BIN_before=../old/build/bin). Appends to bench/RESULTS.md unless RECORD=0.
# Make target: make bench-open-loop.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
secs=${DURATION:-10}
rates=${RATES:-"1000 2000 3000 5000 7000 9000"}
sweeps=${SWEEPS:-1}
read -r -a configs <<<"${CONFIGS:-grpc grpc2}"
gen_cpu=$(( $(nproc) - 1 ))
# REALTIME=1 puts the generator above the services on its CPU (root): its sends are on time, but it then
# preempts the services there on every send, which costs them more than it saves (measured: both transports
# saturated at 5000 req/s instead of past 7000), so by default it is an ordinary process.
gen_flags="--cpu $gen_cpu"; [ "${REALTIME:-0}" = 0 ] || gen_flags+=" --realtime"
work=$(mktemp -d)
cleanup() {
  local live; live=$(jobs -p)
  [ -z "$live" ] || kill $live 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
# Involuntary context switches of every thread of a process.
preempted() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^nonvoluntary_ctxt_switches/ {n += $2} END {print n + 0}'; }
threads() { ls /proc/"$1"/task | wc -l; }
export SVCKIT_JWT_SECRET=$(openssl rand -hex 32)

declare -A etcd_port=() uport=() upid=() npid=()
start_stack() {  # NAME
  local name=$1 dir=$work/$1 flags_var="FLAGS_$1" nflags_var="NFLAGS_$1" bin_var="BIN_$1"
  local b=${!bin_var:-$bin}
  mkdir -p "$dir"
  etcd_port[$name]=$(free_port)
  etcd --data-dir "$dir/etcd" --listen-client-urls "http://127.0.0.1:${etcd_port[$name]}" \
    --advertise-client-urls "http://127.0.0.1:${etcd_port[$name]}" --listen-peer-urls "http://127.0.0.1:$(free_port)" \
    --log-level error > "$dir/etcd.log" 2>&1 &
  for _ in $(seq 1 100); do curl -s "http://127.0.0.1:${etcd_port[$name]}/health" | grep -q true && break; sleep 0.1; done
  local registry="etcd://127.0.0.1:${etcd_port[$name]}"
  "$b/notificator" --grpc-addr 127.0.0.1:0 --debug-addr 127.0.0.1:0 --store memory: --registry "$registry" \
    --log-level warn ${!flags_var:-} ${!nflags_var:-} > "$dir/n.log" 2>&1 &
  npid[$name]=$!
  wait_registered "$name" notificator
  uport[$name]=$(free_port)
  "$b/users" --http-addr "127.0.0.1:${uport[$name]}" --debug-addr 127.0.0.1:0 --store memory: --registry "$registry" \
    --log-level warn ${!flags_var:-} > "$dir/u.log" 2>&1 &
  upid[$name]=$!
  wait_registered "$name" users
  "$bin/open_loop" --port "${uport[$name]}" --prefix "warm-$name" --rate 1000 --seconds 1 $gen_flags > /dev/null
}
wait_registered() {  # NAME SERVICE
  for _ in $(seq 1 150); do
    [ -n "$(etcdctl --endpoints "127.0.0.1:${etcd_port[$1]}" get --prefix "/services/$2/" --keys-only)" ] && return 0
    sleep 0.1
  done
  cat "$work/$1/"*.log >&2; exit 1
}

machine="$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem/ {print $2}') GiB"
report=$(mktemp)
say() { echo "$*" | tee -a "$report"; }
for cfg in "${configs[@]}"; do start_stack "$cfg"; done
say "### $(date -u +%Y-%m-%dT%H:%MZ) — POST /create, open loop — $machine"
say ""
say "bench/open_loop ($gen_flags) → users → notificator (etcd, p2c), memory: storage, ${secs}s per rate and" \
    "configuration, interleaved; latency from each request's due time. Threads at rest:" \
    "$(for c in "${configs[@]}"; do echo -n "$c users $(threads "${upid[$c]}") notificator $(threads "${npid[$c]}"); "; done)"
say ""
say "| config | rate asked | achieved | errors | p50 ms | p99 ms | p99.9 ms | max ms | CPU µs/req (users+notificator) | preempted/req | generator late ms |"
say "|---|---|---|---|---|---|---|---|---|---|---|"
tick_us=$(( 1000000 / $(getconf CLK_TCK) ))
n=${#configs[@]}
turn=0
for sweep in $(seq 1 "$sweeps"); do
  for rate in $rates; do
    for k in $(seq 0 $(( n - 1 ))); do
      cfg=${configs[$(( (turn + k) % n ))]}
      u0=$(cpu_ticks "${upid[$cfg]}"); n0=$(cpu_ticks "${npid[$cfg]}")
      p0=$(( $(preempted "${upid[$cfg]}") + $(preempted "${npid[$cfg]}") ))
      out=$("$bin/open_loop" --port "${uport[$cfg]}" --prefix "s$sweep-r$rate-$cfg" --rate "$rate" --seconds "$secs" $gen_flags)
      ticks=$(( $(cpu_ticks "${upid[$cfg]}") - u0 + $(cpu_ticks "${npid[$cfg]}") - n0 ))
      pre=$(( $(preempted "${upid[$cfg]}") + $(preempted "${npid[$cfg]}") - p0 ))
      eval "$(tr ' ' '\n' <<<"$out" | grep -E '^[a-z0-9_]+=[0-9.]+$' | sed 's/^/r_/')"  # r_rate= r_ok= r_errors= r_p50_us= …
      ms() { awk -v u="$1" 'BEGIN {printf "%.2f", u / 1000}'; }
      say "| $cfg | $rate | $r_rate | $r_errors | $(ms "$r_p50_us") | $(ms "$r_p99_us") | $(ms "$r_p999_us") | $(ms "$r_max_us") |" \
          "$(( r_ok > 0 ? ticks * tick_us / r_ok : 0 )) | $(awk -v p="$pre" -v n="$r_ok" 'BEGIN {printf "%.2f", n ? p / n : 0}') | $(ms "$r_max_lag_us") |"
    done
    turn=$(( turn + 1 ))
  done
done
say ""
say "Command: \`make bench-open-loop\` (bench/run_open_loop.sh; RATES=\"$rates\" DURATION=$secs SWEEPS=$sweeps CONFIGS=\"${configs[*]}\")."
say ""
[ "${RECORD:-1}" = 0 ] || cat "$report" >> bench/RESULTS.md
