// The protobuf JSON codec: svckit's (reflection, straight to and from text) against protobuf's own
// util::MessageToJsonString / JsonStringToMessage, on the small messages an HTTP/JSON route carries.
//   build/bin/proto_json_bench
#include <benchmark/benchmark.h>
#include <google/protobuf/util/json_util.h>

#include "stringsvc.pb.h"
#include "svckit/codec/proto_json.hpp"

namespace {

constexpr const char* kRequest = R"({"s":"ann@example.com"})";

stringsvc::pb::CountReply reply() {
  stringsvc::pb::CountReply r;
  r.set_v(1234567);
  return r;
}

void BM_PrintProtobuf(benchmark::State& state) {
  const auto r = reply();
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  o.always_print_primitive_fields = true;
  for (auto _ : state) {
    std::string out;
    (void)google::protobuf::util::MessageToJsonString(r, &out, o);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_PrintProtobuf);

void BM_PrintSvckit(benchmark::State& state) {
  const auto r = reply();
  for (auto _ : state) benchmark::DoNotOptimize(svckit::json::proto_to_json(r));
}
BENCHMARK(BM_PrintSvckit);

void BM_ParseProtobuf(benchmark::State& state) {
  for (auto _ : state) {
    stringsvc::pb::UppercaseRequest q;
    (void)google::protobuf::util::JsonStringToMessage(kRequest, &q);
    benchmark::DoNotOptimize(q);
  }
}
BENCHMARK(BM_ParseProtobuf);

void BM_ParseSvckit(benchmark::State& state) {
  for (auto _ : state) {
    stringsvc::pb::UppercaseRequest q;
    (void)svckit::json::proto_from_json(kRequest, q);
    benchmark::DoNotOptimize(q);
  }
}
BENCHMARK(BM_ParseSvckit);

}  // namespace

BENCHMARK_MAIN();
