#!/usr/bin/env bash
# Installs the built svckit into a temp prefix and builds an outside project against it with
# find_package(svckit COMPONENTS http) + target_link_libraries(app svckit::http), then runs the result: it
# answers, and has no gRPC linked. A component svckit does not have fails find_package.
set -euo pipefail
build=$1
consumer=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
cmake -S "$consumer" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  ${CMAKE_CXX_COMPILER_LAUNCHER:+-DCMAKE_CXX_COMPILER_LAUNCHER=$CMAKE_CXX_COMPILER_LAUNCHER} > "$work/configure.log"
cmake --build "$work/build" > "$work/build.log" || { cat "$work/build.log"; exit 1; }
out=$("$work/build/consumer")
[ "$out" = "consumer: HELLO 200" ] || { echo "unexpected output: $out"; exit 1; }
# Not `ldd | grep -q` under pipefail: grep -q exits at the first match, and ldd then fails writing the rest.
libs=$(ldd "$work/build/consumer")
grep -q tcmalloc <<<"$libs" || { echo "svckit_link_allocator did not link tcmalloc"; exit 1; }
if grep -q grpc <<<"$libs"; then echo "an HTTP-only consumer links gRPC: $libs"; exit 1; fi
mkdir "$work/nope"
printf 'cmake_minimum_required(VERSION 3.25)\nproject(nope LANGUAGES CXX)\nfind_package(svckit REQUIRED COMPONENTS http nope)\n' \
  > "$work/nope/CMakeLists.txt"
if cmake -S "$work/nope" -B "$work/nope/build" -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/nope.log" 2>&1; then
  echo "find_package(svckit COMPONENTS nope) succeeded"; exit 1
fi
grep -qF 'svckit has no component "nope" (it has: core, http' "$work/nope.log" || { echo "the failure does not name the missing component:"; cat "$work/nope.log"; exit 1; }
echo "install test: ok"
