// Test helper: a fresh directory under $TMPDIR (or /tmp), removed with its
// contents on destruction. Header-only; for tests only.
#ifndef KURA_CORE_TESTING_TEMP_DIR_H_
#define KURA_CORE_TESTING_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace kura::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kura-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // "" if the directory could not be created.
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace kura::testing

#endif  // KURA_CORE_TESTING_TEMP_DIR_H_
