// svckit CLI — the registry tools: ls, watch, call. Each returns the process exit code:
// 0 success, 1 a runtime failure (registry unreachable, no instances, the call failed), 2 bad input.
#pragma once

#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

namespace svckit::cli {

struct RegistryFlags {
  std::string url;                         // any registry URL: etcd://…, file:///…, static://…
  std::chrono::milliseconds timeout{3000};  // each registry request, and the wait for the first set
};

/// `svckit ls [SERVICE]`: every service (or one) with its instances: address, lease TTL left, metadata.
int list_instances(const RegistryFlags& registry, const std::string& service, std::ostream& out, std::ostream& err);

/// `svckit watch SERVICE`: the current instances, then every add, remove and registry error as it
/// happens, one line each, until SIGINT/SIGTERM or after `max_changes` changes (0: no limit).
int watch_instances(const RegistryFlags& registry, const std::string& service, int max_changes, std::ostream& out,
                    std::ostream& err);

struct CallFlags {
  std::string target;                    // SERVICE/Method
  std::string json;                      // the request
  std::vector<std::string> protos;       // .proto files describing the service (needed for gRPC)
  std::vector<std::string> import_paths; // -I directories (default: each proto's own directory)
  std::string transport = "auto";        // auto (the instance's registered transport, else grpc), grpc, http
  std::string balancer = "round_robin";
  std::chrono::milliseconds timeout{5000};
  // Instances registered with "tls":true are called over TLS: CAs to trust (empty: the system's store)
  // and, for servers that require one, a client certificate and key.
  std::string tls_ca, tls_cert, tls_key;
};

/// `svckit call SERVICE/Method '{json}'`: resolves SERVICE in the registry, balances, calls the method over
/// gRPC (the request encoded with the .proto's descriptors) or HTTP/JSON (POST /<method-in-kebab-case>),
/// and prints the JSON reply (over TLS to instances registered with "tls":true).
int call_method(const RegistryFlags& registry, const CallFlags& call, std::ostream& out, std::ostream& err);

}  // namespace svckit::cli
