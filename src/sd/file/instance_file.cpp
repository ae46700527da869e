#include "svckit/sd/instance_file.hpp"

#include <charconv>
#include <set>

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

namespace svckit::sd {

namespace json = boost::json;

namespace {

// The deepest a valid file nests: map → list → entry object → scalar.
constexpr int kMaxDepth = 4;

Status bad_file(const std::string& why) { return invalid_argument("instances file: " + why); }

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// A YAML scalar as JSON: plain true/false and integers keep their type (weight, tls); anything quoted or
// else is a string.
json::value yaml_scalar(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return json::string(s);  // quoted: always text
  if (s == "true") return true;
  if (s == "false") return false;
  std::int64_t i = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
  if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return i;
  return json::string(s);
}

Result<json::value> yaml_to_json(const YAML::Node& n, int depth) {
  if (depth > kMaxDepth) return bad_file("nested deeper than an instances file needs");
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return json::value(nullptr);
    case YAML::NodeType::Scalar:
      return yaml_scalar(n);
    case YAML::NodeType::Sequence: {
      json::array a;
      for (const auto& item : n) {
        auto v = yaml_to_json(item, depth + 1);
        if (!v.ok()) return v;
        a.push_back(std::move(*v));
      }
      return json::value(std::move(a));
    }
    case YAML::NodeType::Map: {
      json::object o;
      for (const auto& kv : n) {
        if (!kv.first.IsScalar()) return bad_file("a map key is not text (line " + std::to_string(kv.first.Mark().line + 1) + ")");
        auto v = yaml_to_json(kv.second, depth + 1);
        if (!v.ok()) return v;
        o[kv.first.Scalar()] = std::move(*v);
      }
      return json::value(std::move(o));
    }
  }
  return json::value(nullptr);
}

Result<json::value> read_tree(std::string_view text, InstanceFileFormat format) {
  if (format == InstanceFileFormat::json) {
    json::parse_options opts;
    opts.max_depth = kMaxDepth;
    boost::system::error_code ec;
    json::value v = json::parse(text, ec, {}, opts);
    if (ec) return bad_file("not JSON: " + ec.message());
    return v;
  }
  try {
    return yaml_to_json(YAML::Load(std::string(text)), 0);
  } catch (const YAML::Exception& e) {  // ParserException, DeepRecursion …: e.what() has line and column
    return bad_file(std::string("not YAML: ") + e.what());
  }
}

// Service names become registry paths elsewhere: printable ASCII without '/', bounded.
bool valid_service_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxServiceNameBytes) return false;
  for (unsigned char c : name)
    if (c <= ' ' || c >= 0x7f || c == '/') return false;
  return true;
}

}  // namespace

InstanceFileFormat instance_file_format(std::string_view path) {
  return ends_with(path, ".yaml") || ends_with(path, ".yml") ? InstanceFileFormat::yaml : InstanceFileFormat::json;
}

Result<InstanceFile> parse_instance_file(std::string_view text, InstanceFileFormat format) {
  if (text.size() > kMaxInstanceFileBytes)
    return bad_file("larger than " + std::to_string(kMaxInstanceFileBytes) + " bytes");
  auto tree = read_tree(text, format);
  if (!tree.ok()) return tree.status();
  if (!tree->is_object()) return bad_file("the top level must map service names to lists of instances");
  InstanceFile out;
  std::size_t entries = 0;
  for (const auto& [name, list] : tree->get_object()) {
    std::string shown = std::string(name.substr(0, 64));
    if (!valid_service_name(name)) return bad_file("service name \"" + shown + "\" is empty, too long, or has '/', spaces or control bytes");
    if (!list.is_array()) return bad_file("\"" + shown + "\" must be a list of instances");
    auto& instances = out.services[std::string(name)];
    std::set<std::string, std::less<>> seen;
    std::size_t index = 0;
    for (const auto& entry : list.get_array()) {
      if (++entries > kMaxInstanceFileEntries) return bad_file("more than " + std::to_string(kMaxInstanceFileEntries) + " instances");
      std::string where = shown + "[" + std::to_string(index++) + "]";
      std::string value = entry.is_string() ? std::string(entry.get_string()) : entry.is_object() ? json::serialize(entry) : "";
      auto inst = parse_instance(where, value);
      if (!inst.ok()) {
        out.skipped.push_back(value.empty() ? where + ": neither host:port nor an object" : inst.status().message());
        continue;
      }
      if (!seen.insert(inst->address).second) {
        out.skipped.push_back(where + ": " + inst->address + " is listed twice");
        continue;
      }
      inst->key = inst->address;
      instances.push_back(std::move(*inst));
    }
  }
  return out;
}

}  // namespace svckit::sd
