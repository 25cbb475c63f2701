// TlsContext: the hardened OpenSSL configuration shared by Kura's HTTPS
// server and client (PCI DSS 4.2.1: strong cryptography in transit).
//
// Both sides enforce:
//   - TLS 1.2 minimum (SSLv3, TLS 1.0 and 1.1 are refused);
//   - TLS 1.2 cipher suites limited to ECDHE key exchange with AEAD
//     (AES-GCM, ChaCha20-Poly1305): kTls12CipherList. No CBC, no RSA key
//     transport, no SHA-1 MACs;
//   - TLS 1.3 AEAD suites (kTls13CipherSuites);
//   - no compression (CRIME), no renegotiation;
// and the server additionally prefers its own cipher order and issues no
// session tickets (no long-lived ticket keys to protect).
//
// Errors name the file that failed to load and OpenSSL's reason, never the
// file's contents.
//
// Thread safety: after creation a TlsContext is immutable and may be shared
// by any number of connections on any threads.
#ifndef KURA_CORE_HTTP_TLS_CONTEXT_H_
#define KURA_CORE_HTTP_TLS_CONTEXT_H_

#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>

#include "core/base/status.h"
#include "core/http/http_types.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace kura::http {

inline constexpr const char* kTls12CipherList =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
inline constexpr const char* kTls13CipherSuites =
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";

struct TlsServerOptions {
  // PEM: the server certificate followed by any intermediates.
  std::string cert_chain_file;
  // PEM private key matching the first certificate (unencrypted).
  std::string private_key_file;
  // Optional PEM bundle of CAs for client certificates (mTLS). When set,
  // clients are asked for a certificate and any presented certificate must
  // verify against these CAs or the handshake fails.
  std::string client_ca_file;
  // Only meaningful with client_ca_file: if true, a client without a
  // certificate is refused during the handshake; if false it may connect and
  // HttpRequest::client_cert stays empty.
  bool require_client_cert = true;
};

struct TlsClientOptions {
  // Trust anchors for the server certificate: a PEM file, or PEM text. At
  // least one must be set (Kura never trusts the system store implicitly).
  std::string ca_file;
  std::string ca_pem;
  // Optional client certificate chain and key (PEM files) for mTLS. Both or
  // neither.
  std::string client_cert_file;
  std::string client_key_file;
};

class TlsContext {
 public:
  // Errors: kInvalidArgument when a required option is missing, or a file
  // cannot be read or parsed, or the key does not match the certificate (the
  // message names the file); kInternal if OpenSSL cannot build a context.
  static Result<std::unique_ptr<TlsContext>> CreateServer(const TlsServerOptions& options);
  static Result<std::unique_ptr<TlsContext>> CreateClient(const TlsClientOptions& options);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // For building boost::asio::ssl::stream objects. Owned by this object.
  boost::asio::ssl::context& asio_context() { return *context_; }
  SSL_CTX* native_handle();

  // True for a server context configured with a client CA.
  bool verifies_client_certs() const { return verifies_client_certs_; }

 private:
  TlsContext(std::unique_ptr<boost::asio::ssl::context> context, bool verifies_client_certs);

  std::unique_ptr<boost::asio::ssl::context> context_;
  const bool verifies_client_certs_;
};

// The peer certificate of an established connection if one was presented
// and verified (SSL_get_verify_result == X509_V_OK), else nullopt.
std::optional<ClientCert> VerifiedPeerCertificate(const SSL* ssl);

}  // namespace kura::http

#endif  // KURA_CORE_HTTP_TLS_CONTEXT_H_
