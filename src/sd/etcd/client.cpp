#include <pthread.h>

#include <random>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "../../transport/grpc/credentials.hpp"
#include "client_impl.hpp"
#include "svckit/context.hpp"
#include "svckit/transport/grpc/client.hpp"
#include "svckit/transport/grpc/message.hpp"

namespace svckit::sd::etcd {

namespace asio = boost::asio;
namespace pb = etcdserverpb;

std::chrono::milliseconds Backoff::next() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto cap = initial_ * (std::int64_t{1} << std::min(attempt_, 16));
  if (cap > max_) cap = max_;
  ++attempt_;
  // Full jitter: anywhere in [cap/2, cap], so many clients that lost etcd together do not return together.
  std::uniform_int_distribution<std::int64_t> d(cap.count() / 2, cap.count());
  return std::chrono::milliseconds(d(rng));
}

std::string prefix_range_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

namespace {

KeyValue from_pb(const mvccpb::KeyValue& kv) {
  return {kv.key(), kv.value(), kv.create_revision(), kv.mod_revision(), kv.lease()};
}

}  // namespace

Client::Impl::Impl(Options o) : opts(std::move(o)) {
  ::grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, static_cast<int>(opts.backoff_initial.count()));
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, static_cast<int>(opts.backoff_initial.count()));
  // Reconnect within half a second of a member coming back: streams wait for the connection (wait for
  // ready), so the fleet is whole again that soon after an outage. Attempts at a member that refuses are
  // cheap; at one that is gone, each lasts until the connect timeout.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(std::min<std::chrono::milliseconds>(opts.backoff_max, std::chrono::milliseconds(500)).count()));
  // Notice a member that vanished without closing the connection (etcd tolerates pings every 5 s).
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // A member left behind closes its connection after a minute: one connection per process in the long run.
  args.SetInt(GRPC_ARG_CLIENT_IDLE_TIMEOUT_MS, 60000);
  // TLS when a CA is given; the files are read and checked now (svckit/tls.hpp), errors name them.
  std::shared_ptr<const tls::Credentials> tls;
  if (!opts.ca_file.empty())
    tls = tls::load_client({.ca_file = opts.ca_file, .cert_file = opts.cert_file, .key_file = opts.key_file});
  members = std::make_unique<Members>(opts.endpoints, svckit::grpc::detail::channel_credentials(tls.get()), args,
                                      io.get_executor());
  members->on_move = [this] { asio::post(io, [this] { move_streams(); }); };
}

std::vector<std::pair<std::string, std::string>> Client::Impl::call_metadata() {
  std::lock_guard lock(token_mu);
  if (token.empty()) return {};
  return {{"token", token}};
}

grpc::BidiStream::Metadata Client::Impl::stream_metadata() {
  // "hasleader": a member cut off from the leader ends the stream instead of going silent.
  auto md = call_metadata();
  md.emplace_back("hasleader", "true");
  return md;
}

template <class Resp, class Req>
asio::awaitable<Result<Resp>> Client::Impl::call(const std::string& method, const Req& req) {
  auto deadline = Context::Clock::now() + opts.request_timeout;
  Backoff backoff(opts.backoff_initial, opts.backoff_max);
  bool reauthenticated = false;
  std::string last_error;
  for (;;) {
    Status failure;
    if (!opts.username.empty() && call_metadata().empty()) failure = co_await authenticate();
    if (failure.ok()) {
      // Attempts get a third of the budget each: a member that hangs (frozen, partitioned, a request
      // forwarded to a leader that just died) is left for the next one while time remains. An attempt
      // waits for its member's connection, so a request made while etcd is down goes through the moment a
      // member is back.
      auto member = members->current();
      Context ctx;
      ctx.set_deadline(std::min(deadline, Context::Clock::now() + opts.request_timeout / 3));
      grpc::ClientOptions co{.timeout = opts.request_timeout, .metadata = call_metadata(), .wait_for_ready = true};
      auto r = co_await grpc::unary_call(member->channel, method, ctx, grpc::serialize_message(req), co);
      if (r.ok()) {
        members->answered(member);
        Resp out;
        if (auto s = grpc::parse_message(*r, out); !s.ok()) co_return Status(StatusCode::Internal, s.message());
        co_return out;
      }
      if (r.status().code() == StatusCode::Unauthenticated && !opts.username.empty() && !reauthenticated) {
        reauthenticated = true;  // the token expired (etcd's simple tokens live 5 minutes): get a new one
        std::lock_guard lock(token_mu);
        token.clear();
        continue;
      }
      failure = Status(r.status().code(), "etcd " + method + ": " + std::string(r.status().message()));
      if (member_failure(failure.code())) members->failed(member, r.status().message());
    }
    if (!member_failure(failure.code())) co_return failure;
    last_error = failure.message();
    if (Context::Clock::now() >= deadline) break;
    // An attempt that waited out its time goes on to the next member at once; one that failed fast
    // (refused, "no leader") backs off first, so a cluster in trouble is not hammered.
    if (failure.code() == StatusCode::DeadlineExceeded) continue;
    auto pause = backoff.next();
    if (Context::Clock::now() + pause >= deadline) break;
    asio::steady_timer t(co_await asio::this_coro::executor, pause);
    co_await t.async_wait(asio::use_awaitable);
  }
  co_return unavailable("etcd " + method + ": no member answered within " +
                        std::to_string(opts.request_timeout.count()) + " ms (last: " + last_error + ")");
}

asio::awaitable<Status> Client::Impl::authenticate() {
  pb::AuthenticateRequest req;
  req.set_name(opts.username);
  req.set_password(opts.password);
  auto member = members->current();
  Context ctx;
  ctx.set_timeout(opts.request_timeout / 3);
  auto r = co_await grpc::unary_call(member->channel, "/etcdserverpb.Auth/Authenticate", ctx,
                                     grpc::serialize_message(req), {.timeout = opts.request_timeout, .wait_for_ready = true});
  if (!r.ok()) {
    if (member_failure(r.status().code())) members->failed(member, r.status().message());
    co_return Status(r.status().code(), "etcd authenticate as " + opts.username + ": " + r.status().message());
  }
  members->answered(member);
  pb::AuthenticateResponse resp;
  if (auto s = grpc::parse_message(*r, resp); !s.ok()) co_return s;
  std::lock_guard lock(token_mu);
  token = resp.token();
  co_return Status{};
}

asio::awaitable<bool> Client::Impl::sleep(std::chrono::milliseconds d) {
  if (closed) co_return false;
  asio::steady_timer t(io, d);
  sleeping.insert(&t);
  boost::system::error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  sleeping.erase(&t);
  co_return !closed;
}

asio::awaitable<void> Client::Impl::check_history() {
  pb::RangeRequest req;  // a linearizable read: its header carries the cluster's current revision
  req.set_key("/");
  req.set_count_only(true);
  auto r = co_await call<pb::RangeResponse>("/etcdserverpb.KV/Range", req);
  history_check_running = false;
  if (!r.ok() || closed) co_return;  // cannot tell now; a later resumption asks again
  const std::int64_t now = r->header().revision();
  std::vector<std::int64_t> ahead;
  for (const auto& [id, w] : watches)
    if (w.next_revision > now + 1) ahead.push_back(id);
  for (auto id : ahead) {
    auto it = watches.find(id);
    if (it == watches.end()) continue;
    auto cb = std::move(it->second.callback);
    Status why(StatusCode::OutOfRange, "etcd's history went back to revision " + std::to_string(now) +
                                           ", before revision " + std::to_string(it->second.next_revision - 1) +
                                           " this watch had seen (a cluster restored from a snapshot?)");
    log.warn("etcd history went back; the watch must read again", {{"key", it->second.key}, {"revision", now}});
    remove_watch(id);
    cb({{}, now, why});
  }
}

void Client::Impl::move_streams() {
  auto now = members->current();
  if (watch_stream && watch_member != now) {
    watch_ended_by_us = true;
    watch_stream->cancel();
  }
  if (keepalive_stream && keepalive_member != now) {
    keepalive_ended_by_us = true;
    keepalive_stream->cancel();
  }
}

void Client::Impl::close() {
  closed = true;
  for (auto* t : sleeping) t->cancel();
  if (watch_stream) watch_stream->cancel();
  if (keepalive_stream) keepalive_stream->cancel();
  keepalive_wake.cancel();
  watches.clear();
  leases.clear();
}

// --- Client ---------------------------------------------------------------------------------------------

std::shared_ptr<Client> Client::create(Options options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  auto* raw = impl.get();
  raw->thread = std::thread([raw] {
    pthread_setname_np(pthread_self(), "etcd-client");
    raw->io.run();
    // Released on this thread (see release): nobody can join us, so the client goes when its work is done.
    delete raw->delete_when_done;
  });
  return std::shared_ptr<Client>(new Client(std::move(impl)), &Client::release);
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() = default;

void Client::release(Client* client) {
  Impl* impl = client->impl_.get();
  asio::post(impl->io, [impl] { impl->close(); });
  impl->work.reset();  // run() returns once every stream, call and coroutine has finished
  if (std::this_thread::get_id() == impl->thread.get_id()) {
    // The last owner let go inside one of our own callbacks: we cannot wait for ourselves. Coroutines still
    // running here may call through this Client (a dropped Registrar's withdraw holds a plain pointer to
    // it), so it is deleted by this thread once they have all finished, not now.
    impl->log.warn("etcd client released on its own thread; it closes when its calls have finished");
    impl->thread.detach();
    impl->delete_when_done = client;
    return;
  }
  impl->thread.join();
  delete client;
}

const Options& Client::options() const { return impl_->opts; }
asio::any_io_executor Client::executor() const { return impl_->io.get_executor(); }
std::string Client::member() const { return impl_->members->current()->address; }

asio::awaitable<Result<GetResult>> Client::get(std::string key) {
  pb::RangeRequest req;
  req.set_key(std::move(key));
  auto r = co_await impl_->call<pb::RangeResponse>("/etcdserverpb.KV/Range", req);
  if (!r.ok()) co_return r.status();
  GetResult out{{}, r->header().revision()};
  for (const auto& kv : r->kvs()) out.kvs.push_back(from_pb(kv));
  co_return out;
}

asio::awaitable<Result<GetResult>> Client::get_prefix(std::string prefix) {
  pb::RangeRequest req;
  req.set_range_end(prefix_range_end(prefix));
  req.set_key(std::move(prefix));
  auto r = co_await impl_->call<pb::RangeResponse>("/etcdserverpb.KV/Range", req);
  if (!r.ok()) co_return r.status();
  GetResult out{{}, r->header().revision()};
  out.kvs.reserve(static_cast<std::size_t>(r->kvs_size()));
  for (const auto& kv : r->kvs()) out.kvs.push_back(from_pb(kv));
  co_return out;
}

asio::awaitable<Result<std::int64_t>> Client::put(std::string key, std::string value, std::int64_t lease) {
  pb::PutRequest req;
  req.set_key(std::move(key));
  req.set_value(std::move(value));
  req.set_lease(lease);
  auto r = co_await impl_->call<pb::PutResponse>("/etcdserverpb.KV/Put", req);
  if (!r.ok()) co_return r.status();
  co_return r->header().revision();
}

asio::awaitable<Result<std::int64_t>> Client::erase(std::string key) {
  pb::DeleteRangeRequest req;
  req.set_key(std::move(key));
  auto r = co_await impl_->call<pb::DeleteRangeResponse>("/etcdserverpb.KV/DeleteRange", req);
  if (!r.ok()) co_return r.status();
  co_return r->deleted();
}

asio::awaitable<Result<std::int64_t>> Client::erase_prefix(std::string prefix) {
  pb::DeleteRangeRequest req;
  req.set_range_end(prefix_range_end(prefix));
  req.set_key(std::move(prefix));
  auto r = co_await impl_->call<pb::DeleteRangeResponse>("/etcdserverpb.KV/DeleteRange", req);
  if (!r.ok()) co_return r.status();
  co_return r->deleted();
}

asio::awaitable<Result<Lease>> Client::grant(std::chrono::seconds ttl) {
  pb::LeaseGrantRequest req;
  req.set_ttl(ttl.count());
  auto r = co_await impl_->call<pb::LeaseGrantResponse>("/etcdserverpb.Lease/LeaseGrant", req);
  if (!r.ok()) co_return r.status();
  if (!r->error().empty()) co_return unavailable("etcd lease grant: " + r->error());
  co_return Lease{r->id(), r->ttl()};
}

asio::awaitable<Status> Client::revoke(std::int64_t lease) {
  pb::LeaseRevokeRequest req;
  req.set_id(lease);
  auto r = co_await impl_->call<pb::LeaseRevokeResponse>("/etcdserverpb.Lease/LeaseRevoke", req);
  if (!r.ok() && r.status().code() != StatusCode::NotFound) co_return r.status();
  co_return Status{};
}

asio::awaitable<Result<std::int64_t>> Client::time_to_live(std::int64_t lease) {
  pb::LeaseTimeToLiveRequest req;
  req.set_id(lease);
  auto r = co_await impl_->call<pb::LeaseTimeToLiveResponse>("/etcdserverpb.Lease/LeaseTimeToLive", req);
  if (!r.ok()) co_return r.status();
  // etcd answers an unknown lease with TTL -1 rather than an error.
  if (r->ttl() < 0) co_return Status(StatusCode::NotFound, "lease " + std::to_string(lease) + " not found");
  co_return r->ttl();
}

asio::awaitable<Status> Client::compact(std::int64_t revision) {
  pb::CompactionRequest req;
  req.set_revision(revision);
  req.set_physical(true);
  auto r = co_await impl_->call<pb::CompactionResponse>("/etcdserverpb.KV/Compact", req);
  co_return r.ok() ? Status{} : r.status();
}

void Client::keep_alive(std::int64_t lease, std::chrono::seconds ttl, LeaseCallback callback) {
  asio::post(impl_->io, [impl = impl_.get(), lease, ttl, cb = std::move(callback)]() mutable {
    impl->add_lease(lease, {ttl, std::chrono::steady_clock::now() + std::chrono::milliseconds(ttl) / 3, std::move(cb)});
  });
}

void Client::forget_lease(std::int64_t lease) {
  asio::post(impl_->io, [impl = impl_.get(), lease] { impl->leases.erase(lease); });
}

std::int64_t Client::watch(std::string key, bool prefix, std::int64_t start_revision, WatchCallback callback) {
  static std::atomic<std::int64_t> ids{1};
  std::int64_t id = ids.fetch_add(1);
  Impl::Watch w;
  w.range_end = prefix ? prefix_range_end(key) : std::string();
  w.key = std::move(key);
  w.next_revision = start_revision;
  w.callback = std::move(callback);
  asio::post(impl_->io, [impl = impl_.get(), id, w = std::move(w)]() mutable { impl->add_watch(id, std::move(w)); });
  return id;
}

void Client::cancel_watch(std::int64_t id) {
  asio::post(impl_->io, [impl = impl_.get(), id] { impl->remove_watch(id); });
}

}  // namespace svckit::sd::etcd
