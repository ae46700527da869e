#include "names.hpp"

#include <cctype>

#include <google/protobuf/descriptor.h>

namespace svckit::gen {

namespace {

std::string separated(std::string_view name, char sep) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (std::isupper(c)) {
      bool prev_lower = i > 0 && (std::islower(static_cast<unsigned char>(name[i - 1])) ||
                                  std::isdigit(static_cast<unsigned char>(name[i - 1])));
      // The last capital of an acronym starts the next word: HTTPStatus → http_status.
      bool acronym_end = i > 0 && std::isupper(static_cast<unsigned char>(name[i - 1])) && i + 1 < name.size() &&
                         std::islower(static_cast<unsigned char>(name[i + 1]));
      if ((prev_lower || acronym_end) && !out.empty() && out.back() != sep) out += sep;
      out += static_cast<char>(std::tolower(c));
    } else if (c == '_' || c == '-') {
      if (!out.empty() && out.back() != sep) out += sep;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// C++ keywords a snake_case .proto name can collide with (rpc Delete → delete_).
constexpr std::string_view kKeywords[] = {
    "alignas",  "alignof",  "and",       "asm",       "auto",      "bool",     "break",    "case",
    "catch",    "char",     "class",     "concept",   "const",     "consteval", "constexpr", "continue",
    "co_await", "co_return", "co_yield", "decltype",  "default",   "delete",   "do",       "double",
    "else",     "enum",     "explicit",  "export",    "extern",    "false",    "float",    "for",
    "friend",   "goto",     "if",        "inline",    "int",       "long",     "mutable",  "namespace",
    "new",      "noexcept", "not",       "operator",  "or",        "private",  "protected", "public",
    "register", "requires", "return",    "short",     "signed",    "sizeof",   "static",   "struct",
    "switch",   "template", "this",      "throw",     "true",      "try",      "typedef",  "typeid",
    "typename", "union",    "unsigned",  "using",     "virtual",   "void",     "volatile", "while"};

}  // namespace

std::string snake_case(std::string_view name) { return separated(name, '_'); }
std::string kebab_case(std::string_view name) { return separated(name, '-'); }

std::string identifier(std::string name) {
  for (auto k : kKeywords)
    if (name == k) return name + "_";
  return name;
}

std::string cpp_namespace(std::string_view package) {
  std::string out;
  for (char c : package) {
    if (c == '.')
      out += "::";
    else
      out += c;
  }
  return out;
}

std::string message_class(const google::protobuf::Descriptor* message) {
  // Nested messages are Outer_Inner in protobuf's C++ code.
  std::string name = message->name();
  for (auto* outer = message->containing_type(); outer; outer = outer->containing_type())
    name = outer->name() + "_" + name;
  auto ns = cpp_namespace(message->file()->package());
  return (ns.empty() ? "::" : "::" + ns + "::") + name;
}

std::string service_namespace(const google::protobuf::ServiceDescriptor* service) {
  const std::string& package = service->file()->package();
  std::string snake = identifier(snake_case(service->name()));
  auto last_dot = package.rfind('.');
  std::string last = last_dot == std::string::npos ? package : package.substr(last_dot + 1);
  if (last == snake) return cpp_namespace(package);
  return package.empty() ? snake : cpp_namespace(package) + "::" + snake;
}

std::string registry_name(const google::protobuf::ServiceDescriptor* service) { return snake_case(service->name()); }

}  // namespace svckit::gen
