// Building Boost.Asio TLS contexts from loaded credentials (svckit/tls.hpp), for the HTTP transport and
// the own gRPC wire. Internal: public headers never include Asio's SSL headers.
#pragma once

#include <string>

#include <openssl/ssl.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "svckit/status.hpp"
#include "svckit/tls.hpp"

namespace svckit::tls::detail {

/// A server context: certificate and key, TLS ≥ 1.2, and with ca_pem the client-certificate requirement.
boost::asio::ssl::context server_context(const Credentials& creds);
/// A client context: peer verification against ca_pem (or the system store), the client certificate if any.
boost::asio::ssl::context client_context(const Credentials& creds);

/// Before a client's handshake: the server's certificate must name `name` (the host dialled, or
/// Credentials::server_name); a DNS name is also sent as SNI, an IP address is matched against the
/// certificate's IP SANs.
template <class Next>
Status expect_server_name(boost::asio::ssl::stream<Next>& stream, const std::string& name) {
  boost::system::error_code not_ip;
  (void)boost::asio::ip::make_address(name, not_ip);
  if (not_ip && SSL_set_tlsext_host_name(stream.native_handle(), name.c_str()) != 1)
    return invalid_argument("TLS server name " + name + " cannot be sent as SNI");
  stream.set_verify_callback(boost::asio::ssl::host_name_verification(name));
  return {};
}

}  // namespace svckit::tls::detail
