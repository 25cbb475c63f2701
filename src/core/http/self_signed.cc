#include "core/http/self_signed.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace kura::http {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

Status OpenSslError(std::string_view what) {
  ERR_clear_error();
  return InternalError("OpenSSL failed to " + std::string(what));
}

Result<PkeyPtr> NewP256Key() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return OpenSslError("generate a P-256 key");
  return key;
}

// Adds one X509v3 extension given in openssl.cnf syntax.
Status AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return InvalidArgumentError("invalid certificate extension value");
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) return OpenSslError("add a certificate extension");
  return OkStatus();
}

// A certificate for `key` named `cn`, valid for `days`, not yet signed.
Result<X509Ptr> NewCert(EVP_PKEY* key, const std::string& cn, int days) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return OpenSslError("create a certificate");
  }
  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1) return OpenSslError("draw a serial");
  serial_bytes[0] &= 0x7f;  // keep the INTEGER positive
  BIGNUM* bn = BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr);
  const bool serial_ok = bn != nullptr &&
                         BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr;
  BN_free(bn);
  if (!serial_ok) return OpenSslError("set the serial number");
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * days) == nullptr) {
    return OpenSslError("set the validity period");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1) {
    return OpenSslError("set the subject");
  }
  if (X509_set_pubkey(cert.get(), key) != 1) return OpenSslError("set the public key");
  return cert;
}

Status Sign(X509* cert, X509* issuer, EVP_PKEY* issuer_key) {
  if (X509_set_issuer_name(cert, X509_get_subject_name(issuer)) != 1 ||
      X509_sign(cert, issuer_key, EVP_sha256()) <= 0) {
    return OpenSslError("sign a certificate");
  }
  return OkStatus();
}

Result<std::string> CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return OpenSslError("encode a certificate");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// The key PEM goes straight from the BIO into SecretBytes; the BIO is
// cleansed on free (BIO_s_secmem).
Result<SecretBytes> KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("encode a private key");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return SecretBytes(reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(len));
}

Status CheckArgs(const std::string& cn, int days) {
  if (cn.empty()) return InvalidArgumentError("certificate common name is empty");
  if (days < 1 || days > kMaxCertDays) {
    return InvalidArgumentError("certificate validity must be 1.." + std::to_string(kMaxCertDays) +
                                " days");
  }
  return OkStatus();
}

}  // namespace

Result<SelfSignedCert> GenerateSelfSignedCert(std::string common_name,
                                              std::vector<std::string> dns_names,
                                              std::vector<std::string> ip_addresses, int days) {
  RETURN_IF_ERROR(CheckArgs(common_name, days));
  std::string san;
  for (const auto& dns : dns_names) {
    if (dns.empty() || dns.find_first_of(",\n") != std::string::npos) {
      return InvalidArgumentError("invalid DNS name for certificate");
    }
    san += (san.empty() ? "DNS:" : ",DNS:") + dns;
  }
  for (const auto& ip : ip_addresses) {
    ASN1_OCTET_STRING* parsed = a2i_IPADDRESS(ip.c_str());
    if (parsed == nullptr) {
      ERR_clear_error();
      return InvalidArgumentError("invalid IP address for certificate: " + ip);
    }
    ASN1_OCTET_STRING_free(parsed);
    san += (san.empty() ? "IP:" : ",IP:") + ip;
  }

  ASSIGN_OR_RETURN(PkeyPtr ca_key, NewP256Key());
  ASSIGN_OR_RETURN(X509Ptr ca, NewCert(ca_key.get(), common_name + " CA", days));
  RETURN_IF_ERROR(AddExt(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  RETURN_IF_ERROR(AddExt(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  RETURN_IF_ERROR(AddExt(ca.get(), ca.get(), NID_subject_key_identifier, "hash"));
  RETURN_IF_ERROR(Sign(ca.get(), ca.get(), ca_key.get()));

  ASSIGN_OR_RETURN(PkeyPtr key, NewP256Key());
  ASSIGN_OR_RETURN(X509Ptr cert, NewCert(key.get(), common_name, days));
  RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE"));
  RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature"));
  RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth"));
  RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_authority_key_identifier, "keyid"));
  if (!san.empty()) RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_subject_alt_name, san));
  RETURN_IF_ERROR(Sign(cert.get(), ca.get(), ca_key.get()));

  SelfSignedCert out;
  ASSIGN_OR_RETURN(out.ca_cert_pem, CertPem(ca.get()));
  ASSIGN_OR_RETURN(out.ca_key_pem, KeyPem(ca_key.get()));
  ASSIGN_OR_RETURN(out.cert_pem, CertPem(cert.get()));
  ASSIGN_OR_RETURN(out.key_pem, KeyPem(key.get()));
  return out;
}

Result<IssuedCert> IssueClientCert(const SelfSignedCert& ca, std::string common_name, int days) {
  RETURN_IF_ERROR(CheckArgs(common_name, days));
  BioPtr ca_bio(BIO_new_mem_buf(ca.ca_cert_pem.data(), static_cast<int>(ca.ca_cert_pem.size())));
  X509Ptr ca_cert(ca_bio ? PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr) : nullptr);
  BioPtr key_bio(BIO_new_mem_buf(ca.ca_key_pem.data(), static_cast<int>(ca.ca_key_pem.size())));
  PkeyPtr ca_key(key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr)
                         : nullptr);
  if (!ca_cert || !ca_key) {
    ERR_clear_error();
    return InvalidArgumentError("cannot parse the CA certificate or key");
  }
  ASSIGN_OR_RETURN(PkeyPtr key, NewP256Key());
  ASSIGN_OR_RETURN(X509Ptr cert, NewCert(key.get(), common_name, days));
  RETURN_IF_ERROR(AddExt(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  RETURN_IF_ERROR(AddExt(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature"));
  RETURN_IF_ERROR(AddExt(cert.get(), ca_cert.get(), NID_ext_key_usage, "clientAuth"));
  RETURN_IF_ERROR(Sign(cert.get(), ca_cert.get(), ca_key.get()));
  IssuedCert out;
  ASSIGN_OR_RETURN(out.cert_pem, CertPem(cert.get()));
  ASSIGN_OR_RETURN(out.key_pem, KeyPem(key.get()));
  return out;
}

}  // namespace kura::http
