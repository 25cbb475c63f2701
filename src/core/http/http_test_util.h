// Test-only helpers for the HTTP tests: a PKI written to a temporary
// directory, option presets, and a raw TLS client that can misbehave
// (old protocol versions, weak ciphers, slow writes).
#ifndef KURA_CORE_HTTP_HTTP_TEST_UTIL_H_
#define KURA_CORE_HTTP_HTTP_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

#include "core/http/http_server.h"
#include "core/http/https_client.h"
#include "core/http/self_signed.h"

namespace kura::http::testing {

// A fresh directory under /tmp (mkdtemp). Not removed: tests are short-lived
// and the files are throw-away certificates.
std::string MakeTempDir();
void WriteTestFile(const std::string& path, std::string_view data);

struct TestPki {
  std::string dir;
  std::string ca_file;           // CA of the server and client certificates
  std::string cert_file;         // server: CN=localhost, SAN localhost, 127.0.0.1, ::1
  std::string key_file;
  std::string client_cert_file;  // CN=batch-job, issued by ca_file's CA
  std::string client_key_file;
  std::string other_ca_file;           // an unrelated CA
  std::string other_client_cert_file;  // CN=batch-job, issued by the unrelated CA
  std::string other_client_key_file;
};

// Generated once per test binary.
const TestPki& GetTestPki();

// Loopback server with small thread pools and the test PKI.
HttpServerOptions TestServerOptions();
// Client trusting the test CA.
HttpsClientOptions TestClientOptions();

// A blocking TLS client over a plain Asio socket. Does not verify the
// server: these tests are about what the server accepts.
class RawTlsClient {
 public:
  // min/max_version: TLS1_1_VERSION etc., 0 = library default. An empty
  // cipher list keeps the default.
  RawTlsClient(int min_version, int max_version, const std::string& cipher_list);

  // TCP connect to 127.0.0.1:port only.
  boost::system::error_code ConnectTcp(uint16_t port);
  // TCP connect and TLS handshake.
  boost::system::error_code Connect(uint16_t port);
  boost::system::error_code Write(std::string_view data);
  // Reads until EOF or an error (returned in `ec`); returns what was read.
  std::string ReadAll(boost::system::error_code& ec);
  // Negotiated protocol, e.g. "TLSv1.3".
  std::string Protocol();

 private:
  boost::asio::io_context ioc_;
  boost::asio::ssl::context ctx_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> stream_;
};

}  // namespace kura::http::testing

#endif  // KURA_CORE_HTTP_HTTP_TEST_UTIL_H_
