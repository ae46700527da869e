#include "svckit/log.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "support/run.hpp"
#include "svckit/middleware.hpp"
#include "svckit/middleware/logging.hpp"

using namespace svckit;

namespace {

class LogTest : public ::testing::Test {
 protected:
  void use(log::Level level, log::Format format) {
    log::configure(level, format, [this](std::string_view line) { lines.emplace_back(line); });
  }
  void TearDown() override { log::configure(log::Level::Info, log::Format::Logfmt); }
  std::vector<std::string> lines;
};

}  // namespace

TEST_F(LogTest, LogfmtQuotesWhatNeedsQuoting) {
  use(log::Level::Info, log::Format::Logfmt);
  log::Logger("users").info("user created", {{"id", 42}, {"email_domain", "b.c"}, {"note", "a \"b\""}, {"ok", true}});
  ASSERT_EQ(lines.size(), 1u);
  const auto& l = lines[0];
  EXPECT_NE(l.find(" level=info logger=users msg=\"user created\" id=42 email_domain=b.c note=\"a \\\"b\\\"\" ok=true\n"),
            std::string::npos)
      << l;
  EXPECT_EQ(l.rfind("ts=", 0), 0u);
}

TEST_F(LogTest, JsonLinesParse) {
  use(log::Level::Info, log::Format::Json);
  log::Logger("users").with({{"service", "users"}}).warn("odd\nthing", {{"n", 3}, {"ratio", 0.5}});
  ASSERT_EQ(lines.size(), 1u);
  auto v = boost::json::parse(lines[0]);
  const auto& o = v.as_object();
  EXPECT_EQ(o.at("level").as_string(), "warn");
  EXPECT_EQ(o.at("msg").as_string(), "odd\nthing");
  EXPECT_EQ(o.at("service").as_string(), "users");
  EXPECT_EQ(o.at("n").as_int64(), 3);
  EXPECT_DOUBLE_EQ(o.at("ratio").as_double(), 0.5);
}

TEST_F(LogTest, LevelsBelowTheMinimumAreDropped) {
  use(log::Level::Warn, log::Format::Logfmt);
  log::Logger l;
  l.debug("d");
  l.info("i");
  l.warn("w");
  l.error("e");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("level=warn"), std::string::npos);
  EXPECT_NE(lines[1].find("level=error"), std::string::npos);
}

TEST_F(LogTest, LoggingMiddlewareLogsOutcomeButNeverTheBody) {
  use(log::Level::Info, log::Format::Logfmt);
  Endpoint<std::string, std::string> ep = [](const Context&, const std::string& req) -> boost::asio::awaitable<Result<std::string>> {
    if (req.find('@') == std::string::npos) co_return invalid_argument("bad email");
    co_return req;
  };
  auto logged = chain(ep, middleware::Logging{log::Logger("users"), "create"});
  Context ctx;
  ctx.set_request_id("rid-1");
  (void)test::run_sync(logged(ctx, std::string("alice@example.com")));
  (void)test::run_sync(logged(ctx, std::string("secret-not-an-email")));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("level=info"), std::string::npos);
  EXPECT_NE(lines[0].find("method=create request_id=rid-1"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("code=OK"), std::string::npos);
  EXPECT_NE(lines[1].find("level=warn"), std::string::npos);
  EXPECT_NE(lines[1].find("code=INVALID_ARGUMENT"), std::string::npos);
  for (const auto& l : lines) {
    EXPECT_EQ(l.find("alice@example.com"), std::string::npos) << l;
    EXPECT_EQ(l.find("secret-not-an-email"), std::string::npos) << l;
  }
}
