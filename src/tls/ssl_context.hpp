// Building Boost.Asio TLS contexts from loaded credentials (svckit/tls.hpp), for the HTTP transport.
// Internal: public headers never include Asio's SSL headers.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include "svckit/tls.hpp"

namespace svckit::tls::detail {

/// A server context: certificate and key, TLS ≥ 1.2, and with ca_pem the client-certificate requirement.
boost::asio::ssl::context server_context(const Credentials& creds);
/// A client context: peer verification against ca_pem (or the system store), the client certificate if any.
boost::asio::ssl::context client_context(const Credentials& creds);

}  // namespace svckit::tls::detail
