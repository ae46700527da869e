#include "svckit/codec/json.hpp"

#include <cstdio>
#include <initializer_list>
#include <string>

#include <gtest/gtest.h>

#include "echo.pb.h"
#include "svckit/codec/proto_json.hpp"

using namespace svckit;

namespace demo {
struct User {
  std::string email;
  int age = 0;
  bool admin = false;
  std::vector<std::string> tags;
};
void from_json(json::ObjectReader& r, User& u) {
  r.required("email", u.email);
  r.optional("age", u.age);
  r.optional("admin", u.admin);
  r.optional("tags", u.tags);
  if (!u.email.empty() && u.email.find('@') == std::string::npos) r.fail("field \"email\" is not an email address");
}
void to_json(boost::json::object& o, const User& u) {
  o["email"] = u.email;
  o["age"] = u.age;
}

struct Patch {  // PATCH-style: presence matters, so the fields are optional
  std::optional<std::string> status;
  std::optional<int> priority;
};
void from_json(json::ObjectReader& r, Patch& p) {
  r.optional("status", p.status);
  r.optional("priority", p.priority);
}
}  // namespace demo

using Codec = json::Codec<demo::User>;

TEST(JsonCodec, DecodesAndEncodes) {
  auto u = Codec::decode(R"({"email":"a@b.c","age":30,"admin":true,"tags":["x","y"]})");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->email, "a@b.c");
  EXPECT_EQ(u->age, 30);
  EXPECT_TRUE(u->admin);
  EXPECT_EQ(u->tags.size(), 2u);
  EXPECT_EQ(Codec::encode(*u), R"({"email":"a@b.c","age":30})");
  auto negative = Codec::decode(R"({"email":"a@b.c","age":-5})");
  ASSERT_TRUE(negative.ok()) << negative.status();
  EXPECT_EQ(negative->age, -5);
}

namespace {
void expect_invalid(std::string_view body, std::string_view mentions) {
  auto r = Codec::decode(body);
  ASSERT_FALSE(r.ok()) << body;
  EXPECT_EQ(r.status().code(), StatusCode::InvalidArgument) << body;
  EXPECT_NE(r.status().message().find(mentions), std::string::npos) << body << " → " << r.status();
}
}  // namespace

TEST(JsonCodec, BadInputNamesTheProblem) {
  expect_invalid("", "empty");
  expect_invalid("{\"email\":", "malformed JSON");
  expect_invalid("[1,2]", "expected a JSON object");
  expect_invalid("{}", "\"email\" is required");
  expect_invalid(R"({"email":null})", "\"email\" is required");
  expect_invalid(R"({"email":42})", "\"email\" must be a string");
  expect_invalid(R"({"email":"a@b.c","age":"old"})", "\"age\" must be an integer");
  expect_invalid(R"({"email":"a@b.c","age":99999999999})", "\"age\" must be an integer in range");
  expect_invalid(R"({"email":"a@b.c","tags":[1]})", "\"tags\" must be an array of strings");
  expect_invalid(R"({"email":"a@b.c","emial":"typo"})", "unknown field \"emial\"");
  expect_invalid(R"({"email":"nope"})", "not an email address");
}

TEST(JsonCodec, OptionalFieldsTellPresence) {
  auto p = json::Codec<demo::Patch>::decode(R"({"status":"closed"})");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->status, "closed");
  EXPECT_FALSE(p->priority.has_value());
  auto null = json::Codec<demo::Patch>::decode(R"({"status":null,"priority":2})");
  ASSERT_TRUE(null.ok()) << null.status();
  EXPECT_FALSE(null->status.has_value());
  EXPECT_EQ(null->priority, 2);
  auto wrong = json::Codec<demo::Patch>::decode(R"({"priority":"high"})");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("\"priority\" must be an integer"), std::string::npos) << wrong.status();
}

TEST(JsonCodec, ErrorBodyRoundTrips) {
  auto body = json::error_body(not_found("no user 7"));
  EXPECT_EQ(body, R"({"error":{"code":"NOT_FOUND","message":"no user 7"}})");
  auto back = json::parse_error_body(body);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, not_found("no user 7"));
  EXPECT_FALSE(json::parse_error_body("not json").has_value());
  EXPECT_FALSE(json::parse_error_body(R"({"error":{"code":"WHAT"}})").has_value());
}

TEST(JsonCodec, ProtobufMessages) {
  using PC = json::Codec<svckit_test::EchoRequest>;
  auto r = PC::decode(R"({"s":"hello"})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->s(), "hello");
  EXPECT_EQ(PC::decode(R"({"s":"x","zzz":1})").status().code(), StatusCode::InvalidArgument);
  EXPECT_NE(PC::decode(R"({"s":"x","zzz":1})").status().message().find("zzz"), std::string::npos);
  EXPECT_EQ(PC::decode(R"({"s":5})").status().code(), StatusCode::InvalidArgument);
  EXPECT_EQ(PC::decode("{").status().code(), StatusCode::InvalidArgument);
  svckit_test::CountReply reply;
  reply.set_v(7);
  EXPECT_EQ(json::Codec<svckit_test::CountReply>::encode(reply), R"({"v":"7"})");  // int64 is a string in proto3 JSON
}

TEST(JsonCodec, AppendEscapedEscapesQuotesBackslashesAndControlCharacters) {
  std::string out = "[";
  json::append_escaped(out, std::string_view("plain \"q\" back\\slash\nnl\ttab\r\x01\x1f end", 34));
  EXPECT_EQ(out, R"([plain \"q\" back\\slash\nnl\ttab\r\u0001\u001f end)");
  out.clear();
  json::append_escaped(out, "");
  EXPECT_EQ(out, "");
  json::append_escaped(out, "ünïcode passes through");
  EXPECT_EQ(out, "ünïcode passes through");
}

// Every character that needs escaping, at every position of strings longer and shorter than the 8 bytes
// append_escaped checks at a time, against a character-by-character reference.
TEST(JsonCodec, AppendEscapedFindsSpecialCharactersAtEveryPosition) {
  auto reference = [](std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
      if (c == '"') out += "\\\"";
      else if (c == '\\') out += "\\\\";
      else if (c == '\n') out += "\\n";
      else if (c == '\r') out += "\\r";
      else if (c == '\t') out += "\\t";
      else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else out += static_cast<char>(c);
    }
    return out;
  };
  for (std::size_t len = 1; len <= 24; ++len) {  // every path: 1-3, 4-7, one word, several, a ragged tail
    for (std::size_t pos = 0; pos < len; ++pos) {
      for (int c : std::initializer_list<int>{'"', '\\', 0x00, 0x01, '\n', 0x1f, 0x20, 0x7f, 0x80, 0xc3, 0xff}) {
        std::string in(len, 'a');
        in[pos] = static_cast<char>(c);
        std::string out;
        json::append_escaped(out, in);
        EXPECT_EQ(out, reference(in)) << "byte " << c << " at " << pos << " of " << len;
      }
    }
  }
}
