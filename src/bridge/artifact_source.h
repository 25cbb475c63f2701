// GuardedArtifactSource: reads a job's artifact for publication through
// BlobStore::PutStream, passing every byte through the PAN guard
// (bridge/pan_guard.h) and SHA-256 on the way. A PAN match fails the read
// (kFailedPrecondition, "blocked by PAN guard") — at the latest when the end
// of the file is reached, before the store may commit — so the bytes that
// are actually published are the bytes that were checked, and a blob with a
// PAN never becomes visible. Memory is one piece (the store's chunk) plus
// the guard's small carry, whatever the file size.
//
// Thread safety: one reader at a time (as BlobSource).
#ifndef KURA_BRIDGE_ARTIFACT_SOURCE_H_
#define KURA_BRIDGE_ARTIFACT_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "bridge/pan_guard.h"
#include "core/base/status.h"
#include "core/blob/blob_store.h"
#include "core/crypto/hash.h"

namespace kura::bridge {

class GuardedArtifactSource final : public BlobSource {
 public:
  // Errors as FileBlobSource::Open.
  static Result<std::unique_ptr<GuardedArtifactSource>> Open(const std::string& path);

  // Errors: the file's read errors; kFailedPrecondition when the PAN guard
  // found a match (then report() says how many).
  Result<size_t> Read(char* buf, size_t size) override;

  // Valid once Read returned 0 (the end).
  uint64_t bytes() const { return report_.bytes_scanned; }
  const std::string& sha256_hex() const { return sha256_hex_; }
  const PanGuardReport& report() const { return report_; }

 private:
  explicit GuardedArtifactSource(std::unique_ptr<FileBlobSource> file) : file_(std::move(file)) {}

  std::unique_ptr<FileBlobSource> file_;
  PanStreamScanner scanner_;
  crypto::Sha256Hasher hasher_;
  PanGuardReport report_;
  std::string sha256_hex_;
  bool done_ = false;     // the end was reported
  bool blocked_ = false;  // sticky: every later Read fails too
};

}  // namespace kura::bridge

#endif  // KURA_BRIDGE_ARTIFACT_SOURCE_H_
