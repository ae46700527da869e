#!/usr/bin/env bash
# Installs every Debian 12 package svckit needs to build, test, benchmark and run the demo.
# Idempotent: only missing packages are installed, and `apt-get update` runs only when something is missing.
# --no-install-recommends keeps Boost 1.74 (pulled in by some recommends) from replacing 1.81.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # core, transports
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  # svckit's own gRPC wire (issue 32): HTTP/2 framing, HPACK and flow control
  libnghttp2-dev
  # the CLI and its protoc plugin (protoc-gen-svckit); python3-yaml checks the generated compose file
  libprotoc-dev python3-yaml
  # file:// registries in YAML
  libyaml-cpp-dev
  libcli11-dev libspdlog-dev libfmt-dev libssl-dev
  # the allocator service executables link (cmake/SvckitAllocator.cmake)
  libgoogle-perftools-dev
  # tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev wrk curl python3 openssl
  # TLS tests: a gRPC client nobody here wrote (Python's secure_channel)
  python3-grpcio
  # discovery
  etcd-server etcd-client
  # zk:// registries: the C client, and a real ZooKeeper for the tests; dns+srv:// tests serve SRV records with dnsmasq
  libzookeeper-mt-dev zookeeperd dnsmasq-base
  # go-kit interop tests: Go programs with the official Go etcd client (tests/interop/gokit_etcdv3) and
  # go-kit's gRPC transport on grpc-go (tests/interop/gokit_grpc)
  golang-go golang-etcd-server-dev golang-github-go-kit-kit-dev
  # bug tracker
  libsqlite3-dev libsodium-dev libcurl4-openssl-dev python3-aiosmtpd
  # observability tests: a real Prometheus scrapes a service
  prometheus
  # fuzzing (make fuzz, make test-fuzz): clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
