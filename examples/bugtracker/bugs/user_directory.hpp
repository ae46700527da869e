// bugs — who a user id belongs to, asked of the users service (found in the registry, balanced, retried).
//
// Assignees are users, not free-text emails: before a bug is assigned to id N, bugs asks users for
// GET /users/N with a token of its own ("service:bugs", signed with the secret they share: users shows a
// record only to that user or to a service), and takes the email to notify from the answer. An unknown id is NOT_FOUND; users unreachable is UNAVAILABLE.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "svckit/auth/jwt.hpp"
#include "svckit/context.hpp"
#include "svckit/result.hpp"

namespace svckit {
class Runner;
}
namespace svckit::sd {
class Registry;
}

namespace bugtracker::bugs {

struct UserRef {
  std::int64_t id = 0;
  std::string email;
};

/// Looks up user `id` (as the service "bugs").
using FindUser = std::function<boost::asio::awaitable<svckit::Result<UserRef>>(const svckit::Context&, std::int64_t id)>;

/// The users service `service` in `registry`, over HTTP (HTTPS for instances registered with TLS, with
/// the runner's client credentials), balanced with `balancer`, each call retried on another instance; `key`
/// signs bugs' service token.
FindUser users_directory(std::shared_ptr<svckit::sd::Registry> registry, const std::string& service,
                         const std::string& balancer, svckit::Runner& runner, std::shared_ptr<const svckit::auth::Hs256> key);

}  // namespace bugtracker::bugs
