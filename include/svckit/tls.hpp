// svckit/tls.hpp — TLS settings shared by the HTTP and gRPC transports, servers and clients.
//
//   auto server_tls = svckit::tls::load_server({.cert_file = "svc.crt", .key_file = "svc.key"});
//   svckit::http::ServerOptions{.address = "0.0.0.0:8443", .tls = server_tls};
//   auto client_tls = svckit::tls::load_client({.ca_file = "ca.crt"});
//   svckit::http::Client("10.0.0.7", 8443, {.tls = client_tls});
//   svckit::grpc::make_channel("10.0.0.7:8444", {.tls = client_tls});
//
// Files are read once, when loaded (a service fails at start-up with the file and the reason, not on its
// first call). Certificates and keys are PEM. TLS 1.2 is the oldest version either side speaks.
// Servers: `client_ca_file` set means mutual TLS — a client without a certificate signed by that CA is
// refused during the handshake. Clients verify the server's certificate against `ca_file` (empty: the
// system's trust store) and its name against the host dialled (an IP address is matched against the
// certificate's IP SANs), or against `server_name` when set; `cert_file`/`key_file` are the client's own
// certificate, presented when a server asks for one.
#pragma once

#include <memory>
#include <string>

namespace svckit::tls {

struct ServerConfig {
  std::string cert_file;       // certificate chain, leaf first
  std::string key_file;        // its private key (unencrypted PEM)
  std::string client_ca_file;  // non-empty: require client certificates signed by these CAs (mTLS)
};

struct ClientConfig {
  std::string ca_file;      // CAs trusted to sign servers' certificates; empty: the system's trust store
  std::string cert_file;    // optional: the client's certificate (for servers that require one)
  std::string key_file;     // its private key
  std::string server_name;  // optional: the name to verify (and send as SNI) instead of the host dialled
};

/// A loaded configuration: the PEM texts, checked to parse and (for a certificate and key) to match.
struct Credentials {
  std::string cert_pem;
  std::string key_pem;
  std::string ca_pem;  // servers: client CAs (non-empty = mTLS); clients: trusted CAs (empty = system store)
  std::string server_name;
  bool require_client_cert = false;
};

/// Reads and checks a server's files; throws std::invalid_argument naming the file and what is wrong.
std::shared_ptr<const Credentials> load_server(const ServerConfig& config);
/// Reads and checks a client's files (all optional); throws std::invalid_argument as load_server.
std::shared_ptr<const Credentials> load_client(const ClientConfig& config);

}  // namespace svckit::tls
