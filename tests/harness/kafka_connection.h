// KafkaConnection: a test's raw Kafka protocol connection to one node's Kafka listener.
// Whole requests go through the generated codecs (Call), or any bytes at all (SendBytes) for
// tests of malformed input; every read and write has a deadline. Not thread-safe: one test
// thread drives a connection.
#ifndef KARST_TESTS_HARNESS_KAFKA_CONNECTION_H_
#define KARST_TESTS_HARNESS_KAFKA_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "kafka/protocol/apis.h"
#include "kafka/protocol/header.h"
#include "kafka/protocol/wire.h"
#include "tests/harness/node.h"
#include "tests/harness/scoped_fd.h"

namespace karst::testing {

class KafkaConnection {
 public:
  // Connects to `address`:`port` within `timeout`, which also bounds each later call.
  static absl::StatusOr<std::unique_ptr<KafkaConnection>> Open(
      const std::string& address, int port, std::string client_id = "karst-test",
      absl::Duration timeout = absl::Seconds(10));
  // The node's Kafka listener (port 9092, the harness default).
  static absl::StatusOr<std::unique_ptr<KafkaConnection>> Open(
      const Node& node, std::string client_id = "karst-test",
      absl::Duration timeout = absl::Seconds(10));

  absl::Status SendBytes(absl::string_view bytes);

  // A request frame: the header version the API table names (v1 for an unknown key), a new
  // correlation id, and `body` as given.
  std::string RequestFrame(int16_t key, int16_t version, absl::string_view body);

  template <typename Request>
  std::string Encode(const Request& request, int16_t version) {
    std::string body;
    ::karst::kafka::protocol::Writer w(&body);
    request.Encode(w, version);
    return RequestFrame(Request::kApiKey, version, body);
  }

  // One response frame, without its size prefix. kUnavailable if the broker closes first.
  absl::StatusOr<std::string> ReadFrame();

  // Reads the response to the last request into `response`; its views (records) point into
  // `*frame`, or into the connection's last frame (valid until the next read) when null.
  template <typename Response>
  absl::Status ReadResponse(int16_t version, Response* response, std::string* frame = nullptr) {
    namespace kp = ::karst::kafka::protocol;
    absl::StatusOr<std::string> read = ReadFrame();
    if (!read.ok()) return read.status();
    std::string& kept = frame != nullptr ? *frame : last_frame_;
    kept = *std::move(read);
    kp::Reader r(kept);
    kp::ResponseHeader header;
    const kp::ApiInfo* api = kp::FindApi(Response::kApiKey);
    if (absl::Status s =
            kp::DecodeResponseHeader(r, kp::ResponseHeaderVersion(*api, version), &header);
        !s.ok()) {
      return s;
    }
    if (header.correlation_id != correlation_id_) {
      return absl::DataLossError(
          absl::StrCat("correlation id ", header.correlation_id, ", want ", correlation_id_));
    }
    if (absl::Status s = response->Decode(r, version); !s.ok()) return s;
    if (r.remaining() != 0) return absl::DataLossError("bytes after the response");
    return absl::OkStatus();
  }

  template <typename Request, typename Response>
  absl::Status Call(const Request& request, int16_t version, Response* response,
                    std::string* frame = nullptr) {
    if (absl::Status s = SendBytes(Encode(request, version)); !s.ok()) return s;
    return ReadResponse(version, response, frame);
  }

  // OK once the broker has closed the connection (EOF or reset) with nothing more to read;
  // kFailedPrecondition if it sends bytes instead; kDeadlineExceeded if it stays open.
  absl::Status WaitClosed();

 private:
  KafkaConnection(ScopedFd fd, std::string client_id, absl::Duration timeout)
      : fd_(std::move(fd)), client_id_(std::move(client_id)), timeout_(timeout) {}

  absl::Status ReadExactly(size_t n, absl::Time deadline, std::string* out);

  ScopedFd fd_;
  const std::string client_id_;
  const absl::Duration timeout_;
  int32_t correlation_id_ = 0;
  std::string last_frame_;
};

}  // namespace karst::testing

#endif  // KARST_TESTS_HARNESS_KAFKA_CONNECTION_H_
