#include <cctype>
#include <thread>
#include <vector>

#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>

#include "bare_servers.hpp"
#include "stringsvc.grpc.pb.h"

namespace {

using stringsvc::pb::StringService;
using stringsvc::pb::UppercaseReply;
using stringsvc::pb::UppercaseRequest;

// The textbook async server: one object per call, handled inline on the queue thread.
class CallData {
 public:
  CallData(StringService::AsyncService* svc, grpc::ServerCompletionQueue* cq) : svc_(svc), cq_(cq), responder_(&ctx_) {
    svc_->RequestUppercase(&ctx_, &req_, &responder_, cq_, cq_, this);
  }
  void proceed(bool ok) {
    if (finished_ || !ok) {
      delete this;
      return;
    }
    new CallData(svc_, cq_);
    std::string s = req_.s();
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    reply_.set_v(std::move(s));
    finished_ = true;
    responder_.Finish(reply_, grpc::Status::OK, this);
  }

 private:
  StringService::AsyncService* svc_;
  grpc::ServerCompletionQueue* cq_;
  grpc::ServerContext ctx_;
  UppercaseRequest req_;
  UppercaseReply reply_;
  grpc::ServerAsyncResponseWriter<UppercaseReply> responder_;
  bool finished_ = false;
};

}  // namespace

namespace bench {

void run_bare_grpc(std::uint16_t port, int cq_threads) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);  // same setting as svckit, for fairness
  StringService::AsyncService svc;
  grpc::ServerBuilder b;
  b.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials());
  b.RegisterService(&svc);
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> cqs;
  for (int i = 0; i < cq_threads; ++i) cqs.push_back(b.AddCompletionQueue());
  auto server = b.BuildAndStart();
  std::vector<std::thread> ts;
  for (auto& cq : cqs) {
    for (int i = 0; i < 32; ++i) new CallData(&svc, cq.get());
    ts.emplace_back([cq = cq.get()] {
      void* tag;
      bool ok;
      while (cq->Next(&tag, &ok)) static_cast<CallData*>(tag)->proceed(ok);
    });
  }
  for (auto& t : ts) t.join();
}

}  // namespace bench
