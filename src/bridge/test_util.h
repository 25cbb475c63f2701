// Test helpers for src/bridge: a temporary directory removed on destruction.
#ifndef KURA_BRIDGE_TEST_UTIL_H_
#define KURA_BRIDGE_TEST_UTIL_H_

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace kura::bridge::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kura-bridge-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace kura::bridge::testing

#endif  // KURA_BRIDGE_TEST_UTIL_H_
