#include "bridge/artifact_source.h"

#include "core/crypto/encoding.h"

namespace kura::bridge {

Result<std::unique_ptr<GuardedArtifactSource>> GuardedArtifactSource::Open(
    const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<FileBlobSource> file, FileBlobSource::Open(path));
  return std::unique_ptr<GuardedArtifactSource>(new GuardedArtifactSource(std::move(file)));
}

Result<size_t> GuardedArtifactSource::Read(char* buf, size_t size) {
  if (blocked_) return FailedPreconditionError("blocked by PAN guard");
  if (done_) return size_t{0};
  ASSIGN_OR_RETURN(size_t n, file_->Read(buf, size));
  if (n > 0) {
    const std::string_view piece(buf, n);
    scanner_.Update(piece);
    hasher_.Update(piece);
    if (scanner_.matches() == 0) return n;
    // A match in what has been scanned so far: stop at once.
    report_ = scanner_.Finish();
  } else {
    report_ = scanner_.Finish();
    if (report_.clean()) {
      done_ = true;
      sha256_hex_ = crypto::HexEncode(hasher_.Finish());
      return size_t{0};
    }
  }
  blocked_ = true;
  return FailedPreconditionError("blocked by PAN guard");
}

}  // namespace kura::bridge
