// The bug tracker with TLS on every hop, configured by flags only: curl → users over HTTPS, users →
// notificator over gRPC with mutual TLS, the notificator found in etcd through its "tls":true entry.
// (`svckit call` over TLS is in cli_test.cpp.)
#include <gtest/gtest.h>

#include "support/build_paths.hpp"
#include "support/certs.hpp"
#include "tracker.hpp"

using namespace std::chrono_literals;
using svckit::test::cert;
using svckit::test::run_command;
using svckit::test::wait_until;

namespace {

class TrackerTlsTest : public svckit::test::TrackerTest {
 protected:
  std::vector<std::string> service_cert() { return {"--tls-cert", cert("server.crt"), "--tls-key", cert("server.key")}; }
  /// POST /create over HTTPS with curl, verifying users' certificate against the test CA.
  svckit::test::CommandResult create_over_https(const std::string& name, const std::string& email) {
    return run_command("curl -sS --max-time 10 --cacert " + cert("ca.crt") + " -w ' HTTP%{http_code}' -d '{\"email\":\"" +
                       email + "\"}' https://127.0.0.1:" + std::to_string(service(name).http) + "/create");
  }
  std::string registry_value(const std::string& service_name) {
    return run_command("etcdctl --endpoints=" + etcd_.endpoints()[0] + " get --prefix --print-value-only /services/" +
                       service_name + "/")
        .output;
  }
};

TEST_F(TrackerTlsTest, EveryHopSpeaksTlsAndTheWelcomeEmailArrives) {
  auto notificator_flags = service_cert();
  notificator_flags.insert(notificator_flags.end(), {"--tls-client-ca", cert("ca.crt")});
  start_notificator("n1", notificator_flags);
  auto users_flags = service_cert();
  users_flags.insert(users_flags.end(), {"--tls-ca", cert("ca.crt")});
  start_api("users", svckit::test::paths::users(), "memory:", users_flags);

  EXPECT_NE(registry_value("notificator").find("\"tls\":true"), std::string::npos) << registry_value("notificator");
  EXPECT_NE(registry_value("users").find("\"tls\":true"), std::string::npos) << registry_value("users");

  auto r = create_over_https("users", "ann@example.com");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("HTTP201"), std::string::npos) << r.output;
  EXPECT_TRUE(wait_until([&] { return outbox_count("n1", "ann@example.com") == 1; }, 15s))
      << "the welcome email reached the notificator over mutual TLS\n" << log_of("users");

  // Plaintext to the HTTPS port gets no HTTP answer.
  auto plain = svckit::test::http_call(service("users").http, "POST", "/create", R"({"email":"bob@example.com"})");
  EXPECT_NE(plain.status, 201);
  EXPECT_EQ(outbox_count("n1", "bob@example.com"), 0);
}

// The notificator on svckit's own wire (--grpc-wire) with mutual TLS: users (also --grpc-wire: its own-wire
// client dials the TLS instance over TLS, presenting its certificate) delivers the welcome through it.
TEST_F(TrackerTlsTest, ANotificatorOnTheOwnWireServesMutualTls) {
  auto notificator_flags = service_cert();
  notificator_flags.insert(notificator_flags.end(), {"--tls-client-ca", cert("ca.crt"), "--grpc-wire"});
  start_notificator("n1", notificator_flags);
  auto users_flags = service_cert();
  users_flags.insert(users_flags.end(), {"--tls-ca", cert("ca.crt"), "--grpc-wire"});
  start_api("users", svckit::test::paths::users(), "memory:", users_flags);
  EXPECT_NE(registry_value("notificator").find("\"tls\":true"), std::string::npos) << registry_value("notificator");
  auto r = create_over_https("users", "wire@example.com");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("HTTP201"), std::string::npos) << r.output;
  EXPECT_TRUE(wait_until([&] { return outbox_count("n1", "wire@example.com") == 1; }, 15s))
      << "the welcome email reached the own wire's notificator over mutual TLS\n" << log_of("users") << log_of("n1");
}

TEST_F(TrackerTlsTest, ACallerWithoutTheRightCertificatesDeliversNothing) {
  auto notificator_flags = service_cert();
  notificator_flags.insert(notificator_flags.end(), {"--tls-client-ca", cert("ca.crt")});
  start_notificator("n1", notificator_flags);
  // Trusts the notificator's CA but has no client certificate: refused by mutual TLS.
  start_api("nocert", svckit::test::paths::users(), "memory:", {"--tls-ca", cert("ca.crt")});
  // Has a certificate but trusts only the system store: the notificator's certificate is not accepted.
  auto untrusting = service_cert();
  start_api("untrusting", svckit::test::paths::users(), "memory:", untrusting);

  EXPECT_EQ(svckit::test::http_call(service("nocert").http, "POST", "/create", R"({"email":"ann@example.com"})").status, 201);
  EXPECT_EQ(create_over_https("untrusting", "bob@example.com").exit_code, 0);
  for (const char* name : {"nocert", "untrusting"})
    EXPECT_TRUE(wait_until([&] { return log_of(name).find("email not sent yet; queued for retry") != std::string::npos; }, 15s))
        << name << ": " << log_of(name);
  EXPECT_EQ(outbox_count("n1", "ann@example.com"), 0);
  EXPECT_EQ(outbox_count("n1", "bob@example.com"), 0);
}

}  // namespace
