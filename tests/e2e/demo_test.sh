#!/usr/bin/env bash
# `make demo ONCE=1`, `make demo TLS=1 ONCE=1`, `make demo REGISTRY=zk ONCE=1` and `REGISTRY=consul|eureka|nacos`
# end to end: the walkthrough runs against real etcd (or ZooKeeper, or the Consul, Eureka or Nacos stand-in) and
# real services, each step answers as the README says, both notificators are discovered, the three emails
# reach the SMTP sink, and everything stops cleanly (each service exits 0 after SIGTERM); with TLS=1 every hop (curl → users/bugs, users/bugs → notificator) is TLS.
set -euo pipefail
bin=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
expect() {
  grep -qF -- "$1" "$out" || { cat "$out"; echo "FAIL: the demo's output lacks: $1"; exit 1; }
}
for run in "etcd 0" "etcd 1" "zk 0" "consul 0" "eureka 0" "nacos 0"; do
  read -r registry tls <<< "$run"
  rc=0
  SVCKIT_BIN="$bin" ONCE=1 TLS=$tls REGISTRY=$registry timeout 120 bash "$root/scripts/demo.sh" > "$out" 2>&1 || rc=$?
  [ "$rc" = 0 ] || { cat "$out"; echo "FAIL: demo (REGISTRY=$registry TLS=$tls) exited $rc"; exit 1; }
  expect '{"id":1,"email":"ann@example.com"'
  expect '"code":"INVALID_ARGUMENT"'
  expect '{"token":"ey'
  expect '"code":"UNAUTHENTICATED"'
  expect '"status":"in_progress","assignee":"bob@example.com"'
  expect 'Welcome to the bug tracker, ann@example.com!'
  expect 'Welcome to the bug tracker, bob@example.com!'
  expect 'You have been assigned bug #1'
  # Delivered for real, through the SMTP sink, each exactly once.
  expect '(3 delivered)'
  # WatchDeliveries, a server stream, through svckit call on the instance that stored the first email.
  expect 'notificator/WatchDeliveries'
  expect '"state":"sent"'
  for to in ann@example.com bob@example.com; do
    grep -q "mail to $to" "$out" || { cat "$out"; echo "FAIL: no mail to $to reached the SMTP sink"; exit 1; }
  done
  [ "$(grep -c 'mail to bob@example.com' "$out")" = 2 ] || { cat "$out"; echo "FAIL: bob gets a welcome and an assignment"; exit 1; }
  case "$registry" in etcd | zk) expect '/services/notificator/' ;; esac
  expect "$registry stopped"
  expect 'services stopped cleanly'  # each service exited 0 after SIGTERM, no sanitizer report in its log
  # Both instances are in the registry listing (two notificator keys, or two passing entries of the stand-in).
  case "$registry" in
    consul) listed=$(grep -o '"ID": "notificator-' "$out" | wc -l)
            # The agent's HTTP check asked each notificator's /healthz on its debug listener.
            [ "$(grep -o '"Output": "HTTP GET http://127.0.0.1:[0-9]*/healthz: 200"' "$out" | wc -l)" = 2 ] ||
              { cat "$out"; echo "FAIL: two passing HTTP checks expected in consul"; exit 1; } ;;
    eureka) listed=$(grep -o '"instanceId": "127.0.0.1:notificator:' "$out" | wc -l) ;;
    nacos) listed=$(grep -o '#DEFAULT_GROUP@@notificator", "ip"' "$out" | wc -l) ;;
    *) listed=$(grep -c '^/services/notificator/' "$out") ;;
  esac
  [ "$listed" = 2 ] || { cat "$out"; echo "FAIL: two notificators expected in $registry, listed $listed"; exit 1; }
  if [ "$tls" = 1 ]; then
    expect 'users is serving on https://127.0.0.1:'
    [ "$(grep -c '"tls":true' "$out")" = 4 ] || { cat "$out"; echo "FAIL: four registry entries with \"tls\":true expected"; exit 1; }
  fi
done
echo "demo OK (etcd plaintext and TLS, ZooKeeper, the Consul, Eureka and Nacos stand-ins)"
