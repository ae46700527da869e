// notificator as a real process: gRPC SendEmail through a client generated from the proto, the durable
// outbox, SMTP delivery to a real SMTP server (Debian's python3-aiosmtpd) on loopback, etcd registration.
#include <gtest/gtest.h>

#include <regex>

#include <grpcpp/create_channel.h>

#include "notificator.grpc.pb.h"
#include "support/etcd.hpp"
#include "support/process.hpp"
#include "support/run.hpp"

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
    procs_.clear();
    std::filesystem::remove_all(dir_);
  }
  Process& start_notificator(std::vector<std::string> extra = {}) {
    grpc_port_ = free_port();
    debug_port_ = free_port();
    std::vector<std::string> argv{NOTIFICATOR_BIN, "--grpc-addr", "127.0.0.1:" + std::to_string(grpc_port_),
                                  "--http-addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1:" + std::to_string(debug_port_),
                                  "--store", "sqlite:" + dir_ + "/outbox.db"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    procs_.push_back(std::make_unique<Process>(argv, dir_ + "/notificator.log"));
    auto& p = *procs_.back();
    EXPECT_TRUE(wait_until([&] { return outbox().find("messages") != std::string::npos; }, 10s)) << p.log();
    stub_ = pb::Notificator::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_port_), grpc::InsecureChannelCredentials()));
    return p;
  }
  grpc::Status send(const std::string& email, const std::string& content, std::string* id = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 5s);
    pb::SendEmailRequest req;
    req.set_email(email);
    req.set_content(content);
    pb::SendEmailReply reply;
    auto st = stub_->SendEmail(&ctx, req, &reply);
    if (id) *id = reply.id();
    return st;
  }
  std::string outbox() { return svckit::test::http_get(debug_port_, "/outbox"); }

  std::string dir_;
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
  auto smtp_port = free_port();
  std::string maildir = dir_ + "/mail";
  start_notificator({"--smtp-url", "smtp://127.0.0.1:" + std::to_string(smtp_port)});
  std::string id;
  ASSERT_TRUE(send("carol@example.com", "your bug was assigned", &id).ok());
  // No SMTP server yet: the delivery fails and is retried with backoff.
  ASSERT_TRUE(wait_until([&] { return outbox().find("\"attempts\":1") != std::string::npos; }, 10s)) << outbox();
  EXPECT_NE(outbox().find("\"state\":\"pending\""), std::string::npos);

  Process smtp({"/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:" + std::to_string(smtp_port), "-c",
                "aiosmtpd.handlers.Mailbox", maildir},
               dir_ + "/smtp.log");
  ASSERT_TRUE(wait_until([&] { return outbox().find("\"state\":\"sent\"") != std::string::npos; }, 20s)) << outbox() << smtp.log();
  // The message is in the SMTP server's mailbox, addressed and with its content.
  std::string mail;
  for (const auto& f : std::filesystem::directory_iterator(maildir + "/new")) mail = svckit::test::EtcdCluster::tail(f.path());
  EXPECT_NE(mail.find("To: carol@example.com"), std::string::npos) << mail;
  EXPECT_NE(mail.find("your bug was assigned"), std::string::npos) << mail;
  EXPECT_NE(mail.find(id), std::string::npos) << "the outbox id is the Message-ID";
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
  Process p({NOTIFICATOR_BIN, "--store", "postgres://nope"}, dir_ + "/bad.log");
  ASSERT_TRUE(wait_until([&] { return p.log().find("want sqlite:PATH or memory:") != std::string::npos; }));
  EXPECT_EQ(p.signal(0), 2);
}

}  // namespace
