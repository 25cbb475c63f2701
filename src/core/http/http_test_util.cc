#include "core/http/http_test_util.h"

#include <openssl/ssl.h>
#include <stdlib.h>

#include <fstream>
#include <stdexcept>

namespace kura::http::testing {

namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string MakeTempDir() {
  std::string tmpl = "/tmp/kura_http_test_XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

void WriteTestFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

namespace {

TestPki BuildPki() {
  TestPki pki;
  pki.dir = MakeTempDir();
  auto certs = GenerateSelfSignedCert("localhost", {"localhost"}, {"127.0.0.1", "::1"}, 2);
  if (!certs.ok()) throw std::runtime_error(certs.status().ToString());
  auto client = IssueClientCert(*certs, "batch-job");
  if (!client.ok()) throw std::runtime_error(client.status().ToString());
  auto other = GenerateSelfSignedCert("other", {"other.test"}, {}, 2);
  if (!other.ok()) throw std::runtime_error(other.status().ToString());
  auto other_client = IssueClientCert(*other, "batch-job");
  if (!other_client.ok()) throw std::runtime_error(other_client.status().ToString());

  pki.ca_file = pki.dir + "/ca.pem";
  pki.cert_file = pki.dir + "/server.pem";
  pki.key_file = pki.dir + "/server.key";
  pki.client_cert_file = pki.dir + "/client.pem";
  pki.client_key_file = pki.dir + "/client.key";
  pki.other_ca_file = pki.dir + "/other_ca.pem";
  pki.other_client_cert_file = pki.dir + "/other_client.pem";
  pki.other_client_key_file = pki.dir + "/other_client.key";
  WriteTestFile(pki.ca_file, certs->ca_cert_pem);
  WriteTestFile(pki.cert_file, certs->cert_pem);
  WriteTestFile(pki.key_file, certs->key_pem.view());
  WriteTestFile(pki.client_cert_file, client->cert_pem);
  WriteTestFile(pki.client_key_file, client->key_pem.view());
  WriteTestFile(pki.other_ca_file, other->ca_cert_pem);
  WriteTestFile(pki.other_client_cert_file, other_client->cert_pem);
  WriteTestFile(pki.other_client_key_file, other_client->key_pem.view());
  return pki;
}

}  // namespace

const TestPki& GetTestPki() {
  static const TestPki* pki = new TestPki(BuildPki());
  return *pki;
}

HttpServerOptions TestServerOptions() {
  const TestPki& pki = GetTestPki();
  HttpServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.tls.cert_chain_file = pki.cert_file;
  options.tls.private_key_file = pki.key_file;
  options.io_threads = 2;
  options.handler_threads = 4;
  options.shutdown_grace = std::chrono::milliseconds(2000);
  return options;
}

HttpsClientOptions TestClientOptions() {
  HttpsClientOptions options;
  options.ca_file = GetTestPki().ca_file;
  options.timeout = std::chrono::milliseconds(5000);
  return options;
}

RawTlsClient::RawTlsClient(int min_version, int max_version, const std::string& cipher_list)
    : ctx_(net::ssl::context::tls_client) {
  SSL_CTX* ctx = ctx_.native_handle();
  if (min_version != 0) SSL_CTX_set_min_proto_version(ctx, min_version);
  if (max_version != 0) SSL_CTX_set_max_proto_version(ctx, max_version);
  if (!cipher_list.empty()) SSL_CTX_set_cipher_list(ctx, cipher_list.c_str());
  ctx_.set_verify_mode(net::ssl::verify_none);
}

boost::system::error_code RawTlsClient::ConnectTcp(uint16_t port) {
  stream_ = std::make_unique<net::ssl::stream<tcp::socket>>(ioc_, ctx_);
  boost::system::error_code ec;
  stream_->lowest_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  return ec;
}

boost::system::error_code RawTlsClient::Connect(uint16_t port) {
  boost::system::error_code ec = ConnectTcp(port);
  if (ec) return ec;
  stream_->handshake(net::ssl::stream_base::client, ec);
  return ec;
}

boost::system::error_code RawTlsClient::Write(std::string_view data) {
  boost::system::error_code ec;
  net::write(*stream_, net::buffer(data.data(), data.size()), ec);
  return ec;
}

std::string RawTlsClient::ReadAll(boost::system::error_code& ec) {
  std::string out;
  char buf[4096];
  while (true) {
    const size_t n = stream_->read_some(net::buffer(buf), ec);
    out.append(buf, n);
    if (ec) return out;
  }
}

std::string RawTlsClient::Protocol() { return SSL_get_version(stream_->native_handle()); }

}  // namespace kura::http::testing
