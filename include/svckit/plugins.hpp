// svckit/plugins.hpp — a table of named factories: how registries, balancers and trace exporters plug in.
//
// Each kind of plug-in has one table (sd::register_registry, sd::register_balancer,
// trace::register_exporter). svckit::sd's balancers and static:// are added the first time a table is used;
// the plug-in components (svckit::etcd, svckit::zipkin) join when an executable links them; a plug-in of
// yours joins from its own file, before the name is first looked up (for example from main, or from the
// initialiser of a static in the file that defines it, which every executable keeps):
//
//   [[maybe_unused]] static const bool registered = svckit::sd::register_balancer("sticky", make_sticky);
//
// Thread-safety: add, find and names may be called from any thread.
#pragma once

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace svckit {

template <class Factory>
class NamedFactories {
 public:
  /// `kind` names what the table holds in errors ("registry scheme", "balancer").
  explicit NamedFactories(std::string kind) : kind_(std::move(kind)) {}

  /// Adds a factory under `name`. Throws std::invalid_argument for an empty name, a name that is not
  /// [a-z0-9_+.-]+, or one that is taken (two plug-ins must not silently replace each other).
  void add(std::string name, Factory factory) {
    if (!valid_name(name)) throw std::invalid_argument(kind_ + " name \"" + name + "\" must be [a-z0-9_+.-]+");
    std::lock_guard lock(mu_);
    if (!table_.emplace(name, std::move(factory)).second)
      throw std::invalid_argument(kind_ + " \"" + name + "\" is registered already");
  }

  /// The factory registered under `name`; throws std::invalid_argument naming the known ones.
  Factory find(std::string_view name) const {
    std::lock_guard lock(mu_);
    if (auto it = table_.find(name); it != table_.end()) return it->second;
    throw std::invalid_argument("unknown " + kind_ + " \"" + std::string(name.substr(0, 64)) + "\" (known: " + known_locked() + ")");
  }

  /// Every registered name, comma-separated: what errors list.
  std::string known() const {
    std::lock_guard lock(mu_);
    return known_locked();
  }

  bool contains(std::string_view name) const {
    std::lock_guard lock(mu_);
    return table_.find(name) != table_.end();
  }

  /// Every registered name, sorted.
  std::vector<std::string> names() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [n, f] : table_) out.push_back(n);
    return out;
  }

  /// The one table of this Factory type: made on first use, with `add_builtins` (if any) run on it then,
  /// and kept until exit (plug-ins may be looked up from static destructors and other threads). Safe to call
  /// from static initialisers: that is how plug-in components register.
  static NamedFactories& once(const char* kind, void (*add_builtins)(NamedFactories&) = nullptr) {
    static NamedFactories* table = [&] {
      auto* t = new NamedFactories(kind);
      if (add_builtins) add_builtins(*t);
      return t;
    }();
    return *table;
  }

  static bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '.' || c == '-'))
        return false;
    return true;
  }

 private:
  std::string known_locked() const {
    std::string out;
    for (const auto& [n, f] : table_) out += (out.empty() ? "" : ", ") + n;
    return out;
  }

  std::string kind_;
  mutable std::mutex mu_;
  std::map<std::string, Factory, std::less<>> table_;
};

}  // namespace svckit
