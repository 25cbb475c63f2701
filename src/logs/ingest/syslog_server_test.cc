#include "logs/ingest/syslog_server.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <chrono>
#include <thread>

#include "core/fs/fault_injecting_file_system.h"
#include "core/http/http_test_util.h"
#include "logs/ingest/ingest_test_util.h"
#include "logs/ingest/wal_reader.h"

namespace kura::logs {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using testing::TempDir;

// Sends `data`, half-closes, and reads until the server closes (which it does
// once everything read is durable). Returns false if the connection failed.
bool SendAll(uint16_t port, const std::string& data) {
  net::io_context ioc;
  tcp::socket s(ioc);
  boost::system::error_code ec;
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return false;
  net::write(s, net::buffer(data), ec);
  s.shutdown(tcp::socket::shutdown_send, ec);
  char buf[64];
  while (!ec) s.read_some(net::buffer(buf), ec);
  return ec == net::error::eof || ec == net::error::connection_reset;
}

std::vector<std::string> Messages(FileSystem& fs, const std::string& dir) {
  std::vector<std::string> out;
  auto records = ReadWalRecords(fs, dir);
  EXPECT_TRUE(records.ok()) << records.status().ToString();
  if (!records.ok()) return out;
  for (const ChainedRecord& r : *records) {
    auto d = DecodeRecord(r.bytes);
    EXPECT_TRUE(d.ok());
    if (d.ok()) out.push_back(d->message);
  }
  return out;
}

class SyslogServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartWith(fs_, {}); }
  void StartWith(FileSystem& fs, SyslogServerOptions o) {
    server_.reset();
    ingestor_.reset();
    wal_.reset();
    auto wal = Wal::Open(fs, WalDir(), {}, {});
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    wal_ = std::move(wal).value();
    ingestor_ = std::make_unique<Ingestor>(*wal_);
    o.on_reject = [this](const std::string& peer, uint64_t n, const Status& first) {
      std::lock_guard<std::mutex> lock(mu_);
      rejects_.push_back(peer + " " + std::to_string(n) + " " + first.message());
    };
    auto server = SyslogServer::Create(o, *ingestor_, clock_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    if (ingestor_) ingestor_->Stop();
  }
  std::string WalDir() const { return tmp_.path() + "/wal"; }
  std::vector<std::string> Rejects() {
    std::lock_guard<std::mutex> lock(mu_);
    return rejects_;
  }

  TempDir tmp_;
  PosixFileSystem fs_;
  FaultInjectingFileSystem faulty_{fs_};
  FakeClock clock_;
  std::unique_ptr<Wal> wal_;
  std::unique_ptr<Ingestor> ingestor_;
  std::unique_ptr<SyslogServer> server_;
  std::mutex mu_;
  std::vector<std::string> rejects_;
};

TEST_F(SyslogServerTest, TcpMixedFramingIsDurableBeforeTheConnectionEnds) {
  std::string stream;
  std::vector<std::string> expected;
  for (int i = 0; i < 500; ++i) {
    const std::string msg = "<14>1 - host app - - - event " + std::to_string(i);
    stream += i % 2 ? std::to_string(msg.size()) + " " + msg : msg + "\n";
    expected.push_back("event " + std::to_string(i));
  }
  ASSERT_TRUE(SendAll(server_->port(), stream));
  EXPECT_EQ(server_->stats().messages_received, 500u);
  EXPECT_EQ(ingestor_->stats().accepted, 500u);
  EXPECT_EQ(Messages(fs_, WalDir()), expected);
  EXPECT_TRUE(Rejects().empty());
}

TEST_F(SyslogServerTest, MalformedMessagesAreRejectedAndTheGoodOnesKept) {
  std::string stream = "<14>good one\n";
  stream += std::string("<14>1 - h a - - - bad \xFF utf8 secret-text\n");
  stream += "<14>1 notatime h a - - - x\n";
  stream += "<14>good two\n";
  ASSERT_TRUE(SendAll(server_->port(), stream));
  EXPECT_EQ(Messages(fs_, WalDir()), (std::vector<std::string>{"good one", "good two"}));
  EXPECT_EQ(server_->stats().messages_rejected, 2u);
  EXPECT_EQ(ingestor_->stats().rejected, 2u);
  ASSERT_EQ(Rejects().size(), 1u);  // one report per read: count and first error
  EXPECT_NE(Rejects()[0].find(" 2 syslog: message is not valid UTF-8"), std::string::npos)
      << Rejects()[0];
  EXPECT_EQ(Rejects()[0].find("secret-text"), std::string::npos);
}

TEST_F(SyslogServerTest, TenMegabyteLineIsRejectedAndTheEventsAroundItKept) {
  const std::string stream =
      "<14>before\n<14>" + std::string(10 << 20, 'z') + "\n<14>after\n";
  ASSERT_TRUE(SendAll(server_->port(), stream));
  EXPECT_EQ(Messages(fs_, WalDir()), (std::vector<std::string>{"before", "after"}));
  EXPECT_EQ(server_->stats().messages_rejected, 1u);
  ASSERT_EQ(Rejects().size(), 1u);
  EXPECT_NE(Rejects()[0].find("longer than 65536 bytes"), std::string::npos) << Rejects()[0];
}

TEST_F(SyslogServerTest, BadOctetCountClosesTheConnectionKeepingEarlierEvents) {
  ASSERT_TRUE(SendAll(server_->port(), "8 <14>kept<14>also kept\n12abc <14>x\n<14>never\n"));
  EXPECT_EQ(Messages(fs_, WalDir()), (std::vector<std::string>{"kept", "also kept"}));
  ASSERT_EQ(Rejects().size(), 1u);
  EXPECT_NE(Rejects()[0].find("bad octet count"), std::string::npos);
}

TEST_F(SyslogServerTest, TlsSyslog) {
  SyslogServerOptions o;
  o.tls = true;
  o.tls_options.cert_chain_file = http::testing::GetTestPki().cert_file;
  o.tls_options.private_key_file = http::testing::GetTestPki().key_file;
  StartWith(fs_, o);
  http::testing::RawTlsClient client(0, 0, "");
  ASSERT_FALSE(client.Connect(server_->port()));
  ASSERT_FALSE(client.Write("<14>1 - h a - - - over tls\n18 <14>octet over tls"));
  // Nothing acknowledges syslog; wait for the durable counter.
  for (int i = 0; i < 500 && server_->stats().messages_received < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Messages(fs_, WalDir()), (std::vector<std::string>{"over tls", "octet over tls"}));
}

TEST_F(SyslogServerTest, ConnectionLimit) {
  SyslogServerOptions o;
  o.max_connections = 1;
  StartWith(fs_, o);
  net::io_context ioc;
  tcp::socket first(ioc);
  first.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server_->port()));
  for (int i = 0; i < 500 && server_->stats().active_connections < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  tcp::socket second(ioc);
  second.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server_->port()));
  char c;
  boost::system::error_code ec;
  second.read_some(net::buffer(&c, 1), ec);  // closed at once
  EXPECT_TRUE(ec == net::error::eof || ec == net::error::connection_reset) << ec.message();
  EXPECT_EQ(server_->stats().connections_rejected, 1u);
}

TEST_F(SyslogServerTest, NextBatchIsParsedWhileOneIsDurableAndOrderIsKept) {
  testing::GatedFileSystem gated(fs_);
  SyslogServerOptions o;
  o.read_buffer_bytes = 4096;  // many reads for the stream below
  StartWith(gated, o);
  std::string stream;
  std::vector<std::string> expected;
  for (int i = 0; i < 400; ++i) {
    const std::string msg = "<14>1 - host app - - - ordered event " + std::to_string(i);
    stream += std::to_string(msg.size()) + " " + msg;
    expected.push_back("ordered event " + std::to_string(i));
  }
  gated.Close();
  net::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server_->port()));
  // The socket buffers take the whole stream; the server reads one batch
  // ahead of the one waiting in its fsync, then stops reading.
  net::write(s, net::buffer(stream));
  gated.AwaitBlockedSync();
  EXPECT_EQ(server_->stats().messages_received, 0u);  // nothing counted before fsync
  EXPECT_EQ(ingestor_->stats().accepted, 0u);
  gated.Open();
  boost::system::error_code ec;
  s.shutdown(tcp::socket::shutdown_send, ec);
  char buf[64];
  while (!ec) s.read_some(net::buffer(buf), ec);  // closed once everything is durable
  EXPECT_EQ(server_->stats().messages_received, 400u);
  EXPECT_EQ(Messages(fs_, WalDir()), expected);
  EXPECT_GT(ingestor_->stats().commits, 1u);
  // Everything that uses `gated` goes before it does.
  server_->Shutdown();
  ingestor_->Stop();
  server_.reset();
  ingestor_.reset();
  wal_.reset();
}

TEST_F(SyslogServerTest, RefusingIngestHoldsTheBatchUntilTheDiskRecovers) {
  StartWith(faulty_, {});
  faulty_.FailAllSyncs(true);
  std::thread sender([&] { EXPECT_TRUE(SendAll(server_->port(), "<14>a\n<14>b\n")); });
  for (int i = 0; i < 500 && ingestor_->stats().refused < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(ingestor_->stats().refused, 4u);  // retried, refused each time
  EXPECT_EQ(server_->stats().messages_received, 0u);
  faulty_.ClearFaults();
  sender.join();  // the connection ends only once the batch is durable
  EXPECT_EQ(server_->stats().messages_received, 2u);
  EXPECT_EQ(Messages(fs_, WalDir()), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace kura::logs
