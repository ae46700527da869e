// stringsvc — the endpoint layer: one Endpoint per operation, over the protobuf messages, so the same
// endpoints serve gRPC and HTTP/JSON.
#pragma once

#include <memory>

#include "service.hpp"
#include "stringsvc.pb.h"
#include "svckit/endpoint.hpp"

namespace stringsvc {

using pb::CountReply;
using pb::CountRequest;
using pb::UppercaseReply;
using pb::UppercaseRequest;

struct Endpoints {
  svckit::Endpoint<UppercaseRequest, UppercaseReply> uppercase;
  svckit::Endpoint<CountRequest, CountReply> count;
};

/// Server side: endpoints backed by the service, wrapped in the default middleware (logging).
Endpoints make_server_endpoints(std::shared_ptr<StringService> svc);

/// Full gRPC method names, shared by the server bindings and the clients.
inline constexpr const char* kUppercaseMethod = "/stringsvc.pb.StringService/Uppercase";
inline constexpr const char* kCountMethod = "/stringsvc.pb.StringService/Count";

}  // namespace stringsvc
