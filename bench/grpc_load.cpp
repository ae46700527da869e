// grpc_load: keeps N unary Uppercase calls in flight for D seconds against host:port using the gRPC async
// API directly (so the client is the same for every server measured), then prints "calls/s errors".
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>

#include "stringsvc.grpc.pb.h"

using stringsvc::pb::StringService;
using stringsvc::pb::UppercaseReply;
using stringsvc::pb::UppercaseRequest;

namespace {
struct Call {
  grpc::ClientContext ctx;
  UppercaseReply reply;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<UppercaseReply>> reader;
};
}  // namespace

int main(int argc, char** argv) {
  std::string target;
  int inflight = 32;
  double seconds = 10;
  int deadline_ms = 5000;
  CLI::App app{"grpc_load"};
  app.add_option("target", target)->required();
  app.add_option("--inflight", inflight)->capture_default_str();
  app.add_option("--seconds", seconds)->capture_default_str();
  app.add_option("--deadline-ms", deadline_ms, "per-call deadline (0: none)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto stub = StringService::NewStub(grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  grpc::CompletionQueue cq;
  UppercaseRequest req;
  req.set_s("hello benchmark");
  auto start_call = [&] {
    auto* c = new Call;
    if (deadline_ms > 0) c->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
    c->reader = stub->PrepareAsyncUppercase(&c->ctx, req, &cq);
    c->reader->StartCall();
    c->reader->Finish(&c->reply, &c->status, c);
  };
  // Warm up the connection.
  {
    grpc::ClientContext ctx;
    UppercaseReply r;
    auto st = stub->Uppercase(&ctx, req, &r);
    if (!st.ok()) {
      std::cerr << "warm-up failed: " << st.error_message() << "\n";
      return 1;
    }
  }
  for (int i = 0; i < inflight; ++i) start_call();
  long ok = 0, errors = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  int outstanding = inflight;
  void* tag;
  bool okflag;
  while (outstanding > 0 && cq.Next(&tag, &okflag)) {
    auto* c = static_cast<Call*>(tag);
    (c->status.ok() ? ok : errors)++;
    delete c;
    --outstanding;
    if (std::chrono::steady_clock::now() < end) {
      start_call();
      ++outstanding;
    }
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << static_cast<long>(ok / took) << " " << errors << "\n";
  cq.Shutdown();
  while (cq.Next(&tag, &okflag)) {
  }
  return 0;
}
