// The hand-written side of the generated greeter bindings: what a user writes in service.cpp.
#include "greeter_service.hpp"

#include <charconv>

namespace greeter {

boost::asio::awaitable<svckit::Result<HelloReply>> GreeterService::say_hello(const svckit::Context&,
                                                                             const HelloRequest& request) {
  if (request.name().empty()) co_return svckit::invalid_argument("name is empty");
  ++calls_;
  HelloReply reply;
  reply.set_message("hello " + request.name() + " from " + instance_);
  co_return reply;
}

boost::asio::awaitable<svckit::Result<DeleteRequest_Done>> GreeterService::delete_(const svckit::Context&,
                                                                                   const DeleteRequest& request) {
  DeleteRequest_Done done;
  done.set_deleted(!request.id().empty());
  co_return done;
}

boost::asio::awaitable<svckit::Status> GreeterService::countdown(const svckit::Context&, const HelloRequest& request,
                                                                svckit::StreamWriter<HelloReply>& out) {
  int from = 3;
  if (!request.name().empty()) {
    auto [end, ec] = std::from_chars(request.name().data(), request.name().data() + request.name().size(), from);
    if (ec != std::errc() || end != request.name().data() + request.name().size() || from < 0 || from > 1000)
      co_return svckit::invalid_argument("not a count from 0 to 1000: " + request.name().substr(0, 32));
  }
  for (int i = from; i > 0; --i) {
    HelloReply reply;
    reply.set_message(std::to_string(i) + " from " + instance_);
    if (!co_await out.write(reply)) co_return svckit::Status(svckit::StatusCode::Cancelled, "the caller left");
  }
  co_return svckit::Status();
}

std::shared_ptr<Service> make_service() { return std::make_shared<GreeterService>("test"); }

}  // namespace greeter
