// svckit's proto3 JSON codec (src/codec/proto_json_{reader,writer}.cpp) against protobuf's own mapping:
// the same JSON values for every kind of field, each reads the other's output back to an equal message, and
// what the mapping refuses is INVALID_ARGUMENT naming the field.
#include <cmath>
#include <limits>

#include <boost/json.hpp>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "echo.pb.h"
#include "svckit/codec/proto_json.hpp"

namespace {

namespace pb = google::protobuf;
using svckit::StatusCode;
using svckit::json::proto_from_json;
using svckit::json::proto_to_json;
using svckit_test::Kinds;

Kinds everything() {
  Kinds k;
  k.set_text("tab\t \"quoted\" é \x01");
  k.set_i32(-7);
  k.set_i64(std::numeric_limits<std::int64_t>::min());
  k.set_u32(4000000000u);
  k.set_u64(std::numeric_limits<std::uint64_t>::max());
  k.set_s64(-3);
  k.set_f64(9007199254740993ULL);  // 2^53 + 1: exact only as a string
  k.set_ratio(0.1);
  k.set_small(1.5f);
  k.set_flag(true);
  k.set_blob(std::string("\0\xff\x10 bytes", 9));
  k.set_color(Kinds::GREEN);
  k.mutable_inner()->set_name("in");
  k.mutable_inner()->add_values(1);
  k.add_inners()->set_name("a");
  k.add_inners();
  k.add_tags("x");
  k.add_tags("");
  k.add_colors(Kinds::RED);
  k.add_colors(static_cast<Kinds::Color>(42));  // an open enum's unknown number
  (*k.mutable_counts())["n"] = -5;
  (*k.mutable_names())[-1] = "minus one";
  (*k.mutable_by_flag())[true].set_name("t");
  k.set_user_id(9);
  k.set_maybe(0);  // set to zero: written, as presence says
  k.mutable_at()->set_seconds(1700000000);
  k.mutable_at()->set_nanos(5000);
  k.mutable_boxed()->set_value(12);
  k.set_camel_case_name("c");
  return k;
}

std::string protobuf_json(const pb::Message& m) {
  pb::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  o.always_print_primitive_fields = true;
  std::string out;
  EXPECT_TRUE(pb::util::MessageToJsonString(m, &out, o).ok());
  return out;
}

bool equal(const pb::Message& a, const pb::Message& b) { return pb::util::MessageDifferencer::Equals(a, b); }

TEST(ProtoJson, WritesTheSameJsonValuesAsProtobuf) {
  for (const Kinds& k : {everything(), Kinds{}}) {
    const auto ours = proto_to_json(k), theirs = protobuf_json(k);
    EXPECT_EQ(boost::json::parse(ours), boost::json::parse(theirs)) << "ours:   " << ours << "\ntheirs: " << theirs;
  }
}

TEST(ProtoJson, EachReadsTheOthersOutputBackToAnEqualMessage) {
  const Kinds k = everything();
  Kinds from_theirs, from_ours;
  ASSERT_TRUE(proto_from_json(protobuf_json(k), from_theirs).ok());
  EXPECT_TRUE(equal(k, from_theirs)) << from_theirs.DebugString();
  ASSERT_TRUE(pb::util::JsonStringToMessage(proto_to_json(k), &from_ours).ok());
  EXPECT_TRUE(equal(k, from_ours)) << from_ours.DebugString();
}

TEST(ProtoJson, Int64AsNumberWhenAsked) {
  svckit_test::CountReply r;
  r.set_v(7);
  EXPECT_EQ(proto_to_json(r), R"({"v":"7"})");
  EXPECT_EQ(proto_to_json(r, {.int64_as_number = true}), R"({"v":7})");
  svckit_test::CountReply back;
  ASSERT_TRUE(proto_from_json(R"({"v":7})", back).ok());  // both forms read
  EXPECT_EQ(back.v(), 7);
  ASSERT_TRUE(proto_from_json(R"({"v":"-8"})", back).ok());
  EXPECT_EQ(back.v(), -8);
}

TEST(ProtoJson, AcceptsWhatTheMappingAllows) {
  Kinds k;
  ASSERT_TRUE(proto_from_json(R"({"camelCaseName":"lower camel","i32":1e2,"ratio":"NaN","small":"-Infinity",
                                  "color":2,"blob":"_-8=","text":null,"u64":"18446744073709551615"})",
                              k)
                  .ok());
  EXPECT_EQ(k.camel_case_name(), "lower camel");
  EXPECT_EQ(k.i32(), 100);
  EXPECT_TRUE(std::isnan(k.ratio()));
  EXPECT_EQ(k.small(), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(k.color(), Kinds::GREEN);
  EXPECT_EQ(k.blob(), "\xff\xef");
  EXPECT_EQ(k.text(), "");
  EXPECT_EQ(k.u64(), std::numeric_limits<std::uint64_t>::max());
}

// Boost.JSON 1.81 may read a number with a fraction or exponent 1 ulp off: those bodies are read by
// protobuf's parser (found by proto_json_fuzz).
TEST(ProtoJson, FloatingPointNumbersReadExactly) {
  Kinds k;
  ASSERT_TRUE(proto_from_json(R"({"ratio":8.88888888888889e+80,"small":0.1,"text":"kept"})", k).ok());
  EXPECT_EQ(k.ratio(), 8.88888888888889e+80);
  EXPECT_EQ(k.small(), 0.1f);
  EXPECT_EQ(k.text(), "kept");
  EXPECT_EQ(proto_from_json(R"({"ratio":1.5,"zzz":1})", k).code(), StatusCode::InvalidArgument);
  Kinds zero, back;
  zero.set_ratio(-0.0);  // written "-0.0": "-0" reads as the integer 0 (found by proto_json_fuzz)
  ASSERT_TRUE(proto_from_json(proto_to_json(zero), back).ok());
  EXPECT_TRUE(std::signbit(back.ratio()));
}

TEST(ProtoJson, RefusesWhatTheMappingRefusesNamingTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"zzz":1})", "unknown field \"zzz\""},
      {R"({"text":5})", "field \"text\": expected a string"},
      {R"({"i32":2147483648})", "field \"i32\": out of range"},
      {R"({"i32":1.5})", "field \"i32\": not an integer"},
      {R"({"u32":-1})", "field \"u32\": out of range"},
      {R"({"i64":"12x"})", "field \"i64\": not an integer"},
      {R"({"i64":"99999999999999999999"})", "field \"i64\": out of range"},
      {R"({"small":"1e39"})", "field \"small\": out of range"},
      {R"({"flag":"true"})", "field \"flag\": expected true or false"},
      {R"({"blob":"!!"})", "field \"blob\": not base64"},
      {R"({"color":"BLUE"})", "field \"color\": unknown value \"BLUE\""},
      {R"({"email":"a","user_id":1})", "another member of oneof choice"},
      {R"({"tags":"x"})", "field \"tags\": expected a JSON array"},
      {R"({"tags":[null]})", "field \"tags\": null is not an element"},
      {R"({"inner":{"zzz":1}})", "unknown field \"zzz\" in svckit_test.Kinds.Inner"},
      {R"({"names":{"x":"y"}})", "field \"key\": not an integer"},
      {R"([1])", "expected a JSON object"},
      {R"({"text":)", "malformed JSON"},
      {"", "request body is empty"},
  };
  for (const auto& [body, want] : cases) {
    Kinds k;
    auto s = proto_from_json(body, k);
    EXPECT_EQ(s.code(), StatusCode::InvalidArgument) << body;
    EXPECT_NE(s.message().find(want), std::string::npos) << body << " → " << s.message();
  }
}

}  // namespace
