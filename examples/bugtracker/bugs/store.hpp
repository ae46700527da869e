// bugs — storage: the bugs, and the assignment emails still to be sent (queued in the same transaction as
// the assignment, so a notice is never lost even when no notificator is reachable; see queued_email.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "queued_email.hpp"
#include "svckit/result.hpp"

namespace bugtracker::bugs {

struct Bug {
  std::int64_t id = 0;
  std::string text;      // what is wrong, as filed
  std::string status;    // open | in_progress | closed
  std::string assignee;       // the assignee's email as users had it when assigned (display only), or empty
  std::int64_t assignee_id = 0;  // a registered user's id (the token's subject), 0: unassigned
  std::int64_t reporter_id = 0;
  std::string reporter_email;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

/// One page of GET /bugs: bugs with id > after_id, ascending, optionally filtered.
struct BugQuery {
  std::int64_t after_id = 0;
  int limit = 20;
  std::string status;    // empty: any
  std::string assignee;  // empty: any
};
struct BugPage {
  std::vector<Bug> bugs;
  std::int64_t next_after = 0;  // pass as after_id for the next page; 0 when this is the last page
};

/// A change decided from a bug's current state: the new state, and maybe an email to queue with it.
struct BugChange {
  Bug bug;
  std::optional<QueuedEmail> notify;  // its id is assigned by the store
};

/// Thread-safety: every member may be called from any thread. Calls block (run them on a BlockingPool).
class BugStore : public EmailQueue {
 public:
  /// Stores the bug; its id is assigned.
  virtual Bug create(Bug b) = 0;
  virtual std::optional<Bug> get(std::int64_t id) = 0;
  virtual BugPage list(const BugQuery& q) = 0;
  /// Reads bug `id`, asks `decide` for its new state (decide may refuse with an error Status), then stores
  /// the bug and queues its email, all in one transaction. NotFound when there is no such bug.
  virtual svckit::Result<BugChange> update(std::int64_t id,
                                           const std::function<svckit::Result<BugChange>(const Bug&)>& decide) = 0;

  /// "sqlite:PATH" or "memory:".
  static std::shared_ptr<BugStore> open(const std::string& store_url);
};

}  // namespace bugtracker::bugs
