// SecretBytes: an owning buffer for key material that is zeroized on
// destruction (OPENSSL_cleanse) and never copied implicitly.
//
// Use it for every key, key component, PAN plaintext buffer and API key
// secret. It has no operator<< and no ToString on purpose: nothing prints it.
//
// Thread safety: like std::vector (no internal synchronisation).
#ifndef KURA_CORE_BASE_SECRET_H_
#define KURA_CORE_BASE_SECRET_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace kura {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size) : bytes_(size, 0) {}
  SecretBytes(const uint8_t* data, size_t size) : bytes_(data, data + size) {}
  explicit SecretBytes(std::span<const uint8_t> data) : bytes_(data.begin(), data.end()) {}
  static SecretBytes FromString(std::string_view s) {
    return SecretBytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  ~SecretBytes() { Wipe(); }

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
    other.bytes_.clear();
  }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      Wipe();
      bytes_ = std::move(other.bytes_);
      other.bytes_.clear();
    }
    return *this;
  }

  // An explicit deep copy; use sparingly.
  SecretBytes Clone() const { return SecretBytes(bytes_.data(), bytes_.size()); }

  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  std::span<const uint8_t> span() const { return {bytes_.data(), bytes_.size()}; }
  std::span<uint8_t> mutable_span() { return {bytes_.data(), bytes_.size()}; }
  std::string_view view() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }
  uint8_t& operator[](size_t i) { return bytes_[i]; }
  uint8_t operator[](size_t i) const { return bytes_[i]; }

  // Zeroizes the contents and releases the buffer.
  void Wipe();
  // Resizes, zeroizing first so no stale copy is left behind by reallocation.
  void Resize(size_t n);

 private:
  std::vector<uint8_t> bytes_;
};

// Zeroizes `data` in a way the compiler cannot elide.
void SecureZero(void* data, size_t size);

}  // namespace kura

#endif  // KURA_CORE_BASE_SECRET_H_
