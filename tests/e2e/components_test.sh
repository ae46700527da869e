#!/usr/bin/env bash
# Components, as a user links them: hello_http links svckit::app alone — no gRPC in the binary, and etcd://
# and the zipkin exporter are refused by name; hello_http_plugins adds svckit::etcd and svckit::zipkin (its
# code names nothing of theirs) and registers in a real etcd.
set -euo pipefail
bin=$1
work=$(mktemp -d)
etcd_pid= svc_pid=
cleanup() {
  for p in $svc_pid $etcd_pid; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in svc.log etcd.log; do [ -f "$work/$f" ] && { echo "--- $f" >&2; tail -25 "$work/$f" >&2; }; done
  exit 1
}
source "$(dirname "$0")/lib.sh"

# 1. The HTTP-only binary has no gRPC library in it; the one with etcd has (etcd's client speaks gRPC).
libs=$(ldd "$bin/hello_http")
if grep -q grpc <<<"$libs"; then fail "hello_http links gRPC: $(grep grpc <<<"$libs")"; fi
grep -q libgrpc <<<"$(ldd "$bin/hello_http_plugins")" || fail "hello_http_plugins links no gRPC: is ldd reading the binary?"

# 2. Flags for what it serves; plug-ins listed as linked.
"$bin/hello_http" --help > "$work/help"
grep -q -- --http-addr "$work/help" || fail "--help lacks --http-addr"
if grep -q -- --grpc-addr "$work/help"; then fail "an HTTP-only service offers --grpc-addr"; fi
grep -q "linked: none" "$work/help" || fail "--help should list no trace exporter: $(grep -A1 trace-exporter "$work/help")"
"$bin/hello_http_plugins" --help > "$work/help2"
grep -q "linked: zipkin" "$work/help2" || fail "--help of hello_http_plugins does not list zipkin"

# 3. What is not linked is refused by name, with what is.
expect_fail 2 'unknown scheme "etcd" (is the library that registers it linked? etcd:// is svckit::etcd, zk:// svckit::zk)' "$bin/hello_http" --registry etcd://127.0.0.1:1
grep -qF 'schemes: dns+srv, file, static)' "$work/out" || fail "the error does not list the known schemes: $(cat "$work/out")"
expect_fail 105 'unknown trace exporter "zipkin"' "$bin/hello_http" --trace-exporter zipkin

# 4. It serves.
http=127.0.0.1:$(free_port) debug=127.0.0.1:$(free_port)
"$bin/hello_http" --http-addr "$http" --debug-addr "$debug" > "$work/svc.log" 2>&1 &
svc_pid=$!
wait_for 20 curl -sf "http://$http/hello" -o "$work/hello" || fail "hello_http did not answer"
[ "$(cat "$work/hello")" = '{"hello":"world"}' ] || fail "GET /hello: $(cat "$work/hello")"
kill -TERM "$svc_pid"
rc=0; wait "$svc_pid" || rc=$?
svc_pid=
[ "$rc" = 0 ] || fail "hello_http exited $rc after SIGTERM"

# 5. Linked, etcd:// works: the instance registers in a real etcd.
start_etcd
http=127.0.0.1:$(free_port) debug=127.0.0.1:$(free_port)
"$bin/hello_http_plugins" --registry "etcd://127.0.0.1:$cport" --http-addr "$http" --debug-addr "$debug" \
  > "$work/svc.log" 2>&1 &
svc_pid=$!
registered() {
  ETCDCTL_API=3 etcdctl --endpoints "127.0.0.1:$cport" get --prefix /services/hello/ > "$work/keys" 2>&1 &&
    grep -qx "/services/hello/$http" "$work/keys"
}
wait_for 20 registered || fail "hello_http_plugins did not register: $(cat "$work/keys")"
echo "e2e components: ok"
