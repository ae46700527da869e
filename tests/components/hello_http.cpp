// An HTTP-only service on the App, built twice by tests/CMakeLists.txt: `hello_http` links svckit::app
// alone (no gRPC, no etcd, no Zipkin), `hello_http_plugins` adds svckit::etcd and svckit::zipkin without
// naming anything of theirs here. tests/e2e/components_test.sh runs both.
#include "svckit/app.hpp"
#include "svckit/transport/http/router.hpp"

int main(int argc, char** argv) {
  svckit::App app("hello", "hello: answers GET /hello");
  app.serve_http();
  return app.main(argc, argv, [&] {
    app.http().add(svckit::http::Verb::get, "/hello",
                   [](svckit::http::Request&) -> boost::asio::awaitable<svckit::http::Response> {
                     co_return svckit::http::json_response(200, R"({"hello":"world"})");
                   });
  });
}
