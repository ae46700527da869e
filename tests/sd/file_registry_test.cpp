// file:// — instances listed in a JSON or YAML file, followed as it changes (svckit/sd/file_registry.hpp).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/instance_view.hpp"
#include "support/run.hpp"
#include "svckit/sd/instance_file.hpp"
#include "svckit/sd/registry.hpp"

namespace sd = svckit::sd;
namespace fs = std::filesystem;
using svckit::test::View;
using svckit::test::wait_until;
using Strings = std::vector<std::string>;

namespace {

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "svckit-file-registry-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// Writes in place (truncate, write, close), as `echo >` or most editors' plain save do.
void write_in_place(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::trunc | std::ios::binary);
  f << text;
}

// Writes beside and renames over: what configuration tools (and atomic editors) do.
void write_by_rename(const fs::path& p, const std::string& text) {
  auto tmp = p.string() + ".tmp";
  write_in_place(tmp, text);
  fs::rename(tmp, p);
}

std::string url_of(const fs::path& p) { return "file://" + p.string(); }

TEST(InstanceFile, JsonAndYamlListTheSameInstances) {
  auto json = sd::parse_instance_file(
      R"({"notificator": ["10.0.0.5:9000", {"addr": "10.0.0.6:9000", "weight": 2, "zone": "eu-1", "tls": true}],
          "users": []})",
      sd::InstanceFileFormat::json);
  auto yaml = sd::parse_instance_file(
      "notificator:\n  - 10.0.0.5:9000\n  - {addr: 10.0.0.6:9000, weight: 2, zone: eu-1, tls: true}\nusers: []\n",
      sd::InstanceFileFormat::yaml);
  ASSERT_TRUE(json.ok()) << json.status().message();
  ASSERT_TRUE(yaml.ok()) << yaml.status().message();
  EXPECT_EQ(json->services, yaml->services);
  ASSERT_EQ(json->services.at("notificator").size(), 2u);
  const auto& second = json->services.at("notificator")[1];
  EXPECT_EQ(second.key, "10.0.0.6:9000");
  EXPECT_EQ(second.weight, 2);
  EXPECT_EQ(second.zone, "eu-1");
  EXPECT_TRUE(second.tls);
  EXPECT_TRUE(json->services.at("users").empty());
  EXPECT_TRUE(json->skipped.empty());
  EXPECT_EQ(sd::instance_file_format("/a/b.yml"), sd::InstanceFileFormat::yaml);
  EXPECT_EQ(sd::instance_file_format("/a/b.json"), sd::InstanceFileFormat::json);
}

// One bad entry is skipped and named; the rest of the file stands.
TEST(InstanceFile, MalformedEntriesAreSkippedAndNamed) {
  auto f = sd::parse_instance_file(
      R"({"a": ["h:1", "nohost", 5, {"addr": "h:2", "weight": "3"}, "h:1", {"addr": "h:3"}]})",
      sd::InstanceFileFormat::json);
  ASSERT_TRUE(f.ok()) << f.status().message();
  ASSERT_EQ(f->services.at("a").size(), 2u);
  EXPECT_EQ(f->services.at("a")[0].address, "h:1");
  EXPECT_EQ(f->services.at("a")[1].address, "h:3");
  ASSERT_EQ(f->skipped.size(), 4u);
  EXPECT_NE(f->skipped[0].find("a[1]"), std::string::npos) << f->skipped[0];
  EXPECT_NE(f->skipped[2].find("weight"), std::string::npos) << f->skipped[2];
  EXPECT_NE(f->skipped[3].find("twice"), std::string::npos) << f->skipped[3];
}

// A file that is not a map of lists is bad as a whole, with a reason, in either format; never a crash.
TEST(InstanceFile, BadFilesAreErrorsWithTheReason) {
  const std::vector<std::pair<std::string, sd::InstanceFileFormat>> bad = {
      {"", sd::InstanceFileFormat::json},
      {"{", sd::InstanceFileFormat::json},
      {"[]", sd::InstanceFileFormat::json},
      {R"({"a": "h:1"})", sd::InstanceFileFormat::json},
      {R"({"a/b": ["h:1"]})", sd::InstanceFileFormat::json},
      {R"({"": ["h:1"]})", sd::InstanceFileFormat::json},
      {R"({"a": [[[[["h:1"]]]]]})", sd::InstanceFileFormat::json},
      {"a: [[[[[h:1]]]]]\n", sd::InstanceFileFormat::yaml},
      {"a: [h:1\n", sd::InstanceFileFormat::yaml},
      {"- h:1\n", sd::InstanceFileFormat::yaml},
      {"a: h:1\n", sd::InstanceFileFormat::yaml},
      {"? [x]\n: [h:1]\n", sd::InstanceFileFormat::yaml},
      {std::string(10000, '[') , sd::InstanceFileFormat::yaml},
      {"a: " + std::string(10000, '[') , sd::InstanceFileFormat::yaml},
      {std::string(10000, '['), sd::InstanceFileFormat::json},
  };
  for (const auto& [text, format] : bad) {
    auto f = sd::parse_instance_file(text, format);
    EXPECT_FALSE(f.ok()) << text.substr(0, 40);
    EXPECT_EQ(f.status().code(), svckit::StatusCode::InvalidArgument) << text.substr(0, 40);
    EXPECT_NE(f.status().message().find("instances file: "), std::string::npos) << f.status().message();
  }
}

TEST(InstanceFile, LimitsAreEnforced) {
  std::string big = R"({"a": [")" + std::string(sd::kMaxInstanceFileBytes, 'x') + R"("]})";
  auto f = sd::parse_instance_file(big, sd::InstanceFileFormat::json);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("larger than"), std::string::npos) << f.status().message();

  std::string many = R"({"a": [)";
  for (std::size_t i = 0; i <= sd::kMaxInstanceFileEntries; ++i) many += (i ? ",\"h:" : "\"h:") + std::to_string(i % 60000 + 1) + "\"";
  many += "]}";
  auto g = sd::parse_instance_file(many, sd::InstanceFileFormat::json);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("more than"), std::string::npos) << g.status().message();
}

TEST(FileRegistryUrl, APathAndNothingElse) {
  auto ok = sd::parse_registry_url("file:///etc/svckit/instances.json");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->path, "/etc/svckit/instances.json");
  EXPECT_TRUE(ok->hosts.empty());
  for (const char* bad : {"file://", "file://h:1/x.json", "file://x.json", "file:///"}) {
    auto u = sd::parse_registry_url(bad);
    EXPECT_FALSE(u.ok()) << bad;
  }
  for (const char* bad : {"file:///x.json?a=b", "file:///dir/"}) EXPECT_THROW(sd::Registry::open(bad), std::invalid_argument) << bad;
  // Schemes that name servers still need one.
  EXPECT_FALSE(sd::parse_registry_url("etcd://").ok());
  EXPECT_FALSE(sd::parse_registry_url("static:///x").ok());
}

class FileRegistryTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

// The set follows the file: written in place or replaced by rename, in JSON or YAML.
TEST_F(FileRegistryTest, InstancersFollowTheFileAsItChanges) {
  for (const std::string name : {"instances.json", "instances.yaml"}) {
    SCOPED_TRACE(name);
    const bool yaml = name.ends_with(".yaml");
    auto file = dir_ / name;
    write_in_place(file, yaml ? "notificator: [127.0.0.1:9000]\n" : R"({"notificator": ["127.0.0.1:9000"]})");
    auto registry = sd::Registry::open(url_of(file));
    auto instancer = registry->instancer("notificator");
    View view(*instancer);
    ASSERT_TRUE(wait_until([&] { return view.addresses() == Strings{"127.0.0.1:9000"}; }));
    EXPECT_TRUE(view.status().ok()) << view.status().message();

    write_by_rename(file, yaml ? "notificator: [127.0.0.1:9000, 127.0.0.1:9001]\n"
                               : R"({"notificator": ["127.0.0.1:9000", "127.0.0.1:9001"]})");
    EXPECT_TRUE(wait_until([&] { return view.addresses() == Strings{"127.0.0.1:9000", "127.0.0.1:9001"}; }));

    write_in_place(file, yaml ? "notificator:\n  - {addr: 127.0.0.1:9001, weight: 5}\n"
                              : R"({"notificator": [{"addr": "127.0.0.1:9001", "weight": 5}]})");
    EXPECT_TRUE(wait_until([&] {
      auto s = view.set();
      return s.size() == 1 && s.begin()->second.address == "127.0.0.1:9001" && s.begin()->second.weight == 5;
    }));
    // Another service in the same file.
    View other(*registry->instancer("users"));
    EXPECT_TRUE(wait_until([&] { return other.status().ok() && other.size() == 0; }));
  }
}

// A bad edit is logged and ignored: the last good set stays, the status says why, and a good edit heals.
TEST_F(FileRegistryTest, ABadEditKeepsTheLastGoodSetUntilAGoodOne) {
  auto file = dir_ / "instances.json";
  write_in_place(file, R"({"notificator": ["127.0.0.1:9000"]})");
  auto registry = sd::Registry::open(url_of(file));
  auto instancer = registry->instancer("notificator");
  View view(*instancer);
  ASSERT_TRUE(wait_until([&] { return view.size() == 1; }));

  for (const std::string& bad : Strings{R"({"notificator": ["127.0.0.1:9000", )", std::string("\x00\xff\xfe garbage", 12), R"(["127.0.0.1:9001"])", ""}) {
    write_in_place(file, bad);
    EXPECT_TRUE(wait_until([&] { return !view.status().ok(); })) << bad;
    EXPECT_NE(view.status().message().find(file.string()), std::string::npos) << view.status().message();
    EXPECT_EQ(view.addresses(), Strings{"127.0.0.1:9000"}) << bad;
    EXPECT_EQ(instancer->size(), 1u);
    write_in_place(file, R"({"notificator": ["127.0.0.1:9000"]})");
    EXPECT_TRUE(wait_until([&] { return view.status().ok(); })) << bad;
  }
  // A malformed entry is skipped; the good ones stand and the status stays OK.
  write_in_place(file, R"({"notificator": ["127.0.0.1:9000", "no-port", "127.0.0.1:9002"]})");
  EXPECT_TRUE(wait_until([&] { return view.addresses() == Strings{"127.0.0.1:9000", "127.0.0.1:9002"}; }));
  EXPECT_TRUE(view.status().ok());
}

// A file deleted keeps the last set (with an error); a file that did not exist yet is an empty set with an
// error until it is written.
TEST_F(FileRegistryTest, AMissingFileIsAnErrorNotAnEmptyFleet) {
  auto file = dir_ / "instances.yml";
  auto registry = sd::Registry::open(url_of(file));
  auto instancer = registry->instancer("notificator");
  View view(*instancer);
  ASSERT_TRUE(wait_until([&] { return !view.status().ok(); }));
  EXPECT_NE(view.status().message().find("No such file"), std::string::npos) << view.status().message();
  EXPECT_EQ(view.size(), 0u);

  write_by_rename(file, "notificator: [127.0.0.1:9000]\n");
  ASSERT_TRUE(wait_until([&] { return view.status().ok() && view.size() == 1; }));

  fs::remove(file);
  EXPECT_TRUE(wait_until([&] { return !view.status().ok(); }));
  EXPECT_EQ(view.addresses(), Strings{"127.0.0.1:9000"}) << "the last known set, not nothing";
}

// Registering through a file only logs (the file is the list), and counts as registered so /readyz does
// not wait for an announcement that cannot happen.
TEST_F(FileRegistryTest, RegisteringIsReadOnlyAndReady) {
  auto file = dir_ / "instances.json";
  write_in_place(file, "{}");
  auto registry = sd::Registry::open(url_of(file));
  sd::Instance me;
  me.address = "127.0.0.1:9999";
  auto r = registry->registrar("users", me, std::chrono::seconds(10));
  EXPECT_FALSE(r->registered());
  r->register_instance();
  EXPECT_TRUE(r->registered());
  EXPECT_TRUE(r->deregister(std::chrono::milliseconds(100)).ok());
  EXPECT_FALSE(r->registered());
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "{}") << "the file is never written";
}

// Dropping the last instancer on the watch thread (a subscriber's last owner let go inside a publish) must
// neither deadlock nor crash: the watch ends on its own.
TEST_F(FileRegistryTest, InstancersComeAndGoWhileTheFileChanges) {
  auto file = dir_ / "instances.json";
  write_in_place(file, R"({"a": ["127.0.0.1:1"]})");
  for (int i = 0; i < 50; ++i) {
    auto registry = sd::Registry::open(url_of(file));
    auto instancer = registry->instancer("a");
    registry.reset();
    write_in_place(file, R"({"a": ["127.0.0.1:)" + std::to_string(i + 2) + "\"]}");
    EXPECT_TRUE(wait_until([&] { return instancer->size() == 1; }));
  }
}

}  // namespace
