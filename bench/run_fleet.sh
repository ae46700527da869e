#!/usr/bin/env bash
# Runs the etcd member-fault schedule (issue 31) RUNS times (default 3) and appends the figures to
# bench/RESULTS.md (make bench-fleet): the bug tracker (users + two notificators) on a real 3-member etcd
# cluster whose members live in network namespaces, under 100 POST /create a second (open loop, every answer
# checked) while etcd fails in turn — the leader killed and restarted, each member frozen for 400 requests (about 4 s; TTL 3 s),
# the leader and a follower cut off from their peers, every member frozen, every member killed, then a
# notificator killed and a new one started. Per fault: requests sent and failed, emails deferred,
# registrations deleted and how long the longest stayed missing, time until whole again, the new instance's
# time to first call. It is FleetTest.EveryRequestIsAnsweredWhileEtcdMembersFail, which `make test` runs once.
# Needs root (network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
machine="$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem/ {print $2}') GiB"
report=$(mktemp)
say() { echo "$*" | tee -a "$report"; }

say "### $(date -u +%Y-%m-%dT%H:%MZ) — etcd member faults under load — $machine"
say ""
for run in $(seq 1 "$runs"); do
  say "Run $run of $runs:"
  out=$(build/bin/bugtracker_test --gtest_filter='FleetTest.*' 2>&1 || true)
  echo "$out" | grep -E '^\[ fleet \]' | sed 's/^\[ fleet \] */- /' | tee -a "$report"
  echo "$out" | grep -qE '^\[  PASSED  \] 1 test' && say "- passed" || say "- FAILED (see the test's output)"
  say ""
done
say "Command: \`make bench-fleet\` (bench/run_fleet.sh, RUNS=$runs)."
say ""
cat "$report" >> bench/RESULTS.md
rm -f "$report"
