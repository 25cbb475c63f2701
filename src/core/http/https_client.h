// HttpsClient: a small synchronous HTTPS/1.1 client (Boost.Beast) for tests,
// the CLI and benchmarks.
//
// The server certificate is always verified against the configured CA (never
// the system store) and, with verify_hostname, against the host name or IP
// address being contacted. The client keeps one keep-alive connection and
// reuses it while host and port stay the same; if a reused connection turns
// out to have been closed by the server (idle timeout, shutdown) the request
// is sent once more on a fresh connection. Note that this retry may repeat
// a non-idempotent request if the server closed after processing it.
//
// Thread safety: not thread-safe; use one client per thread.
#ifndef KURA_CORE_HTTP_HTTPS_CLIENT_H_
#define KURA_CORE_HTTP_HTTPS_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/http/http_types.h"

namespace kura::http {

inline constexpr std::chrono::milliseconds kDefaultClientTimeout{10'000};
inline constexpr size_t kDefaultMaxResponseBodyBytes = 16 * 1024 * 1024;

struct HttpsClientOptions {
  // Trust anchors: a PEM file or PEM text (at least one).
  std::string ca_file;
  std::string ca_pem;
  // Optional client certificate and key files for mTLS (both or neither).
  std::string client_cert_file;
  std::string client_key_file;
  // Check the certificate's subjectAltName against the host (DNS name or IP).
  bool verify_hostname = true;
  // Per request: connect + handshake + write + read.
  std::chrono::milliseconds timeout = kDefaultClientTimeout;
  size_t max_response_body_bytes = kDefaultMaxResponseBodyBytes;
};

class HttpsClient {
 public:
  // Errors: as TlsContext::CreateClient (kInvalidArgument for missing or
  // unreadable CA / client files).
  static Result<std::unique_ptr<HttpsClient>> Create(HttpsClientOptions options);

  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  // Sends one request and reads the response. `headers` are added as given
  // (Host, Content-Length and User-Agent are set by the client). The
  // returned HttpResponse has status, content_type, body and all response
  // headers with lower-case names.
  // Errors: kInvalidArgument for an unknown method or a header containing
  //   CR/LF;
  //   kUnavailable when the host cannot be resolved or connected to, the TLS
  //   handshake fails (including certificate verification) or the
  //   connection breaks;
  //   kDeadlineExceeded when `timeout` elapses;
  //   kResourceExhausted when the response body exceeds
  //   max_response_body_bytes;
  //   kInvalidArgument for a header field over 64 KiB (Beast's limit).
  Result<HttpResponse> Request(std::string_view method, std::string_view host, uint16_t port,
                               std::string_view target, std::string_view body = {},
                               const std::vector<std::pair<std::string, std::string>>& headers = {});

  // Closes the kept-alive connection, if any.
  void Close();

  // Number of TCP+TLS connections established so far (to observe reuse).
  uint64_t connections_opened() const;

  struct Impl;

 private:
  explicit HttpsClient(std::unique_ptr<Impl> impl);
  Result<HttpResponse> RequestImpl(std::string_view method, std::string_view host, uint16_t port,
                                   std::string_view target, std::string_view body,
                                   const std::vector<std::pair<std::string, std::string>>& headers);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kura::http

#endif  // KURA_CORE_HTTP_HTTPS_CLIENT_H_
