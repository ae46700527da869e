// svckit: scaffold and generate services, inspect and call the registry.
//   svckit new service greeter                       a service folder that builds and passes its test
//   svckit generate service greeter -t grpc --dmw    generator settings; bindings follow on the next build
//   svckit generate docker                           Dockerfiles + docker-compose.yml (3-member etcd)
//   svckit ls [SERVICE]                              services and instances: address, lease TTL, metadata
//   svckit watch SERVICE                             live adds and removes
//   svckit call SERVICE/Method '{json}' --proto F    resolve, balance, call, print the JSON reply (a stream's
//                                                    replies one JSON line each)
// The registry is --registry URL, else $SVCKIT_REGISTRY, else etcd://127.0.0.1:2379.
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>

#include "registry_commands.hpp"
#include "scaffold.hpp"

int main(int argc, char** argv) {
  using namespace svckit::cli;
  CLI::App app{"svckit: scaffold and generate svckit services, inspect and call the service registry"};
  app.require_subcommand(1);
  app.fallthrough();  // --registry may come after the subcommand too

  RegistryFlags registry{.url = "etcd://127.0.0.1:2379"};
  int timeout_ms = 3000;
  app.add_option("--registry", registry.url, "registry URL: etcd://host:port[,host:port…][/root] or static://…")
      ->envname("SVCKIT_REGISTRY")
      ->capture_default_str();
  app.add_option("--registry-timeout-ms", timeout_ms, "how long to wait for the registry")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();

  ServiceFlags service;
  auto add_service_flags = [&](CLI::App* cmd) {
    cmd->add_option("NAME", service.name, "the service name, lower_snake_case")->required();
    cmd->add_option("--module", service.module, "the folder holding service folders")->capture_default_str();
    cmd->add_option("-t,--transport", service.transport, "bindings to generate: grpc, http or both")
        ->check(CLI::IsMember({"grpc", "http", "both"}))
        ->capture_default_str();
    cmd->add_flag("--dmw", service.dmw, "wrap every endpoint in the default logging and metrics middleware");
  };
  auto* new_cmd = app.add_subcommand("new", "create something new")->require_subcommand(1);
  auto* new_service_cmd = new_cmd->add_subcommand("service", "a new service folder: .proto, logic, main, CMake, test");
  add_service_flags(new_service_cmd);

  auto* gen_cmd = app.add_subcommand("generate", "(re)generate bindings or deployment files")->require_subcommand(1);
  auto* gen_service_cmd = gen_cmd->add_subcommand("service", "rewrite a service's generator settings and list its bindings");
  add_service_flags(gen_service_cmd);
  std::string docker_module = ".";
  auto* gen_docker_cmd = gen_cmd->add_subcommand("docker", "a Dockerfile per service and a docker-compose.yml");
  gen_docker_cmd->add_option("--module", docker_module, "the folder holding service folders")->capture_default_str();

  std::string ls_service;
  auto* ls_cmd = app.add_subcommand("ls", "list services and their instances");
  ls_cmd->add_option("SERVICE", ls_service, "only this service");

  std::string watch_service;
  int max_changes = 0;
  auto* watch_cmd = app.add_subcommand("watch", "print a service's instances, then every change, until Ctrl-C");
  watch_cmd->add_option("SERVICE", watch_service, "the service")->required();
  watch_cmd->add_option("--count", max_changes, "exit after this many changes (0: never)")->capture_default_str();

  CallFlags call;
  int call_timeout_ms = 5000;
  auto* call_cmd = app.add_subcommand("call", "call a method on an instance of a service, found in the registry "
                                               "(a server-streaming method prints each reply as a line of JSON)");
  call_cmd->add_option("METHOD", call.target, "SERVICE/Method, e.g. notificator/SendEmail")->required();
  call_cmd->add_option("JSON", call.json, "the request as JSON")->required();
  call_cmd->add_option("--proto", call.protos, "the .proto defining the service (needed for gRPC)")->check(CLI::ExistingFile);
  call_cmd->add_option("-I,--import-path", call.import_paths, "where imports are found (default: the .proto's folder)")
      ->check(CLI::ExistingDirectory);
  call_cmd->add_option("--transport", call.transport, "auto (as registered, else grpc), grpc or http")
      ->check(CLI::IsMember({"auto", "grpc", "http"}))
      ->capture_default_str();
  call_cmd->add_option("--balancer", call.balancer, "round_robin, random, p2c, weighted or consistent_hash")
      ->check(CLI::IsMember({"round_robin", "random", "p2c", "weighted", "consistent_hash"}))
      ->capture_default_str();
  call_cmd->add_option("--timeout-ms", call_timeout_ms, "deadline of the call, retries included (a stream's whole length)")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();
  call_cmd->add_option("--tls-ca", call.tls_ca, "PEM CAs to verify instances registered with TLS (default: system store)");
  call_cmd->add_option("--tls-cert", call.tls_cert, "PEM client certificate, for instances that require one");
  call_cmd->add_option("--tls-key", call.tls_key, "the PEM private key of --tls-cert");

  CLI11_PARSE(app, argc, argv);
  registry.timeout = std::chrono::milliseconds(timeout_ms);
  call.timeout = std::chrono::milliseconds(call_timeout_ms);

  if (*new_service_cmd) return new_service(service, std::cout, std::cerr);
  if (*gen_service_cmd) return generate_service(service, std::cout, std::cerr);
  if (*gen_docker_cmd) return generate_docker(docker_module, std::cout, std::cerr);
  if (*ls_cmd) return list_instances(registry, ls_service, std::cout, std::cerr);
  if (*watch_cmd) return watch_instances(registry, watch_service, max_changes, std::cout, std::cerr);
  if (*call_cmd) return call_method(registry, call, std::cout, std::cerr);
  return 2;
}
