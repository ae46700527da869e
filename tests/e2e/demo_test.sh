#!/usr/bin/env bash
# `make demo ONCE=1` end to end: the walkthrough runs against real etcd and real services, each step
# answers as the README says, both notificators are discovered, and everything stops cleanly.
set -euo pipefail
bin=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
SVCKIT_BIN="$bin" ONCE=1 timeout 120 bash "$root/scripts/demo.sh" > "$out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$out"; echo "FAIL: demo exited $rc"; exit 1; }
expect() {
  grep -qF -- "$1" "$out" || { cat "$out"; echo "FAIL: the demo's output lacks: $1"; exit 1; }
}
expect '{"id":1,"email":"ann@example.com"'
expect '"code":"INVALID_ARGUMENT"'
expect '{"token":"ey'
expect '"code":"UNAUTHENTICATED"'
expect '"status":"in_progress","assignee":"bob@example.com"'
expect 'Welcome to the bug tracker, ann@example.com!'
expect 'Welcome to the bug tracker, bob@example.com!'
expect 'You have been assigned bug #1'
expect '/services/notificator/'
expect 'etcd stopped'
# Both instances are in the registry listing (two notificator keys).
[ "$(grep -c '^/services/notificator/' "$out")" = 2 ] || { cat "$out"; echo "FAIL: two notificators expected in etcd"; exit 1; }
echo "demo OK"
