// Integration tests: a real VaultServer on 127.0.0.1 spoken to over real
// TLS, with a fake clock so grant expiry is tested without sleeping.
#include "vault/vault_server.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/auth/api_key_store.h"
#include "core/crypto/ed25519.h"
#include "core/http/https_client.h"
#include "core/http/self_signed.h"
#include "core/keyring/key_provider.h"
#include "vault/dev_setup.h"
#include "vault/reveal_grant.h"
#include "vault/sqlite_card_store.h"

namespace kura::vault {
namespace {

namespace json = boost::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kVisa[] = "4111111111111111";
constexpr char kMastercard[] = "5555555555554444";

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class VaultServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kura-vault-server-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Result<DevSetup> d = CreateDevSetup(fs_, dir_, DevSetupOptions{}, clock_, random_);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    setup_ = std::move(d).value();
    // A second principal with only cards:read, for scope checks.
    auto keys = auth::ApiKeyStore::Open(fs_, setup_.config.InDataDir(setup_.config.api_keys_file),
                                        clock_, random_);
    ASSERT_TRUE(keys.ok());
    reader_key_ = std::string((*keys)->Create("reader", {"cards:read"})->view());
    StartServer();
  }

  void TearDown() override {
    client_.reset();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  void StartServer() {
    keyring::ComponentFilesKeyProvider keys(fs_, setup_.component_paths);
    Result<std::unique_ptr<VaultServer>> s =
        VaultServer::Start(setup_.config, keys, VaultEnv{fs_, clock_, random_});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    http::HttpsClientOptions o;
    o.ca_file = setup_.ca_cert_path;
    client_ = std::move(http::HttpsClient::Create(o)).value();
  }

  http::HttpResponse Call(std::string_view method, std::string_view target,
                          std::string_view body = {}, std::string key = "<dev>",
                          std::string content_type = "application/json") {
    Headers h;
    if (key == "<dev>") key = std::string(setup_.api_key.view());
    if (!key.empty()) h.emplace_back("Authorization", "Bearer " + key);
    if (!body.empty() || method == "POST") h.emplace_back("Content-Type", content_type);
    Result<http::HttpResponse> r =
        client_->Request(method, "127.0.0.1", server_->port(), target, body, h);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : http::HttpResponse{};
  }

  static json::object Body(const http::HttpResponse& r) {
    json::error_code ec;
    json::value v = json::parse(r.body, ec);
    EXPECT_FALSE(ec) << r.body;
    return v.is_object() ? v.get_object() : json::object{};
  }
  static std::string ErrorCode(const http::HttpResponse& r) {
    json::object o = Body(r);
    if (!o.contains("error")) return "<no error object>";
    return std::string(o["error"].as_object()["code"].as_string());
  }

  std::string StoreCard(std::string_view pan, std::string_view extra = "") {
    std::string body = std::string(R"({"pan":")") + std::string(pan) +
                       R"(","exp_month":12,"exp_year":2030)" + std::string(extra) + "}";
    http::HttpResponse r = Call("POST", "/v1/cards", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(Body(r)["token"].as_string());
  }

  std::string Grant(const std::string& token, GrantMintOptions o = {}) {
    o.issuer = setup_.grant_issuer;
    auto key = crypto::Ed25519PrivateKey::FromPem(*fs_.ReadFile(setup_.grant_private_key_path));
    return *MintGrant(*key, token, o, clock_, random_);
  }

  std::string dir_;
  PosixFileSystem fs_;
  FakeClock clock_{1'767'225'600'000};  // 2026-01-01T00:00:00Z
  OsRandom random_;
  DevSetup setup_;
  std::string reader_key_;
  std::unique_ptr<VaultServer> server_;
  std::unique_ptr<http::HttpsClient> client_;
};

TEST_F(VaultServerTest, HealthNeedsNoCredentials) {
  http::HttpResponse r = Call("GET", "/healthz", "", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ok"})");
}

TEST_F(VaultServerTest, StoreReadRevealDeleteRoundTrip) {
  http::HttpResponse stored =
      Call("POST", "/v1/cards", R"({"pan":"4111111111111111","exp_month":12,"exp_year":2030})");
  ASSERT_EQ(stored.status, 201) << stored.body;
  json::object s = Body(stored);
  const std::string token(s["token"].as_string());
  EXPECT_EQ(token.rfind("tok_", 0), 0u);
  EXPECT_EQ(s["card"].as_object()["masked_pan"].as_string(), "411111******1111");
  EXPECT_EQ(s["card"].as_object()["brand"].as_string(), "visa");
  EXPECT_EQ(s["duplicate"].as_bool(), false);
  EXPECT_EQ(s["fingerprint"].as_string().size(), 64u);
  EXPECT_EQ(stored.body.find(kVisa), std::string::npos);

  http::HttpResponse read = Call("GET", "/v1/cards/" + token);
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(read.body.find(kVisa), std::string::npos);
  EXPECT_EQ(Body(read)["card"].as_object()["last4"].as_string(), "1111");

  http::HttpResponse revealed = Call("POST", "/v1/cards/" + token + "/reveal", "");
  ASSERT_EQ(revealed.status, 200) << revealed.body;
  EXPECT_EQ(Body(revealed)["pan"].as_string(), kVisa);

  EXPECT_EQ(Call("DELETE", "/v1/cards/" + token).status, 204);
  EXPECT_EQ(Call("GET", "/v1/cards/" + token).status, 404);
  EXPECT_EQ(Call("POST", "/v1/cards/" + token + "/reveal", "").status, 404);
}

TEST_F(VaultServerTest, FptTokenAndDedupOverHttps) {
  http::HttpResponse r = Call(
      "POST", "/v1/cards",
      R"({"pan":"5555555555554444","exp_month":6,"exp_year":2029,"token_format":"fpt","dedup":true})");
  ASSERT_EQ(r.status, 201);
  const std::string token(Body(r)["token"].as_string());
  EXPECT_EQ(token.size(), 16u);
  EXPECT_EQ(token.substr(12), "4444");
  http::HttpResponse again = Call(
      "POST", "/v1/cards", R"({"pan":"5555555555554444","exp_month":6,"exp_year":2029,"dedup":true})");
  ASSERT_EQ(again.status, 201);
  EXPECT_EQ(Body(again)["token"].as_string(), token);
  EXPECT_EQ(Body(again)["duplicate"].as_bool(), true);
}

struct BadInput {
  const char* name;
  const char* body;
  const char* content_type;
  int status;
  const char* code;
};

TEST_F(VaultServerTest, BadInputIsRefusedAndNothingIsStored) {
  const BadInput cases[] = {
      {"short pan", R"({"pan":"411111111111","exp_month":12,"exp_year":2030})", "application/json", 400, "invalid_card"},
      {"long pan", R"({"pan":"41111111111111111111","exp_month":12,"exp_year":2030})", "application/json", 400, "invalid_card"},
      {"non-digits", R"({"pan":"4111-1111-1111-1111","exp_month":12,"exp_year":2030})", "application/json", 400, "invalid_card"},
      {"luhn", R"({"pan":"4111111111111112","exp_month":12,"exp_year":2030})", "application/json", 400, "invalid_card"},
      {"past expiry", R"({"pan":"4111111111111111","exp_month":12,"exp_year":2025})", "application/json", 400, "invalid_card"},
      {"month 13", R"({"pan":"4111111111111111","exp_month":13,"exp_year":2030})", "application/json", 400, "invalid_card"},
      {"string month", R"({"pan":"4111111111111111","exp_month":"12","exp_year":2030})", "application/json", 400, "invalid_request"},
      {"malformed json", R"({"pan":"4111111111111111",)", "application/json", 400, "invalid_request"},
      {"array", R"([1,2,3])", "application/json", 400, "invalid_request"},
      {"unknown field", R"({"pan":"4111111111111111","exp_month":12,"exp_year":2030,"cvv":"123"})", "application/json", 400, "invalid_request"},
      {"wrong content type", R"({"pan":"4111111111111111","exp_month":12,"exp_year":2030})", "text/plain", 415, "unsupported_media_type"},
  };
  for (const BadInput& c : cases) {
    http::HttpResponse r = Call("POST", "/v1/cards", c.body, "<dev>", c.content_type);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), c.code) << c.name;
    EXPECT_EQ(r.body.find("4111111111111"), std::string::npos) << c.name << " echoed the PAN";
  }
  // Oversize body: refused by the server before parsing.
  std::string huge = R"({"pan":"4111111111111111","exp_month":12,"exp_year":2030,"name":")" +
                     std::string(100 * 1024, 'x') + "\"}";
  Result<http::HttpResponse> big = client_->Request(
      "POST", "127.0.0.1", server_->port(), "/v1/cards", huge,
      {{"Authorization", "Bearer " + std::string(setup_.api_key.view())},
       {"Content-Type", "application/json"}});
  if (big.ok()) {
    EXPECT_EQ(big->status, 413);
  }  // else: the server closed the connection mid-upload, also a refusal.

  client_->Close();
  SqliteCardStoreOptions o;
  o.path = setup_.config.InDataDir(setup_.config.database_file);
  auto store = SqliteCardStore::Open(o);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->Count(), 0);
}

TEST_F(VaultServerTest, AuthenticationAndScopes) {
  const std::string token = StoreCard(kVisa);
  http::HttpResponse none = Call("GET", "/v1/cards/" + token, "", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(ErrorCode(none), "unauthenticated");
  http::HttpResponse wrong = Call("GET", "/v1/cards/" + token, "", "kura_0000000000000000_AAAA");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(Call("GET", "/v1/cards/" + token, "", reader_key_).status, 200);
  http::HttpResponse denied = Call("POST", "/v1/cards/" + token + "/reveal", "", reader_key_);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(ErrorCode(denied), "permission_denied");
  EXPECT_EQ(Call("POST", "/v1/cards", R"({"pan":"5555555555554444","exp_month":1,"exp_year":2030})",
                 reader_key_)
                .status,
            403);
}

TEST_F(VaultServerTest, GrantRevealsOnceAndRejectsBadGrants) {
  const std::string token = StoreCard(kMastercard);
  const std::string other = StoreCard(kVisa);
  auto reveal = [&](const std::string& t, const std::string& g) {
    return Call("POST", "/v1/reveal", R"({"token":")" + t + R"(","grant":")" + g + "\"}", "");
  };
  const std::string g = Grant(token);
  http::HttpResponse ok = reveal(token, g);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Body(ok)["pan"].as_string(), kMastercard);
  http::HttpResponse replay = reveal(token, g);
  EXPECT_EQ(replay.status, 401);
  EXPECT_EQ(ErrorCode(replay), "invalid_grant");

  // A grant for one card does not reveal another.
  EXPECT_EQ(reveal(other, Grant(token)).status, 403);
  // Wrong audience.
  GrantMintOptions aud;
  aud.audience = "other-vault";
  EXPECT_EQ(reveal(token, Grant(token, aud)).status, 401);
  // Expired: mint, then move the vault's clock past exp + skew.
  const std::string late = Grant(token);
  clock_.Advance(std::chrono::seconds(90));
  EXPECT_EQ(reveal(token, late).status, 401);
  // Signed by a key the vault does not trust.
  auto stranger = crypto::Ed25519PrivateKey::Generate();
  GrantMintOptions o;
  o.issuer = setup_.grant_issuer;
  EXPECT_EQ(reveal(token, *MintGrant(*stranger, token, o, clock_, random_)).status, 401);
  // Garbage.
  EXPECT_EQ(reveal(token, "not.a.jws").status, 400);
}

TEST_F(VaultServerTest, ReplayCacheSurvivesRestart) {
  const std::string token = StoreCard(kVisa);
  const std::string g = Grant(token);
  const std::string body = R"({"token":")" + token + R"(","grant":")" + g + "\"}";
  EXPECT_EQ(Call("POST", "/v1/reveal", body, "").status, 200);
  client_.reset();
  server_.reset();
  StartServer();
  EXPECT_EQ(Call("POST", "/v1/reveal", body, "").status, 401);
}

TEST_F(VaultServerTest, EveryDecisionIsAuditedAndNoPanReachesAnyFile) {
  const std::string t1 = StoreCard(kVisa, R"(,"name":"Ada Lovelace")");
  const std::string t2 = StoreCard(kMastercard, R"(,"token_format":"fpt")");
  Call("GET", "/v1/cards/" + t1);
  Call("POST", "/v1/cards/" + t2 + "/reveal", "");
  Call("GET", "/v1/cards/" + t1, "", "");  // auth failure
  Call("POST", "/v1/cards", R"({"pan":"4111111111111112","exp_month":12,"exp_year":2030})");
  client_.reset();
  server_.reset();  // graceful shutdown flushes the audit log

  const std::string audit = ReadWholeFile(setup_.config.InDataDir(setup_.config.audit_file));
  for (const char* ev : {"\"config.load\"", "\"service.start\"", "\"card.store\"", "\"card.read\"",
                         "\"card.reveal\"", "\"auth.failure\"", "\"service.stop\""}) {
    EXPECT_NE(audit.find(ev), std::string::npos) << ev << " missing from audit log";
  }
  // Each audit line carries the PCI DSS 10.2.2 fields.
  std::istringstream lines(audit);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    json::object o = json::parse(line).as_object();
    for (const char* f : {"ts", "event", "outcome", "principal", "origin", "resource"}) {
      EXPECT_TRUE(o.contains(f)) << f << " missing in " << line;
    }
    ++n;
  }
  EXPECT_GE(n, 8);

  // Grep every file the vault wrote for every PAN it stored (and the name).
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
    if (!entry.is_regular_file()) continue;
    const std::string content = ReadWholeFile(entry.path());
    ++files;
    for (const char* secret : {kVisa, kMastercard, "4111111111111112", "Ada Lovelace"}) {
      EXPECT_EQ(content.find(secret), std::string::npos)
          << secret << " found in clear in " << entry.path();
    }
  }
  EXPECT_GE(files, 5);
}

TEST_F(VaultServerTest, MtlsClientCertificateIsASecondCredential) {
  const std::string token = StoreCard(kVisa);
  // A separate CA for client certificates; the vault maps CN=batch-runner.
  Result<http::SelfSignedCert> clients_ca =
      http::GenerateSelfSignedCert("kura-clients", {"localhost"}, {}, 1);
  ASSERT_TRUE(clients_ca.ok());
  const std::string ca_path = dir_ + "/clients-ca.pem";
  ASSERT_TRUE(fs_.WriteFileAtomic(ca_path, clients_ca->ca_cert_pem, 0644).ok());
  auto write_client = [&](const std::string& cn) {
    Result<http::IssuedCert> c = http::IssueClientCert(*clients_ca, cn);
    EXPECT_TRUE(c.ok());
    EXPECT_TRUE(fs_.WriteFileAtomic(dir_ + "/" + cn + ".pem", c->cert_pem, 0644).ok());
    EXPECT_TRUE(fs_.WriteFileAtomic(dir_ + "/" + cn + ".key", c->key_pem.view(), 0600).ok());
  };
  write_client("batch-runner");
  write_client("stranger");
  client_.reset();
  server_.reset();
  setup_.config.client_ca = ca_path;
  setup_.config.require_client_cert = false;
  setup_.config.mtls_principals.push_back({"batch-runner", "batch-runner", {"cards:reveal"}});
  StartServer();

  auto mtls_call = [&](const std::string& cn, const std::string& target) {
    http::HttpsClientOptions o;
    o.ca_file = setup_.ca_cert_path;
    o.client_cert_file = dir_ + "/" + cn + ".pem";
    o.client_key_file = dir_ + "/" + cn + ".key";
    auto c = http::HttpsClient::Create(o);
    EXPECT_TRUE(c.ok());
    Result<http::HttpResponse> r = (*c)->Request("POST", "127.0.0.1", server_->port(), target);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : http::HttpResponse{};
  };
  http::HttpResponse ok = mtls_call("batch-runner", "/v1/cards/" + token + "/reveal");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Body(ok)["pan"].as_string(), kVisa);
  // A verified certificate whose CN is not mapped gets nothing.
  EXPECT_EQ(mtls_call("stranger", "/v1/cards/" + token + "/reveal").status, 401);
  // The mapped principal has only cards:reveal.
  http::HttpResponse store = mtls_call("batch-runner", "/v1/cards");
  EXPECT_EQ(store.status, 403) << store.body;
  // API keys keep working alongside.
  EXPECT_EQ(Call("GET", "/v1/cards/" + token).status, 200);
}

}  // namespace
}  // namespace kura::vault
