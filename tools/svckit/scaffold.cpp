// svckit new service / generate service / generate docker.
#include "scaffold.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <utility>
#include <vector>

#include <google/protobuf/compiler/importer.h>

#include "protoc-gen-svckit/names.hpp"
#include "templates.hpp"

namespace svckit::cli {

namespace fs = std::filesystem;
namespace pb = google::protobuf;

namespace {

/// "hello_world" → "HelloWorld".
std::string pascal_case(const std::string& snake) {
  std::string out;
  bool up = true;
  for (char c : snake) {
    if (c == '_') {
      up = true;
    } else {
      out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
      up = false;
    }
  }
  return out;
}

/// Why a service name is unusable, or "" when it is fine.
std::string check_name(const std::string& name) {
  if (name.empty()) return "the service name is empty";
  if (!(name[0] >= 'a' && name[0] <= 'z')) return "a service name starts with a lower-case letter";
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return "a service name has only lower-case letters, digits and '_' (lower_snake_case)";
  if (gen::identifier(name) != name) return "'" + name + "' is a C++ keyword";
  // The proto service is PascalCase(name); its snake_case must be the name again (hello_world ↔ HelloWorld).
  if (gen::snake_case(pascal_case(name)) != name)
    return "'" + name + "' does not survive snake_case → PascalCase → snake_case (try " +
           gen::snake_case(pascal_case(name)) + ")";
  return "";
}

/// Replaces every {{placeholder}} of the list in text.
std::string fill(std::string text, const std::vector<std::pair<std::string, std::string>>& values) {
  for (const auto& [from, to] : values)
    for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) text.replace(at, from.size(), to);
  return text;
}

/// A template for the service `name`: {{name}}, {{Name}} (PascalCase), {{NAME}} (upper case).
std::string render(const std::string& text, const std::string& name) {
  std::string macro;
  for (char c : name) macro += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return fill(text, {{"{{Name}}", pascal_case(name)}, {"{{NAME}}", macro}, {"{{name}}", name}});
}

bool write_file(const fs::path& path, const std::string& text, std::ostream& err) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) {
    err << "error: cannot write " << path.string() << "\n";
    return false;
  }
  return true;
}

std::string settings_text(const ServiceFlags& flags) {
  std::string cmd = "svckit generate service " + flags.name + " -t " + flags.transport + (flags.dmw ? " --dmw" : "");
  return "# Generator settings for " + flags.name + ", written by `" + cmd +
         "`.\n# Do not edit: re-run the command (the bindings follow on the next build).\n"
         "set(SVCKIT_TRANSPORT " + flags.transport + ")\nset(SVCKIT_DMW " + (flags.dmw ? "DMW" : "") + ")\n";
}

/// Reads the service's .proto like protoc would and prints what the generator makes of each rpc.
bool describe_bindings(const fs::path& dir, const ServiceFlags& flags, std::ostream& out, std::ostream& err) {
  struct Errors : pb::compiler::MultiFileErrorCollector {
    void AddError(const std::string& file, int line, int column, const std::string& message) override {
      text += "  " + file + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message + "\n";
    }
    std::string text;
  } errors;
  pb::compiler::DiskSourceTree tree;
  tree.MapPath("", (dir / "proto").string());
  pb::compiler::Importer importer(&tree, &errors);
  const auto* file = importer.Import(flags.name + ".proto");
  if (!file) {
    err << "error: proto/" << flags.name << ".proto does not compile:\n" << errors.text;
    return false;
  }
  for (int i = 0; i < file->service_count(); ++i) {
    const auto* s = file->service(i);
    out << "service " << s->full_name() << " → namespace " << gen::service_namespace(s) << ", registers as \""
        << gen::registry_name(s) << "\"\n";
    for (int j = 0; j < s->method_count(); ++j) {
      const auto* m = s->method(j);
      out << "  " << gen::identifier(gen::snake_case(m->name())) << "()";
      if (flags.transport != "http") out << "  gRPC /" << s->full_name() << "/" << m->name();
      if (flags.transport != "grpc") out << "  HTTP POST /" << gen::kebab_case(m->name());
      out << "\n";
    }
    if (s->method_count() == 0) out << "  (no rpc yet: add one to proto/" << flags.name << ".proto)\n";
  }
  return true;
}

struct UserFile {
  const char* path;
  const char* text;
};
const std::vector<UserFile>& user_files() {
  static const std::vector<UserFile> files = {
      {"CMakeLists.txt", templates::kCMakeLists}, {"service.hpp", templates::kServiceHpp},
      {"service.cpp", templates::kServiceCpp},    {"main.cpp", templates::kMainCpp},
      {"README.md", templates::kReadme}};
  return files;
}

bool check_flags(const ServiceFlags& flags, std::ostream& err) {
  if (auto why = check_name(flags.name); !why.empty()) {
    err << "error: " << why << "\n";
    return false;
  }
  if (flags.transport != "grpc" && flags.transport != "http" && flags.transport != "both") {
    err << "error: -t must be grpc, http or both, not '" << flags.transport << "'\n";
    return false;
  }
  return true;
}

}  // namespace

int new_service(const ServiceFlags& flags, std::ostream& out, std::ostream& err) {
  if (!check_flags(flags, err)) return 2;
  fs::path dir = fs::path(flags.module) / flags.name;
  if (fs::exists(dir)) {
    err << "error: " << dir.string() << " already exists (to regenerate its bindings: svckit generate service "
        << flags.name << ")\n";
    return 2;
  }
  std::error_code ec;
  fs::create_directories(dir / "proto", ec);
  if (ec) {
    err << "error: cannot create " << dir.string() << ": " << ec.message() << "\n";
    return 1;
  }
  if (!write_file(dir / "proto" / (flags.name + ".proto"), render(templates::kProto, flags.name), err)) return 1;
  for (const auto& f : user_files())
    if (!write_file(dir / f.path, render(f.text, flags.name), err)) return 1;
  if (!write_file(dir / "svckit.cmake", settings_text(flags), err)) return 1;
  out << "created " << dir.string() << "/ (proto/" << flags.name
      << ".proto, service.hpp, service.cpp, main.cpp, CMakeLists.txt, svckit.cmake, README.md)\n";
  if (!describe_bindings(dir, flags, out, err)) return 2;
  out << "next: add an rpc to proto/" << flags.name << ".proto, implement it in service.cpp, then\n"
      << "  cmake -S " << dir.string() << " -B " << (dir / "build").string() << " && cmake --build "
      << (dir / "build").string() << " && " << (dir / "build").string() << "/" << flags.name << "_test\n";
  return 0;
}

int generate_service(const ServiceFlags& flags, std::ostream& out, std::ostream& err) {
  if (!check_flags(flags, err)) return 2;
  fs::path dir = fs::path(flags.module) / flags.name;
  if (!fs::exists(dir / "proto" / (flags.name + ".proto"))) {
    err << "error: no service " << flags.name << " in " << flags.module << " (" << (dir / "proto").string() << "/"
        << flags.name << ".proto is missing; create one with: svckit new service " << flags.name << ")\n";
    return 2;
  }
  if (!describe_bindings(dir, flags, out, err)) return 2;
  if (!write_file(dir / "svckit.cmake", settings_text(flags), err)) return 1;
  out << "wrote " << (dir / "svckit.cmake").string() << " (transport " << flags.transport
      << (flags.dmw ? ", default middleware" : "") << "); the bindings are regenerated on the next build\n";
  // Your files are yours: only the missing ones are created.
  for (const auto& f : user_files()) {
    if (fs::exists(dir / f.path)) continue;
    if (!write_file(dir / f.path, render(f.text, flags.name), err)) return 1;
    out << "created missing " << (dir / f.path).string() << "\n";
  }
  return 0;
}

int generate_docker(const std::string& module, std::ostream& out, std::ostream& err) {
  std::vector<std::string> services;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(module, ec)) {
    auto name = entry.path().filename().string();
    if (entry.is_directory() && fs::exists(entry.path() / "svckit.cmake") &&
        fs::exists(entry.path() / "proto" / (name + ".proto")))
      services.push_back(name);
  }
  if (ec) {
    err << "error: cannot read " << module << ": " << ec.message() << "\n";
    return 2;
  }
  if (services.empty()) {
    err << "error: no service folders in " << module << " (create one with: svckit new service NAME)\n";
    return 2;
  }
  std::sort(services.begin(), services.end());
  std::string compose = templates::kComposeHeader;
  // etcd members on host ports 2379, 22379, 32379 (etcd's own convention for local clusters).
  for (int i = 1; i <= 3; ++i)
    compose += fill(templates::kComposeEtcd, {{"{{i}}", std::to_string(i)},
                                              {"{{client_port}}", std::to_string(i == 1 ? 2379 : i * 10000 + 2379)}});
  int index = 0;
  for (const auto& name : services) {
    if (!write_file(fs::path(module) / name / "Dockerfile", render(templates::kDockerfile, name), err)) return 1;
    // Host ports: 8000 + 10·i for HTTP, +1 gRPC, +2 debug, so services do not collide.
    int base = 8000 + 10 * index++;
    compose += fill(render(templates::kComposeService, name), {{"{{http_port}}", std::to_string(base)},
                                                                {"{{grpc_port}}", std::to_string(base + 1)},
                                                                {"{{debug_port}}", std::to_string(base + 2)}});
  }
  if (!write_file(fs::path(module) / "docker-compose.yml", compose, err)) return 1;
  out << "wrote " << (fs::path(module) / "docker-compose.yml").string() << " (etcd1-3";
  for (const auto& s : services) out << ", " << s;
  out << ") and a Dockerfile in each service folder\n";
  return 0;
}

}  // namespace svckit::cli
