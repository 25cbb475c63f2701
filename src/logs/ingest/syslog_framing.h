// SyslogFramer: splits a TCP syslog byte stream into messages (RFC 6587).
//
// Both framings are accepted and detected per frame:
//   * octet counting (RFC 6587 3.4.1, RFC 5425): "LEN SP MSG", LEN in ASCII
//     decimal — a frame that starts with a digit;
//   * non-transparent framing (3.4.2): MSG terminated by LF (a trailing CR
//     is dropped) — any other frame. Empty lines are skipped.
//
// Errors, reported through the sink and never quoting the input:
//   * a bad octet count (non-digits before the SP, more than 10 digits, 0,
//     or above max_message_bytes): the stream cannot be resynchronised, so
//     Feed returns false and the connection must be closed; every frame
//     before it was already delivered;
//   * an LF-framed message longer than max_message_bytes: reported once,
//     its bytes are discarded up to the next LF, then framing resumes — the
//     messages before and after it are kept.
//
// Memory: at most max_message_bytes plus one read are buffered.
//
// Thread safety: one framer per connection; not thread-safe.
#ifndef KURA_LOGS_INGEST_SYSLOG_FRAMING_H_
#define KURA_LOGS_INGEST_SYSLOG_FRAMING_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace kura::logs {

inline constexpr size_t kDefaultMaxSyslogMessageBytes = 64 << 10;

class SyslogFramer {
 public:
  // Receives the framer's output, in stream order.
  class Sink {
   public:
    virtual ~Sink() = default;
    // One complete message (without framing). Valid only during the call.
    virtual void OnMessage(std::string_view message) = 0;
    // A framing error (kInvalidArgument) for one frame.
    virtual void OnFramingError(const Status& error) = 0;
  };

  explicit SyslogFramer(size_t max_message_bytes = kDefaultMaxSyslogMessageBytes)
      : max_(max_message_bytes) {}

  // Consumes `data`. Returns false after an unrecoverable error (bad octet
  // count); the framer must not be fed again.
  bool Feed(std::string_view data, Sink& sink);

  // End of stream: an unterminated LF-framed message still buffered is
  // delivered (senders often omit the last LF); a partial octet-counted
  // frame is a framing error.
  void Finish(Sink& sink);

  size_t buffered() const { return buffer_.size(); }

 private:
  // Frames from `data`; returns bytes consumed (the rest is incomplete), or
  // npos after an unrecoverable error.
  size_t Consume(std::string_view data, Sink& sink);
  // How many leading bytes of `data` complete the frame carried in buffer_
  // (all of `data` if that cannot be told, e.g. an unfinished octet count).
  size_t BytesCompletingCarried(std::string_view data) const;

  const size_t max_;
  std::string buffer_;     // an incomplete frame carried over from earlier reads
  bool discarding_ = false;  // skipping an over-long LF-framed message
  bool failed_ = false;
};

}  // namespace kura::logs

#endif  // KURA_LOGS_INGEST_SYSLOG_FRAMING_H_
