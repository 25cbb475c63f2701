#include "core/keyring/key_provider.h"

#include <map>
#include <optional>

#include "core/crypto/constant_time.h"
#include "core/crypto/key_wrap.h"
#include "core/keyring/shamir.h"

namespace kura::keyring {
namespace {

// A component file has this many `field: value` lines.
constexpr int kComponentFieldLines = 8;

Status NeedMore(int threshold, size_t have) {
  return FailedPreconditionError("need " + std::to_string(threshold) + " components, have " +
                                 std::to_string(have));
}

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

bool IsComment(std::string_view s) {
  const size_t first = s.find_first_not_of(" \t");
  return first != std::string_view::npos && s[first] == '#';
}

void Wipe(std::string& s) {
  SecureZero(s.data(), s.size());
  s.clear();
}

// Reads one pasted component (see the protocol in the header) into `block`.
// Returns false if the input ended before any content.
bool ReadBlock(std::istream& in, std::string& block) {
  std::string line;
  line.reserve(512);
  int field_lines = 0;
  while (std::getline(in, line)) {
    if (IsBlank(line)) {
      if (field_lines > 0) break;
      continue;
    }
    if (!IsComment(line)) ++field_lines;
    block += line;
    block += '\n';
    Wipe(line);
    // ParseComponent rejects oversized text; stop reading it here.
    if (field_lines >= kComponentFieldLines || block.size() > kMaxComponentTextSize) break;
  }
  Wipe(line);
  return field_lines > 0;
}

}  // namespace

Result<SecretBytes> CombineComponents(const std::vector<KeyComponent>& components) {
  if (components.empty()) return FailedPreconditionError("no key components given");
  const KeyComponent& first = components.front();
  for (const KeyComponent& c : components) {
    if (c.key_id != first.key_id) {
      return FailedPreconditionError("components belong to different keys (" + first.key_id + ", " +
                                     c.key_id + ")");
    }
  }
  for (const KeyComponent& c : components) {
    if (c.threshold != first.threshold || c.custodians != first.custodians ||
        c.kek_kcv != first.kek_kcv) {
      return DataLossError("components of key " + first.key_id +
                           " disagree on threshold, custodians or kek-kcv");
    }
  }
  std::map<int, const KeyComponent*> by_index;
  for (const KeyComponent& c : components) {
    auto [it, inserted] = by_index.emplace(c.index, &c);
    if (!inserted && !crypto::ConstantTimeEquals(it->second->share.span(), c.share.span())) {
      return DataLossError("component " + std::to_string(c.index) +
                           " given twice with different shares");
    }
  }
  if (by_index.size() < static_cast<size_t>(first.threshold)) {
    return NeedMore(first.threshold, by_index.size());
  }

  std::vector<Share> shares;
  shares.reserve(by_index.size());
  for (const auto& [index, c] : by_index) {
    shares.push_back(Share{static_cast<uint8_t>(index), c->share.Clone()});
  }
  std::vector<const Share*> ptrs;
  for (const Share& s : shares) ptrs.push_back(&s);
  ASSIGN_OR_RETURN(SecretBytes kek, CombineShares(ptrs));
  ASSIGN_OR_RETURN(const std::string kcv, crypto::KeyCheckValue(kek));
  if (!crypto::ConstantTimeEquals(std::string_view(kcv), std::string_view(first.kek_kcv))) {
    return DataLossError("combined master key does not match kek-kcv of key " + first.key_id +
                         " (wrong or corrupted component)");
  }
  return kek;
}

Result<SecretBytes> StaticKeyProvider::LoadKek() { return kek_.Clone(); }

Result<SecretBytes> ComponentFilesKeyProvider::LoadKek() {
  std::vector<KeyComponent> components;
  for (const std::string& path : paths_) {
    Result<std::string> text = fs_.ReadFile(path);
    if (!text.ok()) return text.status();
    Result<KeyComponent> c = ParseComponent(*text);
    Wipe(*text);
    if (!c.ok()) return c.status().WithContext(path);
    components.push_back(std::move(*c));
  }
  return CombineComponents(components);
}

Result<SecretBytes> PromptKeyProvider::LoadKek() {
  std::vector<KeyComponent> components;
  std::optional<int> threshold;
  int rejected = 0;
  std::string block;
  block.reserve(kMaxComponentTextSize + 1024);
  for (;;) {
    out_ << "Key component " << components.size() + 1;
    if (threshold) out_ << " of " << *threshold;
    out_ << ": paste the component file, then an empty line.\n" << std::flush;
    if (!ReadBlock(in_, block)) {
      Wipe(block);
      break;
    }
    Result<KeyComponent> c = ParseComponent(block);
    Wipe(block);

    Status reject;
    if (!c.ok()) {
      reject = c.status();
    } else if (!components.empty() && c->key_id != components.front().key_id) {
      reject = FailedPreconditionError("component belongs to key " + c->key_id + ", not " +
                                       components.front().key_id);
    } else {
      for (const KeyComponent& have : components) {
        if (have.index == c->index) {
          reject = FailedPreconditionError("component " + std::to_string(c->index) +
                                           " was already entered");
        }
      }
    }
    if (!reject.ok()) {
      out_ << "  rejected: " << reject.message() << "\n";
      if (++rejected > max_rejected_) return reject.WithContext("too many rejected components");
      continue;
    }
    threshold = c->threshold;
    components.push_back(std::move(*c));
    const KeyComponent& added = components.back();
    out_ << "  accepted component " << added.index << " of key " << added.key_id << " ("
         << components.size() << " of " << added.threshold << ")\n";
    if (components.size() >= static_cast<size_t>(added.threshold)) break;
  }
  out_ << std::flush;
  if (components.empty()) return FailedPreconditionError("no key components entered");
  if (components.size() < static_cast<size_t>(*threshold)) {
    return NeedMore(*threshold, components.size());
  }
  return CombineComponents(components);
}

}  // namespace kura::keyring
