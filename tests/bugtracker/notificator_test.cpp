// notificator as a real process: gRPC SendEmail through a client generated from the proto, the durable
// outbox, SMTP delivery to a real SMTP server (Debian's python3-aiosmtpd) on loopback, etcd registration.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include <grpcpp/create_channel.h>

#include "notificator.grpc.pb.h"
#include "support/build_paths.hpp"
#include "support/etcd.hpp"
#include "support/http_call.hpp"
#include "support/process.hpp"
#include "support/reserved_port.hpp"
#include "support/run.hpp"
#include "support/smtp_sink.hpp"

using namespace std::chrono_literals;
using svckit::test::free_port;
using svckit::test::Process;
using svckit::test::wait_until;

namespace {

class NotificatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/svckit-notificator-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override {
    stop_all();
    for (const char* log : {"/notificator.log", "/redrive.log"}) {
      auto fault = Process::fault_in(dir_ + log);
      EXPECT_TRUE(fault.empty()) << log << ": " << fault;
    }
    std::filesystem::remove_all(dir_);
  }
  /// Stops every notificator as an operator would (SIGTERM); each must exit 0 (under the sanitizers a leak
  /// or a fault on the way out is a non-zero exit). One already ended (SIGKILLed by the test) is skipped.
  void stop_all() {
    stub_.reset();  // an open client connection holds the server's shutdown until gRPC's 5 s backup poll sees GOAWAY
    for (auto& p : procs_) {
      if (!p->running()) continue;
      EXPECT_EQ(p->stop(), 0) << p->log();
    }
    procs_.clear();
  }
  Process& start_notificator(std::vector<std::string> extra = {}) {
    grpc_port_ = free_port();
    debug_port_ = free_port();
    std::vector<std::string> argv{svckit::test::paths::notificator(), "--grpc-addr", "127.0.0.1:" + std::to_string(grpc_port_),
                                  "--debug-addr", "127.0.0.1:" + std::to_string(debug_port_),
                                  "--store", store_.empty() ? "sqlite:" + dir_ + "/outbox.db" : store_, "--outbox-token", kToken};
    argv.insert(argv.end(), extra.begin(), extra.end());
    procs_.push_back(std::make_unique<Process>(argv, dir_ + "/notificator.log"));
    auto& p = *procs_.back();
    EXPECT_TRUE(wait_until([&] { return outbox().find("messages") != std::string::npos; }, 10s)) << p.log();
    stub_ = pb::Notificator::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_port_), grpc::InsecureChannelCredentials()));
    return p;
  }
  grpc::Status send(const std::string& email, const std::string& content, std::string* id = nullptr,
                    const std::string& key = "", pb::Notificator::Stub* stub = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 5s);
    pb::SendEmailRequest req;
    req.set_email(email);
    req.set_content(content);
    req.set_idempotency_key(key);
    pb::SendEmailReply reply;
    auto st = (stub ? stub : stub_.get())->SendEmail(&ctx, req, &reply);
    if (id) *id = reply.id();
    return st;
  }
  static constexpr const char* kToken = "notificator-test-token-0123";
  std::string outbox() {
    return svckit::test::http_call(debug_port_, "GET", "/outbox?limit=10000", "", std::string("Authorization: Bearer ") + kToken + "\r\n").body;
  }
  int count(const std::string& needle) {
    auto body = outbox();
    int n = 0;
    for (auto at = body.find(needle); at != std::string::npos; at = body.find(needle, at + 1)) ++n;
    return n;
  }
  /// A real SMTP server (aiosmtpd) on the reserved port (released to it), storing mail in DIR/mail.
  std::unique_ptr<svckit::test::SmtpSink> start_smtp(svckit::test::ReservedPort& port) {
    port.release();
    return std::make_unique<svckit::test::SmtpSink>(port.port(), dir_ + "/mail");
  }
  /// The Message-IDs of the mails the SMTP server holds (one per mail file).
  std::vector<std::string> mailed() { return svckit::test::SmtpSink::message_ids_in(dir_ + "/mail"); }
  std::string dir_;
  std::string store_;  // --store; empty: sqlite:DIR/outbox.db
  unsigned short grpc_port_ = 0, debug_port_ = 0;
  std::vector<std::unique_ptr<Process>> procs_;
  std::unique_ptr<pb::Notificator::Stub> stub_;
};

TEST_F(NotificatorTest, SendEmailStoresTheMessageAndAnswersWithAUuid) {
  start_notificator();
  std::string id;
  auto st = send("ann@example.com", "welcome, Ann", &id);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"))) << id;
  auto listed = outbox();
  EXPECT_NE(listed.find(id), std::string::npos);
  EXPECT_NE(listed.find("\"state\":\"pending\""), std::string::npos) << "no --smtp-url: kept in the outbox";
  std::string id2;
  ASSERT_TRUE(send("bob@example.com", "hi", &id2).ok());
  EXPECT_NE(id, id2);
}

TEST_F(NotificatorTest, BadInputIsInvalidArgumentAndNothingIsStored) {
  start_notificator();
  for (const char* bad : {"", "no-at-sign", "a@b", "two@@example.com", "sp ace@example.com", "@example.com", "a@.com"}) {
    auto st = send(bad, "content");
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_NE(st.error_message().find("email"), std::string::npos) << st.error_message();
  }
  auto st = send("ann@example.com", "");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("content"), std::string::npos);
  EXPECT_EQ(send("ann@example.com", std::string(65 * 1024, 'x')).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(outbox().find("\"messages\":[]"), std::string::npos) << outbox();
}

TEST_F(NotificatorTest, AcknowledgedMessagesSurviveSigkill) {
  auto& p = start_notificator();
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    std::string id;
    ASSERT_TRUE(send("u" + std::to_string(i) + "@example.com", "message " + std::to_string(i), &id).ok());
    ids.push_back(id);
  }
  p.signal(SIGKILL);
  procs_.clear();
  start_notificator();
  auto listed = outbox();
  for (const auto& id : ids) EXPECT_NE(listed.find(id), std::string::npos) << id;
}

TEST_F(NotificatorTest, DeliversOverSmtpAndRetriesWhileTheServerIsDown) {
  svckit::test::ReservedPort smtp_reserved;  // SMTP is down until the test starts it there
  auto smtp_port = smtp_reserved.port();
  start_notificator({"--smtp-url", "smtp://127.0.0.1:" + std::to_string(smtp_port)});
  std::string id;
  ASSERT_TRUE(send("carol@example.com", "your bug was assigned", &id).ok());
  // No SMTP server yet: the delivery fails and is retried with backoff.
  std::string listed;
  ASSERT_TRUE(wait_until([&] { return (listed = outbox()).find("\"attempts\":1") != std::string::npos; }, 10s)) << listed;
  EXPECT_NE(listed.find("\"state\":\"pending\""), std::string::npos) << listed;

  auto smtp = start_smtp(smtp_reserved);
  ASSERT_TRUE(wait_until([&] { return outbox().find("\"state\":\"sent\"") != std::string::npos; }, 20s)) << outbox() << smtp->log();
  // The message is in the SMTP server's mailbox, addressed and with its content.
  auto mails = smtp->mails();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_NE(mails[0].find("To: carol@example.com"), std::string::npos) << mails[0];
  EXPECT_NE(mails[0].find("your bug was assigned"), std::string::npos) << mails[0];
  EXPECT_NE(mails[0].find(id), std::string::npos) << "the outbox id is the Message-ID";
}

TEST_F(NotificatorTest, RegistersInEtcdAndDeregistersOnSigterm) {
  svckit::test::EtcdCluster etcd(1);
  auto& p = start_notificator({"--registry", etcd.url()});
  auto key = "/services/notificator/127.0.0.1:" + std::to_string(grpc_port_);
  auto get = [&] {
    std::string cmd = "etcdctl --endpoints=" + etcd.endpoints()[0] + " get --print-value-only " + key;
    std::unique_ptr<FILE, int (*)(FILE*)> f(popen(cmd.c_str(), "r"), pclose);
    std::string out;
    char buf[256];
    while (f && fgets(buf, sizeof buf, f.get())) out += buf;
    return out;
  };
  ASSERT_TRUE(wait_until([&] { return get() == "127.0.0.1:" + std::to_string(grpc_port_) + "\n"; })) << p.log();
  EXPECT_EQ(p.signal(SIGTERM), 0);
  EXPECT_EQ(get(), "");
}

TEST_F(NotificatorTest, BadStoreUrlIsRefusedAtStartUp) {
  Process p({svckit::test::paths::notificator(), "--store", "postgres://nope"}, dir_ + "/bad.log");
  ASSERT_TRUE(wait_until([&] { return p.log().find("want sqlite:PATH or memory:") != std::string::npos; }));
  EXPECT_EQ(p.signal(0), 2);
}

// Issue 18: a retried or resent SendEmail (same idempotency key) stores nothing new and answers the first
// message's id; the key survives a restart (it is in the outbox).
TEST_F(NotificatorTest, TheSameIdempotencyKeyStoresOneMessageAndAnswersItsId) {
  auto& p = start_notificator();
  std::string first, again, other;
  ASSERT_TRUE(send("ann@example.com", "welcome", &first, "users:1:abc").ok());
  ASSERT_TRUE(send("ann@example.com", "welcome", &again, "users:1:abc").ok());
  EXPECT_EQ(again, first);
  ASSERT_TRUE(send("ann@example.com", "welcome", &other, "users:2:abc").ok());
  EXPECT_NE(other, first);
  EXPECT_EQ(count("\"email\":\"ann@example.com\""), 2) << outbox();
  EXPECT_EQ(p.signal(SIGTERM), 0);
  procs_.clear();
  start_notificator();
  std::string after;
  ASSERT_TRUE(send("ann@example.com", "welcome", &after, "users:1:abc").ok());
  EXPECT_EQ(after, first) << "keys are durable";
  EXPECT_EQ(count("\"email\":\"ann@example.com\""), 2);
  EXPECT_EQ(send("ann@example.com", "x", nullptr, "bad key").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(send("ann@example.com", "x", nullptr, std::string(129, 'k')).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// Issue 18: mail was marked failed after 8 attempts (about a minute of outage at the default backoff) and
// never sent. Now it keeps retrying (here with a fast backoff: 8 attempts take well under a second) and is
// delivered, once, when the SMTP server comes up.
TEST_F(NotificatorTest, AnSmtpOutageLongerThanTheOldGiveUpLosesNoMail) {
  svckit::test::ReservedPort smtp_reserved;  // SMTP is down until the test starts it there
  auto smtp_port = smtp_reserved.port();
  start_notificator({"--smtp-url", "smtp://127.0.0.1:" + std::to_string(smtp_port), "--smtp-backoff-initial-ms", "10",
                     "--smtp-backoff-max-ms", "50"});
  std::string id;
  ASSERT_TRUE(send("carol@example.com", "still coming", &id).ok());
  auto attempts = [&] {
    std::smatch m;
    auto body = outbox();
    return std::regex_search(body, m, std::regex("\"attempts\":([0-9]+)")) ? std::stoi(m[1]) : -1;
  };
  ASSERT_TRUE(wait_until([&] { return attempts() >= 12; }, 20s)) << outbox();
  EXPECT_EQ(count("\"state\":\"pending\""), 1) << outbox();
  auto smtp = start_smtp(smtp_reserved);
  ASSERT_TRUE(wait_until([&] { return count("\"state\":\"sent\"") == 1; }, 20s)) << outbox() << smtp->log();
  EXPECT_EQ(mailed(), std::vector<std::string>{id});
}

// Issue 18: past --smtp-give-up-after a message is dead: kept, listed, and re-driven by the operator.
TEST_F(NotificatorTest, DeadMessagesAreKeptListedAndReDriven) {
  svckit::test::ReservedPort smtp_reserved;  // SMTP is down until the test starts it there
  auto smtp_port = smtp_reserved.port();
  std::vector<std::string> flags{"--smtp-url", "smtp://127.0.0.1:" + std::to_string(smtp_port), "--smtp-give-up-after",
                                 "1", "--smtp-backoff-initial-ms", "50", "--smtp-backoff-max-ms", "100"};
  auto& p = start_notificator(flags);
  std::string id;
  ASSERT_TRUE(send("dan@example.com", "lost?", &id).ok());
  ASSERT_TRUE(wait_until([&] { return count("\"state\":\"dead\"") == 1; }, 20s)) << outbox();
  EXPECT_NE(outbox().find("\"last_error\""), std::string::npos) << "why it died is shown";
  EXPECT_EQ(p.signal(SIGTERM), 0);
  procs_.clear();
  // The operator's command, on the same store, while no notificator runs.
  Process redrive({svckit::test::paths::notificator(), "--store", "sqlite:" + dir_ + "/outbox.db", "--redrive-dead"}, dir_ + "/redrive.log");
  EXPECT_EQ(redrive.signal(0), 0) << redrive.log();
  EXPECT_NE(redrive.log().find("re-driven: 1"), std::string::npos) << redrive.log();
  auto smtp = start_smtp(smtp_reserved);
  flags[3] = "86400";
  start_notificator(flags);
  ASSERT_TRUE(wait_until([&] { return count("\"state\":\"sent\"") == 1; }, 20s)) << outbox() << smtp->log();
  EXPECT_EQ(mailed(), std::vector<std::string>{id});
}

// Issue 29: re-drive worked only on a stopped notificator's SQLite file, so a memory: outbox's dead mail
// could never be sent. POST /outbox/redrive on the debug listener re-drives a running notificator's own
// store, either kind, and wakes its sender; the token guards it like GET /outbox.
TEST_F(NotificatorTest, DeadMessagesAreReDrivenOnARunningNotificatorForBothStores) {
  for (const std::string& store : {std::string("memory:"), "sqlite:" + dir_ + "/running.db"}) {
    SCOPED_TRACE(store);
    store_ = store;
    std::filesystem::remove_all(dir_ + "/mail");
    svckit::test::ReservedPort smtp_reserved;  // SMTP is down until the test starts it there
    auto smtp_port = smtp_reserved.port();
    start_notificator({"--smtp-url", "smtp://127.0.0.1:" + std::to_string(smtp_port), "--smtp-give-up-after", "1",
                       "--smtp-backoff-initial-ms", "50", "--smtp-backoff-max-ms", "100"});
    std::string id;
    ASSERT_TRUE(send("erin@example.com", "back from the dead", &id).ok());
    ASSERT_TRUE(wait_until([&] { return count("\"state\":\"dead\"") == 1; }, 20s)) << outbox();
    auto redrive = [&](const std::string& headers) {
      return svckit::test::http_call(debug_port_, "POST", "/outbox/redrive", "", headers);
    };
    EXPECT_EQ(redrive("").status, 401);
    EXPECT_EQ(redrive("Authorization: Bearer not-the-token-at-all\r\n").status, 401);
    EXPECT_EQ(count("\"state\":\"dead\""), 1) << "refused requests change nothing";
    auto smtp = start_smtp(smtp_reserved);
    ASSERT_TRUE(wait_until([&] { return svckit::test::port_open(smtp_port); }, 10s)) << smtp->log();
    auto answer = redrive(std::string("Authorization: Bearer ") + kToken + "\r\n");
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.body, "{\"redriven\":1}");
    ASSERT_TRUE(wait_until([&] { return count("\"state\":\"sent\"") == 1; }, 20s)) << outbox() << smtp->log();
    EXPECT_EQ(mailed(), std::vector<std::string>{id});
    stop_all();
  }
  // --redrive-dead on a memory: store has nothing to re-drive: an error that points at the endpoint.
  Process offline({svckit::test::paths::notificator(), "--store", "memory:", "--redrive-dead"}, dir_ + "/redrive.log");
  EXPECT_EQ(offline.signal(0), 2);
  EXPECT_NE(offline.log().find("POST /outbox/redrive"), std::string::npos) << offline.log();
}

// Issue 18: two notificators on one database both picked the same due rows and sent them twice. Rows are
// claimed atomically now: every message arrives once. The mail is queued while SMTP is down, so that when it
// comes up both notificators work through the same backlog at the same time.
TEST_F(NotificatorTest, TwoNotificatorsOnOneDatabaseSendEachMessageOnce) {
  svckit::test::ReservedPort smtp_reserved;  // SMTP is down until the test starts it there
  auto smtp_port = smtp_reserved.port();
  const std::vector<std::string> flags{"--smtp-url", "smtp://127.0.0.1:" + std::to_string(smtp_port),
                                       "--smtp-backoff-initial-ms", "300", "--smtp-backoff-max-ms", "400"};
  start_notificator(flags);
  auto first = std::move(stub_);
  start_notificator(flags);  // the same sqlite file (DIR/outbox.db)
  constexpr int kMessages = 100;
  std::set<std::string> ids;
  for (int i = 0; i < kMessages; ++i) {
    std::string id;
    ASSERT_TRUE(send("u" + std::to_string(i) + "@example.com", "message " + std::to_string(i), &id, "",
                     i % 2 ? first.get() : stub_.get()).ok());
    ids.insert(id);
  }
  ASSERT_TRUE(wait_until([&] { return count("\"attempts\":0") == 0; }, 20s)) << "every message tried once";
  auto smtp = start_smtp(smtp_reserved);
  ASSERT_TRUE(wait_until([&] { return count("\"state\":\"sent\"") == kMessages; }, 60s)) << outbox() << smtp->log();
  ASSERT_TRUE(wait_until([&] { return mailed().size() >= ids.size(); }, 10s)) << mailed().size();
  auto got = mailed();
  EXPECT_EQ(got.size(), ids.size()) << "a message was sent twice";
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), ids);
}

}  // namespace

namespace {

// Issue 18: /outbox showed every message (addresses, contents) to whoever reached the debug port.
TEST_F(NotificatorTest, TheOutboxIsShownOnlyWithItsToken) {
  start_notificator();
  ASSERT_TRUE(send("ann@example.com", "private words").ok());
  auto get = [&](const std::string& headers) {
    return svckit::test::http_call(debug_port_, "GET", "/outbox", "", headers);
  };
  for (const std::string& bad : {std::string(), std::string("Authorization: Bearer wrong-token-wrong-token\r\n"),
                                 std::string("Authorization: Bearer ") + kToken + "x\r\n", std::string("Authorization: ") + kToken + "\r\n"}) {
    auto r = get(bad);
    EXPECT_EQ(r.status, 401) << bad;
    EXPECT_EQ(r.body.find("private words"), std::string::npos) << bad;
  }
  EXPECT_NE(outbox().find("private words"), std::string::npos) << "the token opens it";

  // Without a token /outbox is off; a short token is a flag error.
  stop_all();
  auto port = free_port();
  Process off({svckit::test::paths::notificator(), "--grpc-addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1:" + std::to_string(port), "--store",
               "sqlite:" + dir_ + "/outbox.db"},
              dir_ + "/notificator.log");
  ASSERT_TRUE(wait_until([&] { return svckit::test::http_call(port, "GET", "/outbox").status == 403; }, 10s)) << off.log();
  EXPECT_EQ(svckit::test::http_call(port, "GET", "/healthz").status, 200) << "the rest of the debug listener works";
  Process short_token({svckit::test::paths::notificator(), "--store", "memory:", "--outbox-token", "short"}, dir_ + "/short.log");
  EXPECT_NE(short_token.signal(0), 0);
  EXPECT_NE(short_token.log().find("16+ characters"), std::string::npos) << short_token.log();
}

// Issue 18: the outbox was never pruned. Sent messages go after --sent-retention-s; dead ones (still owed
// to someone) stay.
TEST_F(NotificatorTest, SentMessagesArePrunedAfterTheRetentionAndDeadOnesStay) {
  svckit::test::ReservedPort smtp_reserved;  // SMTP is down until the test starts it there
  auto smtp_port = smtp_reserved.port();
  start_notificator({"--smtp-url", "smtp://127.0.0.1:" + std::to_string(smtp_port), "--smtp-give-up-after", "1",
                     "--smtp-backoff-initial-ms", "50", "--smtp-backoff-max-ms", "100", "--sent-retention-s", "2"});
  ASSERT_TRUE(send("dead@example.com", "never delivered").ok());
  ASSERT_TRUE(wait_until([&] { return count("\"state\":\"dead\"") == 1; }, 20s)) << outbox();
  auto smtp = start_smtp(smtp_reserved);
  ASSERT_TRUE(send("sent@example.com", "delivered").ok());
  ASSERT_TRUE(wait_until([&] { return count("\"state\":\"sent\"") == 1; }, 20s)) << outbox() << smtp->log();
  // The pass that removes it sees the dead message older than the retention too.
  ASSERT_TRUE(wait_until([&] { return count("sent@example.com") == 0; }, 20s)) << outbox();
  EXPECT_EQ(count("dead@example.com"), 1) << outbox();
  EXPECT_EQ(mailed().size(), 1u);
}

}  // namespace

// WatchDeliveries (a server stream) through gRPC's own generated stub: the message's state now, each retry
// while SMTP is down, then "sent" and the end of the stream. On either gRPC server (grpc++ or --grpc-wire).
class NotificatorWatchTest : public NotificatorTest, public ::testing::WithParamInterface<bool> {};

INSTANTIATE_TEST_SUITE_P(BothServers, NotificatorWatchTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "OwnWire" : "GrpcCpp"; });

TEST_P(NotificatorWatchTest, WatchDeliveriesStreamsEachChangeUntilTheMessageIsSent) {
  svckit::test::ReservedPort smtp_reserved;  // SMTP is down until the test starts it there
  std::vector<std::string> flags{"--smtp-url", "smtp://127.0.0.1:" + std::to_string(smtp_reserved.port()),
                                 "--smtp-backoff-initial-ms", "50", "--smtp-backoff-max-ms", "100"};
  if (GetParam()) flags.push_back("--grpc-wire");
  start_notificator(flags);
  std::string id;
  ASSERT_TRUE(send("dora@example.com", "watch me", &id).ok());

  std::mutex mu;
  std::vector<pb::Delivery> seen;
  grpc::Status end;
  std::atomic<bool> ended{false};
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 60s);
  std::thread watcher([&] {
    pb::WatchDeliveriesRequest req;
    req.add_ids(id);
    auto reader = stub_->WatchDeliveries(&ctx, req);
    pb::Delivery d;
    while (reader->Read(&d)) {
      std::lock_guard lock(mu);
      seen.push_back(d);
    }
    end = reader->Finish();
    ended = true;
  });
  auto retried = [&] {
    std::lock_guard lock(mu);
    return std::any_of(seen.begin(), seen.end(), [](const pb::Delivery& d) { return d.state() == "pending" && d.attempts() >= 2; });
  };
  EXPECT_TRUE(wait_until(retried, 20s)) << "the retries while SMTP is down are streamed";
  auto smtp = start_smtp(smtp_reserved);
  EXPECT_TRUE(wait_until([&] { return ended.load(); }, 20s)) << "the stream ends once the message is sent";
  if (!ended) ctx.TryCancel();
  watcher.join();
  ASSERT_TRUE(end.ok()) << end.error_message();
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen.front().state(), "pending") << "first, the state when the stream started";
  EXPECT_EQ(seen.back().state(), "sent");
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].id(), id);
    if (i > 0) {
      EXPECT_GE(seen[i].attempts(), seen[i - 1].attempts()) << "in order";
    }
  }
  EXPECT_TRUE(seen.back().last_error().empty());
  EXPECT_FALSE(seen[1].last_error().empty()) << "a retry says why";
}

TEST_P(NotificatorWatchTest, WatchDeliveriesRefusesWhatItCannotWatch) {
  start_notificator(GetParam() ? std::vector<std::string>{"--grpc-wire"} : std::vector<std::string>{});
  std::string id;
  ASSERT_TRUE(send("erin@example.com", "kept", &id).ok());  // no --smtp-url: it stays pending
  auto watch = [&](const std::vector<std::string>& ids, std::vector<pb::Delivery>* got = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 2s);
    pb::WatchDeliveriesRequest req;
    for (const auto& i : ids) req.add_ids(i);
    auto reader = stub_->WatchDeliveries(&ctx, req);
    pb::Delivery d;
    while (reader->Read(&d))
      if (got) got->push_back(d);
    return reader->Finish();
  };
  EXPECT_EQ(watch({}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(watch(std::vector<std::string>(101, id)).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(watch({"not an id\n"}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(watch({id, "0f0e0d0c-no-such-message"}).error_code(), grpc::StatusCode::NOT_FOUND);
  // A message that never leaves "pending": its state now, then the stream runs until the caller's deadline.
  std::vector<pb::Delivery> got;
  EXPECT_EQ(watch({id}, &got).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].state(), "pending");
  EXPECT_EQ(got[0].attempts(), 0);
}
