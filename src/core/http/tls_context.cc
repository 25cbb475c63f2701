#include "core/http/tls_context.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>

namespace kura::http {
namespace {

namespace ssl = boost::asio::ssl;

// The reason of the most recent OpenSSL error ("no start line"), clearing
// the queue. Reasons describe the failure, never the data.
std::string TakeOpenSslReason() {
  unsigned long last = 0;
  while (unsigned long e = ERR_get_error()) last = e;
  if (last == 0) return "unknown error";
  const char* reason = ERR_reason_error_string(last);
  return reason != nullptr ? reason : "unknown error";
}

Status FileError(std::string_view what, const std::string& path) {
  std::string msg = "cannot load ";
  msg += what;
  msg += " from '";
  msg += path;
  msg += "': ";
  msg += TakeOpenSslReason();
  return InvalidArgumentError(std::move(msg));
}

Status ApplyCommonPolicy(SSL_CTX* ctx) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, kTls12CipherList) != 1 ||
      SSL_CTX_set_ciphersuites(ctx, kTls13CipherSuites) != 1 ||
      SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1) {
    return InternalError("cannot apply TLS policy: " + TakeOpenSslReason());
  }
  // CLEANSE_PLAINTEXT: OpenSSL wipes each record's decrypted bytes once it
  // has handed them over, instead of leaving them in its read buffer (they
  // carry PANs and API keys).
  SSL_CTX_set_options(ctx,
                      SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CLEANSE_PLAINTEXT);
  return OkStatus();
}

}  // namespace

TlsContext::TlsContext(std::unique_ptr<ssl::context> context, bool verifies_client_certs)
    : context_(std::move(context)), verifies_client_certs_(verifies_client_certs) {}

TlsContext::~TlsContext() = default;

SSL_CTX* TlsContext::native_handle() { return context_->native_handle(); }

Result<std::unique_ptr<TlsContext>> TlsContext::CreateServer(const TlsServerOptions& options) {
  if (options.cert_chain_file.empty() || options.private_key_file.empty()) {
    return InvalidArgumentError("TLS server needs cert_chain_file and private_key_file");
  }
  ERR_clear_error();
  std::unique_ptr<ssl::context> context;
  try {
    context = std::make_unique<ssl::context>(ssl::context::tls_server);
  } catch (const std::exception&) {
    return InternalError("cannot create TLS server context: " + TakeOpenSslReason());
  }
  SSL_CTX* ctx = context->native_handle();
  RETURN_IF_ERROR(ApplyCommonPolicy(ctx));
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);

  if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_chain_file.c_str()) != 1) {
    return FileError("certificate chain", options.cert_chain_file);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, options.private_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return FileError("private key", options.private_key_file);
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    TakeOpenSslReason();
    return InvalidArgumentError("private key '" + options.private_key_file +
                                "' does not match certificate '" + options.cert_chain_file +
                                "'");
  }
  // Needed for session resumption to work together with client
  // verification; any constant unique to Kura is fine.
  static constexpr unsigned char kSessionIdContext[] = "kura";
  SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof(kSessionIdContext) - 1);

  const bool mtls = !options.client_ca_file.empty();
  if (mtls) {
    if (SSL_CTX_load_verify_locations(ctx, options.client_ca_file.c_str(), nullptr) != 1) {
      return FileError("client CA", options.client_ca_file);
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca_file.c_str());
    if (names == nullptr) return FileError("client CA names", options.client_ca_file);
    SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
    int mode = SSL_VERIFY_PEER;
    if (options.require_client_cert) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx, mode, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return std::unique_ptr<TlsContext>(new TlsContext(std::move(context), mtls));
}

Result<std::unique_ptr<TlsContext>> TlsContext::CreateClient(const TlsClientOptions& options) {
  if (options.ca_file.empty() && options.ca_pem.empty()) {
    return InvalidArgumentError("TLS client needs ca_file or ca_pem");
  }
  if (options.client_cert_file.empty() != options.client_key_file.empty()) {
    return InvalidArgumentError("client_cert_file and client_key_file go together");
  }
  ERR_clear_error();
  std::unique_ptr<ssl::context> context;
  try {
    context = std::make_unique<ssl::context>(ssl::context::tls_client);
  } catch (const std::exception&) {
    return InternalError("cannot create TLS client context: " + TakeOpenSslReason());
  }
  SSL_CTX* ctx = context->native_handle();
  RETURN_IF_ERROR(ApplyCommonPolicy(ctx));
  if (!options.ca_file.empty() &&
      SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
    return FileError("CA certificates", options.ca_file);
  }
  if (!options.ca_pem.empty()) {
    boost::system::error_code ec;
    context->add_certificate_authority(
        boost::asio::buffer(options.ca_pem.data(), options.ca_pem.size()), ec);
    if (ec) return InvalidArgumentError("cannot parse CA PEM: " + ec.message());
  }
  if (!options.client_cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, options.client_cert_file.c_str()) != 1) {
      return FileError("client certificate", options.client_cert_file);
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, options.client_key_file.c_str(), SSL_FILETYPE_PEM) !=
        1) {
      return FileError("client private key", options.client_key_file);
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      TakeOpenSslReason();
      return InvalidArgumentError("client key '" + options.client_key_file +
                                  "' does not match certificate '" +
                                  options.client_cert_file + "'");
    }
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return std::unique_ptr<TlsContext>(new TlsContext(std::move(context), false));
}

std::optional<ClientCert> VerifiedPeerCertificate(const SSL* ssl) {
  if (ssl == nullptr) return std::nullopt;
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;

  ClientCert out;
  const X509_NAME* subject = X509_get_subject_name(cert);
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    if (X509_NAME_print_ex(bio, subject, 0, XN_FLAG_RFC2253) >= 0) {
      char* data = nullptr;
      const long len = BIO_get_mem_data(bio, &data);
      if (data != nullptr && len > 0) out.subject.assign(data, static_cast<size_t>(len));
    }
    BIO_free(bio);
  }
  const int idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (idx >= 0) {
    const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, cn);
    if (len > 0 && utf8 != nullptr) {
      out.common_name.assign(reinterpret_cast<const char*>(utf8), static_cast<size_t>(len));
    }
    OPENSSL_free(utf8);
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &md_len) == 1) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.sha256_fingerprint.reserve(md_len * 2);
    for (unsigned int i = 0; i < md_len; ++i) {
      out.sha256_fingerprint.push_back(kHex[md[i] >> 4]);
      out.sha256_fingerprint.push_back(kHex[md[i] & 0xf]);
    }
  }
  return out;
}

}  // namespace kura::http
