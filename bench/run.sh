#!/usr/bin/env bash
# Runs the foundation benchmarks and appends the figures to bench/RESULTS.md (make bench).
#   1. HTTP: svckit JSON endpoint vs bare Beast, alternating A/B three times, wrk -t2 -c32 -d10s.
#   2. gRPC: svckit server vs bare async gRPC server, same load client with 32 calls in flight, A/B x3.
#   3. Concurrency: 2,000 connections, each request waits 100 ms on a timer, server on 2 threads.
# SECONDS_PER_RUN=3 make bench gives a quick (noisier) run.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
secs=${SECONDS_PER_RUN:-10}
ulimit -n "$(ulimit -Hn)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() {  # start MODE PORT [ARGS...] → sets $pid once the port accepts
  "$bin/bench_server" "$1" --port "$2" "${@:3}" > /dev/null 2>&1 &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0; sleep 0.05; done
  echo "server $1 did not start" >&2; exit 1
}
stop() { kill "$1"; wait "$1" 2>/dev/null || true; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
wrk_rps() {  # wrk_rps PORT PATH LUA CONNS → "req/s errors"
  local out
  out=$(wrk -t2 -c"$4" -d"${secs}s" --timeout 5s -s "bench/$3" "http://127.0.0.1:$1$2")
  local rps errs
  rps=$(awk '/Requests\/sec/ {printf "%d", $2}' <<<"$out")
  errs=$(awk '/Non-2xx/ {n+=$NF} /Socket errors/ {gsub(",","");n+=$4+$6+$8+$10} END {print n+0}' <<<"$out")
  echo "$rps $errs"
}

machine="$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem/ {print $2}') GiB"
stamp=$(date -u +%Y-%m-%dT%H:%MZ)
report=$(mktemp)
say() { echo "$*" | tee -a "$report"; }

say "### $stamp — $machine"
say ""
say "HTTP POST /uppercase, wrk -t2 -c32 -d${secs}s, server on 2 threads (req/s):"
sv=(); bb=()
for round in 1 2 3; do
  p=$(free_port); start http-svckit "$p" --threads 2; r=$(wrk_rps "$p" /uppercase post_uppercase.lua 32); stop "$pid"
  sv+=("${r%% *}"); say "- round $round svckit: $r (req/s errors)"
  p=$(free_port); start http-beast "$p" --threads 2; r=$(wrk_rps "$p" /uppercase post_uppercase.lua 32); stop "$pid"
  bb+=("${r%% *}"); say "- round $round bare Beast: $r"
done
sv_sum=$(( sv[0] + sv[1] + sv[2] )); bb_sum=$(( bb[0] + bb[1] + bb[2] ))
say "- **svckit / bare Beast = $(( 100 * sv_sum / bb_sum ))%** (goal ≥ 90%)"
say ""

say "gRPC Uppercase, grpc_load with 32 calls in flight for ${secs}s (calls/s errors, server CPU µs/call):"
gs=(); gb=(); gw=(); us_svckit=0; us_wire=0; us_bare=0
for round in 1 2 3; do
  for mode in grpc-svckit grpc-wire grpc-bare; do
    p=$(free_port); start "$mode" "$p" --threads 1 --cq-threads 1
    t0=$(cpu_ticks "$pid"); r=$("$bin/grpc_load" "127.0.0.1:$p" --inflight 32 --seconds "$secs"); t1=$(cpu_ticks "$pid")
    stop "$pid"
    calls=${r%% *}
    us=$(( (t1 - t0) * 10000 / (calls * secs + 1) ))
    say "- round $round $mode: $r, ${us} µs CPU/call"
    case $mode in
      grpc-svckit) gs+=("$calls"); us_svckit=$(( us_svckit + us )) ;;
      grpc-wire) gw+=("$calls"); us_wire=$(( us_wire + us )) ;;
      *) gb+=("$calls"); us_bare=$(( us_bare + us )) ;;
    esac
  done
done
gs_sum=$(( gs[0] + gs[1] + gs[2] )); gb_sum=$(( gb[0] + gb[1] + gb[2] )); gw_sum=$(( gw[0] + gw[1] + gw[2] ))
say "- **svckit / bare gRPC = $(( 100 * gs_sum / gb_sum ))%** (goal ≥ 90%); svckit's own wire / bare gRPC = $(( 100 * gw_sum / gb_sum ))%"
say "- CPU per call, own wire / bare gRPC async server = $(( 100 * us_wire / (us_bare + 1) ))% (issue 32's goal ≤ 60%); grpc++ svckit / bare = $(( 100 * us_svckit / (us_bare + 1) ))%"
say ""

say "Concurrency: 2,000 connections, each request waits 100 ms on a timer, server on 2 threads:"
p=$(free_port); start http-sleep "$p" --threads 2
r=$(wrk_rps "$p" /sleep post_sleep.lua 2000); stop "$pid"
say "- **${r%% *} req/s**, ${r##* } errors (goal ≥ 18,500; ideal 20,000)"
say ""
say "Command: \`make bench\` (bench/run.sh)."
say ""

cat "$report" >> bench/RESULTS.md
rm -f "$report"
