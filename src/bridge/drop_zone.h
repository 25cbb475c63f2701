// DropZone: the bridge's layout over a BlobStore that both zones can reach
// (a local directory in the embedded default, S3 later):
//   requests/<id>.jws            signed requests, written by submitters
//   results/<id>.jws             signed results, written by the CDE runner
//   artifacts/<id>/<name>        files a job publishes for the out-of-scope side
// Nothing in the drop zone is trusted: every request is verified by the
// runner and every result by the submitter. Job state is NOT kept here (it
// lives in the runner's own database, bridge/job_store.h).
//
// Thread safety: as the BlobStore (safe for concurrent use). The store must
// outlive the DropZone.
#ifndef KURA_BRIDGE_DROP_ZONE_H_
#define KURA_BRIDGE_DROP_ZONE_H_

#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/blob/blob_store.h"

namespace kura::bridge {

inline constexpr std::string_view kRequestsPrefix = "requests/";
inline constexpr std::string_view kResultsPrefix = "results/";
inline constexpr std::string_view kArtifactsPrefix = "artifacts/";
inline constexpr std::string_view kSignedSuffix = ".jws";

std::string RequestKey(std::string_view id);
std::string ResultKey(std::string_view id);
std::string ArtifactKey(std::string_view id, std::string_view name);

class DropZone {
 public:
  explicit DropZone(BlobStore& store) : store_(store) {}

  // Writes a new request; kAlreadyExists if that id is taken.
  Status PutRequest(std::string_view id, std::string_view signed_request);
  // Ids of the pending requests (file names "<id>.jws"), sorted. Names that
  // are not "<32 hex>.jws" are returned in `junk` (may be null) so the runner
  // can reject/remove them.
  Result<std::vector<std::string>> PendingRequestIds(std::vector<std::string>* junk = nullptr);
  // kOutOfRange for a file larger than kMaxRequestBytes, read no further
  // (anyone who may drop requests may drop a multi-GB one).
  Result<std::string> GetRequest(std::string_view id);
  Status DeleteRequest(std::string_view id);
  // Results are written once; a second write for the same id keeps the first
  // (kAlreadyExists), so racing or restarted runners cannot flip an outcome.
  Status PutResult(std::string_view id, std::string_view signed_result);
  // kNotFound until the result exists; kOutOfRange for a file larger than
  // any signed result (crypto::kMaxJwsBytes), read no further.
  Result<std::string> GetResult(std::string_view id);
  Status PutArtifact(std::string_view id, std::string_view name, std::string_view data);
  // Streams an artifact of any size (BlobStore::PutStream): nothing is
  // visible unless `source` reaches its end without an error.
  Status PutArtifactStream(std::string_view id, std::string_view name, BlobSource& source);
  Status DeleteArtifact(std::string_view id, std::string_view name);

  BlobStore& store() { return store_; }

 private:
  BlobStore& store_;
};

}  // namespace kura::bridge

#endif  // KURA_BRIDGE_DROP_ZONE_H_
