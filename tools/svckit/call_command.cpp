// svckit call SERVICE/Method '{json}': like grpcurl, but it finds the service in the registry, balances
// over its instances and retries elsewhere, through the same sd::Endpointer services use. A
// server-streaming method prints each reply as a line of JSON as it arrives.
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <google/protobuf/compiler/importer.h>
#include <google/protobuf/dynamic_message.h>

#include "protoc-gen-svckit/names.hpp"
#include "svckit/api/http.pb.h"
#include "registry_commands.hpp"
#include "svckit/address.hpp"
#include "svckit/codec/proto_json.hpp"
#include "svckit/sd/endpointer.hpp"
#include "svckit/sd/registry.hpp"
#include "svckit/sd/retry.hpp"
#include "svckit/tls.hpp"
#include "svckit/transport/http/route_binding.hpp"
#include "svckit/transport/grpc/client.hpp"
#include "svckit/transport/http/client.hpp"
#include "tool_support.hpp"

namespace svckit::cli {

namespace asio = boost::asio;
namespace pb = google::protobuf;
using JsonEndpoint = Endpoint<std::string, std::string>;

namespace {

/// protoc-style messages ("file.proto:3:7: error") collected for one error line.
class ProtoErrors : public pb::compiler::MultiFileErrorCollector {
 public:
  void AddError(const std::string& file, int line, int column, const std::string& message) override {
    text += "\n  " + file + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message;
  }
  std::string text;
};

/// The method a call names, found in the given .proto files.
struct MethodRef {
  const pb::MethodDescriptor* method = nullptr;
  std::string error;
};

MethodRef find_method(const std::vector<const pb::FileDescriptor*>& files, const std::string& service,
                      const std::string& method) {
  std::vector<const pb::ServiceDescriptor*> all;
  for (auto* f : files)
    for (int i = 0; i < f->service_count(); ++i) all.push_back(f->service(i));
  const pb::ServiceDescriptor* svc = nullptr;
  for (auto* s : all)
    if (s->name() == service || s->full_name() == service || gen::registry_name(s) == service) svc = s;
  if (!svc && all.size() == 1) svc = all[0];  // one service in the files: the registry name may differ
  if (!svc) {
    std::string names;
    for (auto* s : all) names += (names.empty() ? "" : ", ") + s->full_name();
    return {nullptr, "service '" + service + "' is not in the given .proto files (they define: " +
                         (names.empty() ? "no services" : names) + ")"};
  }
  for (int i = 0; i < svc->method_count(); ++i) {
    auto* m = svc->method(i);
    if (m->name() == method || gen::snake_case(m->name()) == method || gen::kebab_case(m->name()) == method) {
      if (m->client_streaming())
        return {nullptr, m->full_name() + " is a client- or bidirectional-streaming method; svckit call makes unary and "
                                          "server-streaming calls"};
      return {m, ""};
    }
  }
  std::string names;
  for (int i = 0; i < svc->method_count(); ++i) names += (i ? ", " : "") + svc->method(i)->name();
  return {nullptr, "method '" + method + "' is not in service " + svc->full_name() + " (it has: " +
                       (names.empty() ? "no methods" : names) + ")"};
}

/// Over gRPC: JSON → the request message (via the descriptor) → bytes → reply message → JSON.
JsonEndpoint grpc_json_endpoint(const std::string& address, const pb::MethodDescriptor* m,
                                std::shared_ptr<pb::DynamicMessageFactory> factory,
                                std::shared_ptr<const tls::Credentials> tls) {
  auto channel = grpc::make_channel(address, {.tls = std::move(tls)});
  std::string full = "/" + m->service()->full_name() + "/" + m->name();
  return [channel, full, m, factory](const Context& ctx, const std::string& json) -> asio::awaitable<Result<std::string>> {
    std::unique_ptr<pb::Message> req(factory->GetPrototype(m->input_type())->New());
    if (auto s = json::proto_from_json(json, *req); !s.ok()) co_return s;
    auto bytes = co_await grpc::unary_call(channel, full, ctx, grpc::serialize_message(*req));
    if (!bytes.ok()) co_return bytes.status();
    std::unique_ptr<pb::Message> reply(factory->GetPrototype(m->output_type())->New());
    if (auto s = grpc::parse_message(*bytes, *reply); !s.ok())
      co_return Status(StatusCode::Internal, "reply is not a " + m->output_type()->full_name() + ": " + s.message());
    co_return json::proto_to_json(*reply);
  };
}

/// A server-streaming method over gRPC: each reply as one line of JSON (JSON Lines).
struct JsonStream {
  StreamEndpoint<std::string, std::string> call;
};
JsonStream grpc_json_stream(const std::string& address, const pb::MethodDescriptor* m, std::shared_ptr<pb::DynamicMessageFactory> factory,
                            std::shared_ptr<const tls::Credentials> tls) {
  auto channel = grpc::make_channel(address, {.tls = std::move(tls)});
  std::string full = "/" + m->service()->full_name() + "/" + m->name();
  return {[channel, full, m, factory](const Context& ctx, const std::string& json, StreamWriter<std::string>& out) -> asio::awaitable<Status> {
    std::unique_ptr<pb::Message> req(factory->GetPrototype(m->input_type())->New());
    if (auto s = json::proto_from_json(json, *req); !s.ok()) co_return s;
    Status bad;
    grpc::MessageSink sink = [&](const ::grpc::ByteBuffer& bytes) -> asio::awaitable<bool> {
      std::unique_ptr<pb::Message> reply(factory->GetPrototype(m->output_type())->New());
      if (auto s = grpc::parse_message(bytes, *reply); !s.ok()) {
        bad = Status(StatusCode::Internal, "a reply is not a " + m->output_type()->full_name() + ": " + s.message());
        co_return false;
      }
      co_return co_await out.write(json::proto_to_json(*reply));
    };
    Status s = co_await grpc::server_stream_call(channel, full, ctx, grpc::serialize_message(*req), sink);
    co_return bad.ok() ? s : bad;
  }};
}

/// Over HTTP: POST /<method-in-kebab-case> with the JSON as is (svckit's generated route).
/// Where svckit/api/http.proto is (beside an installed svckit, bin/../include, or this source tree's), and
/// protobuf's own .proto files (google/protobuf/descriptor.proto, which it imports).
std::vector<std::string> svckit_proto_dirs() {
  std::vector<std::string> dirs;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec && std::filesystem::exists(exe.parent_path().parent_path() / "include/svckit/api/http.proto", ec))
    dirs.push_back((exe.parent_path().parent_path() / "include").string());
  if (std::filesystem::exists(SVCKIT_SOURCE_INCLUDE_DIR "/svckit/api/http.proto", ec)) dirs.push_back(SVCKIT_SOURCE_INCLUDE_DIR);
  if (std::filesystem::exists(SVCKIT_PROTOBUF_INCLUDE_DIR "/google/protobuf/descriptor.proto", ec))
    dirs.push_back(SVCKIT_PROTOBUF_INCLUDE_DIR);
  return dirs;
}

/// How an rpc is reached over HTTP: its first declared route ((svckit.api.http) in the .proto), else
/// POST /<kebab-case name> with a JSON body.
struct HttpRoute {
  http::Verb verb = http::Verb::post;
  std::string pattern;
  http::RouteFields fields;  // {field} segments; query: the rest travels in the query string
  const pb::Descriptor* input = nullptr;  // to fill the path and query string from the request's JSON
};

HttpRoute http_route(const pb::MethodDescriptor* m, const std::string& method) {
  HttpRoute r{.pattern = "/" + gen::kebab_case(m ? m->name() : method)};
  if (!m) return r;
  // The importer keeps an option it does not know as unknown fields: read again, the extension linked into
  // this program (svckit::http) finds it.
  pb::MethodOptions options;
  options.ParseFromString(m->options().SerializeAsString());
  if (!options.HasExtension(svckit::api::http)) return r;
  const auto& rule = options.GetExtension(svckit::api::http);
  using Rule = svckit::api::HttpRule;
  switch (rule.pattern_case()) {
    case Rule::kGet: r.verb = http::Verb::get, r.pattern = rule.get(); break;
    case Rule::kPut: r.verb = http::Verb::put, r.pattern = rule.put(); break;
    case Rule::kPost: r.verb = http::Verb::post, r.pattern = rule.post(); break;
    case Rule::kDelete: r.verb = http::Verb::delete_, r.pattern = rule.delete_(); break;
    case Rule::kPatch: r.verb = http::Verb::patch, r.pattern = rule.patch(); break;
    default: return r;
  }
  for (auto open = r.pattern.find('{'); open != std::string::npos; open = r.pattern.find('{', open + 1))
    r.fields.path.push_back(r.pattern.substr(open + 1, r.pattern.find('}', open) - open - 1));
  r.fields.query = rule.body() != "*";
  r.input = m->input_type();
  return r;
}

JsonEndpoint http_json_endpoint(const std::string& address, HttpRoute route, std::shared_ptr<pb::DynamicMessageFactory> factory,
                                std::shared_ptr<const tls::Credentials> tls) {
  auto [host, port] = split_host_port(address);
  auto client = std::make_shared<http::Client>(host, port, http::ClientOptions{.tls = std::move(tls)});
  return [client, route, factory](const Context& ctx, const std::string& json) -> asio::awaitable<Result<std::string>> {
    std::string target = route.pattern, body = json;
    if (route.input) {  // a declared route: the path (and query string) from the request's fields
      std::unique_ptr<pb::Message> req(factory->GetPrototype(route.input)->New());
      if (auto s = json::proto_from_json(json, *req); !s.ok()) co_return s;
      target = http::route_target(route.pattern, route.fields, *req);
      if (route.fields.query) body.clear();
    }
    auto res = co_await client->request(ctx, route.verb, target, body);
    if (!res.ok()) co_return res.status();
    if (res->result_int() / 100 != 2) co_return http::status_of(*res);
    co_return std::string(res->body());
  };
}

/// Waits until the instancer has published its first set (or the deadline): the registry's answer.
asio::awaitable<Status> wait_first_set(sd::Instancer& instancer, std::chrono::milliseconds limit) {
  auto ex = co_await asio::this_coro::executor;
  auto got = std::make_shared<std::optional<Status>>();
  auto timer = std::make_shared<asio::steady_timer>(ex, limit);
  auto sub = instancer.subscribe(ex, [got, timer](const sd::InstanceUpdate& u) {
    if (*got) return;
    *got = u.status;
    timer->cancel();  // the callback runs on ex, like this coroutine: no race
  });
  co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
  if (!*got) co_return unavailable("no answer from the registry in " + std::to_string(limit.count()) + " ms");
  co_return **got;
}

}  // namespace

int call_method(const RegistryFlags& flags, const CallFlags& call, std::ostream& out, std::ostream& err) {
  auto slash = call.target.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == call.target.size()) {
    err << "error: name the method as SERVICE/Method (e.g. notificator/SendEmail), not '" << call.target << "'\n";
    return 2;
  }
  std::string service = call.target.substr(0, slash), method = call.target.substr(slash + 1);

  // Descriptors from the .proto files, when given (required for gRPC).
  pb::compiler::DiskSourceTree tree;
  ProtoErrors proto_errors;
  pb::compiler::Importer importer(&tree, &proto_errors);
  std::vector<const pb::FileDescriptor*> files;
  for (const auto& dir : call.import_paths) tree.MapPath("", dir);
  for (const auto& dir : svckit_proto_dirs()) tree.MapPath("", dir);  // import "svckit/api/http.proto" resolves
  for (const auto& path : call.protos) {
    auto dir = path.find('/') == std::string::npos ? std::string(".") : path.substr(0, path.rfind('/'));
    auto name = path.substr(path.rfind('/') + 1);
    if (call.import_paths.empty()) tree.MapPath("", dir);
    const auto* f = importer.Import(call.import_paths.empty() ? name : path);
    if (!f) {
      err << "error: cannot load " << path << ":" << proto_errors.text << "\n";
      return 2;
    }
    files.push_back(f);
  }
  const pb::MethodDescriptor* m = nullptr;
  if (!files.empty()) {
    auto ref = find_method(files, service, method);
    if (!ref.method) {
      err << "error: " << ref.error << "\n";
      return 2;
    }
    m = ref.method;
    if (m->server_streaming() && call.transport == "http") {
      err << "error: " << m->full_name() << " streams, and streams are served over gRPC only: drop --transport http\n";
      return 2;
    }
    // Check the request against its type before touching the network.
    pb::DynamicMessageFactory check_factory;
    std::unique_ptr<pb::Message> req(check_factory.GetPrototype(m->input_type())->New());
    if (auto s = json::proto_from_json(call.json, *req); !s.ok()) {
      err << "error: the request does not match " << m->input_type()->full_name() << ": " << s.message() << "\n";
      return 2;
    }
  } else if (call.transport == "grpc") {
    err << "error: a gRPC call needs the service's .proto to encode the request: give --proto FILE\n";
    return 2;
  }

  std::shared_ptr<const tls::Credentials> tls;
  try {
    tls = tls::load_client({.ca_file = call.tls_ca, .cert_file = call.tls_cert, .key_file = call.tls_key});
  } catch (const std::invalid_argument& e) {
    err << "error: " << e.what() << "\n";
    return 2;
  }

  // Declared first, so it outlives the instancer whose subscriptions hold its executor.
  asio::io_context io;
  auto registry = open_registry(flags.url, err);
  if (!registry) return 2;
  auto instancer = registry->instancer(service);
  auto factory = std::make_shared<pb::DynamicMessageFactory>();
  const HttpRoute route = http_route(m, method);
  bool missing_proto = false;

  // A server-streaming method: over gRPC only, each reply printed (and flushed) as it comes.
  auto stream = [&](const std::shared_ptr<sd::Instancer>& instances, const Context& ctx) -> asio::awaitable<int> {
    // (co_await in its own statement: GCC 12 mishandles temporaries in an argument list that holds one)
    auto ex = co_await asio::this_coro::executor;
    auto pool = sd::ConnectionPool<JsonStream>::create(
        instances,
        [&](const sd::Instance& i) -> Result<JsonStream> { return grpc_json_stream(i.address, m, factory, i.tls ? tls : nullptr); },
        sd::make_balancer(call.balancer), ex, {.service = service});
    auto print = stream_to<std::string>([&out](const std::string& json) -> asio::awaitable<bool> {
      out << json << std::endl;
      co_return true;
    });
    // (Named, not temporaries in the co_await's expression: GCC 12 destroyed the RetryOptions one twice.)
    const auto balanced = sd::balanced(pool, &JsonStream::call, {.timeout = call.timeout});
    Status s = co_await balanced(ctx, call.json, print);
    if (!s.ok()) {
      err << "error: " << s << "\n";
      co_return 1;
    }
    co_return 0;
  };

  return run_until_done(io, [&]() -> asio::awaitable<int> {
    auto first = co_await wait_first_set(*instancer, flags.timeout);
    if (!first.ok()) {
      err << "error: registry " << svckit::sd::redact_url(flags.url) << " unreachable: " << first.message() << "\n";
      co_return 1;
    }
    if (instancer->size() == 0) {
      err << "error: service '" << service << "' has no instances in " << svckit::sd::redact_url(flags.url) << "\n";
      co_return 1;
    }
    auto ex = co_await asio::this_coro::executor;
    Context ctx;
    ctx.set_request_id(new_request_id());
    ctx.set_timeout(call.timeout);
    if (m && m->server_streaming()) co_return co_await stream(instancer, ctx);
    auto endpointer = sd::Endpointer<std::string, std::string>::create(
        instancer,
        [&](const sd::Instance& i) -> Result<JsonEndpoint> {
          std::string transport = call.transport == "auto" ? (i.transport.empty() ? "grpc" : i.transport) : call.transport;
          auto peer_tls = i.tls ? tls : nullptr;
          if (transport == "http") return http_json_endpoint(i.address, route, factory, peer_tls);
          if (!m) {
            missing_proto = true;
            return Status(StatusCode::FailedPrecondition, i.address + " serves gRPC: give --proto FILE");
          }
          return grpc_json_endpoint(i.address, m, factory, peer_tls);
        },
        sd::make_balancer(call.balancer), ex, {.service = service});
    auto endpoint = sd::balanced(endpointer, {.timeout = call.timeout});
    auto reply = co_await endpoint(ctx, call.json);
    if (missing_proto) {
      err << "error: " << service << " instances serve gRPC: give --proto FILE to encode the request\n";
      co_return 2;
    }
    if (!reply.ok()) {
      err << "error: " << reply.status() << "\n";
      co_return 1;
    }
    out << *reply << "\n";
    co_return 0;
  }());
}

}  // namespace svckit::cli
