// Server-streaming calls on gRPC's C++ library (svckit/transport/grpc/client.hpp), over BidiStream: the one
// request written with the half-close, then the replies read one at a time.
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "svckit/metadata.hpp"
#include "svckit/trace/span.hpp"
#include "svckit/transport/grpc/client.hpp"
#include "svckit/transport/grpc/status.hpp"
#include "svckit/transport/grpc/stream.hpp"

namespace svckit::grpc {

namespace asio = boost::asio;

asio::awaitable<Status> server_stream_call(const std::shared_ptr<::grpc::Channel>& channel, const std::string& full_method,
                                           const Context& ctx, ::grpc::ByteBuffer request, const MessageSink& sink,
                                           ClientOptions opts) {
  if (ctx.expired()) co_return deadline_exceeded("deadline exceeded before calling " + full_method);
  for (const auto& [k, v] : opts.metadata)  // grpc++ would abort the process on them
    if (!valid_metadata_key(k) || !valid_metadata_value(k, v))
      co_return invalid_argument("metadata \"" + k.substr(0, 64) + "\" is not valid gRPC metadata (svckit/metadata.hpp)");
  auto span = trace::Span::client(std::string_view(full_method).substr(full_method.starts_with('/') ? 1 : 0), ctx.span());
  BidiStream::Metadata metadata;
  if (!ctx.request_id().empty()) metadata.emplace_back("x-request-id", ctx.request_id());
  metadata.emplace_back(std::string(trace::kTraceparentHeader), trace::format_traceparent(span.context()));
  if (auto state = ctx.metadata(trace::kTracestateHeader); !state.empty())
    metadata.emplace_back(std::string(trace::kTracestateHeader), std::string(state));
  for (const auto& kv : opts.metadata) metadata.push_back(kv);
  const auto deadline = ctx.deadline().value_or(Context::Clock::now() + opts.timeout);
  const auto system_deadline = std::chrono::system_clock::now() +
                               std::chrono::duration_cast<std::chrono::system_clock::duration>(deadline - Context::Clock::now());

  auto ex = co_await asio::this_coro::executor;  // (not in the argument list: GCC 12 mishandles its temporaries)
  auto stream = BidiStream::open(channel, full_method, ex, metadata, opts.wait_for_ready, system_deadline);
  stream->write(std::move(request), /*last=*/true);
  ::grpc::ByteBuffer in;
  bool receiver_ended = false;
  while (co_await stream->read(in)) {
    if (!co_await sink(in)) {
      receiver_ended = true;
      stream->cancel();
      while (co_await stream->read(in)) {  // what was already on its way
      }
      break;
    }
  }
  const ::grpc::Status st = co_await stream->finish();
  Status result = receiver_ended ? Status(StatusCode::Cancelled, "the receiver ended the stream") : st.ok() ? Status() : from_grpc(st);
  if (span.recording()) {
    std::string peer = stream->peer();  // "ipv4:127.0.0.1:50051"
    if (auto colon = peer.find(':'); colon != std::string::npos) peer.erase(0, colon + 1);
    span.set_remote(peer);
    span.tag("rpc.system", "grpc");
    span.tag("grpc.status_code", std::to_string(static_cast<int>(st.error_code())));
    span.end(result);
  }
  co_return result;
}

}  // namespace svckit::grpc
