#include "socket.hpp"

#include <openssl/ssl.h>

#include <stdexcept>
#include <string_view>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "../../../tls/ssl_context.hpp"

namespace svckit::grpc::wire {

namespace asio = boost::asio;

Socket::Socket(asio::ip::tcp::socket socket, asio::ssl::context* tls) : socket_(std::move(socket)) {
  if (tls) tls_.emplace(socket_, *tls);
}

asio::awaitable<boost::system::error_code> Socket::handshake() {
  boost::system::error_code ec;
  if (tls_) co_await tls_->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

asio::awaitable<std::string> Socket::client_handshake(const std::string& name) {
  if (!tls_) co_return "";
  if (auto s = tls::detail::expect_server_name(*tls_, name); !s.ok()) co_return s.message();
  boost::system::error_code ec;
  co_await tls_->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return "TLS handshake failed: " + ec.message();
  const unsigned char* proto = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(tls_->native_handle(), &proto, &length);
  if (std::string_view(reinterpret_cast<const char*>(proto), proto ? length : 0) != "h2")
    co_return "the TLS server did not choose HTTP/2 (ALPN h2): not a gRPC server";
  co_return "";
}

asio::awaitable<std::size_t> Socket::read_some(asio::mutable_buffer buffer, boost::system::error_code& ec) {
  if (tls_) co_return co_await tls_->async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
  co_return co_await socket_.async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> Socket::write(asio::const_buffer buffer, boost::system::error_code& ec) {
  if (tls_) co_await asio::async_write(*tls_, buffer, asio::redirect_error(asio::use_awaitable, ec));
  else co_await asio::async_write(socket_, buffer, asio::redirect_error(asio::use_awaitable, ec));
}

void Socket::close() {
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

namespace {
int choose_h2(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen, void*) {
  static const unsigned char h2[] = {2, 'h', '2'};
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, outlen, h2, sizeof h2, in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_ALERT_FATAL;  // the client speaks no HTTP/2: gRPC cannot be served to it
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}
}  // namespace

void select_h2(asio::ssl::context& ctx) { SSL_CTX_set_alpn_select_cb(ctx.native_handle(), &choose_h2, nullptr); }

void offer_h2(asio::ssl::context& ctx) {
  static const unsigned char h2[] = {2, 'h', '2'};
  if (SSL_CTX_set_alpn_protos(ctx.native_handle(), h2, sizeof h2) != 0) throw std::runtime_error("cannot offer ALPN h2");
}

}  // namespace svckit::grpc::wire
