#include "transport.hpp"

#include "svckit/address.hpp"
#include "svckit/codec/proto_json.hpp"
#include "svckit/transport/grpc/client.hpp"
#include "svckit/transport/http/client.hpp"
#include "svckit/transport/http/serve.hpp"

namespace stringsvc {

using svckit::http::Verb;

void add_http_routes(svckit::http::Router& router, const Endpoints& e) {
  router.add(Verb::post, "/uppercase", svckit::http::serve(e.uppercase));
  router.add(Verb::post, "/count", svckit::http::serve(e.count));
}

void add_grpc_methods(svckit::grpc::Server& server, const Endpoints& e) {
  server.add(kUppercaseMethod, e.uppercase);
  server.add(kCountMethod, e.count);
}

Endpoints make_http_client(const std::string& address) {
  auto [host, port] = svckit::split_host_port(address);
  auto client = std::make_shared<svckit::http::Client>(host, port);
  return {svckit::http::json_client<UppercaseRequest, UppercaseReply>(client, Verb::post, "/uppercase"),
          svckit::http::json_client<CountRequest, CountReply>(client, Verb::post, "/count")};
}

Endpoints make_grpc_client(const std::string& address) {
  auto channel = svckit::grpc::make_channel(address);
  return {svckit::grpc::client_endpoint<UppercaseRequest, UppercaseReply>(channel, kUppercaseMethod),
          svckit::grpc::client_endpoint<CountRequest, CountReply>(channel, kCountMethod)};
}

}  // namespace stringsvc
