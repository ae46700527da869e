#!/usr/bin/env bash
# protoc-gen-svckit refuses a malformed (svckit.api.http) option with a message naming the rpc and what is
# wrong, and protoc fails: a bad route never reaches a build.
set -euo pipefail
plugin=$1 include=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# refused OPTION WANT: a service whose one rpc carries OPTION fails with WANT in protoc's output.
refused() {
  cat > "$work/bad.proto" <<PROTO
syntax = "proto3";
package bad;
import "svckit/api/http.proto";
message Req { int64 id = 1; repeated string tags = 2; Inner inner = 3; }
message Inner { string s = 1; }
message Resp {}
service Bad { rpc Get (Req) returns (Resp) { option (svckit.api.http) = { $1 }; } }
PROTO
  local rc=0
  protoc --plugin=protoc-gen-svckit="$plugin" --svckit_out="$work" -I "$work" -I "$include" "$work/bad.proto" \
    > "$work/out" 2>&1 || rc=$?
  [ "$rc" != 0 ] || fail "accepted: $1"
  grep -qF -- "bad.Bad.Get: $2" "$work/out" || fail "'$1' did not say 'bad.Bad.Get: $2': $(cat "$work/out")"
}

refused 'get: "/x/{nope}"' '{nope} names no field of bad.Req'
refused 'get: "/x/{tags}"' '{tags} must be a singular scalar field'
refused 'get: "/x/{inner}"' '{inner} must be a singular scalar field'
refused 'post: "/x/{id}/{id}" body: "*"' '{id} appears twice'
refused 'get: "/x" body: "*"' 'GET and DELETE routes take no body'
refused 'post: "/x" body: "inner"' 'body must be "*" or absent'
refused 'post: "x" body: "*"' 'the path "x" must start with /'
refused 'post: "/a b" body: "*"' 'path segment "a b" must be a literal'
refused 'post: "/x/$y" body: "*"' 'path segment "$y" must be a literal'
refused 'post: "/x" body: "*" success_status: 302' 'success_status must be 2xx'
refused 'body: "*"' 'a route needs a verb and a path'
refused 'get: "/x"' 'field inner (a message or map) cannot travel in a query string'
refused 'post: "/x" body: "*" additional_bindings { get: "/y/{id}" additional_bindings { get: "/z" } }' \
  'additional_bindings do not nest'

# Streaming rpcs: server streaming is generated (gRPC only, so an HTTP route on one is refused); client and
# bidirectional streaming are refused for now. rpc_refused RPC WANT: a service with that one rpc fails.
rpc_refused() {
  cat > "$work/stream.proto" <<PROTO
syntax = "proto3";
package st;
import "svckit/api/http.proto";
message Req { string s = 1; }
message Resp {}
service Streams { $1 }
PROTO
  local rc=0
  protoc --plugin=protoc-gen-svckit="$plugin" --svckit_out="$work" -I "$work" -I "$include" "$work/stream.proto" \
    > "$work/out" 2>&1 || rc=$?
  [ "$rc" != 0 ] || fail "accepted: $1"
  grep -qF -- "$2" "$work/out" || fail "'$1' did not say '$2': $(cat "$work/out")"
}
rpc_refused 'rpc Up (stream Req) returns (Resp);' 'st.Streams.Up: client and bidirectional streaming are not supported'
rpc_refused 'rpc Both (stream Req) returns (stream Resp);' 'st.Streams.Both: client and bidirectional streaming are not supported'
rpc_refused 'rpc Watch (Req) returns (stream Resp) { option (svckit.api.http) = { get: "/w" }; }' \
  'st.Streams.Watch: a server-streaming method has no HTTP route (gRPC only)'
# A plain server-streaming rpc is generated.
cat > "$work/stream.proto" <<PROTO
syntax = "proto3";
package st;
message Req { string s = 1; }
message Resp {}
service Streams { rpc Watch (Req) returns (stream Resp); }
PROTO
protoc --plugin=protoc-gen-svckit="$plugin" --svckit_out="$work" -I "$work" -I "$include" "$work/stream.proto" > "$work/out" 2>&1 ||
  fail "a server-streaming rpc was refused: $(cat "$work/out")"
grep -qF 'svckit::StreamEndpoint<::st::Req, ::st::Resp> watch;' "$work/stream.svckit.h" || fail "no StreamEndpoint for Watch"
echo "route options: ok"
