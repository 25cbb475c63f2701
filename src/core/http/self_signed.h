// Development certificates: a throw-away CA plus a server certificate it
// signed, and client certificates for mTLS, all ECDSA P-256 / SHA-256,
// built with OpenSSL's EVP and X509 APIs.
//
// Used by `kura dev`, the demo and tests. Production deployments bring
// certificates from the issuer's PKI.
//
// Validity starts one minute before the current system time (OpenSSL
// verifies against the system clock, so an injected Clock would not help)
// and lasts `days`. Serial numbers are 128 random bits from OpenSSL's CSPRNG.
//
// Thread safety: free functions, safe to call concurrently.
#ifndef KURA_CORE_HTTP_SELF_SIGNED_H_
#define KURA_CORE_HTTP_SELF_SIGNED_H_

#include <string>
#include <vector>

#include "core/base/secret.h"
#include "core/base/status.h"

namespace kura::http {

// Upper bound on `days` (about ten years).
inline constexpr int kMaxCertDays = 3650;

struct SelfSignedCert {
  std::string ca_cert_pem;  // CA:TRUE, keyCertSign; subject "CN=<cn> CA"
  SecretBytes ca_key_pem;   // PKCS#8 PEM
  std::string cert_pem;     // the server certificate (serverAuth + SANs)
  SecretBytes key_pem;      // PKCS#8 PEM
};

struct IssuedCert {
  std::string cert_pem;
  SecretBytes key_pem;  // PKCS#8 PEM
};

// Creates a CA and a server certificate for `common_name` with the given
// subjectAltNames (DNS names and IPv4/IPv6 literals).
// Errors: kInvalidArgument for an empty common name, days outside
// [1, kMaxCertDays], or an IP address OpenSSL cannot parse; kInternal if
// OpenSSL fails.
Result<SelfSignedCert> GenerateSelfSignedCert(std::string common_name,
                                              std::vector<std::string> dns_names,
                                              std::vector<std::string> ip_addresses, int days);

// Issues a client certificate (clientAuth) for `common_name`, signed by the
// CA in `ca` (only ca_cert_pem and ca_key_pem are used).
// Errors: kInvalidArgument for an empty name, bad days or an unparsable CA;
// kInternal if OpenSSL fails.
Result<IssuedCert> IssueClientCert(const SelfSignedCert& ca, std::string common_name,
                                   int days = 30);

}  // namespace kura::http

#endif  // KURA_CORE_HTTP_SELF_SIGNED_H_
