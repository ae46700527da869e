// svckit CLI — small helpers shared by the commands.
#pragma once

#include <chrono>
#include <ctime>
#include <iosfwd>
#include <memory>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "svckit/sd/instance.hpp"
#include "svckit/sd/registry.hpp"

namespace svckit::cli {

/// Runs a command's coroutine on this thread until it returns. Only until then: watches and connections
/// it leaves behind would otherwise keep io_context::run() going.
template <class T>
T run_until_done(boost::asio::io_context& io, boost::asio::awaitable<T> aw) {
  auto fut = boost::asio::co_spawn(io, std::move(aw), boost::asio::use_future);
  while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) io.run_one();
  return fut.get();
}
/// The same on an io_context of its own. Objects bound to it (timers, strands, subscriptions delivering on
/// it) must not outlive the call: declare an io_context before them and use the overload above instead.
template <class T>
T run_until_done(boost::asio::awaitable<T> aw) {
  boost::asio::io_context io;
  return run_until_done(io, std::move(aw));
}

/// "2026-11-21T23:57:22Z" (UTC, seconds).
inline std::string timestamp() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// Opens the registry a URL names; on a malformed URL says why on `err` and returns null.
std::shared_ptr<sd::Registry> open_registry(const std::string& url, std::ostream& err);

/// "transport=grpc zone=eu-1": an instance's metadata, empty when it has none.
std::string describe_metadata(const sd::Instance& i);

}  // namespace svckit::cli
