// HTTPS to the HTTP registries (Consul, Eureka, Nacos stand-ins serving TLS: Debian has none of their servers):
// with the CA that signed the server's certificate, registration and discovery work; trusting another CA, or
// speaking plain HTTP to it, nothing is believed and the status says why; a server that asks for a client
// certificate gets the one the URL names.
#include <gtest/gtest.h>

#include "support/certs.hpp"
#include "support/instance_view.hpp"
#include "support/rest_standin.hpp"
#include "support/run.hpp"
#include "svckit/sd/registry.hpp"

namespace sd = svckit::sd;
using namespace std::chrono_literals;
using svckit::test::cert;
using svckit::test::instance;
using svckit::test::View;
using svckit::test::wait_until;

namespace {

class RegistryTls : public ::testing::TestWithParam<const char*> {
 protected:
  std::string scheme() const { return GetParam(); }
  // The URL of `server` with the given query (after the scheme's own parameters).
  std::string url(const svckit::test::RestStandIn& server, const std::string& query) const {
    const std::string own = scheme() == "eureka" ? "/eureka?poll=100ms" : scheme() == "nacos" ? "?poll=100ms" : "?wait=2s";
    return server.url(own + (query.empty() ? "" : "&" + query));
  }
};

TEST_P(RegistryTls, TheServersCaIsTrustedAndNoOtherIs) {
  svckit::test::RestStandIn server(GetParam(), {"--tls-cert", cert("server.crt"), "--tls-key", cert("server.key")});
  auto trusted = sd::Registry::open(url(server, "ca=" + cert("ca.crt")));
  auto r = trusted->registrar("users", instance("127.0.0.1:7001"), 3s);
  r->register_instance();
  auto seen = trusted->instancer("users");
  View view(*seen);
  EXPECT_TRUE(wait_until([&] { return view.size() == 1 && view.status().ok() && r->registered(); }, 10s))
      << view.status().message() << server.log();

  auto impostor = sd::Registry::open(url(server, "ca=" + cert("other-ca.crt")));
  auto refused = impostor->instancer("users");
  View none(*refused);
  ASSERT_TRUE(wait_until([&] { return !none.status().ok(); }, 10s));
  EXPECT_EQ(none.size(), 0u) << "nothing believed from a server whose certificate another CA signed";

  auto plain = sd::Registry::open(url(server, ""));
  auto plain_instancer = plain->instancer("users");
  View plain_view(*plain_instancer);
  ASSERT_TRUE(wait_until([&] { return !plain_view.status().ok(); }, 10s)) << "plain HTTP to an HTTPS server";
  EXPECT_EQ(plain_view.size(), 0u);
}

TEST_P(RegistryTls, AServerThatAsksForAClientCertificateGetsTheOneTheUrlNames) {
  svckit::test::RestStandIn server(
      GetParam(), {"--tls-cert", cert("server.crt"), "--tls-key", cert("server.key"), "--tls-client-ca", cert("ca.crt")});
  auto with_cert = sd::Registry::open(url(server, "ca=" + cert("ca.crt") + "&cert=" + cert("client.crt") + "&key=" + cert("client.key")));
  auto r = with_cert->registrar("users", instance("127.0.0.1:7001"), 3s);
  r->register_instance();
  auto seen = with_cert->instancer("users");
  View view(*seen);
  EXPECT_TRUE(wait_until([&] { return view.size() == 1 && view.status().ok(); }, 10s)) << view.status().message() << server.log();

  auto without = sd::Registry::open(url(server, "ca=" + cert("ca.crt")));
  auto refused = without->instancer("users");
  View none(*refused);
  ASSERT_TRUE(wait_until([&] { return !none.status().ok(); }, 10s));
  EXPECT_EQ(none.size(), 0u);
}

TEST_P(RegistryTls, BadTlsParametersAreRefusedAtOpen) {
  const std::string host = scheme() + "://127.0.0.1:1" + (scheme() == "eureka" ? "/eureka" : "");
  for (const std::string& bad : std::vector<std::string>{"?ca=/nonexistent/ca.crt", "?tls=maybe", "?cert=" + cert("client.crt"), "?tls=1&cert=" + cert("client.crt"),
                                 "?ca=" + cert("ca.crt") + "&key=" + cert("client.key"), "?ca=%2Fetc%2Fca.pem"})
    EXPECT_THROW(sd::Registry::open(host + bad), std::invalid_argument) << bad;
}

INSTANTIATE_TEST_SUITE_P(Schemes, RegistryTls, ::testing::Values("consul", "eureka", "nacos"));

}  // namespace
