#include "agent.hpp"

#include <atomic>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "svckit/address.hpp"
#include "svckit/context.hpp"
#include "svckit/transport/http/client.hpp"

namespace svckit::sd::consul {

namespace asio = boost::asio;

namespace {
// The largest answer we read: a health listing of thousands of instances is well under this.
constexpr std::size_t kMaxReplyBytes = 4 << 20;
}  // namespace

struct Agent::Impl {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::vector<std::string> hosts;
  std::vector<std::shared_ptr<http::Client>> clients;  // one per host, made on the agent's thread
  std::size_t current = 0;                             // the host asked first
  std::thread thread;
};

Agent::Agent(std::vector<std::string> hosts) : impl_(std::make_unique<Impl>()) {
  impl_->hosts = std::move(hosts);
  for (const auto& h : impl_->hosts) {
    auto [host, port] = split_host_port(h);
    impl_->clients.push_back(std::make_shared<http::Client>(host, port, http::ClientOptions{.body_limit = kMaxReplyBytes}));
  }
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

Agent::~Agent() {
  // A blocking query may be in flight for up to its wait: stop rather than wait for it. What is still pending
  // (coroutine frames, their connections) is destroyed with the io_context, on this thread, after the
  // agent's thread has ended.
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
}

asio::any_io_executor Agent::executor() const { return impl_->io.get_executor(); }

asio::awaitable<Result<Agent::Reply>> Agent::call(http::Verb verb, std::string target, std::string body,
                                                   std::chrono::milliseconds timeout) {
  Status last = unavailable("no consul host");
  for (std::size_t tried = 0; tried < impl_->clients.size(); ++tried) {
    auto client = impl_->clients[impl_->current];  // held: the list may be cleared while we wait
    if (!client) co_return unavailable("consul agent closing");
    Context ctx;
    ctx.set_timeout(timeout);
    auto r = co_await client->request(ctx, verb, target, body);
    if (r.ok()) {
      Reply reply;
      reply.status = r->result_int();
      reply.body = std::move(r->body());
      if (auto it = r->find("X-Consul-Index"); it != r->end()) reply.index = std::string(it->value());
      co_return reply;
    }
    last = unavailable("consul " + impl_->hosts[impl_->current] + ": " + r.status().message());
    if (impl_->clients.empty()) break;
    impl_->current = (impl_->current + 1) % impl_->clients.size();
  }
  co_return last;
}

}  // namespace svckit::sd::consul
