// svckit/result.hpp — a value or the Status that explains why there is none.
//
// Endpoints return Result<Resp> instead of throwing: errors are values that middleware can inspect
// (retry, logging, metrics) and transports can map onto the wire.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "svckit/status.hpp"

namespace svckit {

template <class T>
class [[nodiscard]] Result {
 public:
  /// An empty result is an UNKNOWN error (needed by futures and containers; endpoints always set one).
  Result() : v_(std::in_place_index<1>, Status(StatusCode::Unknown, "no result")) {}
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  /// An error. An OK status carries no value, so it is turned into Internal rather than trusted.
  Result(Status status)  // NOLINT: implicit by design
      : v_(std::in_place_index<1>, status.ok() ? Status(StatusCode::Internal, "OK status without a value")
                                               : std::move(status)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  /// The value; only valid when ok().
  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The error; OK when the result holds a value.
  Status status() const { return ok() ? Status() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace svckit
