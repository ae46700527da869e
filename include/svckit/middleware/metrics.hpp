// svckit/middleware/metrics.hpp — counts calls, times them and tracks how many are in flight.
//
//   auto ep = svckit::chain(raw, svckit::middleware::Metrics{"users", "create"},
//                                svckit::middleware::Logging{log, "create"});
//
// Records, in the registry (default: the process-wide one the debug listener's /metrics serves):
//   svckit_requests_total{service,method,code}            counter; code as gRPC spells it ("OK", "NOT_FOUND" …)
//   svckit_request_duration_seconds{service,method}       histogram (default latency buckets)
//   svckit_requests_in_flight{service,method}             gauge
//   svckit_stream_messages_total{service,method}          counter; messages a stream writes: a server stream's
//                                                          (StreamEndpoint) or a bidi stream's replies (BidiEndpoint)
// The children are looked up once when the middleware wraps an endpoint (and once per new outcome), so a
// call costs a few atomic updates.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "svckit/endpoint.hpp"
#include "svckit/metrics/registry.hpp"
#include "svckit/stream_endpoint.hpp"

namespace svckit::middleware {

/// The instruments one endpoint records into; shared by every Metrics<Req,Resp> instantiation.
class EndpointMetrics {
 public:
  EndpointMetrics(metrics::Registry& registry, std::string service, std::string method);
  void started() { in_flight_.inc(); }
  /// For a streaming endpoint: resolves its svckit_stream_messages_total child.
  void count_stream_messages(metrics::Registry& registry);
  metrics::Counter& stream_messages() const { return *stream_messages_; }
  void finished(const Status& status, std::chrono::steady_clock::duration took);

 private:
  metrics::Family<metrics::Counter>& requests_;
  std::string service_, method_;
  metrics::Histogram& duration_;
  metrics::Gauge& in_flight_;
  std::array<std::atomic<metrics::Counter*>, 17> by_code_{};  // one per StatusCode, resolved on first use
  metrics::Counter* stream_messages_ = nullptr;
};

struct Metrics {
  std::string service;
  std::string method;
  metrics::Registry* registry = &metrics::default_registry();

  template <class Req, class Resp>
  Endpoint<Req, Resp> operator()(Endpoint<Req, Resp> next) const {
    auto m = std::make_shared<EndpointMetrics>(*registry, service, method);
    return [m, next = std::move(next)](const Context& ctx, const Req& req) -> boost::asio::awaitable<Result<Resp>> {
      m->started();
      const auto start = std::chrono::steady_clock::now();
      Result<Resp> r = co_await next(ctx, req);
      m->finished(r.status(), std::chrono::steady_clock::now() - start);
      co_return r;
    };
  }
  /// A server stream: counted and timed as a call from its start to its end, and each message it sends
  /// (or, on a client, receives) counted in svckit_stream_messages_total{service,method}.
  template <class Req, class Resp>
  StreamEndpoint<Req, Resp> operator()(StreamEndpoint<Req, Resp> next) const {
    auto m = std::make_shared<EndpointMetrics>(*registry, service, method);
    m->count_stream_messages(*registry);
    return [m, next = std::move(next)](const Context& ctx, const Req& req,
                                       StreamWriter<Resp>& out) -> boost::asio::awaitable<Status> {
      m->started();
      const auto start = std::chrono::steady_clock::now();
      CountingWriter<Resp> counted(out, m->stream_messages());
      Status s = co_await next(ctx, req, counted);
      m->finished(s, std::chrono::steady_clock::now() - start);
      co_return s;
    };
  }

  /// A client or bidirectional stream: counted and timed as a call, each reply it writes (on a server:
  /// sends; on a client: receives) counted in svckit_stream_messages_total{service,method}.
  template <class Req, class Resp>
  BidiEndpoint<Req, Resp> operator()(BidiEndpoint<Req, Resp> next) const {
    auto m = std::make_shared<EndpointMetrics>(*registry, service, method);
    m->count_stream_messages(*registry);
    return [m, next = std::move(next)](const Context& ctx, StreamReader<Req>& in,
                                       StreamWriter<Resp>& out) -> boost::asio::awaitable<Status> {
      m->started();
      const auto start = std::chrono::steady_clock::now();
      CountingWriter<Resp> counted(out, m->stream_messages());
      Status s = co_await next(ctx, in, counted);
      m->finished(s, std::chrono::steady_clock::now() - start);
      co_return s;
    };
  }

 private:
  template <class Msg>
  struct CountingWriter final : StreamWriter<Msg> {
    CountingWriter(StreamWriter<Msg>& out, metrics::Counter& messages) : out(out), messages(messages) {}
    boost::asio::awaitable<bool> write(const Msg& message) override {
      messages.inc();
      return out.write(message);
    }
    StreamWriter<Msg>& out;
    metrics::Counter& messages;
  };
};

}  // namespace svckit::middleware
