// The hand-written side of the generated greeter bindings: what a user writes in service.cpp.
#include "greeter_service.hpp"

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

std::shared_ptr<Service> make_service() { return std::make_shared<GreeterService>("test"); }

}  // namespace greeter
