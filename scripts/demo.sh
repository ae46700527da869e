#!/usr/bin/env bash
# The main job: the bug tracker on this machine. Starts a local etcd (temp data dir, free ports), a local
# SMTP sink (Debian's python3-aiosmtpd, storing mail in a maildir), two notificator instances delivering to
# it, users and bugs, all registered in etcd; walks through a short scenario (create a user, log in, file a
# bug, assign it, list bugs), printing each request and response, which notificator instance served each
# email, the emails as they arrive at the SMTP sink, and what the registry holds. Keeps running until
# Ctrl-C unless ONCE=1.
#
# REGISTRY=zk: the services register in a local ZooKeeper (Debian's zookeeperd) instead of etcd;
# REGISTRY=consul: with a Consul agent stand-in (Debian has no Consul; tests/support/consul_standin.py); the
# agent checks each service's /healthz on its debug listener (check=http).
# REGISTRY=eureka or nacos: with the Eureka or Nacos stand-in (tests/support/eureka_standin.py,
# nacos_standin.py: Debian has neither); clients poll them every second.
#
# users listens on 127.0.0.1:8100 and bugs on 127.0.0.1:8200 (the README's curl commands use them) when
# those ports are free, on free ports otherwise.
#
# TLS=1: every hop speaks TLS, with a throwaway CA and certificates scripts/make-certs.sh makes: users and
# bugs serve HTTPS (curl --cacert), notificator requires client certificates (mutual TLS) from the
# services that call it, and each registry entry says "tls":true.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${SVCKIT_BIN:-build/bin}  # SVCKIT_BIN: another build (the e2e test runs the demo from its own)
work=$(mktemp -d)
pids=()
declare -A service_pid  # our services, name → pid: how each one stops is checked
registry_pid=
sleeper=
stop() {
  trap - EXIT
  [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  # A service must exit 0 after SIGTERM, with no sanitizer report in its log (a leak or a fault on the way out).
  local unclean=0 rc
  for n in "${!service_pid[@]}"; do
    rc=0
    wait "${service_pid[$n]}" 2>/dev/null || rc=$?
    if [ "$rc" != 0 ]; then echo "$n exited $rc after SIGTERM:"; tail -n 5 "$work/$n.log"; unclean=1; fi
    if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|terminate called' "$work/$n.log"; then
      echo "$n logged a sanitizer report or a crash:"; grep -m 3 -E 'Sanitizer|runtime error:|terminate called' "$work/$n.log"; unclean=1
    fi
  done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ ${#pids[@]} -gt 0 ]; then
    if [ "$unclean" = 0 ]; then echo "services stopped cleanly"; else echo "services stopped, not all cleanly"; fi
  fi
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; echo "${registry_kind:-etcd} stopped"; fi
  rm -rf "$work"
}
trap stop EXIT
trap 'exit 0' INT TERM

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port_or_free() { if /usr/bin/python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1',$1))" 2>/dev/null; then echo "$1"; else free_port; fi; }
# Waits until a service logged that it registered, then prints the port of its first "kind" listener.
wait_registered() {  # log kind
  for _ in $(seq 1 150); do grep -q 'msg=registered' "$1" && break; sleep 0.1; done
  grep -q 'msg=registered' "$1" || { echo "error: a service did not start; its log:" >&2; cat "$1" >&2; exit 1; }
  sed -n "s/.*server=\"$2 [0-9.]*:\([0-9]*\)[ \"].*/\1/p" "$1" | head -1
}

registry_kind=${REGISTRY:-etcd}
case "$registry_kind" in
  etcd)
    etcd_port=$(free_port)
    registry="etcd://127.0.0.1:$etcd_port"
    etcd --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
      --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$(free_port)" \
      --logger zap --log-level error > "$work/etcd.log" 2>&1 &
    registry_pid=$!
    for _ in $(seq 1 100); do curl -s "http://127.0.0.1:$etcd_port/health" | grep -q true && break; sleep 0.1; done
    echo "etcd is serving on 127.0.0.1:$etcd_port (pid $registry_pid, data in $work/etcd)"
    ;;
  zk)
    # Debian's zookeeperd: one standalone server on loopback, its data in the work dir.
    zk_port=$(free_port)
    registry="zk://127.0.0.1:$zk_port?session_timeout_ms=4000"
    mkdir -p "$work/zk"
    printf 'tickTime=200\ndataDir=%s\nclientPort=%s\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n' \
      "$work/zk" "$zk_port" > "$work/zoo.cfg"
    java -Xmx256m -XX:+UseSerialGC -cp /etc/zookeeper/conf:/usr/share/java/zookeeper.jar \
      org.apache.zookeeper.server.quorum.QuorumPeerMain "$work/zoo.cfg" > "$work/zk.log" 2>&1 &
    registry_pid=$!
    for _ in $(seq 1 300); do
      /usr/bin/python3 -c "import socket; s=socket.create_connection(('127.0.0.1',$zk_port),1); s.settimeout(1); s.sendall(b'srvr'); exit(0 if b'Mode' in s.recv(4096) else 1)" 2>/dev/null && break
      sleep 0.1
    done
    echo "ZooKeeper is serving on 127.0.0.1:$zk_port (pid $registry_pid, data in $work/zk)"
    ;;
  consul)
    # Debian has no Consul: the stand-in agent the tests use (tests/support/consul_standin.py says what of
    # Consul it models). The services register with TTL checks they keep passing.
    # Consul of the services' health: the agent asks each one's /healthz (debug listener) every few seconds.
    consul_port=$(free_port)
    registry="consul://127.0.0.1:$consul_port?check=http"
    /usr/bin/python3 tests/support/consul_standin.py --port "$consul_port" > "$work/consul.log" 2>&1 &
    registry_pid=$!
    for _ in $(seq 1 100); do curl -s "http://127.0.0.1:$consul_port/v1/status/leader" | grep -q 8300 && break; sleep 0.1; done
    echo "a Consul agent stand-in is serving on 127.0.0.1:$consul_port (pid $registry_pid)"
    ;;
  eureka | nacos)
    # Debian has neither server: the stand-ins the tests use (each says at its top what it does not model).
    # Neither can push changes, so clients poll; every second here (the default is 10 s).
    standin_port=$(free_port)
    if [ "$registry_kind" = eureka ]; then registry="eureka://127.0.0.1:$standin_port/eureka?poll=1s"; else registry="nacos://127.0.0.1:$standin_port?poll=1s"; fi
    /usr/bin/python3 "tests/support/${registry_kind}_standin.py" --port "$standin_port" > "$work/$registry_kind.log" 2>&1 &
    registry_pid=$!
    for _ in $(seq 1 100); do grep -q "listening on" "$work/$registry_kind.log" 2>/dev/null && break; sleep 0.1; done
    echo "a ${registry_kind^} stand-in is serving on 127.0.0.1:$standin_port (pid $registry_pid)"
    ;;
  *) echo "REGISTRY must be etcd, zk, consul, eureka or nacos, not $registry_kind" >&2; exit 2 ;;
esac

# Where the emails go: a real SMTP server on loopback that files every message in a maildir.
smtp_port=$(free_port)
/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$work/mail" > "$work/smtp.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1',$smtp_port),1)" 2>/dev/null && break; sleep 0.1; done
echo "an SMTP sink (aiosmtpd) is receiving mail on 127.0.0.1:$smtp_port, into $work/mail/new"

scheme=http
tls=()        # every service's TLS flags
mtls=()       # notificator's: only services with a certificate from the CA may call it
curl_tls=()   # curl's
call_tls=()   # svckit call's, and the query that says an instance serves TLS
static_tls=
if [ "${TLS:-0}" = 1 ]; then
  bash scripts/make-certs.sh "$work/certs" > /dev/null
  c="$work/certs"
  tls=(--tls-cert "$c/server.crt" --tls-key "$c/server.key" --tls-ca "$c/ca.crt")
  mtls=(--tls-client-ca "$c/ca.crt")
  curl_tls=(--cacert "$c/ca.crt")
  call_tls=(--tls-ca "$c/ca.crt" --tls-cert "$c/server.crt" --tls-key "$c/server.key")
  static_tls="?tls=1"
  scheme=https
  echo "TLS on every hop: CA and certificates in $c (the CA signs every service's certificate)"
fi

# users and bugs check tokens with the same HS256 secret; notificators show their outbox to this token only.
outbox_token=$(openssl rand -hex 16)
export SVCKIT_JWT_SECRET="${SVCKIT_JWT_SECRET:-$(openssl rand -hex 32)}"
declare -A debug_port grpc_port
for n in notificator1 notificator2; do
  "$bin/notificator" --grpc-addr 127.0.0.1:0 --debug-addr 127.0.0.1:0 --store "sqlite:$work/$n.db" \
    --smtp-url "smtp://127.0.0.1:$smtp_port" --registry "$registry" --outbox-token "$outbox_token" \
    "${tls[@]}" "${mtls[@]}" > "$work/$n.log" 2>&1 &
  pids+=($!)
  service_pid[$n]=$!
  debug_port[$n]=$(wait_registered "$work/$n.log" debug)
  grpc_port[$n]=$(wait_registered "$work/$n.log" grpc)
  echo "$n is serving gRPC on 127.0.0.1:${grpc_port[$n]}, its outbox on http://127.0.0.1:${debug_port[$n]}/outbox" \
    "(curl -H 'Authorization: Bearer $outbox_token')"
done
users_addr="127.0.0.1:$(port_or_free 8100)"
"$bin/users" --http-addr "$users_addr" --debug-addr 127.0.0.1:0 --store "sqlite:$work/users.db" --registry "$registry" \
  "${tls[@]}" > "$work/users.log" 2>&1 &
pids+=($!)
service_pid[users]=$!
users="$scheme://127.0.0.1:$(wait_registered "$work/users.log" http)"
bugs_addr="127.0.0.1:$(port_or_free 8200)"
"$bin/bugs" --http-addr "$bugs_addr" --debug-addr 127.0.0.1:0 --store "sqlite:$work/bugs.db" --registry "$registry" \
  "${tls[@]}" > "$work/bugs.log" 2>&1 &
pids+=($!)
service_pid[bugs]=$!
bugs="$scheme://127.0.0.1:$(wait_registered "$work/bugs.log" http)"
echo "users is serving on $users, bugs on $bugs"
echo "Prometheus metrics: users http://127.0.0.1:$(wait_registered "$work/users.log" debug)/metrics," \
  "bugs http://127.0.0.1:$(wait_registered "$work/bugs.log" debug)/metrics," \
  "notificators $(for n in "${!debug_port[@]}"; do printf 'http://127.0.0.1:%s/metrics ' "${debug_port[$n]}"; done)"
echo

# Prints a command as it can be pasted (quoted where needed; the token as $TOKEN), runs it, prints its output.
show() {
  local line='$' a
  for a in "$@"; do
    if [[ $a == *"Bearer "* ]]; then line+=' "Authorization: Bearer $TOKEN"'; continue; fi
    if [[ $a =~ [^A-Za-z0-9_./:=@,-] ]]; then line+=" '$a'"; else line+=" $a"; fi
  done
  echo "$line"
  "$@" || true
  echo; echo
}
echo "--- what the registry holds ---"
if [ "$registry_kind" = zk ]; then
  show bash -c "/usr/share/zookeeper/bin/zkCli.sh -server 127.0.0.1:$zk_port ls -R /services 2>/dev/null | grep '^/'"
elif [ "$registry_kind" = consul ]; then
  show curl -sS "http://127.0.0.1:$consul_port/v1/health/service/notificator?passing"
elif [ "$registry_kind" = eureka ]; then
  show curl -sS -H 'Accept: application/json' "http://127.0.0.1:$standin_port/eureka/apps/NOTIFICATOR"
elif [ "$registry_kind" = nacos ]; then
  show curl -sS "http://127.0.0.1:$standin_port/nacos/v1/ns/instance/list?serviceName=DEFAULT_GROUP@@notificator&healthyOnly=true"
else
  show etcdctl --endpoints "127.0.0.1:$etcd_port" get --prefix /services/
fi
echo "--- create users (each gets a welcome email through a notificator found in $registry_kind) ---"
show curl "${curl_tls[@]}" -sS -X POST "$users/users" -d '{"email":"ann@example.com","password":"correct horse"}'
show curl "${curl_tls[@]}" -sS -X POST "$users/create" -d '{"email":"bob@example.com"}'
show curl "${curl_tls[@]}" -sS -X POST "$users/create" -d '{"email":"not-an-email"}'
echo "--- log in ---"
show curl "${curl_tls[@]}" -sS -X POST "$users/login" -d '{"email":"ann@example.com","password":"correct horse"}'
TOKEN=$(curl "${curl_tls[@]}" -sS -X POST "$users/login" -d '{"email":"ann@example.com","password":"correct horse"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
echo "--- file a bug (needs the token), assign it (Bob gets an email), list bugs ---"
show curl "${curl_tls[@]}" -sS -X POST "$bugs/create" -d '{"bug":"the login page is blank"}'
show curl "${curl_tls[@]}" -sS -X POST "$bugs/create" -H "Authorization: Bearer $TOKEN" -d '{"bug":"the login page is blank"}'
show curl "${curl_tls[@]}" -sS -X PATCH "$bugs/bugs/1" -H "Authorization: Bearer $TOKEN" -d '{"assignee_id":2,"status":"in_progress"}'
show curl "${curl_tls[@]}" -sS "$bugs/bugs?status=in_progress&limit=10"
echo "--- the emails, as the SMTP sink received them (waiting up to 20 s for all three) ---"
for _ in $(seq 1 200); do [ "$(ls "$work/mail/new" 2>/dev/null | wc -l)" -ge 3 ] && break; sleep 0.1; done
/usr/bin/python3 - "$work/mail/new" <<'PY'
import email, os, sys
d = sys.argv[1]
files = sorted(os.listdir(d), key=lambda f: os.path.getmtime(os.path.join(d, f))) if os.path.isdir(d) else []
for f in files:
    with open(os.path.join(d, f), "rb") as fh:
        m = email.message_from_binary_file(fh)
    body = m.get_payload(decode=True) or b""
    print("  mail to %-18s subject %-28r %s" % (m["To"], m["Subject"], body.decode(errors="replace").strip().splitlines()[0][:60]))
print("  (%d delivered)" % len(files))
PY
echo
echo "--- which notificator instance served each email, and its delivery state ---"
for n in notificator1 notificator2; do
  curl -sS -H "Authorization: Bearer $outbox_token" "http://127.0.0.1:${debug_port[$n]}/outbox" | /usr/bin/python3 -c '
import json, sys
for m in json.load(sys.stdin)["messages"]:
    print("  %s: %-18s %-8s %s" % (sys.argv[1], m["email"], m["state"], m["content"][:60]))' "$n"
done
echo
echo "--- a delivery as a stream: WatchDeliveries (gRPC server streaming) on the instance that stored the first email ---"
for n in notificator1 notificator2; do
  id=$(curl -sS -H "Authorization: Bearer $outbox_token" "http://127.0.0.1:${debug_port[$n]}/outbox" |
       /usr/bin/python3 -c 'import json, sys; m = json.load(sys.stdin)["messages"]; print(m[-1]["id"] if m else "")')
  [ -n "$id" ] || continue
  show "$bin/svckit" call --registry "static://127.0.0.1:${grpc_port[$n]}$static_tls" notificator/WatchDeliveries "{\"ids\":[\"$id\"]}" \
    --proto examples/bugtracker/proto/notificator.proto "${call_tls[@]}"
  break
done
echo "  (each state now, then every change until sent or dead; a stream of JSON lines)"
echo
echo "--- the services log every call (method, duration, outcome; never a body) ---"
tail -n 3 "$work/users.log" "$work/bugs.log"

if [ "${ONCE:-0}" = 1 ]; then exit 0; fi
echo
echo "Still running; paste the README's curl commands (users: $users, bugs: $bugs). Ctrl-C stops everything."
# Wait in the background so that a signal to this script (not only Ctrl-C to the terminal) stops at once.
sleep infinity &
sleeper=$!
wait "$sleeper"
