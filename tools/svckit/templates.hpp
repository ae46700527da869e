// svckit CLI — the files `svckit new service` and `svckit generate docker` write. {{name}} is the service
// name (lower_snake_case), {{Name}} its PascalCase, {{NAME}} its upper case.
#pragma once

namespace svckit::cli::templates {

inline constexpr const char* kProto = R"(// {{name}}: the service's API. Adding an operation is one line in the service below, e.g.
//   rpc SayHello (HelloRequest) returns (HelloReply);
// plus its messages. The next build regenerates the bindings; then override say_hello in service.hpp/.cpp.
syntax = "proto3";
package {{name}};

service {{Name}} {
}
)";

inline constexpr const char* kCMakeLists = R"(# {{name}}: an svckit service. The bindings are regenerated from proto/{{name}}.proto on every build;
# svckit.cmake holds the generator settings (rewrite them with `svckit generate service {{name}}`).
cmake_minimum_required(VERSION 3.25)
project({{name}} LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)

# The libraries the bindings need (svckit::app, svckit::http, svckit::grpc, svckit::sd) come with them;
# etcd and zipkin plug in by name: link the ones you use (docs/components.md).
find_package(svckit CONFIG REQUIRED COMPONENTS app etcd zipkin)
include(${CMAKE_CURRENT_SOURCE_DIR}/svckit.cmake)

# {{name}}_api: messages + generated bindings; {{name}}_test: the generated test suite.
svckit_service_library({{name}}_api PROTO proto/{{name}}.proto TRANSPORT ${SVCKIT_TRANSPORT} ${SVCKIT_DMW}
                       TEST {{name}}_test)

add_library({{name}}_service STATIC service.cpp)
target_link_libraries({{name}}_service PUBLIC {{name}}_api)

add_executable({{name}} main.cpp)
target_link_libraries({{name}} PRIVATE {{name}}_service svckit::etcd svckit::zipkin)  # --registry etcd://, --trace-exporter zipkin
svckit_link_allocator({{name}})

target_link_libraries({{name}}_test PRIVATE {{name}}_service)
enable_testing()
add_test(NAME {{name}}_test COMMAND {{name}}_test)
)";

inline constexpr const char* kServiceHpp = R"(// {{name}}: the service's logic. Created once by `svckit new service`; the generator never touches it.
#pragma once

#include <memory>

#include "{{name}}.svckit.h"  // generated from proto/{{name}}.proto: Service, Endpoints, transports, Client

namespace {{name}} {

/// One override per rpc of proto/{{name}}.proto; an rpc not overridden answers UNIMPLEMENTED.
class {{Name}}Service final : public Service {
 public:
  // For `rpc SayHello (HelloRequest) returns (HelloReply);`:
  // boost::asio::awaitable<svckit::Result<HelloReply>> say_hello(const svckit::Context& ctx,
  //                                                              const HelloRequest& request) override;
};

}  // namespace {{name}}
)";

inline constexpr const char* kServiceCpp = R"(// {{name}}: the service's logic. Created once by `svckit new service`; the generator never touches it.
#include "service.hpp"

namespace {{name}} {

// boost::asio::awaitable<svckit::Result<HelloReply>> {{Name}}Service::say_hello(const svckit::Context&,
//                                                                               const HelloRequest& request) {
//   if (request.name().empty()) co_return svckit::invalid_argument("name is empty");
//   HelloReply reply;
//   reply.set_message("hello " + request.name());
//   co_return reply;
// }

// The service main.cpp serves and the generated test checks.
std::shared_ptr<Service> make_service() { return std::make_shared<{{Name}}Service>(); }

}  // namespace {{name}}
)";

inline constexpr const char* kMainCpp = R"(// {{name}}: wiring. The servers the bindings were generated for (gRPC and/or HTTP: svckit.cmake), the
// debug listener (/metrics, /healthz, /readyz), registration with --registry, graceful shutdown on SIGTERM:
// all from svckit::App (--help lists the flags). Created once by `svckit new service`; yours to change.
#include "service.hpp"
#include "svckit/app.hpp"

int main(int argc, char** argv) {
  svckit::App app({{name}}::kServiceName, "{{name}}: an svckit service");
  {{name}}::add_servers(app);
  return app.main(argc, argv, [&] { {{name}}::add_endpoints(app, {{name}}::make_endpoints({{name}}::make_service())); });
}
)";

inline constexpr const char* kReadme = R"(# {{name}}

An [svckit](https://example.invalid/svckit) service, scaffolded by `svckit new service {{name}}`.

| file | whose |
|---|---|
| `proto/{{name}}.proto` | yours: the API; adding an operation is one `rpc` line (plus its messages) |
| `service.hpp`, `service.cpp` | yours: the logic, one override per rpc |
| `main.cpp`, `CMakeLists.txt` | yours: wiring and build (created once, never overwritten) |
| `svckit.cmake` | the generator's settings: rewrite with `svckit generate service {{name}} [-t grpc\|http\|both] [--dmw]` |
| `build/{{name}}_api_gen/` | generated on every build: `{{name}}.svckit.h` (interface, endpoints, transports, client) and the test suite |

```sh
cmake -S . -B build && cmake --build build      # needs an installed svckit (CMAKE_PREFIX_PATH)
build/{{name}}_test                             # the generated tests
build/{{name}} --registry etcd://127.0.0.1:2379 --grpc-addr 127.0.0.1:0 --http-addr 127.0.0.1:0
svckit ls {{name}}                              # its instances in etcd
svckit call {{name}}/SayHello '{"name":"ann"}' --proto proto/{{name}}.proto
```

Every rpc is served over gRPC (`/{{name}}.{{Name}}/Method`) and HTTP/JSON (`POST /method-in-kebab-case`).
Other services call it with the generated `{{name}}::Client` (registry lookup, balancing, retries).
)";

inline constexpr const char* kDockerfile = R"(# {{name}}: built against svckit installed in the build image, run on a slim Debian 12.
# `svckit generate docker` wrote this file. The build image is any Debian 12 with svckit installed
# (e.g. `scripts/install-deps.sh && cmake --install build` in svckit's repository); pass it as SVCKIT_IMAGE.
ARG SVCKIT_IMAGE=svckit:latest
FROM ${SVCKIT_IMAGE} AS build
COPY . /src/{{name}}
RUN cmake -S /src/{{name}} -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build /build \
 && /build/{{name}}_test

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libboost-json1.81.0 libssl3 libtcmalloc-minimal4 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/{{name}} /usr/local/bin/{{name}}
EXPOSE 8080 8081 8082
# Listen on every interface (a service reads only the addresses of the servers it has).
ENV SVCKIT_HTTP_ADDR=0.0.0.0:8080 SVCKIT_GRPC_ADDR=0.0.0.0:8081 SVCKIT_DEBUG_ADDR=0.0.0.0:8082
ENTRYPOINT ["/usr/local/bin/{{name}}"]
)";

inline constexpr const char* kComposeHeader = R"(# Written by `svckit generate docker`: a 3-member etcd cluster and every service, registered in it.
# Not exercised on svckit's CI machine (no Docker engine there); its structure is checked by a test.
services:
)";

/// One etcd member; {{i}} is 1, 2 or 3, {{client_port}} its host port.
inline constexpr const char* kComposeEtcd = R"(  etcd{{i}}:
    image: quay.io/coreos/etcd:v3.4.27
    command:
      - etcd
      - --name=etcd{{i}}
      - --data-dir=/etcd-data
      - --listen-client-urls=http://0.0.0.0:2379
      - --advertise-client-urls=http://etcd{{i}}:2379
      - --listen-peer-urls=http://0.0.0.0:2380
      - --initial-advertise-peer-urls=http://etcd{{i}}:2380
      - --initial-cluster=etcd1=http://etcd1:2380,etcd2=http://etcd2:2380,etcd3=http://etcd3:2380
      - --initial-cluster-state=new
      - --initial-cluster-token=svckit
    ports:
      - "{{client_port}}:2379"
)";

inline constexpr const char* kComposeService = R"(  {{name}}:
    build:
      context: ./{{name}}
    command:
      - --registry=etcd://etcd1:2379,etcd2:2379,etcd3:2379
      - --advertise={{name}}:8081
    depends_on:
      - etcd1
      - etcd2
      - etcd3
    ports:
      - "{{http_port}}:8080"
      - "{{grpc_port}}:8081"
      - "{{debug_port}}:8082"
)";

}  // namespace svckit::cli::templates
