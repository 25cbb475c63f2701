#include "core/http/https_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>

#include "core/http/tls_context.h"

namespace kura::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::uint32_t kMaxResponseHeaderBytes = 64 * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// True for errors meaning "the peer had already closed this connection".
bool IsClosedConnection(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::ssl::error::stream_truncated;
}

}  // namespace

struct HttpsClient::Impl {
  HttpsClientOptions options;
  std::unique_ptr<TlsContext> tls;
  net::io_context ioc;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream;
  std::string host;
  uint16_t port = 0;
  beast::flat_buffer buffer;
  uint64_t opened = 0;

  // Runs the private io_context until the operation just started completes
  // (the operations are asynchronous only so that timeouts apply).
  void RunPending() {
    ioc.restart();
    ioc.run();
  }

  void Close() {
    if (stream) {
      beast::get_lowest_layer(*stream).close();
      RunPending();  // lets cancelled handlers, if any, finish
      stream.reset();
    }
    buffer.clear();
  }

  Status Connect(std::string_view new_host, uint16_t new_port);
  Result<HttpResponse> RoundTrip(bhttp::request<bhttp::string_body>& request, bool& closed);
};

Status HttpsClient::Impl::Connect(std::string_view new_host, uint16_t new_port) {
  Close();
  host = std::string(new_host);
  port = new_port;
  const std::string where = host + ":" + std::to_string(port);

  error_code ec;
  tcp::resolver::results_type endpoints;
  tcp::resolver resolver(ioc);
  resolver.async_resolve(host, std::to_string(port),
                         [&](const error_code& e, tcp::resolver::results_type r) {
                           ec = e;
                           endpoints = std::move(r);
                         });
  RunPending();
  if (ec) return UnavailableError("cannot resolve " + host + ": " + ec.message());

  stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc, tls->asio_context());
  auto& lowest = beast::get_lowest_layer(*stream);
  lowest.expires_after(options.timeout);
  lowest.async_connect(endpoints, [&](const error_code& e, const tcp::endpoint&) { ec = e; });
  RunPending();
  if (ec == beast::error::timeout) return DeadlineExceededError("timed out connecting to " + where);
  if (ec) return UnavailableError("cannot connect to " + where + ": " + ec.message());

  SSL* ssl = stream->native_handle();
  error_code not_ip;
  net::ip::make_address(host, not_ip);
  if (!not_ip) {
    if (options.verify_hostname &&
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) != 1) {
      return InvalidArgumentError("cannot verify IP address " + host);
    }
  } else {
    // SNI; the SSL_set_tlsext_host_name macro hides a C cast.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(host.c_str()));
    if (options.verify_hostname && SSL_set1_host(ssl, host.c_str()) != 1) {
      return InvalidArgumentError("cannot verify host name " + host);
    }
  }
  stream->async_handshake(net::ssl::stream_base::client, [&](const error_code& e) { ec = e; });
  RunPending();
  if (ec == beast::error::timeout) {
    Close();
    return DeadlineExceededError("timed out in TLS handshake with " + where);
  }
  if (ec) {
    Close();
    return UnavailableError("TLS handshake with " + where + " failed: " + ec.message());
  }
  ++opened;
  return OkStatus();
}

Result<HttpResponse> HttpsClient::Impl::RoundTrip(bhttp::request<bhttp::string_body>& request,
                                                  bool& closed) {
  closed = false;
  const std::string where = host + ":" + std::to_string(port);
  auto& lowest = beast::get_lowest_layer(*stream);
  lowest.expires_after(options.timeout);
  error_code ec;
  bhttp::async_write(*stream, request, [&](const error_code& e, size_t) { ec = e; });
  RunPending();
  if (ec == beast::error::timeout) return DeadlineExceededError("timed out writing to " + where);
  if (ec) {
    closed = IsClosedConnection(ec);
    return UnavailableError("cannot send request to " + where + ": " + ec.message());
  }

  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(kMaxResponseHeaderBytes);
  parser.body_limit(static_cast<std::uint64_t>(options.max_response_body_bytes));
  bhttp::async_read(*stream, buffer, parser, [&](const error_code& e, size_t) { ec = e; });
  RunPending();
  if (ec == beast::error::timeout) return DeadlineExceededError("timed out reading from " + where);
  if (ec == bhttp::error::body_limit) {
    return ResourceExhaustedError("response body from " + where + " is too large");
  }
  if (ec) {
    closed = IsClosedConnection(ec) && !parser.got_some();
    return UnavailableError("cannot read response from " + where + ": " + ec.message());
  }
  bhttp::response<bhttp::string_body> message = parser.release();
  HttpResponse out;
  out.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    out.headers.emplace_back(Lower(field.name_string()), std::string(field.value()));
  }
  if (auto it = message.find(bhttp::field::content_type); it != message.end()) {
    out.content_type = std::string(it->value());
  }
  out.body = std::move(message.body());
  if (!message.keep_alive()) Close();
  return out;
}

HttpsClient::HttpsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpsClient::~HttpsClient() { impl_->Close(); }

Result<std::unique_ptr<HttpsClient>> HttpsClient::Create(HttpsClientOptions options) {
  if (options.timeout.count() <= 0) return InvalidArgumentError("client timeout must be positive");
  TlsClientOptions tls_options;
  tls_options.ca_file = options.ca_file;
  tls_options.ca_pem = options.ca_pem;
  tls_options.client_cert_file = options.client_cert_file;
  tls_options.client_key_file = options.client_key_file;
  ASSIGN_OR_RETURN(std::unique_ptr<TlsContext> tls, TlsContext::CreateClient(tls_options));
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->tls = std::move(tls);
  return std::unique_ptr<HttpsClient>(new HttpsClient(std::move(impl)));
}

Result<HttpResponse> HttpsClient::Request(
    std::string_view method, std::string_view host, uint16_t port, std::string_view target,
    std::string_view body, const std::vector<std::pair<std::string, std::string>>& headers) {
  try {
    return RequestImpl(method, host, port, target, body, headers);
  } catch (const std::length_error&) {
    // Beast refuses header fields over 64 KiB by throwing.
    impl_->Close();
    return InvalidArgumentError("request header field too large");
  } catch (const std::exception&) {
    impl_->Close();
    return InternalError("HTTPS client failed unexpectedly");
  }
}

Result<HttpResponse> HttpsClient::RequestImpl(
    std::string_view method, std::string_view host, uint16_t port, std::string_view target,
    std::string_view body, const std::vector<std::pair<std::string, std::string>>& headers) {
  const bhttp::verb verb = bhttp::string_to_verb(method);
  if (verb == bhttp::verb::unknown) return InvalidArgumentError("unknown HTTP method");
  if (target.empty() || target.front() != '/' || HasLineBreak(target) ||
      target.find(' ') != std::string_view::npos) {
    return InvalidArgumentError("request target must be an absolute path");
  }
  bhttp::request<bhttp::string_body> request{verb, target, 11};
  std::string host_header(host);
  if (host_header.find(':') != std::string::npos) host_header = "[" + host_header + "]";
  if (port != 443) host_header += ":" + std::to_string(port);
  request.set(bhttp::field::host, host_header);
  request.set(bhttp::field::user_agent, "kura-https-client");
  for (const auto& [name, value] : headers) {
    if (name.empty() || HasLineBreak(name) || HasLineBreak(value)) {
      return InvalidArgumentError("request header contains a line break");
    }
    request.set(name, value);
  }
  request.body() = std::string(body);
  if (!body.empty() || verb == bhttp::verb::post || verb == bhttp::verb::put ||
      verb == bhttp::verb::patch) {
    request.prepare_payload();
  }

  Impl& c = *impl_;
  const bool reuse = c.stream != nullptr && c.host == host && c.port == port;
  if (!reuse) RETURN_IF_ERROR(c.Connect(host, port));
  bool closed = false;
  Result<HttpResponse> result = c.RoundTrip(request, closed);
  if (!result.ok() && closed && reuse) {
    RETURN_IF_ERROR(c.Connect(host, port));
    result = c.RoundTrip(request, closed);
  }
  if (!result.ok()) c.Close();
  return result;
}

void HttpsClient::Close() { impl_->Close(); }

uint64_t HttpsClient::connections_opened() const { return impl_->opened; }

}  // namespace kura::http
