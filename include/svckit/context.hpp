// svckit/context.hpp — what travels with one request: deadline, cancellation, metadata, request id, trace.
//
// Transports fill a Context from the wire (HTTP headers, gRPC metadata and deadline) and clients write it
// back out, so deadlines and request ids cross process boundaries. A Context is a value: middleware that
// wants to change it (a shorter deadline, say) copies it. The cancellation flag is shared between copies,
// so cancelling the request's Context is seen by every copy made from it.
// Thread-safety: a Context may be read from several threads; only cancel() may race with readers.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "svckit/metadata.hpp"
#include "svckit/trace/span_context.hpp"

namespace svckit {

class Context {
 public:
  using Clock = std::chrono::steady_clock;
  using Metadata = std::vector<std::pair<std::string, std::string>>;

  Context() = default;

  // Deadline ---------------------------------------------------------------------------------------
  std::optional<Clock::time_point> deadline() const { return deadline_; }
  /// Sets the deadline, keeping the earlier one if the Context already has one: a callee never gets
  /// more time than its caller.
  void set_deadline(Clock::time_point d) {
    if (!deadline_ || d < *deadline_) deadline_ = d;
  }
  /// Longest timeout a Context keeps: longer ones (a peer's `X-Timeout-Ms: 10^30`, say) are cut to this,
  /// so deadline arithmetic never overflows; negative ones mean "already expired".
  static constexpr Clock::duration kMaxTimeout = std::chrono::hours(24 * 30);
  void set_timeout(Clock::duration d) {
    set_deadline(Clock::now() + std::clamp(d, Clock::duration::zero(), kMaxTimeout));
  }
  /// Time left before the deadline (zero once passed); nullopt without a deadline.
  std::optional<Clock::duration> remaining() const {
    if (!deadline_) return std::nullopt;
    auto left = *deadline_ - Clock::now();
    return left > Clock::duration::zero() ? left : Clock::duration::zero();
  }
  bool expired() const { return deadline_ && Clock::now() >= *deadline_; }

  // Cancellation -----------------------------------------------------------------------------------
  /// Marks the request cancelled (the caller went away); long-running endpoints poll cancelled().
  void cancel() const { cancelled_->store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_->load(std::memory_order_relaxed); }

  // Trace ---------------------------------------------------------------------------------------------
  /// The span this request runs in (set by the server transport from `traceparent`); client calls made
  /// with this Context become its children. Not valid outside a traced request.
  const trace::SpanContext& span() const { return span_; }
  void set_span(const trace::SpanContext& s) { span_ = s; }

  // Peer ----------------------------------------------------------------------------------------------
  /// The address the request came from ("host:port") as the server transport saw it (the HTTP server
  /// fills it; behind a proxy it is the proxy's); empty when unknown. For per-client limits and logs.
  const std::string& peer() const { return peer_; }
  void set_peer(std::string p) { peer_ = std::move(p); }

  // Request id and metadata ------------------------------------------------------------------------
  const std::string& request_id() const { return request_id_; }
  /// Sets the request id if valid_request_id(id) (metadata.hpp); returns false and keeps the old one if not.
  bool set_request_id(std::string id) {
    if (!valid_request_id(id)) return false;
    request_id_ = std::move(id);
    return true;
  }

  /// Incoming/outgoing metadata (HTTP headers, gRPC metadata). Keys are lower-case. Every entry passes
  /// valid_metadata_key/valid_metadata_value, so any of them can be written to any wire.
  const Metadata& metadata() const { return metadata_; }
  /// The first value for key, or empty.
  std::string_view metadata(std::string_view key) const {
    for (const auto& [k, v] : metadata_)
      if (k == key) return v;
    return {};
  }
  /// Adds an entry; returns false (and adds nothing) when the key or value is not valid metadata.
  bool add_metadata(std::string key, std::string value) {
    if (!valid_metadata_key(key) || !valid_metadata_value(key, value)) return false;
    metadata_.emplace_back(std::move(key), std::move(value));
    return true;
  }

 private:
  std::optional<Clock::time_point> deadline_;
  std::shared_ptr<std::atomic<bool>> cancelled_ = std::make_shared<std::atomic<bool>>(false);
  std::string request_id_;
  std::string peer_;
  trace::SpanContext span_;
  Metadata metadata_;
};

/// A new random request id (16 hex chars), for requests that arrive without one.
std::string new_request_id();

}  // namespace svckit
