#include "bridge/drop_zone.h"

#include "bridge/request.h"
#include "core/crypto/jws.h"

namespace kura::bridge {

std::string RequestKey(std::string_view id) {
  return std::string(kRequestsPrefix) + std::string(id) + std::string(kSignedSuffix);
}
std::string ResultKey(std::string_view id) {
  return std::string(kResultsPrefix) + std::string(id) + std::string(kSignedSuffix);
}
std::string ArtifactKey(std::string_view id, std::string_view name) {
  return std::string(kArtifactsPrefix) + std::string(id) + "/" + std::string(name);
}

Status DropZone::PutRequest(std::string_view id, std::string_view signed_request) {
  if (!IsValidRequestId(id)) return InvalidArgumentError("drop zone: bad request id");
  return store_.PutIfAbsent(RequestKey(id), signed_request);
}

Result<std::vector<std::string>> DropZone::PendingRequestIds(std::vector<std::string>* junk) {
  ASSIGN_OR_RETURN(std::vector<std::string> keys, store_.List(kRequestsPrefix));
  std::vector<std::string> ids;
  for (const std::string& key : keys) {
    std::string_view name = std::string_view(key).substr(kRequestsPrefix.size());
    if (name.size() > kSignedSuffix.size() && name.ends_with(kSignedSuffix)) {
      std::string_view id = name.substr(0, name.size() - kSignedSuffix.size());
      if (IsValidRequestId(id)) {
        ids.emplace_back(id);
        continue;
      }
    }
    if (junk != nullptr) junk->push_back(key);
  }
  return ids;
}

Result<std::string> DropZone::GetRequest(std::string_view id) {
  return store_.GetAtMost(RequestKey(id), kMaxRequestBytes);
}
Status DropZone::DeleteRequest(std::string_view id) { return store_.Delete(RequestKey(id)); }

Status DropZone::PutResult(std::string_view id, std::string_view signed_result) {
  return store_.PutIfAbsent(ResultKey(id), signed_result);
}
Result<std::string> DropZone::GetResult(std::string_view id) {
  return store_.GetAtMost(ResultKey(id), crypto::kMaxJwsBytes);
}

Status DropZone::PutArtifact(std::string_view id, std::string_view name, std::string_view data) {
  return store_.Put(ArtifactKey(id, name), data);
}

Status DropZone::PutArtifactStream(std::string_view id, std::string_view name,
                                   BlobSource& source) {
  return store_.PutStream(ArtifactKey(id, name), source);
}

Status DropZone::DeleteArtifact(std::string_view id, std::string_view name) {
  return store_.Delete(ArtifactKey(id, name));
}

}  // namespace kura::bridge
