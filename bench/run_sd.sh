#!/usr/bin/env bash
# Runs the service-discovery benchmarks (issue 3) against real etcd and appends the figures to
# bench/RESULTS.md (make bench-sd):
#   1. propagation: a registry write acknowledged → the balancer's target set (20 trials each; etcd,
#      ZooKeeper, file)
#   2. scale: 10,000 instances, then 200 put/delete events (load time, watcher CPU, lag, memory)
#   3. balancer pick cost with 100 targets (Google Benchmark)
#   4. failover: 3 instances under 500 calls/s for 20 s, one SIGKILLed (then SIGTERMed) at 5 s
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
machine="$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem/ {print $2}') GiB"
report=$(mktemp)
say() { echo "$*" | tee -a "$report"; }

say "### $(date -u +%Y-%m-%dT%H:%MZ) — service discovery — $machine"
say ""
say "Propagation per registry, same run (goal for etcd p50 ≤ 0.5 ms, p99 ≤ 5 ms), \`$bin/sd_propagation 20\`:"
"$bin/sd_propagation" 20 | sed 's/^/- /' | tee -a "$report"
say ""
say "Scale (goals: load ≤ 150 ms, CPU ≤ 20 ms, correct ≤ 2 ms after the last event, ≤ 2 KB per instance), \`$bin/sd_scale 10000 200\`:"
"$bin/sd_scale" 10000 200 | sed 's/^/- /' | tee -a "$report"
say ""
say "Pick cost, 100 targets (goals RR ≤ 50 ns, P2C ≤ 150 ns, consistent hash ≤ 200 ns), \`$bin/balancer_bench\`:"
"$bin/balancer_bench" --benchmark_format=console 2>/dev/null | awk '/^(pick|hash)/ {printf "- %s %s %s\n", $1, $2, $3}' | tee -a "$report"
say ""
say "Failover (goals: 0 failed calls, ≤ 10 failed attempts with SIGKILL; 0 failed attempts with SIGTERM), \`$bin/sd_failover $bin/stringsvc 20\`:"
"$bin/sd_failover" "$bin/stringsvc" 20 | sed 's/^/- /' | tee -a "$report"
say ""
say "Command: \`make bench-sd\` (bench/run_sd.sh)."
say ""
cat "$report" >> bench/RESULTS.md
rm -f "$report"
