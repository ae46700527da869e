#!/usr/bin/env bash
# The generator and registry tools end to end, as a user meets them: install svckit, scaffold a service,
# add one operation to its .proto, implement it in the user file, build against the installed tree, run the
# generated test, start the service against a real etcd, reach it with `svckit call`, see it with
# `svckit ls` / `svckit watch`; re-running the generator leaves the user's files alone; the docker-compose
# file it writes is structurally valid. Usage: generator_e2e.sh BUILD_DIR
set -euo pipefail
build=$1
work=$(mktemp -d /tmp/svckit-generator-XXXXXX)
etcd_pid= svc_pid= watch_pid=
cleanup() {
  for p in $watch_pid $svc_pid $etcd_pid; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in build.log svc.log etcd.log watch.log; do
    [ -f "$work/$f" ] && { echo "--- $f" >&2; tail -25 "$work/$f" >&2; }
  done
  exit 1
}
source "$(dirname "$0")/lib.sh"

cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
svckit="$work/prefix/bin/svckit"
mod="$work/services"
mkdir -p "$mod"

# 1. Scaffold. The fresh service builds and its generated test passes before anything is added.
"$svckit" new service greeter --module "$mod" --dmw > "$work/new.log" || fail "svckit new: $(cat "$work/new.log")"
svc="$mod/greeter"
for f in proto/greeter.proto service.hpp service.cpp main.cpp CMakeLists.txt svckit.cmake README.md; do
  [ -f "$svc/$f" ] || fail "svckit new did not create $f"
done
expect_fail 2 "already exists" "$svckit" new service greeter --module "$mod"
expect_fail 2 "lower_snake_case" "$svckit" new service greeter-2 --module "$mod"

# 2. One operation: one rpc line (plus its messages) in the .proto, its logic in the user's files.
sed -i 's/^service Greeter {$/service Greeter {\n  rpc SayHello (HelloRequest) returns (HelloReply);/' "$svc/proto/greeter.proto"
cat >> "$svc/proto/greeter.proto" <<'EOF'
message HelloRequest { string name = 1; }
message HelloReply { string message = 1; }
EOF
sed -i 's|^ public:$| public:\n  boost::asio::awaitable<svckit::Result<HelloReply>> say_hello(const svckit::Context\& ctx,\n                                                               const HelloRequest\& request) override;|' "$svc/service.hpp"
cat >> "$svc/service.cpp" <<'EOF'

namespace greeter {
boost::asio::awaitable<svckit::Result<HelloReply>> GreeterService::say_hello(const svckit::Context&,
                                                                            const HelloRequest& request) {
  if (request.name().empty()) co_return svckit::invalid_argument("name is empty");
  HelloReply reply;
  reply.set_message("hello " + request.name());
  co_return reply;
}
}  // namespace greeter
EOF

# 3. Re-running the generator rewrites its settings and never touches the user's files.
before=$(cd "$svc" && sha256sum service.hpp service.cpp main.cpp CMakeLists.txt README.md proto/greeter.proto)
"$svckit" generate service greeter --module "$mod" -t both --dmw > "$work/gen.log" || fail "generate: $(cat "$work/gen.log")"
grep -q "HTTP POST /say-hello" "$work/gen.log" || fail "generate did not list the new rpc: $(cat "$work/gen.log")"
after=$(cd "$svc" && sha256sum service.hpp service.cpp main.cpp CMakeLists.txt README.md proto/greeter.proto)
[ "$before" = "$after" ] || fail "svckit generate service changed a user file"
grep -q "set(SVCKIT_DMW DMW)" "$svc/svckit.cmake" || fail "settings not written: $(cat "$svc/svckit.cmake")"
expect_fail 2 "no service nosuch" "$svckit" generate service nosuch --module "$mod"

# 4. Build against the installed svckit; the generated test covers the new rpc over both transports.
cmake -S "$svc" -B "$svc/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  ${CMAKE_CXX_COMPILER_LAUNCHER:+-DCMAKE_CXX_COMPILER_LAUNCHER=$CMAKE_CXX_COMPILER_LAUNCHER} > "$work/build.log" 2>&1 \
  || fail "configure"
cmake --build "$svc/build" >> "$work/build.log" 2>&1 || fail "build"
"$svc/build/greeter_test" > "$work/test.log" 2>&1 || { cat "$work/test.log"; fail "the generated test failed"; }
grep -q "SayHelloAnswersAlikeInProcessAndOverTheWire" "$work/test.log" || fail "the generated test does not cover SayHello"

# 5. A real etcd, the service registered in it.
start_etcd
export SVCKIT_REGISTRY="etcd://127.0.0.1:$cport"  # the env fallback every command reads

"$svckit" watch greeter > "$work/watch.log" 2>&1 &
watch_pid=$!
wait_for 10 grep -q "no instances of greeter yet" "$work/watch.log" || fail "watch did not start"

"$svc/build/greeter" --registry "$SVCKIT_REGISTRY" --http-addr 127.0.0.1:0 --grpc-addr 127.0.0.1:0 \
  --debug-addr 127.0.0.1:0 > "$work/svc.log" 2>&1 &
svc_pid=$!
listed() { "$svckit" ls greeter > "$work/ls.log" 2>&1 && grep -q "transport=grpc" "$work/ls.log"; }
wait_for 20 listed || fail "svckit ls never listed greeter: $(cat "$work/ls.log")"
grep -Eq '^greeter +127\.0\.0\.1:[0-9]+ +[0-9]+s +transport=grpc' "$work/ls.log" || fail "ls output: $(cat "$work/ls.log")"
wait_for 10 grep -q "added    127.0.0.1" "$work/watch.log" || fail "watch did not see the instance"

# 6. svckit call: resolved in etcd, called over gRPC with the .proto's descriptors.
out=$("$svckit" call greeter/SayHello '{"name":"ann"}' --proto "$svc/proto/greeter.proto") || fail "call failed: $out"
[ "$out" = '{"message":"hello ann"}' ] || fail "call printed: $out"
out=$("$svckit" call greeter/say_hello '{"name":"bo"}' --proto "$svc/proto/greeter.proto" --registry "$SVCKIT_REGISTRY")
[ "$out" = '{"message":"hello bo"}' ] || fail "call by snake_case name printed: $out"

# An instance registered (by hand, with etcdctl) as HTTP in the JSON form: called over HTTP/JSON, no .proto
# needed. A value that does not parse is listed by ls with the reason, not hidden and not fatal.
http_addr=$(sed -n 's/.*server="http \([0-9.:]*\)".*/\1/p' "$work/svc.log")
[ -n "$http_addr" ] || fail "no HTTP address in the service log"
etcdctl() { ETCDCTL_API=3 command etcdctl --endpoints "127.0.0.1:$cport" "$@" > /dev/null; }
etcdctl put "/services/greeter_http/$http_addr" "{\"addr\":\"$http_addr\",\"transport\":\"http\"}"
out=$("$svckit" call greeter_http/SayHello '{"name":"cy"}') || fail "HTTP call failed: $out"
[ "$out" = '{"message":"hello cy"}' ] || fail "HTTP call printed: $out"
etcdctl put /services/broken/x '{"adr":1}'
"$svckit" ls > "$work/ls.log" 2>&1 || fail "ls with a bad value: $(cat "$work/ls.log")"
grep -Eq '^broken +\? +- +invalid value' "$work/ls.log" || fail "ls did not flag the bad value: $(cat "$work/ls.log")"
grep -Eq '^greeter_http +127\.0\.0\.1:[0-9]+ +- +transport=http' "$work/ls.log" || fail "ls: $(cat "$work/ls.log")"

# Clear errors: the service's own refusal, unknown method, JSON not matching the type, unknown service,
# no .proto for gRPC, registry unreachable.
expect_fail 1 "INVALID_ARGUMENT" "$svckit" call greeter/SayHello '{"name":""}' --proto "$svc/proto/greeter.proto"
expect_fail 2 "method 'Nope' is not in service greeter.Greeter (it has: SayHello)" \
  "$svckit" call greeter/Nope '{}' --proto "$svc/proto/greeter.proto"
expect_fail 2 "does not match greeter.HelloRequest" \
  "$svckit" call greeter/SayHello '{"nam":"x"}' --proto "$svc/proto/greeter.proto"
expect_fail 2 "does not match greeter.HelloRequest" \
  "$svckit" call greeter/SayHello '{"name":' --proto "$svc/proto/greeter.proto"
expect_fail 1 "service 'nosuch' has no instances" \
  "$svckit" call nosuch/SayHello '{}' --proto "$svc/proto/greeter.proto"
expect_fail 2 "give --proto FILE" "$svckit" call greeter/SayHello '{"name":"x"}'
expect_fail 2 "SERVICE/Method" "$svckit" call greeter '{}'
expect_fail 1 "service 'nosuch' has no instances" "$svckit" ls nosuch
dead="etcd://127.0.0.1:$(free_port)"
expect_fail 1 "unreachable" "$svckit" ls --registry "$dead" --registry-timeout-ms 1000
expect_fail 1 "unreachable" "$svckit" call greeter/SayHello '{"name":"x"}' --proto "$svc/proto/greeter.proto" \
  --registry "$dead" --registry-timeout-ms 1000

# 7. SIGTERM: the service deregisters first; watch reports it gone, ls no longer lists it.
kill -TERM "$svc_pid"
wait "$svc_pid" || fail "greeter did not exit 0 on SIGTERM"
svc_pid=
wait_for 10 grep -q "removed  127.0.0.1" "$work/watch.log" || fail "watch did not see the instance leave"
expect_fail 1 "service 'greeter' has no instances" "$svckit" ls greeter

# 8. Docker files: a Dockerfile per service, a compose file with a 3-member etcd cluster. No Docker engine
# runs here, so the compose file is checked for structure only.
"$svckit" generate docker --module "$mod" > "$work/docker.log" || fail "generate docker: $(cat "$work/docker.log")"
[ -f "$svc/Dockerfile" ] || fail "no Dockerfile"
grep -q "^FROM debian:12-slim" "$svc/Dockerfile" || fail "Dockerfile has no runtime stage"
/usr/bin/python3 - "$mod/docker-compose.yml" <<'EOF' || fail "docker-compose.yml is not what it should be"
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
services = doc["services"]
etcds = [f"etcd{i}" for i in (1, 2, 3)]
for name in etcds:
    cmd = services[name]["command"]
    assert f"--name={name}" in cmd, cmd
    cluster = [c for c in cmd if c.startswith("--initial-cluster=")][0]
    assert all(f"{e}=http://{e}:2380" in cluster for e in etcds), cluster
g = services["greeter"]
assert g["build"]["context"] == "./greeter", g
assert sorted(g["depends_on"]) == etcds, g
assert "--registry=etcd://etcd1:2379,etcd2:2379,etcd3:2379" in g["command"], g
host_ports = [p.split(":")[0] for s in services.values() for p in s.get("ports", [])]
assert len(host_ports) == len(set(host_ports)), host_ports
EOF
# 9. The registry goes away: watch says so (and keeps the last known set) instead of going quiet.
kill "$etcd_pid"
wait "$etcd_pid" 2>/dev/null || true
etcd_pid=
wait_for 30 grep -q "error    " "$work/watch.log" || fail "watch did not report the registry outage"
kill "$watch_pid" 2>/dev/null || true
echo "generator e2e: ok"
