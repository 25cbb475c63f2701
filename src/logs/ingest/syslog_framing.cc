#include "logs/ingest/syslog_framing.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace kura::logs {
namespace {

constexpr size_t kMaxOctetCountDigits = 10;

}  // namespace

size_t SyslogFramer::Consume(std::string_view data, Sink& sink) {
  size_t pos = 0;
  while (pos < data.size()) {
    if (discarding_) {
      const void* lf = std::memchr(data.data() + pos, '\n', data.size() - pos);
      if (lf == nullptr) return data.size();
      pos = static_cast<size_t>(static_cast<const char*>(lf) - data.data()) + 1;
      discarding_ = false;
      continue;
    }
    const char c = data[pos];
    if (c >= '0' && c <= '9') {
      // Octet counting: LEN SP MSG.
      size_t i = pos;
      uint64_t len = 0;
      while (i < data.size() && data[i] >= '0' && data[i] <= '9' && i - pos < kMaxOctetCountDigits) {
        len = len * 10 + static_cast<uint64_t>(data[i] - '0');
        ++i;
      }
      if (i == data.size()) return pos;  // count not complete yet
      if (data[i] != ' ') {
        sink.OnFramingError(InvalidArgumentError(
            "syslog: bad octet count (expected digits and a space); closing the connection"));
        return std::string_view::npos;
      }
      if (len == 0 || len > max_) {
        sink.OnFramingError(InvalidArgumentError(
            "syslog: octet count " + std::to_string(len) + " outside 1.." + std::to_string(max_) +
            "; closing the connection"));
        return std::string_view::npos;
      }
      if (data.size() - (i + 1) < len) return pos;  // message not complete yet
      sink.OnMessage(data.substr(i + 1, len));
      pos = i + 1 + len;
      continue;
    }
    if (c == '\n' || c == '\r') {  // empty line or stray CR
      ++pos;
      continue;
    }
    const void* lf = std::memchr(data.data() + pos, '\n', data.size() - pos);
    if (lf == nullptr) {
      if (data.size() - pos > max_) {
        sink.OnFramingError(InvalidArgumentError(
            "syslog: message longer than " + std::to_string(max_) +
            " bytes; discarded up to the next newline"));
        discarding_ = true;
        return data.size();
      }
      return pos;
    }
    const size_t end = static_cast<size_t>(static_cast<const char*>(lf) - data.data());
    size_t msg_end = end;
    if (msg_end > pos && data[msg_end - 1] == '\r') --msg_end;
    if (msg_end - pos > max_) {
      sink.OnFramingError(InvalidArgumentError("syslog: message longer than " +
                                               std::to_string(max_) + " bytes; discarded"));
    } else {
      sink.OnMessage(data.substr(pos, msg_end - pos));
    }
    pos = end + 1;
  }
  return pos;
}

size_t SyslogFramer::BytesCompletingCarried(std::string_view data) const {
  const char c = buffer_[0];
  if (c >= '0' && c <= '9') {
    size_t i = 0;
    uint64_t len = 0;
    while (i < buffer_.size() && buffer_[i] >= '0' && buffer_[i] <= '9' &&
           i < kMaxOctetCountDigits) {
      len = len * 10 + static_cast<uint64_t>(buffer_[i] - '0');
      ++i;
    }
    if (i == buffer_.size() || buffer_[i] != ' ') return data.size();
    const uint64_t total = i + 1 + len;
    if (total <= buffer_.size()) return data.size();  // not carried: let Consume decide
    return static_cast<size_t>(std::min<uint64_t>(data.size(), total - buffer_.size()));
  }
  const void* lf = std::memchr(data.data(), '\n', data.size());
  if (lf == nullptr) return data.size();
  return static_cast<size_t>(static_cast<const char*>(lf) - data.data()) + 1;
}

bool SyslogFramer::Feed(std::string_view data, Sink& sink) {
  if (failed_) return false;
  // Consumes complete frames from the buffer; false (and the framer is
  // dead) on an unrecoverable error.
  auto consume_buffer = [&]() {
    const size_t used = Consume(buffer_, sink);
    if (used == std::string_view::npos) {
      failed_ = true;
      buffer_.clear();
      return false;
    }
    buffer_.erase(0, used);
    return true;
  };
  if (!buffer_.empty()) {
    // Complete the carried-over frame with just the bytes it needs, so a
    // large read is not copied into the buffer (and moved again) whenever a
    // frame straddles two reads.
    const size_t take = BytesCompletingCarried(data);
    buffer_.append(data.substr(0, take));
    if (!consume_buffer()) return false;
    data.remove_prefix(take);
    if (!buffer_.empty()) {
      // Still incomplete (or the count could not be read): carry on with
      // everything in the buffer.
      if (data.empty()) return true;
      buffer_.append(data);
      return consume_buffer();
    }
  }
  const size_t used = Consume(data, sink);
  if (used == std::string_view::npos) {
    failed_ = true;
    return false;
  }
  buffer_.assign(data.substr(used));
  return true;
}

void SyslogFramer::Finish(Sink& sink) {
  if (failed_ || buffer_.empty()) return;
  if (discarding_) {
    buffer_.clear();
    return;
  }
  const char c = buffer_[0];
  if (c >= '0' && c <= '9') {
    sink.OnFramingError(
        InvalidArgumentError("syslog: connection closed in the middle of an octet-counted frame"));
  } else {
    std::string_view msg = buffer_;
    if (!msg.empty() && msg.back() == '\r') msg.remove_suffix(1);
    if (!msg.empty()) sink.OnMessage(msg);
  }
  buffer_.clear();
}

}  // namespace kura::logs
