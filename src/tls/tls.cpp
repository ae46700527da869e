#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <utility>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "ssl_context.hpp"
#include "svckit/tls.hpp"

namespace svckit::tls {

namespace ssl = boost::asio::ssl;

namespace {

constexpr std::size_t kMaxPemBytes = 1 << 20;  // a CA bundle is ~200 KiB; anything larger is not PEM we want

// Reads at most kMaxPemBytes + 1 bytes, so that a path naming a device or a pipe (/dev/zero) fails
// rather than filling memory.
std::string read_pem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(std::string(what) + " " + path + ": cannot be read");
  std::string text(kMaxPemBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxPemBytes) throw std::invalid_argument(std::string(what) + " " + path + ": larger than 1 MiB");
  if (text.find("-----BEGIN ") == std::string::npos)
    throw std::invalid_argument(std::string(what) + " " + path + ": not PEM (no -----BEGIN line)");
  return text;
}

// Asio reports OpenSSL's errors as error_codes; this turns one into "what: reason".
[[noreturn]] void fail(const std::string& what, const boost::system::error_code& ec) {
  throw std::invalid_argument(what + ": " + ec.message());
}

void use_identity(ssl::context& ctx, const Credentials& c, const std::string& what) {
  boost::system::error_code ec;
  ctx.use_certificate_chain(boost::asio::buffer(c.cert_pem), ec);
  if (ec) fail(what + " certificate", ec);
  ctx.use_private_key(boost::asio::buffer(c.key_pem), ssl::context::pem, ec);
  if (ec) fail(what + " key", ec);
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    ERR_clear_error();
    throw std::invalid_argument(what + " key does not match its certificate");
  }
}

void trust(ssl::context& ctx, const std::string& pem, const std::string& what) {
  boost::system::error_code ec;
  ctx.add_certificate_authority(boost::asio::buffer(pem), ec);
  if (ec) fail(what, ec);
}

// Parses the texts now (a bad file fails at start-up), naming the files when OpenSSL rejects one.
template <class Build>
void check_parses(Build build, const Credentials& c, const std::string& files) {
  try {
    (void)build(c);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(e.what()) + " (" + files + ")");
  }
}

std::string file_list(std::initializer_list<std::pair<const char*, const std::string*>> files) {
  std::string out;
  for (const auto& [name, path] : files)
    if (!path->empty()) out += (out.empty() ? "" : ", ") + std::string(name) + " " + *path;
  return out;
}

ssl::context base_context(ssl::context::method method) {
  ssl::context ctx(method);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  return ctx;
}

}  // namespace

namespace detail {

ssl::context server_context(const Credentials& creds) {
  auto ctx = base_context(ssl::context::tls_server);
  use_identity(ctx, creds, "TLS server");
  if (creds.require_client_cert) {
    trust(ctx, creds.ca_pem, "TLS client CA");
    ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return ctx;
}

ssl::context client_context(const Credentials& creds) {
  auto ctx = base_context(ssl::context::tls_client);
  if (creds.ca_pem.empty()) {
    ctx.set_default_verify_paths();
  } else {
    trust(ctx, creds.ca_pem, "TLS CA");
  }
  if (!creds.cert_pem.empty()) use_identity(ctx, creds, "TLS client");
  ctx.set_verify_mode(ssl::verify_peer);
  return ctx;
}

}  // namespace detail

std::shared_ptr<const Credentials> load_server(const ServerConfig& config) {
  if (config.cert_file.empty() || config.key_file.empty())
    throw std::invalid_argument("TLS server: both a certificate and a key file are needed");
  auto c = std::make_shared<Credentials>();
  c->cert_pem = read_pem(config.cert_file, "TLS certificate");
  c->key_pem = read_pem(config.key_file, "TLS key");
  if (!config.client_ca_file.empty()) {
    c->ca_pem = read_pem(config.client_ca_file, "TLS client CA");
    c->require_client_cert = true;
  }
  check_parses(detail::server_context, *c,
               file_list({{"certificate", &config.cert_file}, {"key", &config.key_file},
                          {"client CA", &config.client_ca_file}}));
  return c;
}

std::shared_ptr<const Credentials> load_client(const ClientConfig& config) {
  if (config.cert_file.empty() != config.key_file.empty())
    throw std::invalid_argument("TLS client: a client certificate needs its key, and a key its certificate");
  auto c = std::make_shared<Credentials>();
  if (!config.ca_file.empty()) c->ca_pem = read_pem(config.ca_file, "TLS CA");
  if (!config.cert_file.empty()) {
    c->cert_pem = read_pem(config.cert_file, "TLS client certificate");
    c->key_pem = read_pem(config.key_file, "TLS client key");
  }
  c->server_name = config.server_name;
  check_parses(detail::client_context, *c,
               file_list({{"CA", &config.ca_file}, {"certificate", &config.cert_file}, {"key", &config.key_file}}));
  return c;
}

}  // namespace svckit::tls
