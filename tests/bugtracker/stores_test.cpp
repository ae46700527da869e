// The bug tracker's storage contracts (outbox.hpp, users/store.hpp), held by both kinds of store: memory:
// (rebuilt for issue 32 so that nothing in it stops every request while it grows) and SQLite.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "outbox.hpp"
#include "store.hpp"

namespace {

namespace nt = bugtracker::notificator;
namespace us = bugtracker::users;

class StoreKinds : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("svckit-stores-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string url(const std::string& file) const { return GetParam() == "memory" ? "memory:" : "sqlite:" + (dir_ / file).string(); }

  std::filesystem::path dir_;
};

nt::OutboxMessage message(const std::string& id, std::int64_t created_ms, const std::string& key = "") {
  nt::OutboxMessage m;
  m.id = id;
  m.email = id + "@example.com";
  m.content = "hello";
  m.created_ms = created_ms;
  m.next_attempt_ms = created_ms;
  m.idempotency_key = key;
  return m;
}

std::vector<std::string> ids(const std::vector<nt::OutboxMessage>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m.id);
  return out;
}

TEST_P(StoreKinds, OutboxClaimsPendingMessagesOldestFirstAndLeasesThem) {
  auto outbox = nt::Outbox::open(url("outbox.db"));
  for (int i = 1; i <= 5; ++i) outbox->add(message("m" + std::to_string(i), 1000 + i));
  outbox->mark_sent("m2");
  outbox->mark_dead("m3", 4, "refused");
  outbox->mark_retry("m4", 1, 5000, "busy");  // not due before 5000
  EXPECT_EQ(ids(outbox->claim_due(2000, 10, 100)), (std::vector<std::string>{"m1", "m5"}));
  EXPECT_TRUE(outbox->claim_due(2050, 10, 100).empty()) << "claimed messages are leased";
  EXPECT_EQ(ids(outbox->claim_due(2100, 1, 100)), (std::vector<std::string>{"m1"})) << "the lease ran out; limit 1";
  EXPECT_EQ(ids(outbox->claim_due(6000, 10, 100)), (std::vector<std::string>{"m1", "m4", "m5"}));
  EXPECT_EQ(ids(outbox->list(10)), (std::vector<std::string>{"m5", "m4", "m3", "m2", "m1"})) << "newest first";
}

TEST_P(StoreKinds, OutboxIdempotencyKeyStoresOnceUntilItsMessageIsPruned) {
  auto outbox = nt::Outbox::open(url("outbox.db"));
  EXPECT_EQ(outbox->add(message("a", 1000, "key-1")), "a");
  EXPECT_EQ(outbox->add(message("b", 1001, "key-1")), "a") << "the same key: the first message's id";
  EXPECT_EQ(outbox->list(10).size(), 1u);
  outbox->mark_sent("a");
  EXPECT_EQ(outbox->prune_sent(2000, 10), 1);
  EXPECT_EQ(outbox->add(message("c", 3000, "key-1")), "c") << "a pruned message's key is forgotten";
}

TEST_P(StoreKinds, OutboxPrunesOnlySentMessagesOlderThanTheCutoffOldestFirst) {
  auto outbox = nt::Outbox::open(url("outbox.db"));
  for (int i = 1; i <= 6; ++i) outbox->add(message("m" + std::to_string(i), 1000 * i));
  for (const char* id : {"m1", "m2", "m4", "m6"}) outbox->mark_sent(id);
  outbox->mark_dead("m3", 3, "gone");
  EXPECT_EQ(outbox->prune_sent(5500, 1), 1) << "the limit";
  EXPECT_EQ(ids(outbox->list(10)), (std::vector<std::string>{"m6", "m5", "m4", "m3", "m2"})) << "the oldest went first";
  EXPECT_EQ(outbox->prune_sent(5500, 10), 2) << "m2 and m4; m3 is dead, m5 pending, m6 too young";
  EXPECT_EQ(ids(outbox->list(10)), (std::vector<std::string>{"m6", "m5", "m3"}));
  EXPECT_EQ(outbox->prune_sent(5500, 10), 0);
}

TEST_P(StoreKinds, OutboxRedrivesDeadMessagesAsDueNowWithTheirAttemptsReset) {
  auto outbox = nt::Outbox::open(url("outbox.db"));
  outbox->add(message("a", 1000));
  outbox->add(message("b", 1001));
  outbox->mark_dead("a", 7, "no such mailbox");
  EXPECT_EQ(ids(outbox->claim_due(9000, 10, 100)), (std::vector<std::string>{"b"}));
  EXPECT_EQ(outbox->redrive_dead(9000), 1);
  EXPECT_EQ(outbox->redrive_dead(9000), 0) << "nothing dead is left";
  auto again = outbox->claim_due(9000, 10, 100);
  ASSERT_EQ(ids(again), (std::vector<std::string>{"a"})) << "b is still leased";
  EXPECT_EQ(again[0].attempts, 0);
  EXPECT_EQ(again[0].state, "pending");
}

TEST_P(StoreKinds, UsersAreFoundByIdAndEmailAndAnEmailIsTakenOnce) {
  auto store = us::UserStore::open(url("users.db"));
  std::set<std::int64_t> seen;
  for (int i = 0; i < 2000; ++i) {  // past several growths of every index
    auto u = store->create({0, "u" + std::to_string(i) + "@example.com", "", 1000 + i});
    ASSERT_TRUE(u.ok()) << u.status().message();
    EXPECT_TRUE(seen.insert(u->id).second);
  }
  auto taken = store->create({0, "u7@example.com", "", 5000});
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.status().code(), svckit::StatusCode::AlreadyExists);
  auto by_email = store->by_email("u1999@example.com");
  ASSERT_TRUE(by_email.has_value());
  auto by_id = store->get(by_email->id);
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(by_id->email, "u1999@example.com");
  EXPECT_FALSE(store->get(0).has_value());
  EXPECT_FALSE(store->get(*seen.rbegin() + 1).has_value());
  EXPECT_FALSE(store->by_email("nobody@example.com").has_value());
}

INSTANTIATE_TEST_SUITE_P(Bugtracker, StoreKinds, ::testing::Values("memory", "sqlite"),
                         [](const auto& info) { return info.param; });

}  // namespace
