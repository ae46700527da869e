#include "api_client.hpp"

#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "svckit/address.hpp"
#include "svckit/context.hpp"
#include "svckit/transport/http/client.hpp"

namespace svckit::http {

namespace asio = boost::asio;

namespace {
// The largest answer we read: a listing of thousands of instances is well under this.
constexpr std::size_t kMaxReplyBytes = 4 << 20;
}  // namespace

struct ApiClient::Impl {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::string name;
  std::vector<std::string> hosts;
  Headers headers;
  std::vector<std::shared_ptr<Client>> clients;  // one per host
  std::size_t current = 0;                       // the host asked first
  std::thread thread;
};

ApiClient::ApiClient(std::string name, std::vector<std::string> hosts, Headers headers, std::shared_ptr<const tls::Credentials> tls)
    : impl_(std::make_unique<Impl>()) {
  impl_->name = std::move(name);
  impl_->headers = std::move(headers);
  impl_->hosts = std::move(hosts);
  for (const auto& h : impl_->hosts) {
    auto [host, port] = split_host_port(h);
    impl_->clients.push_back(std::make_shared<Client>(host, port, ClientOptions{.body_limit = kMaxReplyBytes, .tls = tls}));
  }
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

ApiClient::~ApiClient() {
  // A long poll may be in flight for up to its wait: stop rather than wait for it. What is still pending
  // (coroutine frames, their connections) is destroyed with the io_context, on this thread, after the
  // client's thread has ended.
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
}

asio::any_io_executor ApiClient::executor() const { return impl_->io.get_executor(); }

asio::awaitable<Result<ApiClient::Reply>> ApiClient::call(Verb verb, std::string target, std::string body,
                                                          std::chrono::milliseconds timeout, std::string_view content_type) {
  Status last = unavailable("no " + impl_->name + " host");
  for (std::size_t tried = 0; tried < impl_->clients.size(); ++tried) {
    auto client = impl_->clients[impl_->current];  // held: a request may outlive the loop's view of it
    Context ctx;
    ctx.set_timeout(timeout);
    Client::Request req{verb, target, 11};
    req.set(beast_http::field::accept, "application/json");
    for (const auto& [field, value] : impl_->headers) req.set(field, value);
    if (!body.empty() || verb == Verb::post || verb == Verb::put) {
      req.set(beast_http::field::content_type, content_type);
      req.body() = body;
      req.prepare_payload();
    }
    auto r = co_await client->send(ctx, std::move(req));
    if (r.ok()) {
      Reply reply;
      reply.status = r->result_int();
      reply.body = std::move(r->body());
      reply.headers = std::move(r->base());
      co_return reply;
    }
    last = unavailable(impl_->name + " " + impl_->hosts[impl_->current] + ": " + r.status().message());
    impl_->current = (impl_->current + 1) % impl_->clients.size();
  }
  co_return last;
}

}  // namespace svckit::http
